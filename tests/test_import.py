"""``quickscan import``: restoring a round from a quickscan-export/2 file (hand-built here),
and from a file of the previous version, quickscan-export/1.

The round trip through the real exporter, SQLite -> PostgreSQL -> SQLite, is in
tests/test_transfer_roundtrip.py.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from quickscan.bank import bank_content, content_hash
from quickscan.extensions import db
from quickscan.models import (
    Answer,
    Comment,
    Department,
    ImportanceRating,
    Invitation,
    Response,
    Round,
    RoundBank,
)
from quickscan.scoring import DepartmentInput, ResponseInput, score_round
from quickscan.services.banks import catalog
from quickscan.services.exports import results_parts
from quickscan.services.importer import ImportFileError, import_round

SECRET = "test-secret-key-not-for-production"


def _counts() -> dict[str, int]:
    return {model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
            for model in (Round, RoundBank, Department, Invitation, Response, Answer,
                          ImportanceRating, Comment)}


def _pinned(bank_id: str) -> dict:
    """``round.banks[]`` of a test bank: its content as the questions folder holds it."""
    cat = catalog()
    content = bank_content(cat.paths[(bank_id, "1.0.0")])
    return {"id": bank_id, "version": "1.0.0", "sha256": content_hash(content),
            "position": 0, "content": content}


def with_results(data: dict) -> dict:
    """Fill in the engine's parts of a hand-built export (departments' banks and dimensions,
    priorities, municipality) as the scoring engine computes them."""
    cat = catalog()
    banks = [cat.get(b["id"], b["version"]) for b in data["round"]["banks"]]
    inputs = [ResponseInput(department=r["department"],
                            answers={a["question"]: a["value"] for a in r["answers"]},
                            importance={(i["bank"], i["theme_id"]): i["value"]
                                        for i in r["importance"]},
                            submitted=r["status"] == "submitted")
              for r in data["responses"] + data["draft_responses"]]
    overrides = {tuple(key.split("/")): level
                 for key, level in data["round"]["target_overrides"].items()}
    result = score_round(banks, [DepartmentInput(d["name"], tuple(d["bank_ids"]))
                                 for d in data["departments"]], inputs, overrides,
                         min_group_size=data["round"].get("min_group_size", 1))
    parts = results_parts(result, {d["name"]: (d["id"], d["bank_ids"])
                                   for d in data["departments"]})
    out = copy.deepcopy(data)
    out["departments"] = [part.model_dump(mode="json") for part in parts["departments"]]
    out["priorities"] = [part.model_dump(mode="json") for part in parts["priorities"]]
    out["municipality"] = parts["municipality"].model_dump(mode="json")
    return out


def _response(id_: int, department: str, department_id: int, submitted_at: str | None,
              answers: list, importance: list, comments: list) -> dict:
    """A response in the shape of version 2 (opaque id, dates); ``submitted_at`` is given as
    the version-1 date-time and kept as its date."""
    return {"id": f"r{id_:015x}", "department": department, "department_id": department_id,
            "status": "submitted" if submitted_at else "draft",
            "started_on": "2026-03-01",
            "submitted_on": submitted_at[:10] if submitted_at else None, "answers": answers,
            "importance": [{"theme": theme, "bank": theme.split("/")[0],
                            "theme_id": theme.split("/")[1], "value": value}
                           for theme, value in importance],
            "comments": comments}


def _export() -> dict:
    """A hand-built export of a closed round with two departments (test banks)."""
    banks = [_pinned("bestuur"), _pinned("wonen")]
    banks[1]["position"] = 1
    return with_results({
        "schema": "quickscan-export/2",
        "contains": "response-level data",
        "exported_at": "2026-03-10T12:00:00+00:00",
        # k = 1: the departments of two and one respondents keep their figures here.
        "round": {"id": 41, "name": "Nulmeting <b>2026</b>", "municipality": "Gemeente =Test",
                  "description": "", "deadline": None, "status": "closed",
                  "created_at": "2026-02-20T08:00:00+00:00", "min_group_size": 1,
                  "target_overrides": {"wonen/thema2": 4}, "banks": banks},
        "departments": [
            {"id": 7, "name": "Wonen", "bank_ids": ["bestuur", "wonen"]},
            {"id": 8, "name": "Sociaal domein", "bank_ids": ["bestuur"]},
        ],
        "responses": [
            _response(100, "Wonen", 7, "2026-03-01T10:00:00+00:00",
                      [{"question": "bestuur.thema1.vraag1", "value": 3},
                       {"question": "bestuur.thema1.vraag2", "value": "dont_know"},
                       {"question": "wonen.thema2.vraag1", "value": 0}],
                      [("bestuur/thema1", 5), ("wonen/thema2", 2)],
                      [{"question": "wonen.thema2.vraag1",
                        "text": "=HYPERLINK(\"http://x\",\"y\") <script>x</script>"}]),
            _response(101, "Wonen", 7, "2026-03-02T11:30:00+00:00",
                      [{"question": "bestuur.thema1.vraag1", "value": 4},
                       {"question": "wonen.thema1.vraag2", "value": "not_applicable"}],
                      [], []),
            _response(102, "Sociaal domein", 8, "2026-03-03T09:00:00+00:00",
                      [{"question": "bestuur.thema2.vraag2", "value": 1}],
                      [("bestuur/thema2", 3)], []),
        ],
        "draft_responses": [_response(103, "Wonen", 7, None, [], [], [])],
    })


def test_import_restores_everything(app, test_banks):
    result = import_round(_export(), SECRET)
    assert result.kept_ids
    round_ = db.session.get(Round, 41)
    assert round_ is not None and round_ is result.round
    assert (round_.name, round_.municipality, round_.status) == (
        "Nulmeting <b>2026</b>", "Gemeente =Test", "closed")
    assert [(rb.bank_id, rb.version) for rb in round_.banks] == [("bestuur", "1.0.0"),
                                                                  ("wonen", "1.0.0")]
    assert round_.target_overrides == {"wonen/thema2": 4}
    departments = {d.name: d for d in round_.departments}
    assert departments["Wonen"].id == 7 and departments["Wonen"].bank_ids == ["bestuur", "wonen"]
    assert departments["Sociaal domein"].bank_ids == ["bestuur"]
    wonen = departments["Wonen"]
    statuses = sorted(r.status for r in wonen.responses)
    assert statuses == ["draft", "submitted", "submitted"]
    assert round_.min_group_size == 1
    (first,) = [r for r in wonen.responses if len(r.answers) == 3]
    assert {a.question_id: a.value for a in first.answers} == {
        "bestuur.thema1.vraag1": "3", "bestuur.thema1.vraag2": "dont_know",
        "wonen.thema2.vraag1": "0"}
    assert {(i.bank_id, i.theme_id): i.value for i in first.importance_ratings} == {
        ("bestuur", "thema1"): 5, ("wonen", "thema2"): 2}
    assert first.comments[0].text == "=HYPERLINK(\"http://x\",\"y\") <script>x</script>"
    # The file keeps dates only: the time restored is midnight UTC.
    assert first.submitted_at.isoformat().startswith("2026-03-01T00:00:00")
    assert _counts()["answer"] == 6
    assert all(len(d.invitations) == 1 for d in round_.departments)


def test_new_invitation_links_work(app, test_banks):
    export = _export()
    export["round"]["status"] = "open"
    result = import_round(export, SECRET)
    client = app.test_client()
    for path in result.links.values():
        assert client.get(path).status_code == 200


def test_second_import_gets_new_ids(app, test_banks):
    import_round(_export(), SECRET)
    again = import_round(_export(), SECRET)
    assert not again.kept_ids
    assert again.round.id != 41
    assert _counts()["round"] == 2
    assert _counts()["response"] == 2 * 4


def test_keep_ids_refused_when_taken(app, test_banks):
    import_round(_export(), SECRET)
    before = _counts()
    with pytest.raises(ImportFileError, match="already in use"):
        import_round(_export(), SECRET, keep_ids=True)
    assert _counts() == before


def _broken(change) -> dict:  # type: ignore[no-untyped-def]
    data = copy.deepcopy(_export())
    change(data)
    return data


BROKEN = {
    "schema": lambda d: d.update(schema="quickscan-export/3"),
    "contains": lambda d: d.update(contains="aggregates"),
    "k out of range": lambda d: d["round"].update(min_group_size=11),
    "hidden with figures": lambda d: d["departments"][0].update(hidden=True),
    "hidden disagrees with k": lambda d: d["round"].update(min_group_size=3),
    "response id twice": lambda d: d["responses"][1].update(id=d["responses"][0]["id"]),
    "sha256": lambda d: d["round"]["banks"][0].update(sha256="0" * 64),
    "unknown bank": lambda d: d["round"]["banks"].append(
        {"id": "geen", "version": "1.0.0", "sha256": "0" * 64}),
    "department bank not pinned": lambda d: d["departments"][1]["bank_ids"].append("werk"),
    "unknown department": lambda d: d["responses"][0].update(department="Nergens"),
    "value out of range": lambda d: d["responses"][0]["answers"][0].update(value=5),
    "value forged": lambda d: d["responses"][0]["answers"][0].update(value="3 OR 1=1"),
    "question of other department": lambda d: d["responses"][2]["answers"].append(
        {"question": "wonen.thema1.vraag1", "value": 2}),
    "repeated question": lambda d: d["responses"][0]["answers"].append(
        {"question": "bestuur.thema1.vraag1", "value": 2}),
    "importance out of range": lambda d: d["responses"][0]["importance"][0].update(value=6),
    "comment too long": lambda d: d["responses"][0]["comments"][0].update(text="x" * 2001),
    "counts disagree": lambda d: d["departments"][0].update(respondents_submitted=3),
    "status": lambda d: d["round"].update(status="archived"),
    "score disagrees": lambda d: d["departments"][0]["banks"][0]["themes"][0].update(
        score=0.123),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_invalid_file_writes_nothing(app, test_banks, case):
    before = _counts()
    with pytest.raises(ImportFileError):
        import_round(_broken(BROKEN[case]), SECRET)
    assert _counts() == before


def test_cli_import(app, test_banks, tmp_path: Path):
    path = tmp_path / "export.json"
    path.write_text(json.dumps(_export()), encoding="utf-8")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code == 0, result.output
    assert "41" in result.output.split()
    assert db.session.get(Round, 41) is not None


def test_cli_import_refuses_bad_file(app, test_banks, tmp_path: Path):
    path = tmp_path / "export.json"
    path.write_text("{not json", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["import", str(path)])
    assert result.exit_code == 1
    assert "nothing was written" in result.output
    assert _counts()["round"] == 0


# --------------------------------------------------------------------------- hardening
# Each crafted file goes through ``quickscan import``: a message naming the JSON path, exit
# code 1, no traceback, and not one row written.


def _tampered_bank(data: dict, recompute: bool) -> None:
    bank = data["round"]["banks"][0]
    bank["content"]["title"] = "Vervalst"
    if recompute:
        bank["sha256"] = content_hash(bank["content"])


REFUSED = {
    "naive datetime": (lambda d: d["round"].update(created_at="2026-02-20T08:00:00"),
                       "round.created_at: date-time without a UTC offset"),
    "year 1 at +14:00": (lambda d: d["round"].update(created_at="0001-01-01T00:00:00+14:00"),
                         "round.created_at: date-time out of range"),
    "year 9999": (lambda d: d["responses"][1].update(submitted_on="9999-12-31"),
                  "responses[1].submitted_on: date out of range"),
    "a time in a date": (lambda d: d["responses"][1].update(
        submitted_on="2026-03-02T11:30:00+00:00"),
        "responses[1].submitted_on: expected a date as YYYY-MM-DD"),
    "submitted before started": (lambda d: d["responses"][1].update(submitted_on="2026-02-01"),
                                 "responses[1]: Value error, submitted_on is before started_on"),
    "numeric response id": (lambda d: d["responses"][0].update(id=100),
                            "responses[0].id: Input should be a valid string"),
    "deadline year 1": (lambda d: d["round"].update(deadline="0001-01-01"),
                        "round.deadline: date out of range"),
    "huge description": (lambda d: d["round"].update(description="x" * 20_000_000),
                         "round.description: String should have at most 5000 characters"),
    "long round name": (lambda d: d["round"].update(name="x" * 201),
                        "round.name: String should have at most 200 characters"),
    "long municipality": (lambda d: d["round"].update(municipality="x" * 201),
                          "round.municipality: String should have at most 200 characters"),
    "blank department name": (lambda d: d["departments"][1].update(name="   "),
                              "departments[1].name: must not be empty"),
    "long department name": (lambda d: d["departments"][1].update(name="x" * 201),
                             "departments[1].name: String should have at most 200"),
    "bidi department name": (lambda d: d["departments"][1].update(name="Sociaal\u202edomein"),
                             "departments[1].name: contains a control or bidirectional"),
    "long comment": (lambda d: d["responses"][0]["comments"][0].update(text="x" * 2001),
                     "responses[0].comments[0].text: String should have at most 2000"),
    "target 7": (lambda d: d["round"]["target_overrides"].update({"wonen/thema2": 7}),
                 "round.target_overrides.wonen/thema2: Input should be less than or equal to 4"),
    "target of unknown theme": (
        lambda d: d["round"]["target_overrides"].update({"wonen/geen": 2}),
        "round.target_overrides.wonen/geen: no such theme"),
    "answer 5": (lambda d: d["responses"][0]["answers"][0].update(value=5),
                 "responses[0].answers[0].value: expected an integer 0-4"),
    "answer as text": (lambda d: d["responses"][0]["answers"][0].update(value="3"),
                       "responses[0].answers[0].value: expected an integer 0-4"),
    "answer true": (lambda d: d["responses"][0]["answers"][0].update(value=True),
                    "responses[0].answers[0].value: expected an integer 0-4"),
    "importance 0": (lambda d: d["responses"][0]["importance"][0].update(value=0),
                     "responses[0].importance[0].value: Input should be greater than or equal"),
    "theme in another shape": (
        lambda d: d["responses"][0]["importance"].__setitem__(0, {"theme": "thema1",
                                                                  "value": 3}),
        "responses[0].importance[0].theme: String should match pattern"),
    "unknown field": (lambda d: d["round"].update(colour="red"),
                      "round.colour: Extra inputs are not permitted"),
    "missing field": (lambda d: d["departments"][0].pop("bank_ids"),
                      "departments[0].bank_ids: Field required"),
    "id beyond 64 bits": (lambda d: d["departments"][1].update(id=2**64),
                          "departments[1].id: Input should be less than or equal to"),
    "bank content hash recomputed": (
        lambda d: _tampered_bank(d, recompute=True),
        "round.banks[0]: bank bestuur 1.0.0 with this content is neither a published version"),
    "bank content hash stale": (lambda d: _tampered_bank(d, recompute=False),
                                "round.banks[0].content: its content hash is"),
    "NUL in a comment": (lambda d: d["responses"][0]["comments"][0].update(text="a\x00b"),
                         "responses[0].comments[0].text: contains a NUL character"),
    "lone surrogate in a name": (lambda d: d["departments"][0].update(name="Wonen\ud800"),
                                 "departments[0].name: contains a lone surrogate"),
    "NUL in a key": (lambda d: d["round"]["banks"][0]["content"].update({"a\x00": 1}),
                     "round.banks[0].content: a key contains a NUL character"),
    "submitted without a date": (lambda d: d["responses"][0].update(submitted_on=None),
                                 "responses[0]: Value error, submitted_on must be set"),
    "score disagrees": (
        lambda d: d["departments"][0]["banks"][0]["themes"][0].update(score=0.123),
        "departments[0].banks[0].themes[0].score: the file says 0.123"),
}


def _cli_import(app, path: Path):  # type: ignore[no-untyped-def]
    result = app.test_cli_runner().invoke(args=["import", str(path)])
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert "nothing was written" in result.output
    return result.output


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_crafted_file_refused_by_path(app, test_banks, tmp_path: Path, case):
    change, message = REFUSED[case]
    data = _broken(change)
    path = tmp_path / "crafted.json"
    path.write_text(json.dumps(data), encoding="utf-8")  # ensure_ascii: surrogates as \ud800
    before = _counts()
    output = _cli_import(app, path)
    assert message.replace("Value error, ", "") in output
    assert _counts() == before


DATA = Path(__file__).parent / "data" / "import"


@pytest.mark.parametrize(("name", "message"), [
    ("not-utf8.json", "is not valid UTF-8 (byte 26)"),
    ("raw-nul.json", "is not a JSON file: Invalid control character"),
    ("lone-surrogate.json", "round.name: contains a lone surrogate"),
    ("nan.json", "NaN is not a JSON number"),
    ("list.json", "the export must be a JSON object"),
    ("schema-99.json", "schema: not a quickscan-export/2 (or quickscan-export/1) export"),
    ("duplicate-key.json", "the key 'id' appears twice in one object"),
])
def test_crafted_bytes_refused(app, test_banks, name, message):
    before = _counts()
    assert message in _cli_import(app, DATA / name)
    assert _counts() == before


@pytest.mark.parametrize("depth", [33, 5000, 200_000])
def test_deeply_nested_file_refused(app, test_banks, tmp_path: Path, depth):
    data = _export()
    data["round"]["banks"][0]["content"]["deep"] = "X"
    text = json.dumps(data).replace('"X"', "[" * depth + "]" * depth)
    path = tmp_path / "deep.json"
    path.write_text(text, encoding="utf-8")
    before = _counts()
    assert "nests deeper than 32 levels" in _cli_import(app, path)
    assert _counts() == before


def test_huge_file_refused(app, test_banks, tmp_path: Path, monkeypatch):
    path = tmp_path / "huge.json"
    with path.open("wb") as handle:  # larger than the default cap, without writing 64 MB
        handle.truncate(64 * 1024 * 1024 + 1)
    before = _counts()
    assert "is larger than 67108864 bytes" in _cli_import(app, path)
    monkeypatch.setitem(app.config, "IMPORT_MAX_BYTES", 1000)  # the app outlives the test
    path.write_text(json.dumps(_export()), encoding="utf-8")
    assert "is larger than 1000 bytes" in _cli_import(app, path)
    assert _counts() == before


def test_import_accepts_its_own_export_byte_for_byte(app, test_banks):
    from quickscan.services.exports import to_json

    result = import_round(_export(), SECRET)
    first = to_json(result.round)
    data = json.loads(first)
    db.session.delete(result.round)
    db.session.commit()
    again = import_round(data, SECRET)
    assert again.kept_ids
    second = to_json(again.round)
    # All but exported_at and the random response ids.
    assert _without_ids(second).split(b"\n")[4:] == _without_ids(first).split(b"\n")[4:]


def _without_ids(data: bytes) -> bytes:
    """An export's bytes with each response's random id replaced by its place in the file."""
    document = json.loads(data)
    for index, response in enumerate(document["responses"] + document["draft_responses"]):
        data = data.replace(f'"id": "{response["id"]}"'.encode(), f'"id": "#{index}"'.encode())
    return data


def _paths(node: Any, path: tuple = ()) -> list[tuple]:
    """Every path to a value of a JSON document."""
    found = [path]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*path, index))
    return found


ODD_VALUES = st.sampled_from([None, "", " ", -1, 0, 2**64, 1.5, float("1e308"), True, [], {},
                              "x" * 5001, "\u202e", "2026-13-40", "0001-01-01T00:00:00+14:00",
                              {"schema": 1}, [[[[[]]]]], "dont_know", 4, 101.0])


@settings(max_examples=120, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(picks=st.lists(st.tuples(st.integers(min_value=0), ODD_VALUES), min_size=1,
                      max_size=3))
def test_mutated_exports_are_refused_cleanly(app, test_banks, picks):
    """Any value anywhere replaced by an odd one: refused with ImportFileError and nothing
    written, or (when the value happens to be valid there) imported; never another error."""
    data = _export()
    for pick, value in picks:
        paths = [p for p in _paths(data) if p and not (
            len(p) > 3 and p[:2] == ("round", "banks") and p[3] == "content")]
        path = paths[pick % len(paths)]
        parent = data
        for key in path[:-1]:
            parent = parent[key]
        parent[path[-1]] = copy.deepcopy(value)
    before = _counts()
    try:
        result = import_round(data, SECRET)
    except ImportFileError:
        assert _counts() == before
    else:
        db.session.delete(result.round)
        db.session.commit()


# --------------------------------------------------------------------------- version 1


def _export_v1() -> dict:
    """The hand-built export in the shape of version 1: integer response ids, date-times, no
    ``contains``, no k, no ``hidden`` (its figures were computed without a minimum group size)."""
    data = copy.deepcopy(_export())
    data["schema"] = "quickscan-export/1"
    del data["contains"]
    del data["round"]["min_group_size"]
    for department in data["departments"]:
        del department["hidden"]
    for number, response in enumerate(data["responses"] + data["draft_responses"], start=100):
        response["id"] = number
        started, submitted = response.pop("started_on"), response.pop("submitted_on")
        response["created_at"] = f"{started}T09:00:00+00:00"
        response["updated_at"] = f"{submitted or started}T09:05:00+00:00"
        response["submitted_at"] = f"{submitted}T23:30:00-02:00" if submitted else None
    return data


def test_version_1_file_is_converted_and_gets_the_default_k(app, test_banks):
    from quickscan.models import DEFAULT_MIN_GROUP_SIZE

    result = import_round(_export_v1(), SECRET)
    round_ = result.round
    # Verified as exported (k = 1: both small departments kept their figures in the file),
    # then kept with the default k so that the small departments are hidden from now on.
    assert round_.min_group_size == DEFAULT_MIN_GROUP_SIZE == 3
    assert _counts()["response"] == 4 and _counts()["answer"] == 6
    wonen = next(d for d in round_.departments if d.name == "Wonen")
    (first,) = [r for r in wonen.responses if len(r.answers) == 3]
    # 23:30 at -02:00 on 1 March is 2 March in UTC; only the date is kept.
    assert first.submitted_at.isoformat().startswith("2026-03-02T00:00:00")
    assert first.created_at.isoformat().startswith("2026-03-01T00:00:00")
    assert {r.id for r in round_.departments[0].responses}.isdisjoint({100, 101, 102, 103})


def test_version_1_file_through_the_cli(app, test_banks, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delitem(app.config, "IMPORT_MAX_BYTES", raising=False)  # another test's cap
    path = tmp_path / "v1.json"
    path.write_text(json.dumps(_export_v1()), encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["import", str(path)])
    assert result.exit_code == 0, result.output
    assert db.session.get(Round, 41).min_group_size == 3


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d["responses"][0].update(submitted_at="2026-03-01T10:00:00"),
     "responses[0].submitted_on: expected a date as YYYY-MM-DD"),
    (lambda d: d["departments"][0]["banks"][0]["themes"][0].update(score=0.5),
     "departments[0].banks[0].themes[0].score: the file says 0.5"),
    (lambda d: d.update(contains="x"), "contains: Input should be 'response-level data'"),
])
def test_broken_version_1_file_refused(app, test_banks, change, message):
    data = _export_v1()
    change(data)
    before = _counts()
    with pytest.raises(ImportFileError, match=re.escape(message)):
        import_round(data, SECRET)
    assert _counts() == before


# --------------------------------------------------------------------------- restorable parts
# A round with inwoners and bestuur groups and a Lokale Inclusie Agenda, and its follow-up
# (tests/backup_helpers.py): exported, deleted, imported again.

_SERIES: list[dict] = []


def _series_exports() -> tuple[dict, dict]:
    """The exports of the two rounds (built once per session), with the rounds deleted."""
    from quickscan import links
    from quickscan.services import rounds
    from quickscan.services.exports import export_data
    from tests.backup_helpers import build_series

    if not _SERIES:
        first, second = build_series(links.secret_key())
        for round_id in (second, first):
            round_ = db.session.get(Round, round_id)
            _SERIES.append(export_data(round_))
            rounds.close_round(round_)
            rounds.delete_round(round_)
        _SERIES.reverse()
    else:
        assert db.session.scalar(select(func.count(Round.id))) == 0
    return copy.deepcopy(_SERIES[0]), copy.deepcopy(_SERIES[1])


def _group(data: dict, kind: str) -> dict:
    return next(g for g in data["perspective_groups"] if g["kind"] == kind)


def test_groups_agenda_and_series_are_restored(app):
    from quickscan import links
    from quickscan.services.exports import export_data
    from tests.backup_helpers import comparable, restorable_tables

    first, second = _series_exports()
    assert first["round"]["status"] == "open" and len(first["lia"]["ballots"]) == 5
    imported = import_round(first, links.secret_key())
    assert imported.previous_round_id is None and imported.series_note == ""
    assert {"Inwoners", "Inwoners (Wijkcentrum De Brug)", "Bestuur"} <= set(imported.links)
    assert imported.links["Inwoners"].startswith("/i/")
    follow_up = import_round(second, links.secret_key())
    assert follow_up.previous_round_id == imported.round.id
    assert follow_up.round.previous_round_id == imported.round.id
    counts = restorable_tables()
    assert counts["resident_response"] == 7 and counts["bestuur_response"] == 3
    assert counts["lia_ballot"] == 5 and counts["lia_action"] == 2
    assert comparable(export_data(imported.round)) == comparable(first)
    assert comparable(export_data(follow_up.round)) == comparable(second)
    # The restored links work and the old ones are gone from the file.
    from quickscan.models import KIND_RESIDENTS
    from quickscan.services import perspectives

    token = imported.links["Inwoners (Wijkcentrum De Brug)"].rsplit("/", 1)[1]
    link = perspectives.find_link(token, KIND_RESIDENTS)
    assert link is not None and link.label == "Wijkcentrum De Brug"
    assert "token" not in json.dumps(first) and "salt" not in json.dumps(first)


def test_series_link_that_cannot_be_restored_is_reported(app, tmp_path: Path):
    from tests.backup_helpers import restorable_tables

    _first, second = _series_exports()
    path = tmp_path / "vervolg.json"
    path.write_text(json.dumps(second), encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["import", str(path)])
    assert result.exit_code == 0, result.output
    assert ("Note: the link to the previous round 'Voorjaar 2026' could not be restored: it "
            "is not in this database (import it first).") in result.output
    round_ = db.session.get(Round, int(result.stdout.split()[0]))
    assert round_.previous_round_id is None
    assert {d.name: d.continues for d in round_.departments}["Ruimte en Dienstverlening"] == [
        "Ruimte & Wonen", "Dienstverlening"]
    assert restorable_tables()["round"] == 1


def _residents_bank_tampered(data: dict) -> None:
    bank = data["perspective"]["residents_bank"]
    bank["content"]["title"] = "Vervalst"
    bank["sha256"] = content_hash(bank["content"])


def _in_residents(change):  # type: ignore[no-untyped-def]
    return lambda d: change(_group(d, "residents"))


def _in_bestuur(change):  # type: ignore[no-untyped-def]
    return lambda d: change(_group(d, "bestuur"))


def _residents_path(data: dict) -> str:
    return f"perspective_groups[{data['perspective_groups'].index(_group(data, 'residents'))}]"


RESTORE_REFUSED = {
    "unknown statement": (
        _in_residents(lambda g: g["responses"][0]["answers"][0].update(
            statement="inwoners.geen")),
        "{residents}.responses[0].answers[0].statement: 'inwoners.geen' is not in the bank"),
    "resident value 6": (
        _in_residents(lambda g: g["responses"][0]["answers"][0].update(value=6)),
        "{residents}.responses[0].answers[0].value: expected an integer 1-5 or 'dont_know'"),
    "unknown link label": (
        _in_residents(lambda g: g["responses"][0].update(link="Nergens")),
        "{residents}.responses[0].link: no link labelled 'Nergens'"),
    "paper through a link": (
        _in_residents(lambda g: g["responses"][0].update(channel="papier")),
        "{residents}.responses[0]: a paper form came through no link"),
    "unknown role": (
        _in_residents(lambda g: g["responses"][0].update(role="burgemeester")),
        "{residents}.responses[0].role: Input should be"),
    "resident comment too long": (
        _in_residents(lambda g: g["comments"][0].update(text="x" * 501)),
        "{residents}.comments[0].text: String should have at most 500 characters"),
    "a response id smuggled in": (
        _in_residents(lambda g: g["responses"][0].update(id="abc123456")),
        "{residents}.responses[0].id: Extra inputs are not permitted"),
    "residents bank tampered": (
        _residents_bank_tampered,
        "perspective.residents_bank: residents bank inwoners 1.0.0 with this content is not"),
    "residents k under the round's": (
        _in_residents(lambda g: g.update(min_group_size=2)),
        "{residents}.min_group_size: below the round's (3)"),
    "group named as a department": (
        _in_residents(lambda g: g.update(name="sociaal domein")),
        "{residents}.name: 'sociaal domein' is also a department's name"),
    "second residents group": (
        lambda d: d["perspective_groups"].append(copy.deepcopy(_group(d, "residents"))),
        "perspective_groups[2].kind: a second residents group"),
    "bestuur k": (_in_bestuur(lambda g: g.update(min_group_size=4)),
                  "min_group_size: the bestuur's is the round's (3)"),
    "ambition of an unknown theme": (
        _in_bestuur(lambda g: g["ambitions"][0]["ratings"][0].update(
            theme="bestuur/geen", theme_id="geen")),
        "ambitions[0].ratings[0].theme: 'bestuur/geen' is not a theme of the round"),
    "ambition 5": (_in_bestuur(lambda g: g["ambitions"][0]["ratings"][0].update(level=5)),
                   "ratings[0].level: Input should be less than or equal to 4"),
    "targets from a missing bestuur": (
        lambda d: d.update(perspective_groups=[_group(d, "residents")]),
        "perspective.target_source: bestuur, but the round has no bestuur group"),
    "vote for an unknown candidate": (
        lambda d: d["lia"]["ballots"][0]["votes"][0].update(candidate=99),
        "lia.ballots[0].votes[0].candidate: no candidate 99"),
    "vote for a merged candidate": (
        lambda d: d["lia"]["ballots"][0]["votes"][0].update(candidate=10),
        "lia.ballots[0].votes[0].candidate: no candidate 10"),
    "two votes online for one candidate": (
        lambda d: d["lia"]["ballots"][0]["votes"][0].update(count=2),
        "lia.ballots[0]: an online ballot gives one vote per candidate"),
    "more votes than allowed": (
        lambda d: d["lia"]["ballots"][1]["votes"].append({"candidate": 3, "count": 1}),
        "lia.ballots[1].votes: more than 2 votes"),
    "a ballot's browser hash": (
        lambda d: d["lia"]["ballots"][0].update(token_hash="0" * 64),
        "lia.ballots[0].token_hash: Extra inputs are not permitted"),
    "ballots without a locked vote": (
        lambda d: d["lia"].update(locked_on=None),
        "lia: ballots need a vote that was opened and locked"),
    "position beyond 32 bits": (
        lambda d: d["lia"]["candidates"][0].update(position=2**40),
        "lia.candidates[0].position: Input should be less than or equal to 2147483647"),
    "merge into a merged candidate": (
        lambda d: d["lia"]["candidates"][0].update(merged_into=10),
        "lia.candidates[0].merged_into: no candidate 10 to merge into"),
    "action of a candidate not chosen": (
        lambda d: d["lia"]["actions"][0].update(speerpunt=2),
        "lia.actions[0].speerpunt: candidate 2 is not a chosen speerpunt"),
    "action owner nobody": (
        lambda d: d["lia"]["actions"][0].update(owner_department="Onbekend BV"),
        "lia.actions[0].owner_department: not a department of the round"),
    "action partner unknown": (
        lambda d: d["lia"]["actions"][1].update(owner_partner="Onbekend BV"),
        "lia.actions[1].owner_partner: not one of lia.partners"),
    "action deadline not a date": (
        lambda d: d["lia"]["actions"][0].update(deadline="volgende week"),
        "lia.actions[0].deadline: expected a date as YYYY-MM-DD"),
    "action status": (lambda d: d["lia"]["actions"][0].update(status="klaar"),
                      "lia.actions[0].status: Input should be"),
    "action theme unknown": (
        lambda d: d["lia"]["actions"][0].update(themes=["wonen/geen"]),
        "lia.actions[0].themes[0]: 'wonen/geen' is not a theme of the round"),
    "bidi partner": (lambda d: d["lia"].update(partners=["Stichting\u202eMEE"]),
                     "lia.partners[0]: contains a control or bidirectional-override"),
    "continues of an unknown department": (
        lambda d: d["series"]["continues"].append({"department": "Nergens",
                                                   "previous": []}),
        "series.continues[2].department: no department 'Nergens'"),
}


@pytest.mark.parametrize("case", sorted(RESTORE_REFUSED))
def test_crafted_restorable_parts_refused_by_path(app, tmp_path: Path, case):
    from tests.backup_helpers import restorable_tables

    first, second = _series_exports()
    change, message = RESTORE_REFUSED[case]
    if case.startswith("continues"):  # the follow-up round holds the continuity
        first = second
    change(first)
    path = tmp_path / "crafted.json"
    path.write_text(json.dumps(first), encoding="utf-8")
    before = restorable_tables()
    output = _cli_import(app, path)
    assert message.format(residents=_residents_path(first)
                          if first["perspective_groups"] else "") in output
    assert restorable_tables() == before


@settings(max_examples=80, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(picks=st.lists(st.tuples(st.integers(min_value=0), ODD_VALUES), min_size=1,
                      max_size=3))
def test_mutated_restorable_parts_are_refused_cleanly(app, picks):
    """Any value of the groups, the agenda or the series replaced by an odd one: refused with
    ImportFileError and nothing written, or imported; never another error."""
    from tests.backup_helpers import restorable_tables

    data = _series_exports()[0]
    for pick, value in picks:
        paths = [p for p in _paths(data) if p and p[0] in (
            "perspective", "perspective_groups", "lia", "series") and "content" not in p]
        path = paths[pick % len(paths)]
        parent = data
        for key in path[:-1]:
            parent = parent[key]
        parent[path[-1]] = copy.deepcopy(value)
    before = restorable_tables()
    try:
        result = import_round(data, SECRET)
    except ImportFileError:
        assert restorable_tables() == before
    else:
        db.session.delete(result.round)
        db.session.commit()
