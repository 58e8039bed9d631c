"""The README's coordinator journey end to end, in a real Chromium, on the real question banks.

A new coordinator account is made with ``quickscan users create --password-stdin``; the
coordinator logs in through the login page, creates a round for three departments (each with a
different domain bank from ``questions/``) and reads each department's invitation link from the
round page. Every department's survey is then filled in completely in a fresh browser context
(varied answers including "weet ik niet" and "niet van toepassing", a comment, an importance
rating per theme) and submitted; after each submission the coordinator's progress page must show
it. Finally the scores of the engine are checked against the answers given, recomputed by hand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest
from sqlalchemy import select

from quickscan.extensions import db
from quickscan.models import Answer, Comment, ImportanceRating, Response, Round
from quickscan.services.banks import round_bank_map
from quickscan.services.results import score
from tests.conftest import assert_accessible

pytestmark = pytest.mark.browser

EMAIL = "nieuwe.coordinator@gemeente.nl"
PASSWORD = "een-wachtwoord-van-ruim-tien-tekens"

#: Department name -> its own domain bank (one different bank each; the common bank is added).
DEPARTMENTS: dict[str, str] = {
    "Wonen en ruimte": "wonen",
    "Werk en inkomen": "inkomen",
    "Mobiliteit": "vervoer",
}

#: The answers are taken from this cycle, shifted per department, so every level and both
#: non-scored options occur.
CYCLE = ["3", "1", "dont_know", "4", "0", "2", "not_applicable", "2", "3", "1", "4"]


@dataclass
class Filled:
    """What the respondent of one department entered."""

    answers: dict[str, str] = field(default_factory=dict)
    comments: dict[str, str] = field(default_factory=dict)
    importance: dict[tuple[str, str], int] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    steps: int = 0


def progress_rows(page) -> dict[str, tuple[int, int, int, int]]:
    """The progress table by department: (started, still busy, submitted, % answered)."""
    rows: dict[str, tuple[int, int, int, int]] = {}
    # The first table is the progress per department (the response rates follow it); its
    # first four numbers are started, still busy, submitted and answered.
    for row in page.locator("table").first.locator("tbody tr").all():
        name = row.locator("th").inner_text().strip()
        cells = [cell.inner_text().strip() for cell in row.locator("td").all()]
        started, busy, submitted, share = cells[:4]
        rows[name] = (int(started), int(busy), int(submitted), int(share.rstrip("%")))
    return rows


def percent(answered: int, possible: int) -> int:
    """The share as the progress page shows it: a rounded whole percentage."""
    return round(answered / possible * 100) if possible else 0


def create_coordinator(app) -> None:
    """README step 2: ``quickscan users create --email E --password-stdin``."""
    result = app.test_cli_runner().invoke(
        args=["users", "create", "--email", EMAIL, "--password-stdin"], input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert EMAIL in result.output


def log_in(page, base: str) -> None:
    """README step 3: log in at /login."""
    page.goto(base + "/login")
    page.get_by_label("E-mailadres").fill(EMAIL)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url(base + "/rondes")


def create_round(page, base: str) -> int:
    """README steps 4 and 5: a new round with three banks, then three departments."""
    page.get_by_role("link", name="Nieuwe ronde maken").click()
    page.wait_for_url(base + "/rondes/nieuw")
    page.get_by_label("Naam van de ronde").fill("Quickscan 2026")
    page.get_by_role("textbox", name="Gemeente", exact=True).fill("Gemeente Proefstad")
    page.get_by_label("Deadline").fill("2026-06-30")
    for bank_id in DEPARTMENTS.values():
        page.check(f"#bank-{bank_id}")
    page.get_by_role("button", name="Ronde maken").click()
    page.wait_for_url(re.compile(r"/rondes/\d+$"))
    round_id = int(page.url.rsplit("/", 1)[-1])
    for name, bank_id in DEPARTMENTS.items():
        page.fill("#department-name", name)
        page.check(f"#department-bank-{bank_id}")
        page.get_by_role("button", name="Afdeling toevoegen").click()
        page.wait_for_selector(f"h3:text-is('{name}')")
    return round_id


def invitation_links(page) -> dict[str, str]:
    """README step 6: every department's link, read from its read-only text field."""
    links = {}
    for name in DEPARTMENTS:
        section = page.locator("section.qs-department").filter(
            has=page.locator(f"h3:text-is('{name}')"))
        links[name] = section.locator("input.qs-link").input_value()
    return links


