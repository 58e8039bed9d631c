"""Account pages in a real browser: zero axe violations; a lezer's way to the results."""

from __future__ import annotations

import re

import pytest

from quickscan.services import accounts
from tests.conftest import assert_accessible
from tests.factories import build_round

pytestmark = pytest.mark.browser

PASSWORD = "een-lang-wachtwoord-voor-tests"


def log_in(page, live_server: str, email: str, password: str = PASSWORD) -> None:
    page.goto(live_server + "/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("form[action$='/login'] button[type=submit]")
    page.wait_for_load_state("load")


def test_users_and_account_pages_are_accessible(app, live_server, page) -> None:
    accounts.create_user("beheer@example.org", PASSWORD, "beheerder")
    accounts.create_user("lezer@example.org", PASSWORD, "lezer")
    log_in(page, live_server, "beheer@example.org")
    page.goto(live_server + "/gebruikers")
    assert_accessible(page, "users page")
    page.fill("#email", "nieuw@example.org")
    page.select_option("#role", "lezer")
    page.click("form[action$='/gebruikers'] button[type=submit]")
    page.wait_for_load_state("load")
    one_time = page.locator("code.qs-one-time-password").inner_text()
    assert len(one_time) >= 20
    assert_accessible(page, "users page with a one-time password")
    page.goto(live_server + "/account/wachtwoord")
    assert_accessible(page, "password page")


def test_a_lezer_finds_the_results_and_nothing_else(app, live_server, page) -> None:
    built = build_round()
    accounts.create_user("lezer@example.org", PASSWORD, "lezer")
    log_in(page, live_server, "lezer@example.org")
    assert page.url.endswith("/uitkomsten")
    assert_accessible(page, "lezer's results list")
    nav = page.locator("nav").inner_text()
    assert "Gebruikers" not in nav and "Rondes" not in nav
    page.get_by_role("link", name=re.compile("^uitkomsten$")).first.click()
    page.wait_for_load_state("load")
    assert page.url.endswith(f"/rondes/{built.round.id}/resultaten")
    response = page.goto(live_server + "/rondes")
    assert response is not None and response.status == 403
