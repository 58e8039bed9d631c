"""Issue 11 in the app: kern or volledig per pinned bank, the municipal group, 1.0.0 rounds.

On the real question banks in ``questions/`` (1.0.0 and 2.0.0 side by side).
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from sqlalchemy import select

from quickscan import links
from quickscan.bank import load_catalog
from quickscan.estimate import estimate_minutes
from quickscan.extensions import db
from quickscan.models import (
    KIND_DEPARTMENT,
    KIND_MUNICIPALITY,
    SCOPE_CORE,
    SCOPE_FULL,
    Department,
    Round,
)
from quickscan.scoring import DepartmentInput, ResponseInput, score_round
from quickscan.services import demo, exports, importer, reports, rounds
from quickscan.services import responses as survey
from quickscan.services.banks import catalog, round_banks, round_scopes
from quickscan.services.results import score, score_municipal, target_overrides
from tests.rounds_helpers import post

ROOT = Path(__file__).resolve().parent.parent
EMAIL = "coordinator@gemeente.nl"
PASSWORD = "een-lang-wachtwoord"


@pytest.fixture
def logged_in(client, app):
    from quickscan.services import accounts

    accounts.create_user(EMAIL, PASSWORD)
    response = post(client, "/login", {"email": EMAIL, "password": PASSWORD}, form_page="/login")
    assert response.status_code == 303
    return client


def answer(department: Department, rng: random.Random, *, submit: bool = True
           ) -> ResponseInput:
    """Fill in the survey of ``department`` through the service, as a respondent would; returns
    the same answers and ratings as the scoring engine's input."""
    token = rounds.invitation_token(department, links.secret_key())
    response, _resume = survey.start_response(token)
    given: dict[str, str] = {}
    ratings: dict[tuple[str, str], int] = {}
    for step in survey.steps(response):
        values = {q.id: rng.choice(["0", "1", "2", "3", "4", "dont_know"])
                  for q in step.theme.questions}
        rating = rng.randint(1, 5)
        survey.save_page(response, step.number, values, {}, rating)
        given.update(values)
        ratings[(step.bank.id, step.theme.id)] = rating
    if submit:
        survey.submit(response)
    return ResponseInput(department.name,
                         {q: int(v) if v.isdigit() else v for q, v in given.items()},  # type: ignore[misc]
                         ratings, submitted=submit)


def _round(**kwargs) -> Round:
    args = {"name": "Ronde", "municipality": "Gemeente Test", "secret_key": links.secret_key()}
    args.update(kwargs)
    return rounds.create_round(**args)


# --------------------------------------------------------------------------- kern and volledig


def test_format_2_banks_default_to_kern_and_the_round_asks_only_core_questions(app):
    round_ = _round(departments=[("Ruimte", ["wonen", "vervoer"])])
    assert round_scopes(round_) == {"bestuur": SCOPE_CORE, "wonen": SCOPE_CORE,
                                    "vervoer": SCOPE_CORE}
    full = {bank.id: bank for bank in catalog().latest_banks()}
    asked = {bank.id: bank for bank in round_banks(round_)}
    for bank_id, bank in asked.items():
        assert [q.id for q in bank.questions] == [q.id for q in full[bank_id].core_questions]
        assert len(bank.questions) < len(full[bank_id].questions)
    department = round_.departments[0]
    steps = survey.department_steps(department)
    assert sum(len(step.theme.questions) for step in steps) == sum(
        len(full[b].core_questions) for b in ("bestuur", "wonen", "vervoer")) <= 24
    # Scoring sees only the core questions too.
    given = answer(department, random.Random(1))
    core_ids = {q.id for b in asked.values() for q in b.questions}
    assert set(given.answers) == core_ids
    result = score(round_, 1).department("Ruimte")
    scored = {q.question_id for t in result.themes() for q in t.questions}
    assert scored == core_ids


