"""Rounds as a series: the next measurement (service and command line), the demo's history,
and every change and compatibility share of the demo series recomputed from the raw answers
and the banks' ``replaces`` (independently of quickscan/comparison.py)."""

from __future__ import annotations

import datetime
from collections import defaultdict

import pytest
from sqlalchemy import select

from quickscan import links
from quickscan.extensions import db
from quickscan.models import RESPONSE_SUBMITTED, Answer, Department, Response, Round
from quickscan.services import demo, rounds, series
from quickscan.services.banks import round_bank_map
from quickscan.services.group_size import set_min_group_size

TODAY = datetime.date(2026, 11, 30)


@pytest.fixture
def demo_series(app, tmp_path):
    result = demo.load_demo(secret_key=links.secret_key(), login_file=tmp_path / "login.txt",
                            today=TODAY, history=True)
    return db.session.get(Round, result.round_id)


def _question_scores(round_: Round) -> dict[str, dict[str, float]]:
    """Per department: question id -> mean points over the submitted levels (from the rows)."""
    levels: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    rows = db.session.execute(
        select(Department.name, Answer.question_id, Answer.value)
        .join(Response, Answer.response_id == Response.id).join(Department)
        .where(Department.round_id == round_.id, Response.status == RESPONSE_SUBMITTED))
    for name, question_id, value in rows:
        if value.isdigit():
            levels[name][question_id].append(int(value))
    return {name: {q: 25 * sum(v) / len(v) for q, v in per.items()}
            for name, per in levels.items()}


def _comparable(old_bank, new_bank) -> dict[str, str]:
    """new id -> old id, straight from the rule text (same id, or a sole one-to-one replace)."""
    old_ids = {q.id for q in old_bank.questions}
    new_ids = {q.id for q in new_bank.questions}
    replacers: dict[str, list[str]] = defaultdict(list)
    for q in new_bank.questions:
        for r in q.replaced_ids:
            if r in old_ids and r not in new_ids:
                replacers[r].append(q.id)
    pairs = {}
    for q in new_bank.questions:
        if q.id in old_ids:
            pairs[q.id] = q.id
        else:
            olds = [r for r in q.replaced_ids if r in replacers]
            if len(olds) == 1 and replacers[olds[0]] == [q.id]:
                pairs[q.id] = olds[0]
    return pairs


def test_demo_history_is_a_series_on_the_first_bank_versions(demo_series):
    earlier = series.previous_round(demo_series)
    assert earlier is not None and not earlier.is_open
    assert (demo_series.created_at.date() - earlier.created_at.date()).days >= 365
    assert {rb.version for rb in earlier.banks} == {"1.0.0"}
    assert {rb.version for rb in demo_series.banks} == {"2.0.0"}
    assert [r.id for r in series.series(demo_series)] == [earlier.id, demo_series.id]
    # The municipal group answers gemeente, new in 2.0.0: it has no group a year earlier.
    assert {d.name for d in rounds.departments_of(earlier)} == {
        d.name for d in rounds.departments_of(demo_series)}


def test_every_change_of_the_demo_series_is_recomputed(demo_series):
    earlier = series.previous_round(demo_series)
    comparison = series.round_comparison(demo_series).comparison
    old_banks, new_banks = round_bank_map(earlier), round_bank_map(demo_series)
    now, before = _question_scores(demo_series), _question_scores(earlier)
    k = demo_series.min_group_size
    submitted_now = {d.name: sum(r.status == RESPONSE_SUBMITTED for r in d.responses)
                     for d in demo_series.departments}
    submitted_before = {d.name: sum(r.status == RESPONSE_SUBMITTED for r in d.responses)
                        for d in earlier.departments}
    checked = 0
    total_questions = total_comparable = 0
    for bank in new_banks.values():
        pairs = _comparable(old_banks[bank.id], bank) if bank.id in old_banks else {}
        total_questions += len(bank.questions)
        total_comparable += len(pairs)
    assert comparison.compatibility == pytest.approx(total_comparable / total_questions)
    assert 0 < comparison.compatibility < 1  # the 1.0.0 -> 2.0.0 change is a real case
    for change in comparison.themes:
        bank = new_banks[change.bank_id]
        pairs = _comparable(old_banks[bank.id], bank) if bank.id in old_banks else {}
        theme = bank.theme(change.theme_id)
        comparable = [q for q in theme.questions if q.id in pairs]
        assert change.questions == len(theme.questions)
        assert change.comparable_questions == len(comparable)
        assert change.compatibility == pytest.approx(len(comparable) / len(theme.questions))
        assert change.partial == (len(comparable) / len(theme.questions) < 0.5)
        hidden = (submitted_now[change.department] < k
                  or submitted_before[change.department] < k)
        assert change.hidden == hidden
        if hidden:
            assert change.delta is None
            continue
        mine, theirs = now[change.department], before[change.department]
        both = [(mine[q.id], theirs[pairs[q.id]], q.weight) for q in comparable
                if q.id in mine and pairs[q.id] in theirs]
        if not both:
            assert change.delta is None
            continue
        weight = sum(w for _, _, w in both)
        score = sum(a * w for a, _, w in both) / weight
        previous = sum(b * w for _, b, w in both) / weight
        assert change.score == pytest.approx(score)
        assert change.previous_score == pytest.approx(previous)
        assert change.delta == pytest.approx(score - previous)
        checked += 1
    assert checked > 10


