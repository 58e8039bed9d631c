"""The link confirmation pages, a revoked link's page and the report job's progress page in a
real Chromium: axe-clean, and the progress page follows the job with its script."""

from __future__ import annotations

import datetime

import pytest

from quickscan import links
from quickscan.extensions import db
from quickscan.services import rounds
from quickscan.services.accounts import create_user
from quickscan.tasks import get_huey
from tests.conftest import assert_accessible
from tests.results.conftest import build_round

pytestmark = pytest.mark.browser

EMAIL = "links@example.org"
PASSWORD = "een-lang-wachtwoord-voor-tests"


def log_in(page, live_server: str) -> None:
    page.goto(live_server + "/login")
    page.fill("#email", EMAIL)
    page.fill("#password", PASSWORD)
    page.click("form[action$='/login'] button[type=submit]")
    page.wait_for_url(live_server + "/rondes")


def test_link_pages_are_accessible_and_confirm(live_server, page, app) -> None:
    create_user(EMAIL, PASSWORD)
    built = build_round(respondents=2, drafts=1)
    department = built.departments[0]
    token = rounds.renew_invitation(department, secret_key=links.secret_key())
    department.invitations[0].created_at = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
    db.session.commit()  # the link is older than the three responses
    log_in(page, live_server)
    base = f"{live_server}/rondes/{built.round.id}/afdelingen/{department.id}/link/"
    for action in ("vernieuwen", "intrekken"):
        page.goto(base + action)
        assert "3 mensen zijn al begonnen via deze link" in page.inner_text("main")
        assert_accessible(page, f"link {action} confirmation")
    page.goto(f"{live_server}/rondes/{built.round.id}")
    page.get_by_role("link", name=f"Link intrekken voor {department.name}").click()
    page.get_by_role("button", name="Ja, link intrekken").click()
    page.wait_for_url(f"{live_server}/rondes/{built.round.id}*")
    page.goto(f"{live_server}/s/{token}")
    assert "Vraag de coördinator van uw gemeente om de nieuwe link" in page.inner_text("main")
    assert_accessible(page, "revoked link")


def test_report_job_progress_page(live_server, page, app) -> None:
    create_user(EMAIL, PASSWORD)
    built = build_round(respondents=1, drafts=0)
    huey = get_huey(app)
    huey.immediate = True
    app.config["REPORT_DIRECT_MAX_DEPARTMENTS"] = 1
    try:
        log_in(page, live_server)
        page.goto(f"{live_server}/rondes/{built.round.id}/rapport/maken")
        assert_accessible(page, "report job start")
        page.get_by_role("button", name="Rapport maken").click()
        page.wait_for_selector("#rapport-download:not([hidden])")
        assert page.locator("[role=status]").inner_text() == "Het rapport is klaar."
        assert page.locator("progress").get_attribute("value") == "100"
        assert_accessible(page, "report job ready")
    finally:
        huey.immediate = False
        app.config["REPORT_DIRECT_MAX_DEPARTMENTS"] = 10