def test_scopes_per_bank_and_as_default(app):
    round_ = _round(banks={"wonen": None, "werk": "1.0.0"}, scopes={"wonen": SCOPE_FULL},
                    scope=SCOPE_CORE, departments=[("A", ["wonen", "werk"])])
    scopes = round_scopes(round_)
    # Named: volledig; default kern for a bank with a core set; a 1.0.0 bank has none.
    assert scopes == {"bestuur": SCOPE_CORE, "wonen": SCOPE_FULL, "werk": SCOPE_FULL}
    banks = {bank.id: bank for bank in round_banks(round_)}
    assert len(banks["wonen"].questions) == len(catalog().get("wonen").questions)
    with pytest.raises(rounds.RoundInputError) as refused:
        _round(name="B", banks={"werk": "1.0.0"}, scopes={"werk": SCOPE_CORE})
    assert "geen kernvragen" in refused.value.message
    with pytest.raises(rounds.ForgedRoundInput):
        _round(name="C", banks={"werk": None}, scopes={"werk": "half"})
    assert db.session.scalar(select(Round).where(Round.name != "Ronde")) is None


def test_scope_changes_only_before_anyone_answered(app):
    round_ = _round(departments=[("A", ["wonen"])])
    rounds.update_round(round_, "Ronde", "Gemeente Test", banks={"wonen": None},
                        scopes={"wonen": SCOPE_FULL})
    assert round_scopes(round_)["wonen"] == SCOPE_FULL
    assert round_scopes(round_)["bestuur"] == SCOPE_CORE  # not named: unchanged
    answer(round_.departments[0], random.Random(2), submit=False)
    with pytest.raises(rounds.RoundConflict):
        rounds.update_round(round_, "Ronde", "Gemeente Test", banks={"wonen": None},
                            scopes={"wonen": SCOPE_CORE})
    assert round_scopes(round_)["wonen"] == SCOPE_FULL


def test_cli_bank_scope_and_default_scope(app):
    cli = app.test_cli_runner()
    result = cli.invoke(args=["rounds", "create", "--name", "R", "--municipality", "G",
                              "--department", "A=wonen,werk", "--bank", "wonen@2.0.0:volledig",
                              "--bank", "werk@1.0.0", "--scope", "kern"])
    assert result.exit_code == 0, result.output
    round_ = db.session.get(Round, int(result.output))
    assert round_scopes(round_) == {"bestuur": SCOPE_CORE, "wonen": SCOPE_FULL,
                                    "werk": SCOPE_FULL}
    assert {rb.bank_id: rb.version for rb in round_.banks}["werk"] == "1.0.0"
    bad = cli.invoke(args=["rounds", "create", "--name", "R2", "--municipality", "G",
                           "--department", "A=wonen", "--bank", "wonen:half"])
    assert bad.exit_code != 0 and "kern|:volledig" in bad.output
    refused = cli.invoke(args=["rounds", "create", "--name", "R3", "--municipality", "G",
                               "--department", "A=werk", "--bank", "werk@1.0.0:kern"])
    assert refused.exit_code == 1 and "geen kernvragen" in refused.output


def test_round_form_offers_kern_or_volledig_and_the_round_page_says_which(logged_in):
    form = logged_in.get("/rondes/nieuw").get_data(as_text=True)
    assert 'name="scope-wonen"' in form and "Kern: 8 vragen" in form
    # werk 1.0.0 has no core set: the drop-down's kern (offered for 2.0.0) becomes volledig.
    response = post(logged_in, "/rondes/nieuw", {
        "name": "Ronde K", "municipality": "Gemeente Test", "bank": ["wonen", "werk"],
        "version-werk": "1.0.0", "scope-werk": SCOPE_CORE, "scope-wonen": SCOPE_FULL},
        form_page="/rondes/nieuw")
    assert response.status_code == 303, response.get_data(as_text=True)
    round_ = db.session.scalar(select(Round).where(Round.name == "Ronde K"))
    assert round_scopes(round_) == {"bestuur": SCOPE_CORE, "wonen": SCOPE_FULL,
                                    "werk": SCOPE_FULL}
    page = logged_in.get(f"/rondes/{round_.id}").get_data(as_text=True)
    bestuur = catalog().get("bestuur")
    assert (f"kern: {len(bestuur.core_questions)} van {len(bestuur.questions)} vragen"
            in page)
    assert f"volledig: {len(catalog().get('wonen').questions)} vragen" in page
    forged = post(logged_in, "/rondes/nieuw", {
        "name": "Ronde X", "municipality": "Gemeente Test", "bank": ["wonen"],
        "scope-wonen": "alles"}, form_page="/rondes/nieuw")
    assert forged.status_code == 400