def test_every_bank_and_department_change_is_recomputed(demo_series):
    """The banks' and departments' changes and shares, from the raw answers and `replaces`."""
    earlier = series.previous_round(demo_series)
    comparison = series.round_comparison(demo_series).comparison
    old_banks, new_banks = round_bank_map(earlier), round_bank_map(demo_series)
    pairs = {bank_id: _comparable(old_banks[bank_id], bank) if bank_id in old_banks else {}
             for bank_id, bank in new_banks.items()}
    now, before = _question_scores(demo_series), _question_scores(earlier)
    own = {d.name: list(d.bank_ids or ()) for d in demo_series.departments}
    checked = 0
    for change in comparison.banks + comparison.departments:
        bank_ids = [change.bank_id] if change.bank_id else [
            b for b in own[change.department] if b in new_banks]
        questions = [(q, bank_id) for bank_id in bank_ids for q in new_banks[bank_id].questions]
        comparable = [(q, pairs[bank_id][q.id]) for q, bank_id in questions
                      if q.id in pairs[bank_id]]
        assert change.questions == len(questions)
        assert change.comparable_questions == len(comparable)
        assert change.compatibility == pytest.approx(len(comparable) / len(questions))
        if change.hidden:
            assert change.delta is None
            continue
        mine, theirs = now.get(change.department, {}), before.get(change.department, {})
        both = [(mine[q.id], theirs[old], q.weight) for q, old in comparable
                if q.id in mine and old in theirs]
        if not both:
            assert change.delta is None
            continue
        weight = sum(w for _, _, w in both)
        score = sum(a * w for a, _, w in both) / weight
        previous = sum(b * w for _, b, w in both) / weight
        assert change.score == pytest.approx(score)
        assert change.previous_score == pytest.approx(previous)
        assert change.delta == pytest.approx(score - previous)
        checked += 1
    assert checked > 5


def test_next_round_copies_the_series(app):
    previous = rounds.create_round(
        "Ronde 2025", "Gemeente Test", banks={"bestuur": "1.0.0", "wonen": "1.0.0"},
        departments=[("Ruimte", ["wonen"]), ("Zorg", []), ("Werk", [])],
        secret_key=links.secret_key())
    set_min_group_size(previous, 5)
    plans = [series.DepartmentPlan("Ruimte", ("wonen",), ("Ruimte",)),
             series.DepartmentPlan("Zorg en werk", (), ("Zorg", "werk"))]
    new = series.next_round(previous, "Ronde 2026", secret_key=links.secret_key(),
                            departments=plans)
    assert new.previous_round_id == previous.id and new.min_group_size == 5
    assert new.municipality == "Gemeente Test"
    versions = {rb.bank_id: rb.version for rb in new.banks}
    assert versions == {"bestuur": "2.0.0", "wonen": "2.0.0"}
    continued = {d.name: d.continues for d in new.departments}
    assert continued == {"Ruimte": ["Ruimte"], "Zorg en werk": ["Zorg", "Werk"]}
    old_links = {i.token_hash for d in previous.departments for i in d.invitations}
    assert all(i.token_hash not in old_links for d in new.departments for i in d.invitations)
    assert all(d.invitations for d in new.departments)
    with pytest.raises(rounds.RoundInputError):
        series.next_round(previous, "Ronde X", secret_key=links.secret_key(), departments=[
            series.DepartmentPlan("Nieuw", (), ("Bestaat niet",))])


def test_cli_create_from(app):
    previous = rounds.create_round("Ronde 2025", "Gemeente Test", banks={"wonen": "1.0.0"},
                                   departments=[("Ruimte", ["wonen"]), ("Zorg", [])],
                                   secret_key=links.secret_key())
    cli = app.test_cli_runner()
    result = cli.invoke(args=["rounds", "create", "--from", str(previous.id), "--name",
                              "Ronde 2026", "--bank", "wonen@1.0.0"])
    assert result.exit_code == 0, result.output
    new = db.session.get(Round, int(result.output.strip()))
    assert new.previous_round_id == previous.id
    assert {rb.bank_id: rb.version for rb in new.banks}["wonen"] == "1.0.0"
    assert {d.name for d in new.departments} == {"Ruimte", "Zorg"}
    renamed = cli.invoke(args=["rounds", "create", "--from", str(previous.id), "--name",
                               "Ronde 2027", "--department", "Fysiek domein=wonen",
                               "--continues", "Fysiek domein=Ruimte"])
    assert renamed.exit_code == 0, renamed.output
    third = db.session.get(Round, int(renamed.output.strip()))
    assert [(d.name, d.continues) for d in third.departments] == [
        ("Fysiek domein", ["Ruimte"])]
    bad = cli.invoke(args=["rounds", "create", "--from", str(previous.id), "--name", "X",
                           "--department", "A=", "--continues", "A=Onbekend"])
    assert bad.exit_code == 1 and "bestaat niet" in bad.output


def test_cli_demo_history(app, tmp_path):
    app.config["DEMO_LOGIN_FILE"] = str(tmp_path / "login.txt")
    try:
        result = app.test_cli_runner().invoke(args=["demo", "--history"])
    finally:
        app.config.pop("DEMO_LOGIN_FILE")
    assert result.exit_code == 0, result.output
    rounds_ = db.session.scalars(select(Round).order_by(Round.created_at)).all()
    assert len(rounds_) == 2 and rounds_[1].previous_round_id == rounds_[0].id
    comparison = series.round_comparison(rounds_[1]).comparison
    deltas = [c.delta for c in comparison.themes if c.delta is not None]
    assert deltas and sum(deltas) / len(deltas) > 0  # the demo shows growth
