"""The survey in a real Chromium: by keyboard alone, resumed elsewhere, and axe-clean.

Every interaction in the keyboard test is a key press (Tab, Space, arrow keys, Enter, typing);
the page is only inspected, never clicked.
"""

from __future__ import annotations

import re

import pytest

from quickscan.extensions import db
from quickscan.models import Response
from quickscan.services import responses as service
from tests.conftest import assert_accessible

pytestmark = pytest.mark.browser

Q1 = "proef_bestuur.visie.vastgelegd"
Q2 = "proef_bestuur.visie.ervaringsdeskundigen"
Q_BUDGET = "proef_bestuur.budget.begroting"
Q_LOKET = "proef_zorg.toegang.loket"
Q_BRIEVEN = "proef_zorg.toegang.brieven"

#: The order of the options in every question's radio group.
OPTIONS = ["0", "1", "2", "3", "4", "dont_know", "not_applicable"]


def tab_to(page, selector: str, *, limit: int = 250) -> None:
    """Press Tab until the focused element matches ``selector`` (fails after ``limit``)."""
    for _ in range(limit):
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)",
                         selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


def choose(page, name: str, value: str, values: list[str] = OPTIONS) -> None:
    """Pick an option of a radio group by keyboard: Tab into it, Space, then arrow keys."""
    tab_to(page, f'input[type="radio"][name="{name}"]')
    page.keyboard.press("Space")  # selects the focused (first) option
    for _ in range(values.index(value)):
        page.keyboard.press("ArrowDown")  # moves and selects
    checked = page.evaluate(
        "n => document.querySelector(`input[name=\"${n}\"]:checked`).value", name)
    assert checked == value


def focus_text(page, text: str, *, limit: int = 250) -> None:
    """Press Tab until the focused button or link reads ``text``."""
    for _ in range(limit):
        current = page.evaluate(
            "() => { const e = document.activeElement;"
            " return e && ['A', 'BUTTON', 'SUMMARY'].includes(e.tagName)"
            " ? e.textContent.trim() : null; }")
        if current == text:
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {text!r}")


def activate(page, text: str) -> None:
    """Tab to the button or link reading ``text`` and press Enter; wait for the next page."""
    focus_text(page, text)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def resume_token_of(page) -> str:
    match = re.search(r"/r/([^/?#]+)", page.url)
    assert match, page.url
    return match.group(1)



# --------------------------------------------------------------------------- keyboard only


def test_complete_the_survey_by_keyboard_alone(live_server, page, small_round):
    page.goto(f"{live_server}/s/{small_round.token('Zorg')}")
    activate(page, "Start de vragenlijst")
    assert page.locator("h1").inner_text() == "Uw persoonlijke link"
    token = resume_token_of(page)
    activate(page, "Verder")

    # Step 1: help on request, two answers, a comment with its live counter, importance.
    assert "Stap 1 van 3" in page.locator("#stap-tekst").inner_text()
    focus_text(page, "Uitleg bij deze vraag: zo zien de niveaus eruit")
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.parentElement.open") is True
    assert page.get_by_text("De visie is vastgesteld door de raad.").is_visible()
    page.keyboard.press("Escape")
    assert page.evaluate("() => document.activeElement.parentElement.open") is False
    choose(page, f"q-{Q1}", "3")
    tab_to(page, f'textarea[name="c-{Q1}"]')
    page.keyboard.type("Vastgesteld in de raad van maart.")
    page.wait_for_function(
        "id => document.getElementById(id).textContent.trim() === '33 van 2000 tekens'",
        arg=f"c-{Q1}-count")
    choose(page, f"q-{Q2}", "dont_know")
    choose(page, "importance", "4", ["1", "2", "3", "4", "5"])
    activate(page, "Opslaan en verder")

    # Step 2, then back with "Vorige" and forward again: the answers are still there.
    assert "Stap 2 van 3" in page.locator("#stap-tekst").inner_text()
    choose(page, f"q-{Q_BUDGET}", "0")
    activate(page, "Vorige")
    assert "Stap 1 van 3" in page.locator("#stap-tekst").inner_text()
    assert page.locator(f'input[name="q-{Q1}"][value="3"]').is_checked()
    assert page.locator(f'textarea[name="c-{Q1}"]').input_value() == \
        "Vastgesteld in de raad van maart."
    activate(page, "Opslaan en verder")
    assert page.locator(f'input[name="q-{Q_BUDGET}"][value="0"]').is_checked()
    activate(page, "Opslaan en verder")

    # Step 3: one answer only, then the review page shows the unanswered question.
    choose(page, f"q-{Q_LOKET}", "not_applicable")
    activate(page, "Opslaan en verder")
    assert page.locator("h1").inner_text() == "Overzicht en indienen"
    unanswered = page.locator(".qs-unanswered a")
    assert unanswered.count() == 1
    assert unanswered.first.get_attribute("href").endswith(f"/stap/3#q-{Q_BRIEVEN}")

    # Follow the link to the unanswered question by keyboard, answer it, submit.
    activate(page, "Brieven zijn in eenvoudige taal geschreven.")
    assert page.url.endswith(f"#q-{Q_BRIEVEN}")
    choose(page, f"q-{Q_BRIEVEN}", "2")
    activate(page, "Opslaan en verder")
    activate(page, "Vragenlijst indienen")
    assert page.locator("h1").inner_text() == "Bedankt voor het invullen"

    db.session.expire_all()
    response = service.find_response(token)
    assert response.status == "submitted"
    assert service.answers_of(response) == {
        Q1: "3", Q2: "dont_know", Q_BUDGET: "0", Q_LOKET: "not_applicable", Q_BRIEVEN: "2"}
    assert service.comments_of(response) == {Q1: "Vastgesteld in de raad van maart."}
    assert service.importance_of(response) == {("proef_bestuur", "visie"): 4}


