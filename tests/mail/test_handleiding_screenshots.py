"""The manual's screenshots, made from the demo by a real Chromium, so they never go stale.

Each page is checked with axe-core before its picture is taken, and the invitation e-mail is the
HTML part that the local SMTP server received. The pictures go to a temporary folder, so a test
run never changes the checkout; with ``QUICKSCAN_UPDATE_SCREENSHOTS=1`` they are written to
``docs/handleiding/img/`` (commit them when they change). Either way the test checks that every
picture the manual shows is taken and that every picture the manual links exists.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from quickscan import links, tasks
from quickscan.extensions import db
from quickscan.models import Department
from quickscan.services import demo, invitations, rounds
from tests.conftest import assert_accessible
from tests.mail.conftest import configure_mail

pytestmark = [pytest.mark.browser, pytest.mark.slow]

MANUAL = Path(__file__).resolve().parents[2] / "docs" / "handleiding"
VIEWPORT = {"width": 1100, "height": 860}


IMG = (MANUAL / "img" if os.environ.get("QUICKSCAN_UPDATE_SCREENSHOTS") == "1"
       else Path(os.environ.get("QUICKSCAN_SCREENSHOT_DIR", "/tmp")) / f"handleiding-{os.getpid()}")


def shot(page, name: str, *, full_page: bool = False, check: bool = True) -> None:
    if check:
        assert_accessible(page, name)
    IMG.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(IMG / f"{name}.png"), full_page=full_page)


def manual_images() -> set[str]:
    """The picture names (without ``.png``) the manual's Markdown files link."""
    names = set()
    for path in MANUAL.glob("*.md"):
        names.update(re.findall(r"\]\(img/([^)]+)\.png\)", path.read_text(encoding="utf-8")))
    return names


def test_manual_screenshots_from_the_demo(app, browser, live_server, smtp_server, tmp_path):
    app.config["DEMO_LOGIN_FILE"] = str(tmp_path / "demo-login.txt")
    app.config["BASE_URL"] = live_server
    configure_mail(app, smtp_server.host, smtp_server.port)
    huey = tasks.get_huey(app)
    huey.immediate = True
    smtp_server.received.clear()
    context = browser.new_context(viewport=VIEWPORT, locale="nl-NL")
    page = context.new_page()
    try:
        result = demo.load_demo(secret_key=links.secret_key(),
                                login_file=tmp_path / "demo-login.txt")
        round_id = result.round_id
        round_ = rounds.get_round(round_id)
        departments = {d.name: d for d in round_.departments}
        first = min(departments)
        invitations.add_invitees(departments[first], "\n".join(
            f"medewerker{i}@gemeente-voorbeeld.nl" for i in range(1, 6)), "personal")
        db.session.commit()

        # coordinator
        page.goto(live_server + "/login")
        shot(page, "01-inloggen")
        page.fill("#email", result.email)
        page.fill("#password", result.password)
        page.keyboard.press("Enter")
        page.wait_for_url(live_server + "/rondes")
        shot(page, "02-rondes")
        page.goto(live_server + "/rondes/nieuw")
        shot(page, "03-nieuwe-ronde")
        page.goto(live_server + f"/rondes/{round_id}")
        shot(page, "04-ronde")
        page.goto(live_server + f"/rondes/{round_id}/uitnodigingen")
        page.get_by_role("button", name="Uitnodigingen versturen").click()
        page.wait_for_url(re.compile(r".*/uitnodigingen(#.*)?$"))
        assert len(smtp_server.received.messages) == 5
        page.locator("#adressen").scroll_into_view_if_needed()
        shot(page, "05-uitnodigingen")
        page.locator("#verzendlog").scroll_into_view_if_needed()
        shot(page, "06-verzendlog", check=False)
        page.get_by_role("button", name="Voorbeeld van de uitnodiging").click()
        page.wait_for_selector("#voorbeeld")
        assert "Uitnodiging: de Quickscan" in page.locator("#voorbeeld").inner_text()
        assert_accessible(page, "invitations page with a preview")
        page.goto(live_server + f"/rondes/{round_id}/voortgang")
        shot(page, "07-voortgang", full_page=True)
        page.goto(live_server + f"/rondes/{round_id}/resultaten")
        shot(page, "08-resultaten")
        chart = page.locator("img").first
        chart.scroll_into_view_if_needed()
        chart.screenshot(path=str(IMG / "09-resultaten-grafiek.png"))

        # the invitation as the respondent receives it
        message = smtp_server.received.messages[0]
        html = message.get_body(("html",)).get_content()
        mail_page = context.new_page()
        mail_page.set_content(html)
        shot(mail_page, "10-uitnodiging-e-mail", full_page=True)
        link = re.search(r'href="([^"]+/p/[^"]+)"', html).group(1)

        # respondent
        respondent = browser.new_context(viewport=VIEWPORT, locale="nl-NL").new_page()
        respondent.goto(link)
        shot(respondent, "r1-start")
        respondent.get_by_role("button", name="Start de vragenlijst").click()
        respondent.wait_for_url(re.compile(r".*/r/[^/]+$"))
        shot(respondent, "r2-persoonlijke-link")
        respondent.goto(respondent.url + "/stap/1")
        respondent.locator("input[type=radio][value='3']").first.check()
        shot(respondent, "r3-vraag")
        respondent.goto(respondent.url.split("/stap/")[0] + "/overzicht")
        shot(respondent, "r4-overzicht")
        for name in ("01-inloggen", "04-ronde", "05-uitnodigingen", "08-resultaten",
                     "09-resultaten-grafiek", "10-uitnodiging-e-mail", "r3-vraag"):
            assert (IMG / f"{name}.png").stat().st_size > 5000, name
        linked = manual_images()
        assert linked, "the manual links no pictures"
        taken = {path.stem for path in IMG.glob("*.png")}
        assert linked <= taken, f"the manual shows pictures this test does not take: {linked - taken}"
        committed = {path.stem for path in (MANUAL / "img").glob("*.png")}
        assert linked <= committed, f"pictures missing in docs/handleiding/img: {linked - committed}"
        assert db.session.get(Department, departments[first].id) is not None
    finally:
        huey.immediate = False
        context.close()
        app.config.pop("BASE_URL", None)
        app.config.pop("DEMO_LOGIN_FILE", None)
        configure_mail(app, "", 25, sender="")