def test_intro_shows_the_estimate_of_the_banks_as_asked(client, app):
    kern = _round(name="Kern", departments=[("A", ["wonen", "zorg"])])
    full = _round(name="Volledig", departments=[("A", ["wonen", "zorg"])], scope=SCOPE_FULL)
    scale = catalog().scales["volwassenheid"]
    labels = [level.label for level in scale.levels]
    shown = []
    for round_ in (kern, full):
        department = round_.departments[0]
        banks = survey.department_banks(department)
        minutes = estimate_minutes(banks, labels)
        url = links.invitation_url(department).split("127.0.0.1:5000")[-1]
        body = client.get(url).get_data(as_text=True)
        assert f"Dit duurt ongeveer {minutes} minuten." in body
        shown.append(minutes)
    assert shown[0] < shown[1]
    assert shown[0] <= 15  # the quickscan of a department with two domain banks


# --------------------------------------------------------------------------- municipal facts


def test_a_municipal_bank_gets_one_group_that_answers_only_it(app):
    round_ = _round(banks={"gemeente": None}, departments=[("A", ["wonen"])])
    groups = rounds.municipal_groups(round_)
    assert [(g.name, g.kind, g.bank_ids) for g in groups] == [
        (rounds.MUNICIPAL_GROUP_NAME, KIND_MUNICIPALITY, ["gemeente"])]
    assert [(d.name, d.kind, d.bank_ids) for d in rounds.departments_of(round_)] == [
        ("A", KIND_DEPARTMENT, ["bestuur", "wonen"])]
    # Departments never get the municipal bank; the group is not edited by hand.
    with pytest.raises(rounds.RoundInputError) as refused:
        rounds.add_department(round_, "B", ["gemeente"], secret_key=links.secret_key())
    assert "één keer per ronde" in refused.value.message
    with pytest.raises(rounds.RoundInputError):
        _round(name="R2", departments=[("A", ["gemeente"])])
    with pytest.raises(rounds.RoundConflict):
        rounds.remove_department(groups[0])
    # Dropping the bank drops the group; adding it back adds a new one.
    rounds.update_round(round_, "Ronde", "Gemeente Test", banks={"wonen": None})
    assert rounds.municipal_groups(round_) == []
    rounds.update_round(round_, "Ronde", "Gemeente Test",
                        banks={"wonen": None, "gemeente": None}, secret_key=links.secret_key())
    assert [g.bank_ids for g in rounds.municipal_groups(round_)] == [["gemeente"]]
    survey_steps = survey.department_steps(rounds.municipal_groups(round_)[0])
    assert {step.bank.id for step in survey_steps} == {"gemeente"}


def test_municipal_result_stands_apart_scored_on_its_own(app, logged_in):
    round_ = _round(banks={"gemeente": None},
                    departments=[("A", ["wonen"]), ("B", ["wonen"])])
    rng = random.Random(3)
    for department in rounds.departments_of(round_):
        answer(department, rng)
        answer(department, rng)
    group = rounds.municipal_groups(round_)[0]
    answer(group, rng)  # one person: the coordinator
    result = score(round_)
    assert [d.name for d in result.departments] == ["A", "B"]
    assert "gemeente" not in result.municipality.banks
    assert all(p.department != group.name for p in result.priorities)
    facts = score_municipal(round_)
    assert facts is not None
    (only,) = facts.departments
    assert only.name == group.name and only.respondents_submitted == 1
    assert only.bank("gemeente").score is not None
    # The report: a section of its own, not among the departments.
    content = reports.report_content(round_)
    assert [s.name for s in content.departments] == ["A", "B"]
    assert content.municipal is not None and content.municipal.name == group.name
    assert content.municipal.banks[0].score == only.bank("gemeente").score
    assert {b.id: b.scope for b in content.banks}["gemeente"] == SCOPE_CORE
    pdf = reports.pdf_report(round_)
    assert pdf.startswith(b"%PDF")
    # The results page shows it in its own section; its own page opens.
    page = logged_in.get(f"/rondes/{round_.id}/resultaten").get_data(as_text=True)
    assert "Gemeentebrede feiten" in page
    detail = logged_in.get(f"/rondes/{round_.id}/resultaten/afdeling/{group.id}")
    assert detail.status_code == 200
    assert logged_in.get(f"/rondes/{round_.id}/grafiek/afdeling-{group.id}.png"
                         ).status_code == 200
    # Whoever filled it in sees its result after submitting.
    response, resume = survey.start_response(rounds.invitation_token(group, links.secret_key()))
    for step in survey.steps(response):
        survey.save_page(response, step.number, {q.id: "2" for q in step.theme.questions}, {}, 3)
    survey.submit(response)
    own = logged_in.get(f"/r/{resume}/resultaten")
    assert own.status_code == 200 and group.name in own.get_data(as_text=True)
    # The round page: "Zelf invullen" opens the group's survey.
    round_page = logged_in.get(f"/rondes/{round_.id}").get_data(as_text=True)
    token = links.invitation_url(group).split("/s/")[1]
    assert "Zelf invullen" in round_page and f"/s/{token}" in round_page


