"""An inwoner completes the easy-read survey by keyboard alone on a 320 px wide screen.

Every interaction is a key press; axe-core finds no WCAG 2.1 AA violation on the survey and
the thank-you page; the answer targets are at least 44 x 44 px; on a small screen one statement
is shown at a time.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from quickscan import links
from quickscan.extensions import db
from quickscan.group_models import ResidentAnswer, ResidentResponse
from quickscan.models import KIND_RESIDENTS
from quickscan.services import perspectives as service
from quickscan.services import rounds
from tests.browser.test_survey_browser import focus_text, tab_to
from tests.conftest import assert_accessible

pytestmark = pytest.mark.browser

VALUES = ["1", "2", "3", "4", "5", "dont_know"]


def _visible_items(page) -> int:
    return page.evaluate("() => [...document.querySelectorAll('.qs-er-item')]"
                         ".filter(e => e.offsetParent !== null).length")


def test_inwoner_completes_easy_read_survey_by_keyboard_at_320px(app, live_server, page):
    round_ = rounds.create_round("Ronde", "Gemeente Test",
                                 departments=[("Burgerzaken", ["informatie"])],
                                 secret_key=links.secret_key())
    service.add_residents_group(round_, secret_key=links.secret_key())
    link = service.links(service.group(round_, KIND_RESIDENTS))[0]
    token = service.link_token(link, links.secret_key())
    bank = service.residents_bank(round_)

    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(f"{live_server}/i/{token}")
    assert _visible_items(page) == 1  # one statement per screen
    assert_accessible(page, "residents survey at 320 px")
    sizes = page.evaluate("() => [...document.querySelectorAll('.qs-er-option label')]"
                          ".filter(e => e.offsetParent !== null)"
                          ".map(e => [e.getBoundingClientRect().width,"
                          " e.getBoundingClientRect().height])")
    assert sizes and all(w >= 44 and h >= 44 for w, h in sizes), sizes
    overflow = page.evaluate("() => document.documentElement.scrollWidth")
    assert overflow <= 320

    # The begeleider mark and the one background question, by keyboard.
    tab_to(page, "#assisted")
    page.keyboard.press("Space")
    tab_to(page, "#role")
    page.keyboard.press("ArrowDown")  # "Inwoner"

    chosen = {}
    for index, statement in enumerate(bank.statements):
        value = VALUES[index % len(VALUES)]
        name = f"a-{statement.id}"
        tab_to(page, f'input[type="radio"][name="{name}"]')
        page.keyboard.press("Space")
        for _ in range(VALUES.index(value)):
            page.keyboard.press("ArrowDown")
        chosen[statement.id] = value
        if index < len(bank.statements) - 1:
            focus_text(page, "Volgende zin")
            page.keyboard.press("Enter")
            assert _visible_items(page) == 1
            focused = page.evaluate("() => document.activeElement.textContent.trim()")
            assert focused == bank.statements[index + 1].statement
    focus_text(page, "Versturen")
    page.keyboard.press("Enter")
    page.wait_for_url("**/bedankt")
    assert "Bedankt" in page.content()
    assert_accessible(page, "residents thank-you page")

    db.session.expire_all()
    response = db.session.scalars(select(ResidentResponse)).one()
    assert response.assisted and response.participant_role == "inwoner"
    stored = dict(db.session.execute(select(ResidentAnswer.statement_id, ResidentAnswer.value)
                                     ).all())
    assert stored == chosen


def test_wide_screen_shows_every_statement_and_is_accessible(app, live_server, page):
    round_ = rounds.create_round("Ronde", "Gemeente Test",
                                 departments=[("Burgerzaken", ["informatie"])],
                                 secret_key=links.secret_key())
    service.add_residents_group(round_, secret_key=links.secret_key())
    service.add_bestuur_group(round_, secret_key=links.secret_key())
    token = service.link_token(service.links(service.group(round_, KIND_RESIDENTS))[0],
                               links.secret_key())
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server}/i/{token}")
    assert _visible_items(page) == len(service.residents_bank(round_).statements)
    assert_accessible(page, "residents survey, wide")
    bestuur = service.link_token(service.links(service.group(round_, "bestuur"))[0],
                                 links.secret_key())
    page.goto(f"{live_server}/b/{bestuur}")
    assert_accessible(page, "bestuur survey")


def test_coordinator_group_and_perspectives_pages_are_accessible(app, live_server, page):
    from quickscan.services import accounts

    accounts.create_user("coord@gemeente.example", "een-lang-wachtwoord", "coordinator")
    round_ = rounds.create_round("Ronde", "Gemeente Test",
                                 departments=[("Burgerzaken", ["informatie"])],
                                 secret_key=links.secret_key())
    service.add_residents_group(round_, secret_key=links.secret_key())
    service.add_bestuur_group(round_, secret_key=links.secret_key())
    link = service.links(service.group(round_, KIND_RESIDENTS))[0]
    for value in ("1", "2", "2", "1", "3"):
        service.submit_residents(link, service.ResidentSubmission(
            answers={"inwoners.brieven": value}, comments={"inwoners.brieven": "Lastig"}))
    page.goto(f"{live_server}/login")
    page.fill("#email", "coord@gemeente.example")
    page.fill("#password", "een-lang-wachtwoord")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server}/rondes")
    for path in (f"/rondes/{round_.id}/groepen", f"/rondes/{round_.id}/perspectieven",
                 f"/rondes/{round_.id}/inwoners/papier-invoeren"):
        page.goto(live_server + path)
        assert_accessible(page, path)
        if path.endswith("perspectieven"):
            assert "Lastig" in page.content()


def test_department_page_with_its_perspectives_is_accessible(app, live_server, page):
    from quickscan.services import accounts
    from tests.factories import build_round

    accounts.create_user("coord@gemeente.example", "een-lang-wachtwoord", "coordinator")
    built = build_round()
    round_ = built.round
    service.add_residents_group(round_, secret_key=links.secret_key())
    link = service.links(service.group(round_, KIND_RESIDENTS))[0]
    for value in ("1", "2", "2", "1", "3"):
        service.submit_residents(link, service.ResidentSubmission(
            answers={"inwoners.meepraten": value}, comments={"inwoners.meepraten": "Lastig"}))
    department = built.departments[0]
    page.goto(f"{live_server}/login")
    page.fill("#email", "coord@gemeente.example")
    page.fill("#password", "een-lang-wachtwoord")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server}/rondes")
    page.goto(f"{live_server}/rondes/{round_.id}/resultaten/afdeling/{department.id}")
    assert page.locator("#perspectieven").count() == 1
    assert_accessible(page, "department page with perspectives")
    for image in page.locator("#perspectieven ~ * img, section[aria-labelledby=perspectieven] img"
                              ).all():
        assert (image.get_attribute("alt") or "").strip()
    assert "Lastig" in page.content()
