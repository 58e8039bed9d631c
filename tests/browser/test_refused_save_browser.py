"""A save refused because the round closed meanwhile, in a real Chromium: the answers are
shown again to copy, on the app's one error page in the survey's layout, and axe-clean."""

from __future__ import annotations

import pytest

from quickscan.extensions import db
from quickscan.models import ROUND_CLOSED
from tests.conftest import assert_accessible
from tests.factories import small_round_for

pytestmark = pytest.mark.browser

Q1 = "proef_bestuur.visie.vastgelegd"


def test_answers_of_a_refused_save_can_be_read_and_copied(app, page, live_server):
    survey = small_round_for(app)
    page.goto(f"{live_server}/s/{survey.token('Zorg')}")
    with page.expect_navigation():
        page.get_by_role("button", name="Start de vragenlijst").click()
    step = page.url.split("/r/")[1].split("/")[0]
    page.goto(f"{live_server}/r/{step}/stap/1")
    page.check(f'input[name="q-{Q1}"][value="2"]')
    page.fill(f'textarea[name="c-{Q1}"]', "Ons bewijs: de nota van maart.")
    survey.round.status = ROUND_CLOSED  # the coordinator closes the round meanwhile
    db.session.commit()
    with page.expect_navigation():
        page.get_by_role("button", name="Opslaan", exact=True).click()
    body = page.locator("main").inner_text()
    assert "Deze ronde is gesloten" in body
    assert "niet opgeslagen" in body
    assert "Ons bewijs: de nota van maart." in body
    assert page.locator("link[href$='css/survey.css']").count() == 1
    assert_accessible(page, "refused save with the answers to copy")
