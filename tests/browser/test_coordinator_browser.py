"""Coordinator pages in a real Chromium: axe-clean, usable by keyboard alone, copy button."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from quickscan import links
from quickscan.extensions import db
from quickscan.models import Round
from quickscan.services import accounts, rounds
from tests.conftest import assert_accessible

EMAIL = "coordinator@gemeente.nl"
PASSWORD = "een-lang-wachtwoord"

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("test_banks")]


@pytest.fixture
def user(app):
    return accounts.create_user(EMAIL, PASSWORD)


def tab_to(page, selector: str, limit: int = 250) -> None:
    """Press Tab until the element matching ``selector`` has focus (keyboard only)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)",
                         selector):
            return
    raise AssertionError(f"could not reach {selector} with Tab")


def login_by_keyboard(page, base: str) -> None:
    page.goto(base + "/login")
    tab_to(page, "#email")
    page.keyboard.type(EMAIL)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(base + "/rondes")


def test_login_page_is_accessible(live_server, page, user):
    page.goto(live_server + "/login")
    assert page.locator("h1").inner_text() == "Inloggen als coördinator"
    assert_accessible(page, "login page")
    page.fill("#email", EMAIL)
    page.fill("#password", "verkeerd-wachtwoord")
    page.keyboard.press("Enter")
    page.wait_for_selector("[role=alert]")
    assert "klopt niet" in page.locator("[role=alert]").inner_text()
    assert_accessible(page, "login page with error")


def test_coordinator_pages_are_accessible(live_server, page, user):
    round_ = rounds.create_round("Ronde 2026", "Gemeente Test", banks={"wonen": "1.0.0"},
                                 departments=[("Sociaal domein", ["werk"]), ("Ruimte", ["wonen"])],
                                 secret_key=links.secret_key())
    rounds.revoke_invitation(round_.departments[0])
    login_by_keyboard(page, live_server)
    assert_accessible(page, "rounds list")
    for path in (f"/rondes/{round_.id}", "/rondes/nieuw", f"/rondes/{round_.id}/bewerken",
                 f"/rondes/{round_.id}/voortgang"):
        page.goto(live_server + path)
        page.locator("details").evaluate_all("(ds) => ds.forEach((d) => { d.open = true; })")
        if path == f"/rondes/{round_.id}":  # the department forms are checked too
            banks_forms = page.locator("form[action$='/vragenlijsten']")
            assert banks_forms.count() == 2
            assert banks_forms.first.is_visible()
            assert banks_forms.get_by_role("checkbox", name="Werk").count() == 2  # no common
            assert banks_forms.locator("input[type=checkbox]").count() == 4
        assert_accessible(page, path)
    rounds.close_round(db.session.get(Round, round_.id))
    page.goto(f"{live_server}/rondes/{round_.id}")
    assert page.locator("form[action*='/afdelingen']:not([action*='/link/'])").count() == 0
    assert_accessible(page, "closed round page")
    page.goto(live_server + "/rondes/nieuw")
    page.fill("#municipality", "Gemeente Test")
    page.locator("button[type=submit]", has_text="Ronde maken").click()
    page.wait_for_selector("[role=alert]")
    assert_accessible(page, "create-round page with errors")


def test_create_a_round_for_three_departments_by_keyboard_alone(live_server, page, user):
    login_by_keyboard(page, live_server)
    tab_to(page, "a[href='/rondes/nieuw']")
    page.keyboard.press("Enter")
    page.wait_for_url(live_server + "/rondes/nieuw")
    tab_to(page, "#name")
    page.keyboard.type("Quickscan 2026")
    page.keyboard.press("Tab")
    page.keyboard.type("Gemeente Toetsenbord")
    tab_to(page, "#bank-werk")
    page.keyboard.press("Space")
    tab_to(page, "#bank-wonen")
    page.keyboard.press("Space")
    tab_to(page, "button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/rondes/\d+$"))
    round_id = int(page.url.rsplit("/", 1)[-1])

    for name, banks in (("Sociaal domein", ["werk"]), ("Ruimte", ["wonen"]),
                        ("Publiekszaken", [])):
        tab_to(page, "#department-name")
        page.keyboard.type(name)
        for bank_id in banks:
            tab_to(page, f"#department-bank-{bank_id}")
            page.keyboard.press("Space")
        tab_to(page, "form[action$='/afdelingen'] button[type=submit]")
        page.keyboard.press("Enter")
        page.wait_for_selector(f"h3:text-is('{name}')")

    db.session.expire_all()
    round_ = db.session.get(Round, round_id)
    assert round_.name == "Quickscan 2026" and round_.municipality == "Gemeente Toetsenbord"
    assert {d.name: d.bank_ids for d in round_.departments} == {
        "Sociaal domein": ["bestuur", "werk"], "Ruimte": ["bestuur", "wonen"],
        "Publiekszaken": ["bestuur"]}
    links = page.locator("input.qs-link")
    assert links.count() == 3
    assert all("/s/" in links.nth(i).input_value() for i in range(3))
    assert_accessible(page, "round page with three departments")


def test_copy_button_copies_the_link(live_server, page, user):
    round_ = rounds.create_round("R", "G", departments=[("Sociaal domein", ["werk"])],
                                 secret_key=links.secret_key())
    department = round_.departments[0]
    token = links.invitation_token(department)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    login_by_keyboard(page, live_server)
    page.goto(f"{live_server}/rondes/{round_.id}")
    button = page.locator(f"[data-copy-target='link-{department.id}']")
    assert button.is_visible()
    tab_to(page, f"[data-copy-target='link-{department.id}']")
    page.keyboard.press("Enter")
    status = page.locator(".qs-copy-status")
    status.filter(has_text="gekopieerd").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == f"{live_server}/s/{token}"


def test_link_is_selectable_without_javascript(live_server, browser, user):
    round_ = rounds.create_round("R", "G", departments=[("Sociaal domein", [])],
                                 secret_key=links.secret_key())
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        login_by_keyboard(page, live_server)
        page.goto(f"{live_server}/rondes/{round_.id}")
        department = db.session.scalar(select(Round).where(Round.id == round_.id)).departments[0]
        link = page.locator(f"#link-{department.id}")
        assert link.get_attribute("readonly") is not None
        assert link.input_value().endswith("/s/" + links.invitation_token(department))
        assert not page.locator("[data-copy-target]").is_visible()  # no dead button
    finally:
        context.close()