def fill_in_survey(browser, link: str, offset: int, *, skip_one: bool, theme_of,
                   on_first_page_saved=None, check_accessibility: bool = False) -> Filled:
    """Open the link in a fresh browser context, answer every theme page and submit."""
    filled = Filled()
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(link)
        assert page.locator("h1").inner_text() == "Quickscan Inclusieve Gemeente"
        if check_accessibility:
            assert_accessible(page, "survey intro")
        page.get_by_role("button", name="Start de vragenlijst").click()
        page.wait_for_url(re.compile(r"/r/[^/]+$"))
        page.get_by_role("link", name="Verder").click()
        page.wait_for_url(re.compile(r"/stap/1$"))
        counter = offset
        while "/stap/" in page.url:
            filled.steps += 1
            step_text = page.locator(".qs-step__text").inner_text()
            assert re.fullmatch(rf"Stap {filled.steps} van \d+", step_text), step_text
            if check_accessibility and filled.steps == 1:
                assert_accessible(page, "first survey step")
            question_ids = [name.removeprefix("q-") for name in page.locator(
                "fieldset.qs-question").evaluate_all("(fs) => fs.map((f) => f.id)")]
            assert question_ids
            for index, qid in enumerate(question_ids):
                if skip_one and filled.steps == 1 and index == len(question_ids) - 1:
                    filled.skipped.append(qid)
                    continue
                value = CYCLE[counter % len(CYCLE)]
                counter += 1
                page.check(f'input[name="q-{qid}"][value="{value}"]')
                filled.answers[qid] = value
            if filled.steps == 1:
                comment = "Zie het uitvoeringsplan <inclusie> & de notulen van de adviesraad."
                page.fill(f'textarea[name="c-{question_ids[0]}"]', comment)
                filled.comments[question_ids[0]] = comment
            importance = (filled.steps + offset) % 5 + 1
            page.check(f'input[name="importance"][value="{importance}"]')
            filled.importance[theme_of[question_ids[0]]] = importance
            page.get_by_role("button", name="Opslaan en verder").click()
            page.wait_for_url(lambda url, step=filled.steps: not url.endswith(f"/stap/{step}"))
            if filled.steps == 1 and on_first_page_saved is not None:
                on_first_page_saved(filled)
        assert page.url.endswith("/overzicht"), page.url
        review = page.locator("main").inner_text()
        if filled.skipped:
            assert "nog niet beantwoord" in review
            unanswered = page.locator(".qs-unanswered a")
            assert unanswered.count() == 1
            assert unanswered.first.get_attribute("href").endswith(f"#q-{filled.skipped[0]}")
        else:
            assert "U hebt alle" in review
        if check_accessibility:
            assert_accessible(page, "review page")
        page.get_by_role("button", name="Vragenlijst indienen").click()
        page.wait_for_url(re.compile(r"/bedankt$"))
        assert page.locator("h1").inner_text() == "Bedankt voor het invullen"
        assert page.title() == "Bedankt – Quickscan Inclusieve Gemeente"
        assert page.get_by_role("link", name="Bekijk de resultaten van uw afdeling").count() == 1
        if check_accessibility:
            assert_accessible(page, "thank-you page")
    finally:
        context.close()
    return filled


def expected_mean(question_ids, answers: dict[str, str], weights: dict[str, float]
                  ) -> float | None:
    """25·level, weighted by question weight, over the questions given a level (one respondent)."""
    pairs = [(25.0 * int(answers[qid]), weights[qid]) for qid in question_ids
             if answers.get(qid, "").isdigit()]
    total = sum(weight for _, weight in pairs)
    return sum(points * weight for points, weight in pairs) / total if total else None