def test_leave_and_resume_in_a_fresh_browser(live_server, browser, page, small_round):
    page.goto(f"{live_server}/s/{small_round.token('Zorg')}")
    activate(page, "Start de vragenlijst")
    resume_url = page.locator("#persoonlijke-link").get_attribute("href")
    assert resume_url == page.url
    activate(page, "Verder")
    choose(page, f"q-{Q1}", "2")
    tab_to(page, f'textarea[name="c-{Q1}"]')
    page.keyboard.type("Bewaard voor later.")
    activate(page, "Opslaan")
    assert page.get_by_text("Uw antwoorden zijn opgeslagen.").is_visible()
    page.context.close()

    context = browser.new_context()  # another device: no cookies, no history
    try:
        other = context.new_page()
        other.goto(resume_url)
        assert "U hebt 1 van de 5 vragen beantwoord." in other.locator("main").inner_text()
        activate(other, "Verder")
        assert "Stap 1 van 3" in other.locator("#stap-tekst").inner_text()  # first open step
        assert other.locator(f'input[name="q-{Q1}"][value="2"]').is_checked()
        assert other.locator(f'textarea[name="c-{Q1}"]').input_value() == "Bewaard voor later."
        choose(other, f"q-{Q2}", "4")
        activate(other, "Opslaan en verder")
        assert "Stap 2 van 3" in other.locator("#stap-tekst").inner_text()
    finally:
        context.close()
    db.session.expire_all()
    response = db.session.scalar(db.select(Response))
    assert service.answers_of(response) == {Q1: "2", Q2: "4"}


# --------------------------------------------------------------------------- accessibility


def test_survey_pages_have_no_axe_violations(live_server, page, real_round):
    page.goto(f"{live_server}/s/{real_round.token()}")
    assert_accessible(page, "intro")
    with page.expect_navigation():
        page.get_by_role("button", name="Start de vragenlijst").click()
    assert_accessible(page, "resume page")
    token = resume_token_of(page)

    page.goto(f"{live_server}/r/{token}/stap/1")
    assert_accessible(page, "theme page")
    page.locator("details.qs-help").first.locator("summary").click()
    assert_accessible(page, "theme page with help open")

    # A comment over the limit (the browser's maxlength removed, as a paste tool might).
    first_comment = page.locator("textarea").first
    first_comment.evaluate("t => t.removeAttribute('maxlength')")
    first_comment.fill("x" * 2001)
    page.locator("input[type=radio]").first.check()
    with page.expect_navigation():
        page.get_by_role("button", name="Opslaan en verder").click()
    assert page.locator("#foutmeldingen").is_visible()
    assert page.evaluate("() => document.activeElement.id") == "foutmeldingen"
    assert page.locator("textarea").first.input_value() == "x" * 2001
    assert page.locator("input[type=radio]").first.is_checked()
    assert_accessible(page, "theme page with validation errors")
    # Save the answer with a short comment: an empty questionnaire cannot be submitted.
    page.locator("textarea").first.fill("kort")
    with page.expect_navigation():
        page.get_by_role("button", name="Opslaan en verder").click()

    page.goto(f"{live_server}/r/{token}/overzicht")
    assert_accessible(page, "review page")
    with page.expect_navigation():
        page.get_by_role("button", name="Vragenlijst indienen").click()
    assert page.locator("h1").inner_text() == "Bedankt voor het invullen"
    assert_accessible(page, "thank-you page")

    page.goto(f"{live_server}/r/{token}/stap/1")
    assert_accessible(page, "read-only theme page")
