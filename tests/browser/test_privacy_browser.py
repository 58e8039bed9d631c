"""Issue 10 pages in a real Chromium, axe-clean: k on the round form, expected respondents and
deleting a round, a department under k on the results pages, and the respondent's resume offer,
empty-submission refusal and waiting page."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from quickscan import links
from quickscan.extensions import db
from quickscan.models import RESPONSE_DRAFT, Response, Round
from quickscan.services import accounts, rounds
from tests.conftest import assert_accessible
from tests.rounds_helpers import test_banks  # noqa: F401  (fixture)

EMAIL = "privacy@gemeente.nl"
PASSWORD = "een-lang-wachtwoord"

pytestmark = pytest.mark.browser


def log_in(page, base: str) -> None:
    page.goto(base + "/login")
    page.fill("#email", EMAIL)
    page.fill("#password", PASSWORD)
    page.click("form[action$='/login'] button[type=submit]")
    page.wait_for_url(lambda url: not url.endswith("/login"))


@pytest.mark.usefixtures("test_banks")
def test_round_form_k_expected_respondents_and_delete(app, live_server, page):
    accounts.create_user(EMAIL, PASSWORD, role="coordinator")
    log_in(page, live_server)
    page.goto(live_server + "/rondes/nieuw")
    assert_accessible(page, "new round form with k")
    page.fill("#name", "Privacyronde")
    page.fill("#municipality", "Gemeente Test")
    page.fill("#min_group_size", "2")
    page.click("form button[type=submit].utrecht-button--primary-action")
    assert "De minimale groepsgrootte moet 3 tot en met 10 zijn." in page.content()
    assert_accessible(page, "round form refusing k = 2")
    assert db.session.scalar(select(func.count()).select_from(Round)) == 0
    page.fill("#min_group_size", "4")
    page.click("form button[type=submit].utrecht-button--primary-action")
    page.wait_for_url(re.compile(r".*/rondes/\d+$"))
    round_id = int(page.url.rsplit("/", 1)[1])
    page.fill("#department-name", "Wonen")
    page.click("form[action$='/afdelingen'] button[type=submit]")
    page.wait_for_load_state("load")
    db.session.expire_all()
    round_ = db.session.get(Round, round_id)
    assert round_.min_group_size == 4
    department = round_.departments[0]
    page.fill(f"#expected-{department.id}", "1")
    page.click(f"form[action$='/afdelingen/{department.id}/verwacht'] button")
    page.wait_for_load_state("load")
    assert_accessible(page, "round page with expected respondents")
    from quickscan.services import responses

    for _ in range(2):
        response, _token = responses.start_response(links.invitation_token(department) or "")
        responses.save_page(response, 1, {responses.steps(response)[0].question_ids[0]: "3"},
                            {}, None)
        responses.submit(response)
    page.goto(live_server + f"/rondes/{round_id}/voortgang")
    assert page.get_by_text("Meer ingevuld dan verwacht").count() == 1
    assert "200%" in page.content()
    assert_accessible(page, "progress with response rate")

    rounds.close_round(db.session.get(Round, round_id))
    page.goto(live_server + f"/rondes/{round_id}")
    assert_accessible(page, "closed round page with the delete form")
    page.click("form.qs-delete-round button[type=submit]")  # not confirmed
    assert "Er is niets verwijderd" in page.content()
    assert_accessible(page, "delete refused without confirmation")
    page.check("#confirm-delete")
    page.click("form.qs-delete-round button[type=submit]")
    page.wait_for_url(live_server + "/rondes")
    db.session.expire_all()
    assert db.session.get(Round, round_id) is None


def test_results_of_a_department_under_k(app, live_server, page):
    from tests.results.conftest import build_round

    accounts.create_user(EMAIL, PASSWORD, role="lezer")
    built = build_round()
    small = built.departments[2]
    first = next(r for r in small.responses if r.status == "submitted")
    first.status, first.submitted_at = RESPONSE_DRAFT, None
    db.session.commit()
    log_in(page, live_server)
    rid = built.round.id
    for path, context in ((f"/rondes/{rid}/resultaten", "overview with a hidden department"),
                          (f"/rondes/{rid}/resultaten/afdeling/{small.id}",
                           "drill-down of a hidden department")):
        response = page.goto(live_server + path)
        assert response is not None and response.status == 200
        assert page.get_by_text("Nog geen resultaat: minder dan 3 ingevulde vragenlijsten"
                                ).count() >= 1
        assert_accessible(page, context)
    from quickscan.services.responses import find_response

    token = next(t for t in built.submitted_tokens[small.name] if find_response(t).is_submitted)
    page.goto(live_server + f"/r/{token}/resultaten")
    assert page.locator(".qs-hidden-result").count() == 1
    assert_accessible(page, "respondent waiting page")


@pytest.mark.usefixtures("test_banks")
def test_resume_offer_and_empty_submission(app, live_server, page):
    round_ = rounds.create_round("Ronde", "Gemeente", departments=[("Wonen", ["wonen"])],
                                 secret_key=links.secret_key())
    invitation = links.invitation_token(round_.departments[0])
    page.goto(live_server + f"/s/{invitation}")
    page.click("form.qs-start button[type=submit]")
    page.wait_for_url(re.compile(r".*/r/[^/]+$"))
    resume = page.url.rsplit("/r/", 1)[1]
    # Submitting without any answer is refused.
    page.goto(live_server + f"/r/{resume}/overzicht")
    page.click("form.qs-submit button[type=submit]")
    assert "U hebt nog geen enkele vraag beantwoord" in page.content()
    assert_accessible(page, "empty submission refused")
    # The invitation again: continue or start again.
    page.goto(live_server + f"/s/{invitation}")
    assert_accessible(page, "intro with the resume offer")
    page.get_by_role("link", name="Verder waar u was").click()
    page.wait_for_url(live_server + f"/r/{resume}/stap/1")
    started = db.session.scalar(select(func.count()).select_from(Response))
    page.goto(live_server + f"/s/{invitation}")
    page.get_by_role("button", name="Opnieuw beginnen").click()
    page.wait_for_url(re.compile(r".*/r/[^/]+$"))
    assert page.url.rsplit("/r/", 1)[1] != resume
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Response)) == started + 1
