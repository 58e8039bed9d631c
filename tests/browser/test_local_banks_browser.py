"""Local banks ("eigen vragen") end to end in Chromium: template, spreadsheet, upload with a
SHEET!CELL error, fix, publish, a new round with the bank, a respondent answers it, and the
results, the PDF and the exports show it with the mark "eigen vragen". Bank texts holding
markup and formulas stay inert on every page and in every output.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
from pathlib import Path

import pytest
from openpyxl import load_workbook

from quickscan.services.accounts import create_user
from quickscan.services.banks import round_bank_map
from tests.browser.test_journey import fill_in_survey
from tests.conftest import assert_accessible
from tests.data.xlsx.make import filled

pytestmark = pytest.mark.browser

EMAIL = "beheer@gemeente.nl"
PASSWORD = "een-wachtwoord-van-ruim-tien-tekens"
MARKUP = '<img src=x onerror="alert(1)">Toegang'
FORMULA = '=HYPERLINK("http://evil.example","klik")'


def _spreadsheet(template: bytes, *, broken: bool) -> bytes:
    """The downloaded template filled in with openpyxl; ``broken`` leaves C3 empty."""
    workbook = filled(template)
    themes = workbook["themas"]
    themes["B2"] = MARKUP  # theme title with markup
    questions = workbook["vragen"]
    questions["L2"] = FORMULA  # next_step that looks like a formula: stored as text
    questions["L2"].data_type = "s"
    if broken:
        questions["C3"] = None
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _upload(page, base: str, data: bytes, tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    page.goto(base + "/eigen-vragen")
    page.get_by_label("Ingevuld sjabloon").set_input_files(str(path))
    page.get_by_role("button", name="Bestand uploaden").click()
    page.wait_for_load_state()


def test_spreadsheet_to_round_to_results(app, live_server, page, browser, tmp_path):
    create_user(EMAIL, PASSWORD, "beheerder")
    base = live_server
    page.goto(base + "/login")
    page.get_by_label("E-mailadres").fill(EMAIL)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url(base + "/rondes")

    # The template, downloaded from the page.
    page.get_by_role("link", name="Eigen vragen").click()
    page.wait_for_url(base + "/eigen-vragen")
    assert_accessible(page, "local banks page")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download het sjabloon (Excel, .xlsx)").click()
    template = Path(download.value.path()).read_bytes()
    assert load_workbook(io.BytesIO(template)).sheetnames == [
        "bank", "themas", "vragen", "wijzigingen", "uitleg"]

    # A reported SHEET!CELL error; nothing is stored.
    _upload(page, base, _spreadsheet(template, broken=True), tmp_path, "eigen.xlsx")
    problems = page.locator(".qs-problems li").all_inner_texts()
    assert problems == ["vragen!C3: statement: must not be empty"]
    assert "Er zijn nog geen eigen vragenlijsten." in page.locator("main").inner_text()
    assert_accessible(page, "upload refused")

    # Fixed: stored as a draft, then published.
    _upload(page, base, _spreadsheet(template, broken=False), tmp_path, "eigen.xlsx")
    page.wait_for_url(base + "/eigen-vragen/armoede/1.0.0")
    assert page.locator("h1").inner_text() == "Armoede in onze gemeente"
    assert page.locator("img[src=x]").count() == 0  # markup stays text
    assert MARKUP in page.locator("main").inner_text()
    assert_accessible(page, "local bank page")
    page.get_by_role("link", name="Voorbeeld bekijken").click()
    assert MARKUP in page.locator("main").inner_text()
    assert_accessible(page, "preview")
    page.go_back()
    page.get_by_role("button", name="Publiceren").click()
    page.wait_for_url(base + "/eigen-vragen/armoede/1.0.0")
    assert "Gepubliceerd" in page.locator("main").inner_text()

    # A new round with the local bank, and a department that answers it.
    page.goto(base + "/rondes/nieuw")
    page.get_by_label("Naam van de ronde").fill("Ronde met eigen vragen")
    page.fill("#municipality", "Gemeente Proefstad")
    assert "(eigen vragen)" in page.locator("label[for=bank-armoede]").inner_text()
    page.check("#bank-armoede")
    page.get_by_role("button", name="Ronde maken").click()
    page.wait_for_url(re.compile(r"/rondes/\d+$"))
    round_id = int(page.url.rsplit("/", 1)[-1])
    page.fill("#department-name", "Sociaal domein")
    page.check("#department-bank-armoede")
    page.get_by_role("button", name="Afdeling toevoegen").click()
    page.wait_for_selector("h3:text-is('Sociaal domein')")
    link = page.locator("section.qs-department input.qs-link").first.input_value()

    from quickscan.extensions import db
    from quickscan.models import Round

    round_ = db.session.get(Round, round_id)
    banks = round_bank_map(round_)
    pinned = next(rb for rb in round_.banks if rb.bank_id == "armoede")
    assert pinned.version == "1.0.0" and pinned.sha256 == banks["armoede"].sha256
    theme_of = {q.id: (bank.id, bank.theme_of(q.id).id)
                for bank in banks.values() for q in bank.questions}
    answered = fill_in_survey(browser, link, 0, skip_one=False, theme_of=theme_of)
    assert {"armoede.toegang.aanvraag", "armoede.toegang.uitleg"} <= set(answered.answers)

    # Results page, PDF and exports show the bank, marked "eigen vragen". One respondent:
    # the round's minimum group size is set to 1 so that the figures are shown.
    from quickscan.services import group_size, rounds

    group_size.set_min_group_size(rounds.get_round(round_id), 1)
    page.goto(f"{base}/rondes/{round_id}/resultaten")
    main = page.locator("main").inner_text()
    assert MARKUP in main and "eigen vragen" in main
    assert page.locator("img[src=x]").count() == 0
    exported = page.request.get(f"{base}/rondes/{round_id}/export.json")
    assert exported.status == 200
    document = json.loads(exported.body())
    text = json.dumps(document, ensure_ascii=False)
    assert "toegang" in text and "armoede.toegang.aanvraag" in text
    pinned_json = next(b for b in document["round"]["banks"] if b["id"] == "armoede")
    assert pinned_json["content"]["local"] is True
    csv = page.request.get(f"{base}/rondes/{round_id}/export.csv").body().decode("utf-8")
    assert "armoede" in csv
    assert '"=' not in csv and "\n=" not in csv and ";=" not in csv  # no live formula
    pdf = page.request.get(f"{base}/rondes/{round_id}/rapport.pdf")
    assert pdf.status == 200
    pdf_path = tmp_path / "rapport.pdf"
    pdf_path.write_bytes(pdf.body())
    pdf_text = subprocess.run(["pdftotext", "-layout", str(pdf_path), "-"], check=True,
                              capture_output=True, text=True).stdout
    pdf_flat = " ".join(pdf_text.split())
    assert "eigen vragen" in pdf_flat
    assert "onerror" in pdf_flat  # the markup shows as text, it is not interpreted


def _press(page, locator) -> None:
    """Activate a link or button from the keyboard only."""
    locator.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_author_in_the_browser_with_the_keyboard(app, live_server, page):
    create_user(EMAIL, PASSWORD, "coordinator")
    base = live_server
    page.goto(base + "/login")
    page.get_by_label("E-mailadres").fill(EMAIL)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(base + "/rondes")
    page.goto(base + "/eigen-vragen")

    # A new bank: a refused id first (error summary with a link to the field), then valid.
    page.get_by_label("Id van de vragenlijst").fill("Fout Id")
    page.get_by_label("Titel").fill("Sport in de wijk")
    page.get_by_label("Beschrijving").fill("Eigen vragen over sport.")
    _press(page, page.get_by_role("button", name="Vragenlijst maken"))
    summary = page.locator("#fouten-nieuw")
    assert "Gebruik kleine letters" in summary.inner_text()
    assert summary.locator("a").first.get_attribute("href") == "#nieuw-id"
    assert_accessible(page, "new bank refused")
    page.get_by_label("Id van de vragenlijst").fill("sport_wijk")
    _press(page, page.get_by_role("button", name="Vragenlijst maken"))
    page.wait_for_url(base + "/eigen-vragen/sport_wijk/1.0.0")

    # Add a second theme.
    _press(page, page.get_by_role("link", name="Thema toevoegen"))
    assert_accessible(page, "theme form")
    page.get_by_label("Id van het thema").fill("verenigingen")
    page.get_by_label("Titel").fill("Verenigingen")
    page.get_by_label("Beschrijving").fill("Of verenigingen iedereen welkom heten.")
    page.get_by_label("Artikelen van het VN-verdrag Handicap").fill("30")
    _press(page, page.get_by_role("button", name="Thema opslaan"))
    page.wait_for_url(re.compile(r"/eigen-vragen/sport_wijk/1\.0\.0#"))
    titles = page.locator("section.qs-local-theme h3").all_inner_texts()
    assert titles == ["Thema 1: Nieuw thema", "Thema 2: Verenigingen"]

    # Edit the first question: an empty statement is refused at its field.
    _press(page, page.get_by_role("link", name="Vraag 1 bewerken").first)
    page.get_by_label("Stelling").fill("")
    _press(page, page.get_by_role("button", name="Vraag opslaan"))
    summary = page.locator(".qs-error-summary")
    assert "must not be empty" in summary.inner_text()
    assert summary.locator("a").first.get_attribute("href") == "#vraag-statement"
    assert page.locator("#vraag-statement").get_attribute("aria-invalid") == "true"
    assert_accessible(page, "question refused")
    page.get_by_label("Stelling").fill("De sportvelden zijn bereikbaar voor rolstoelgebruikers.")
    _press(page, page.get_by_role("button", name="Vraag opslaan"))
    page.wait_for_url(re.compile(r"/eigen-vragen/sport_wijk/1\.0\.0"))

    # Reorder: the second theme moves up.
    _press(page, page.get_by_role("button", name="Omhoog: thema Verenigingen"))
    titles = page.locator("section.qs-local-theme h3").all_inner_texts()
    assert titles == ["Thema 1: Verenigingen", "Thema 2: Nieuw thema"]
    assert_accessible(page, "bank page")

    # Publish; an edit afterwards goes into a new draft version, a meaning change gets a new id.
    _press(page, page.get_by_role("button", name="Publiceren"))
    assert "Gepubliceerd" in page.locator("main").inner_text()
    section = page.locator("#inhoud-thema-1")
    _press(page, section.get_by_role("link", name="Vraag 1 bewerken"))
    page.get_by_label("De betekenis van de vraag verandert").check()
    page.get_by_label("Naam van de vraag").fill("velden_bereikbaar")
    page.get_by_label("Stelling").fill("Alle sportvelden zijn zonder hulp bereikbaar.")
    _press(page, page.get_by_role("button", name="Vraag opslaan"))
    page.wait_for_url(re.compile(r"/eigen-vragen/sport_wijk/1\.1\.0"))
    main = page.locator("main").inner_text()
    assert "sport_wijk.thema1.velden_bereikbaar" in main
    assert "vervangt sport_wijk.thema1.vraag1" in main
    from quickscan.services import local_banks

    assert [(v.bank.version, v.status) for v in local_banks.versions()] == [
        ("1.0.0", "published"), ("1.1.0", "draft")]
    old = local_banks.get("sport_wijk", "1.0.0").bank
    assert old.questions[-1].statement == ("De sportvelden zijn bereikbaar voor "
                                           "rolstoelgebruikers.")
