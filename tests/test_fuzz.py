"""Bad input at scale (Hypothesis): forged survey posts and generated question banks.

* Survey save route: random mixes of valid and forged fields, values and repeated keys are
  posted to ``/r/<resume_token>/stap/<n>``. Never a 5xx; a refused request (4xx) writes
  nothing (rows counted and compared before and after); an accepted one (303) stores exactly
  the valid answers it sent.
* Question banks: generated and mutated YAML documents go through ``quickscan.bank``'s
  ``parse_bank``, ``load_bank_file`` and ``validate_paths``: each either loads or reports
  problems as :class:`~quickscan.bank.BankError` -- no other exception ever escapes.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml
from flask import g
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from quickscan import links
from quickscan.bank import BankError, load_bank_file, parse_bank, validate_paths
from quickscan.extensions import db
from quickscan.models import Answer, Comment, ImportanceRating, Response
from quickscan.services import rounds
from tests.factories import CSRF_RE, ROOT, bank_data

STEP_QUESTIONS = ["bestuur.thema1.vraag1", "bestuur.thema1.vraag2"]
OTHER_QUESTIONS = ["bestuur.thema2.vraag1", "wonen.thema1.vraag1", "x", "", "bestuur.thema1"]
VALID_VALUES = ["0", "1", "2", "3", "4", "dont_know", "not_applicable"]
FUZZ = settings(max_examples=150, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])

texts = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=40)
values = st.one_of(st.sampled_from(VALID_VALUES), texts,
                   st.sampled_from(["5", "-1", "3.0", " 3", "0x1", "DONT_KNOW", "null", "1e3",
                                    "\x00", "<script>", "'; DROP TABLE answer; --"]))
comments = st.one_of(texts, st.just(""), st.text(min_size=1990, max_size=2010),
                     st.sampled_from(["<b>", "=HYPERLINK(\"http://x\",\"y\")", "a\x00b"]))
question_ids = st.sampled_from(STEP_QUESTIONS + OTHER_QUESTIONS)
fields = st.one_of(
    st.tuples(question_ids.map(lambda q: "q-" + q), values),
    st.tuples(question_ids.map(lambda q: "c-" + q), comments),
    st.tuples(st.just("importance"), st.one_of(st.sampled_from(["1", "3", "5", "0", "6", "",
                                                                "2.5"]), texts)),
    st.tuples(st.just("action"), st.one_of(st.sampled_from(["next", "previous", "save",
                                                            "submit", ""]), texts)),
    st.tuples(texts, texts),
)
forms = st.tuples(st.lists(fields, max_size=12),
                  st.sampled_from(["valid", "valid", "valid", "missing", "forged"]),
                  st.sampled_from([1, 1, 1, 2, 0, 99]))


def _snapshot(response_id: int) -> tuple[Any, ...]:
    db.session.expire_all()
    return (
        sorted(db.session.execute(select(Answer.question_id, Answer.value)
                                  .where(Answer.response_id == response_id)).all()),
        sorted(db.session.execute(select(Comment.question_id, Comment.text)
                                  .where(Comment.response_id == response_id)).all()),
        sorted(db.session.execute(select(ImportanceRating.theme_id, ImportanceRating.value)
                                  .where(ImportanceRating.response_id == response_id)).all()),
        db.session.scalar(select(func.count()).select_from(Answer)),
        db.session.scalar(select(func.count()).select_from(Comment)),
        db.session.scalar(select(func.count()).select_from(ImportanceRating)),
        db.session.scalar(select(Response.status).where(Response.id == response_id)),
    )


def test_fuzzed_survey_posts(app, test_banks):
    round_ = rounds.create_round("Fuzzronde", "Gemeente",
                                 departments=[("Wonen", ["wonen"])], secret_key=links.secret_key())
    token = links.invitation_token(round_.departments[0]) or ""
    client = app.test_client()
    g.pop("csrf_token", None)
    intro = client.get(f"/s/{token}").get_data(as_text=True)
    csrf = CSRF_RE.search(intro)
    assert csrf
    started = client.post(f"/s/{token}/start", data={"csrf_token": csrf.group(1)})
    assert started.status_code == 303
    resume = started.headers["Location"].rstrip("/").split("/r/")[1]
    response_id = db.session.scalar(select(Response.id))
    valid_csrf = csrf.group(1)
    seen: set[int] = set()

    @FUZZ
    @given(forms)
    def post(case: tuple[list[tuple[str, str]], str, int]) -> None:
        pairs, csrf_mode, step = case
        data = list(pairs)
        if csrf_mode == "valid":
            data.append(("csrf_token", valid_csrf))
        elif csrf_mode == "forged":
            data.append(("csrf_token", valid_csrf[::-1]))
        before = _snapshot(response_id)
        result = client.post(f"/r/{resume}/stap/{step}", data=MultiDict(data))
        db.session.rollback()
        after = _snapshot(response_id)
        seen.add(result.status_code)
        assert result.status_code < 500, (data, result.status_code)
        body = result.get_data(as_text=True)
        assert "Traceback" not in body
        if result.status_code != 303:
            assert 400 <= result.status_code < 500
            assert after == before, f"refused request ({result.status_code}) wrote: {data}"
        else:
            sent = {name[2:]: value for name, value in data if name.startswith("q-")}
            stored = dict(after[0])
            for question, value in sent.items():
                assert stored[question] == value

    post()
    assert 303 in seen and 400 in seen  # both paths were exercised


# --------------------------------------------------------------------------- banks


scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 10), texts,
                    st.sampled_from(["1.0.0", "x.y", "bestuur", "volwassenheid", "2026-01-01"]))
yaml_values = st.recursive(scalars, lambda children: st.one_of(
    st.lists(children, max_size=4), st.dictionaries(texts, children, max_size=4)),
    max_leaves=12)
PATHS = [("id",), ("version",), ("title",), ("scale",), ("common",), ("themes",),
         ("themes", 0), ("themes", 0, "id"), ("themes", 0, "target"), ("themes", 0, "questions"),
         ("themes", 0, "questions", 0), ("themes", 0, "questions", 0, "id"),
         ("themes", 0, "questions", 0, "statement"), ("themes", 0, "questions", 0, "help"),
         ("themes", 0, "questions", 0, "tags"), ("themes", 0, "questions", 0, "replaces"),
         ("changelog",), ("changelog", 0, "version"), ("levensdomeinen",)]
mutations = st.lists(st.tuples(st.sampled_from(PATHS),
                               st.one_of(st.just("<delete>"), yaml_values)), max_size=4)


def _mutate(data: dict[str, Any], changes: list[tuple[tuple[Any, ...], Any]]) -> Any:
    out = copy.deepcopy(data)
    for path, value in changes:
        node: Any = out
        try:
            for key in path[:-1]:
                node = node[key]
            if value == "<delete>":
                del node[path[-1]]
            else:
                node[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue
    return out


@settings(max_examples=300, deadline=None, derandomize=True)
@given(mutations)
def test_generated_banks_never_crash_parse_bank(changes):
    data = _mutate(bank_data("bestuur", "Bestuur", common=True), changes)
    try:
        bank = parse_bank(data)
    except BankError as exc:
        assert exc.problems
        assert all(str(problem) for problem in exc.problems)
    else:
        assert bank.id and bank.sha256


@settings(max_examples=120, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=mutations, raw=st.one_of(st.none(), st.text(max_size=200),
                                        st.binary(max_size=200)))
def test_generated_bank_files_never_crash_loading(tmp_path_factory, changes, raw):
    folder = tmp_path_factory.mktemp("bank") / "questions"
    (folder / "bestuur").mkdir(parents=True)
    (folder / "scales.yaml").write_text(
        (ROOT / "questions" / "scales.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    path = folder / "bestuur" / "1.0.0.yaml"
    if raw is None:
        data = _mutate(bank_data("bestuur", "Bestuur", common=True), changes)
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    elif isinstance(raw, bytes):
        path.write_bytes(raw)
    else:
        path.write_text(raw, encoding="utf-8")
    try:
        load_bank_file(path)
    except BankError as exc:
        assert exc.problems
    problems = validate_paths([folder])
    assert all(problem.file and problem.line >= 1 for problem in problems)
    assert validate_paths([path]) is not None
    assert isinstance(validate_paths([Path(folder / "missing.yaml")]), list)