def test_export_and_import_keep_scope_and_kind(app):
    round_ = _round(banks={"gemeente": None, "werk": "1.0.0"},
                    departments=[("A", ["wonen", "werk"])])
    rng = random.Random(4)
    answer(round_.departments[0] if round_.departments[0].kind == KIND_DEPARTMENT
           else round_.departments[1], rng)
    answer(rounds.municipal_groups(round_)[0], rng)
    data = json.loads(exports.to_json(round_))
    assert {b["id"]: b["scope"] for b in data["round"]["banks"]} == {
        "bestuur": "kern", "wonen": "kern", "werk": "volledig", "gemeente": "kern"}
    assert {d["name"]: d["kind"] for d in data["departments"]} == {
        "A": "department", rounds.MUNICIPAL_GROUP_NAME: "municipality"}
    assert all(p["department"] == "A" for p in data["priorities"])
    # Restore it on an empty database: the importer re-scores it and compares.
    db.session.delete(round_)
    db.session.commit()
    restored = importer.import_round(data, links.secret_key())
    again = restored.round
    assert round_scopes(again) == {"bestuur": "kern", "wonen": "kern", "werk": "volledig",
                                   "gemeente": "kern"}
    assert {d.name: d.kind for d in again.departments} == {
        "A": KIND_DEPARTMENT, rounds.MUNICIPAL_GROUP_NAME: KIND_MUNICIPALITY}
    assert score_municipal(again) == score_municipal_of(data)
    # Older files have neither field: volledig and department.
    for bank in data["round"]["banks"]:
        del bank["scope"]
    for department in data["departments"]:
        del department["kind"]
    document = importer.parse_export(data)
    assert {b.scope for b in document.round.banks} == {"volledig"}
    assert {d.kind for d in document.departments} == {"department"}


def score_municipal_of(data: dict) -> object:
    """The municipal group's scoring as the file holds it, in the engine's terms."""
    (part,) = [d for d in data["departments"] if d["kind"] == "municipality"]
    restored = db.session.scalar(select(Department).where(
        Department.kind == KIND_MUNICIPALITY))
    result = score_municipal(restored.round)
    assert result is not None
    (only,) = result.departments
    assert [b["score"] for b in part["banks"]] == [b.score for b in only.banks]
    return result


# --------------------------------------------------------------------------- 1.0.0 still works


