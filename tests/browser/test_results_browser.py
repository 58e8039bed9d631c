"""Results pages in a real browser: zero axe violations, charts with text, forms without JS."""

from __future__ import annotations

import pytest

from quickscan.services.accounts import create_user
from tests.conftest import assert_accessible
from tests.factories import build_round

pytestmark = pytest.mark.browser

EMAIL = "resultaten@example.org"
PASSWORD = "een-lang-wachtwoord-voor-tests"


def log_in(page, live_server: str) -> None:
    page.goto(live_server + "/login")
    page.fill("#email", EMAIL)
    page.fill("#password", PASSWORD)
    page.click("form[action$='/login'] button[type=submit]")
    page.wait_for_url(live_server + "/rondes")


@pytest.fixture
def results_round(app):
    create_user(EMAIL, PASSWORD)
    return build_round()


def test_results_pages_are_accessible(live_server, page, results_round) -> None:
    log_in(page, live_server)
    rid = results_round.round.id
    department = results_round.departments[0]
    for path, context in (
        (f"/rondes/{rid}/resultaten", "results overview"),
        (f"/rondes/{rid}/resultaten/afdeling/{department.id}", "department drill-down"),
        (f"/rondes/{rid}/rapport", "HTML report"),
    ):
        response = page.goto(live_server + path)
        assert response is not None and response.status == 200, path
        page.wait_for_load_state("load")
        assert_accessible(page, context)
        for image in page.locator("img").all():
            assert (image.get_attribute("alt") or "").strip(), path
            assert image.evaluate("img => img.naturalWidth > 0"), path
        assert page.locator("table caption").count() >= 1
    # Injection comments show as text, never run.
    page.goto(live_server + f"/rondes/{rid}/resultaten/afdeling/{department.id}")
    assert page.get_by_text("<script>alert('xss')</script>").count() >= 1
    assert page.evaluate("window.__xss === undefined")


def test_respondent_results_are_accessible(live_server, page, results_round) -> None:
    department = results_round.departments[0]
    token = results_round.submitted_tokens[department.name][0]
    response = page.goto(live_server + f"/r/{token}/resultaten")
    assert response is not None and response.status == 200
    assert_accessible(page, "respondent results")
    assert page.locator("h1").inner_text().endswith(department.name)


def test_comparison_form_works_by_keyboard_without_javascript(browser, live_server,
                                                              results_round) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        log_in(page, live_server)
        rid = results_round.round.id
        page.goto(live_server + f"/rondes/{rid}/resultaten")
        second = results_round.departments[1]
        page.uncheck(f"#vergelijk-{second.id}")
        page.select_option("#as", "movisie")
        page.focus("#as")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent.trim()") == "Vergelijk"
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert "as=movisie" in page.url
        assert not page.is_checked(f"#vergelijk-{second.id}")
        # One small radar per chosen department (three departments, one unticked).
        assert page.locator(".qs-multiples img[src*='vergelijking-']").count() == 2
    finally:
        context.close()
