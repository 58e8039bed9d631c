"""The Lokale Inclusie Agenda in a real browser: from the results to a published agenda.

A coordinator goes from the results page to the agenda, makes candidates from priorities and
one of their own, opens the vote; two voters vote online by the public link (one tries a
second time), votes from the room and on paper are entered, the projector view updates its
live region on a button; the vote closes, the speerpunten are chosen, actions added; the DOCX
is downloaded and read with python-docx; the public progress page passes axe and reflows at
320 px.
"""

from __future__ import annotations

import io

import pytest
from docx import Document

from quickscan.services.accounts import create_user
from tests.conftest import assert_accessible
from tests.results.conftest import build_round

pytestmark = pytest.mark.browser

EMAIL = "agenda@example.org"
PASSWORD = "een-lang-wachtwoord-voor-tests"


@pytest.fixture
def results_round(app):
    create_user(EMAIL, PASSWORD)
    return build_round()


def no_horizontal_scroll(page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"))


def test_round_to_agenda_in_the_browser(live_server, page, browser, results_round) -> None:
    rid = results_round.round.id
    page.goto(live_server + "/login")
    page.fill("#email", EMAIL)
    page.fill("#password", PASSWORD)
    page.click("form[action$='/login'] button[type=submit]")
    page.wait_for_url(live_server + "/rondes")

    # From the results to the agenda.
    page.goto(live_server + f"/rondes/{rid}/resultaten")
    page.click("text=Van prioriteiten naar de Lokale Inclusie Agenda")
    page.wait_for_url(live_server + f"/rondes/{rid}/agenda")
    assert_accessible(page, "agenda page (empty)")
    page.check("#rank-1")
    page.check("#rank-2")
    page.click("form[action$='/kandidaten/prioriteiten'] button[type=submit]")
    page.check("#rank-3")
    page.fill("#priority-title", "Informatie voor iedereen")
    page.click("form[action$='/kandidaten/prioriteiten'] button[type=submit]")
    page.fill("#candidate-title", "Toegankelijk stemlokaal")
    page.click("form[action$='/agenda/kandidaten'] button[type=submit]")
    assert page.locator("text=Kandidaat toegevoegd.").count() == 1
    page.fill("#vote-votes", "2")
    page.click("form[action$='/stemming/regels'] button[type=submit]")
    page.click("form[action$='/stemming/open'] button[type=submit]")
    vote_url = page.locator("#stemlink").inner_text().strip()
    assert "/s/" in vote_url and vote_url.endswith("/stem")
    assert_accessible(page, "agenda page (vote open)")

    # Two voters online, each in their own browser; the second tries twice.
    for voter in range(2):
        context = browser.new_context()
        voter_page = context.new_page()
        voter_page.set_viewport_size({"width": 320, "height": 700})
        voter_page.goto(vote_url)
        assert_accessible(voter_page, "public vote")
        assert no_horizontal_scroll(voter_page)
        # The honeypot is out of sight and out of the tab order; people never fill it.
        trap = voter_page.locator("#hp-website")
        assert trap.get_attribute("tabindex") == "-1"
        box = trap.locator("xpath=..").bounding_box()  # the clipped, aria-hidden wrapper
        assert box["width"] <= 1 and box["height"] <= 1
        voter_page.locator("input[name=candidate]").nth(1).check()
        if voter == 0:
            voter_page.locator("input[name=candidate]").nth(0).check()
            voter_page.select_option("#stem-als", "inwoner")
        voter_page.click("form[action$='/stem'] button[type=submit]")
        assert voter_page.locator("text=Uw stem is opgeslagen").count() == 1
        voter_page.goto(vote_url)  # the same browser again: no second ballot form
        assert voter_page.locator("input[name=candidate]").count() == 0
        context.close()

    # Votes from the room and on paper.
    page.goto(live_server + f"/rondes/{rid}/agenda")
    page.select_option("#tally-candidate", label="Informatie voor iedereen")
    page.select_option("#tally-origin", "zaal")
    page.fill("#tally-count", "9")
    page.select_option("#tally-role", "ervaringsdeskundige")
    page.click("form[action$='/stemming/telling'] button[type=submit]")
    page.select_option("#tally-candidate", label="Toegankelijk stemlokaal")
    page.select_option("#tally-origin", "papier")
    page.fill("#tally-count", "4")
    page.click("form[action$='/stemming/telling'] button[type=submit]")
    roles = page.locator("table", has_text="Ervaringsdeskundige").first
    assert roles.locator("tr", has_text="Ervaringsdeskundige").locator("td").all_inner_texts() \
        == ["0", "9", "0", "9"]
    assert_accessible(page, "agenda page (votes per role)")

    # The projector view: names only, then the running result after a button press.
    page.click("form[action$='/stemming/tonen'] button[type=submit]")
    page.goto(live_server + f"/rondes/{rid}/agenda/scherm")
    assert_accessible(page, "projector view")
    assert page.locator("#stand[aria-live=polite]").count() == 1
    page.click("#stand-bijwerken")
    page.locator("#stand", has_text="11 stemmen").wait_for()
    assert page.locator("meta[http-equiv=refresh]").count() == 0

    # Close, choose two speerpunten, add actions.
    page.goto(live_server + f"/rondes/{rid}/agenda")
    page.click("form[action$='/stemming/sluiten'] button[type=submit]")
    page.fill("#choose-top", "2")
    page.click("form[action$='/agenda/speerpunten'] button[type=submit]")
    headings = page.locator("#speerpunten ~ section h3, section[aria-labelledby^=speerpunt-] h3")
    assert headings.count() >= 2
    first = page.locator("section[aria-labelledby^=speerpunt-]").first
    first.locator("summary").click()
    first.locator("input[name=title]").fill("Voorleesfunctie op de website")
    first.locator("input[name=deadline]").fill("2027-09-30")
    first.locator("form[action$='/acties'] button[type=submit]").click()
    assert page.locator("text=Actie toegevoegd.").count() == 1
    assert_accessible(page, "agenda page (speerpunten)")

    # The DOCX.
    with page.expect_download() as download_info:
        page.click("text=Concept-agenda (Word, DOCX)")
    document = Document(io.BytesIO(download_info.value.path().read_bytes()))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert "Hoe de speerpunten zijn gekozen" in headings
    assert "Informatie voor iedereen" in headings
    vote_rows = {row.cells[0].text: [c.text for c in row.cells[1:5]]
                 for row in document.tables[0].rows[1:]}
    assert vote_rows["Informatie voor iedereen"] == ["2", "9", "0", "11"]
    assert vote_rows["Toegankelijk stemlokaal"] == ["0", "0", "4", "4"]
    assert any("Voorleesfunctie op de website" in c.text for t in document.tables[1:]
               for r in t.rows for c in r.cells)
    roles = next(t for t in document.tables if t.rows[0].cells[0].text == "Rol")
    role_rows = {row.cells[0].text: [c.text for c in row.cells[1:]] for row in roles.rows[1:]}
    assert role_rows["Ervaringsdeskundige"] == ["0", "9", "0", "9"]
    assert role_rows["Inwoner"][0].startswith("geen cijfers: minder dan 3 stemmen")

    # Publish; the public page without login, at 320 px.
    page.click("form[action$='/publiceren'] button[type=submit]")
    public = browser.new_context()
    public_page = public.new_page()
    public_page.set_viewport_size({"width": 320, "height": 700})
    public_page.goto(live_server + f"/agenda/{rid}")
    assert public_page.locator("h1").count() == 1
    assert public_page.locator("text=Voorleesfunctie op de website").count() == 1
    assert public_page.locator("text=Laatst bijgewerkt op").count() == 1
    assert_accessible(public_page, "public progress page")
    assert no_horizontal_scroll(public_page)
    public.close()