def test_a_round_pinned_to_1_0_0_opens_scores_and_reports_as_before(app, client):
    versions = {"bestuur": "1.0.0", "wonen": "1.0.0", "werk": "1.0.0", "zorg": "1.0.0"}
    round_ = _round(banks=versions, departments=[("A", ["wonen"]), ("B", ["werk", "zorg"])])
    assert round_scopes(round_) == dict.fromkeys(versions, SCOPE_FULL)
    on_disk = load_catalog(ROOT / "questions")
    banks_100 = [on_disk.get(bank_id, "1.0.0") for bank_id in versions]
    assert {b.id: [q.id for q in b.questions] for b in round_banks(round_)} == {
        b.id: [q.id for q in b.questions] for b in banks_100}
    rng = random.Random(5)
    inputs = []
    for department in round_.departments:
        # The survey opens and asks every question of the 1.0.0 banks, theme by theme.
        url = links.invitation_url(department).split("127.0.0.1:5000")[-1]
        assert client.get(url).status_code == 200
        own = [b for b in banks_100 if b.id in department.bank_ids]
        assert [(s.bank.id, s.theme.id) for s in survey.department_steps(department)] == [
            (b.id, t.id) for b in sorted(own, key=lambda b: not b.common) for t in b.themes]
        for index in range(3):
            inputs.append(answer(department, rng, submit=index < 2))
    # The app's scoring equals the engine's run directly on the 1.0.0 bank files and the
    # answers given: every score, gap, priority, flag and next step. Two submissions per
    # department: k = 2 shows them all.
    from quickscan.services import group_size

    group_size.set_min_group_size(round_, 2)
    direct = score_round(banks_100, [DepartmentInput(d.name, tuple(d.bank_ids))
                                     for d in round_.departments],
                         inputs, target_overrides(round_), min_group_size=2)
    result = score(round_)
    assert result == direct
    assert result.priorities and result.priorities[0].action
    data = json.loads(exports.to_json(round_))
    parts = json.loads(json.dumps({key: [p.model_dump(mode="json") for p in value]
                                   if isinstance(value, list) else value.model_dump(mode="json")
                                   for key, value in exports.results_parts(
                                       direct, {d.name: (d.id, d.bank_ids)
                                                for d in round_.departments}).items()}))
    for key in ("departments", "priorities", "municipality"):
        assert data[key] == parts[key], key
    assert {b["version"] for b in data["round"]["banks"]} == {"1.0.0"}
    assert {b["scope"] for b in data["round"]["banks"]} == {"volledig"}
    content = reports.report_content(round_)
    assert content.municipal is None
    assert [content.version_label(b) for b in content.banks] == ["1.0.0, volledig"] * 4
    assert reports.pdf_report(round_).startswith(b"%PDF")


# --------------------------------------------------------------------------- the demo


def test_demo_uses_2_0_0_kern_and_fills_in_the_municipal_facts(app, tmp_path):
    loaded = demo.load_demo(secret_key=links.secret_key(), login_file=tmp_path / "login.txt")
    round_ = db.session.get(Round, loaded.round_id)
    assert {rb.version for rb in round_.banks} == {"2.0.0"}
    assert set(round_scopes(round_).values()) == {SCOPE_CORE}
    asked = {bank.id: bank for bank in round_banks(round_)}
    for department in rounds.departments_of(round_):
        count = sum(len(asked[b].questions) for b in department.bank_ids)
        assert len(department.bank_ids) <= 3 and count <= 24, (department.name, count)
    (group,) = rounds.municipal_groups(round_)
    assert group.bank_ids == ["gemeente"]
    facts = score_municipal(round_)
    assert facts is not None and facts.departments[0].respondents_submitted == 1


# --------------------------------------------------------------------------- in a browser


@pytest.mark.browser
def test_round_form_scope_choice_and_municipal_section_are_accessible(live_server, page, app):
    from quickscan.services import accounts
    from tests.conftest import assert_accessible

    accounts.create_user(EMAIL, PASSWORD)
    round_ = _round(banks={"gemeente": None}, departments=[("A", ["wonen"])])
    page.goto(live_server + "/login")
    page.fill("#email", EMAIL)
    page.fill("#password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(live_server + "/rondes")
    page.goto(f"{live_server}/rondes/{round_.id}")
    assert page.get_by_role("heading", name="Gemeentebrede feiten").count() == 1
    assert page.get_by_role("link", name="Zelf invullen").count() == 1
    assert_accessible(page, "round page with the municipal group")
    page.goto(live_server + "/rondes/nieuw")
    assert page.get_by_label("Omvang van Wonen").input_value() == SCOPE_CORE
    assert_accessible(page, "round form with kern/volledig")
    page.goto(f"{live_server}/rondes/{round_.id}/bewerken")
    assert page.get_by_label("Omvang van Wonen").input_value() == SCOPE_CORE
    assert_accessible(page, "round edit form")