def test_readme_journey_three_departments(app, live_server, page, browser):
    create_coordinator(app)
    log_in(page, live_server)
    round_id = create_round(page, live_server)

    round_ = db.session.get(Round, round_id)
    assert round_.name == "Quickscan 2026" and round_.municipality == "Gemeente Proefstad"
    assert str(round_.deadline) == "2026-06-30"
    assert round_.banks[0].bank_id == "bestuur"
    assert {rb.bank_id for rb in round_.banks} == {"bestuur", *DEPARTMENTS.values()}
    assert {d.name: d.bank_ids for d in round_.departments} == {
        name: ["bestuur", bank_id] for name, bank_id in DEPARTMENTS.items()}
    banks = round_bank_map(round_)
    theme_of = {q.id: (bank.id, theme.id) for bank in banks.values()
                for theme in bank.themes for q in theme.questions}
    weights = {q.id: q.weight for bank in banks.values() for q in bank.questions}
    questions = {name: len(banks["bestuur"].questions) + len(banks[bank_id].questions)
                 for name, bank_id in DEPARTMENTS.items()}
    themes = {name: len(banks["bestuur"].themes) + len(banks[bank_id].themes)
              for name, bank_id in DEPARTMENTS.items()}

    links = invitation_links(page)
    assert all(link.startswith(live_server + "/s/") for link in links.values()), links
    assert len(set(links.values())) == 3
    assert_accessible(page, "round page with three departments")

    progress_url = f"{live_server}/rondes/{round_id}/voortgang"
    page.goto(progress_url)
    assert progress_rows(page) == {name: (0, 0, 0, 0) for name in DEPARTMENTS}
    assert_accessible(page, "progress page")

    def check_draft_progress(name: str):
        def check(filled: Filled) -> None:
            page.reload()
            assert progress_rows(page)[name] == (
                1, 1, 0, percent(len(filled.answers), questions[name]))
        return check

    expected_rows = {name: (0, 0, 0, 0) for name in DEPARTMENTS}
    filled: dict[str, Filled] = {}
    for offset, (name, link) in enumerate(links.items()):
        filled[name] = fill_in_survey(
            browser, link, offset * 4, skip_one=offset == 1, theme_of=theme_of,
            on_first_page_saved=check_draft_progress(name) if offset == 0 else None,
            check_accessibility=offset == 0)
        assert filled[name].steps == themes[name]
        assert len(filled[name].answers) + len(filled[name].skipped) == questions[name]
        page.reload()
        expected_rows[name] = (1, 0, 1, percent(len(filled[name].answers), questions[name]))
        assert progress_rows(page) == expected_rows
        done = offset + 1
        assert page.get_by_text(
            f"{done} van de {done} gestarte invullers hebben hun antwoorden ingediend.").count() == 1

    assert expected_rows["Werk en inkomen"][3] < 100  # one question left open
    assert {row[3] for name, row in expected_rows.items() if name != "Werk en inkomen"} == {100}

    # What was stored is exactly what was entered, and nothing more.
    db.session.expire_all()
    round_ = db.session.get(Round, round_id)
    for department in round_.departments:
        response = db.session.scalars(
            select(Response).where(Response.department_id == department.id)).one()
        assert response.status == "submitted"
        entered = filled[department.name]
        stored = dict(db.session.execute(select(Answer.question_id, Answer.value)
                                         .where(Answer.response_id == response.id)).all())
        assert stored == entered.answers
        comments = dict(db.session.execute(select(Comment.question_id, Comment.text)
                                           .where(Comment.response_id == response.id)).all())
        assert comments == entered.comments
        ratings = {(bank_id, theme_id): value for bank_id, theme_id, value in db.session.execute(
            select(ImportanceRating.bank_id, ImportanceRating.theme_id, ImportanceRating.value)
            .where(ImportanceRating.response_id == response.id))}
        assert ratings == entered.importance

    # The engine's scores match the answers, recomputed by hand: 25·level, weighted means
    # (one respondent a department: scored at k = 1; the pages hide them under the round's k).
    result = score(round_, 1)
    for name, bank_id in DEPARTMENTS.items():
        entered = filled[name]
        department = result.department(name)
        assert (department.respondents_started, department.respondents_submitted) == (1, 1)
        assert [bank.bank_id for bank in department.banks] == ["bestuur", bank_id]
        for bank_result in department.banks:
            bank = banks[bank_result.bank_id]
            expected = expected_mean([q.id for q in bank.questions], entered.answers, weights)
            assert bank_result.score == pytest.approx(expected), (name, bank.id)
            for theme, theme_result in zip(bank.themes, bank_result.themes, strict=True):
                ids = [q.id for q in theme.questions]
                assert theme_result.score == pytest.approx(
                    expected_mean(ids, entered.answers, weights)), (name, bank.id, theme.id)
                assert theme_result.importance == entered.importance[(bank.id, theme.id)]
                assert theme_result.dont_know == sum(
                    entered.answers.get(qid) == "dont_know" for qid in ids)
                assert theme_result.not_applicable == sum(
                    entered.answers.get(qid) == "not_applicable" for qid in ids)

    # One department worked out in full: its own domain bank, from the levels chosen.
    name, bank_id = "Wonen en ruimte", "wonen"
    scored = [(25 * int(value), weights[qid]) for qid, value in filled[name].answers.items()
              if theme_of[qid][0] == bank_id and value.isdigit()]
    assert scored and len(scored) < len(banks[bank_id].questions)  # some were not scored
    assert result.department(name).bank(bank_id).score == pytest.approx(
        sum(points * weight for points, weight in scored) / sum(w for _, w in scored))

    # README step 7: close the round when everyone is done; respondents are told so.
    page.goto(f"{live_server}/rondes/{round_id}")
    page.get_by_role("button", name="Ronde sluiten").click()
    page.wait_for_load_state()
    assert page.get_by_text("Gesloten: invullers kunnen niets meer wijzigen").count() == 1
    respondent = browser.new_context()
    try:
        intro = respondent.new_page()
        intro.goto(links["Mobiliteit"])
        assert "Deze ronde is gesloten" in intro.locator("main").inner_text()
        assert intro.get_by_role("button", name="Start de vragenlijst").count() == 0
    finally:
        respondent.close()
    page.get_by_role("button", name="Ronde heropenen").click()
    page.wait_for_load_state()
    assert page.get_by_text("Open: invullers kunnen antwoorden geven").count() == 1
    db.session.expire_all()
    assert db.session.get(Round, round_id).is_open
