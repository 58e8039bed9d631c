"""The PDF report: parses, renders, carries metadata and bookmarks, agrees with the engine."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from quickscan.reporting.content import build_report, format_number
from quickscan.reporting.pdf import build_pdf
from quickscan.services import reports
from quickscan.services.results import score
from tests.factories import INJECTIONS


def pdf_text(data: bytes, layout: bool = True) -> str:
    """The PDF's text as pdftotext sees it (``layout`` keeps table rows on one line)."""
    done = subprocess.run(["pdftotext"] + (["-layout"] if layout else []) + ["-", "-"],
                          input=data, capture_output=True, check=True)
    return done.stdout.decode("utf-8")


def outline_titles(reader: PdfReader) -> list[str]:
    titles: list[str] = []

    def walk(items: list) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item)
            else:
                titles.append(item.title)

    walk(reader.outline)
    return titles


@pytest.fixture
def round_pdf(app, built_round) -> bytes:
    return reports.pdf_report(built_round.round)


def test_round_pdf_parses_and_holds_departments_and_priorities(round_pdf, built_round) -> None:
    reader = PdfReader(io.BytesIO(round_pdf))
    assert len(reader.pages) > 5
    text = " ".join(pdf_text(round_pdf).split())
    result = score(built_round.round)
    for department in result.departments:
        assert department.name in text
    banks = {b.id: b for b in built_round.banks}
    for priority in result.priorities[:5]:
        title = banks[priority.bank].theme(priority.theme).title
        assert title.split()[0] in text
        assert format_number(priority.priority) in text
        assert format_number(priority.gap) in text
    for bank in built_round.round.banks:
        assert bank.sha256 in text.replace(" ", "") or bank.sha256[:40] in text.replace(" ", "")
    assert f"Pagina 2 van {len(reader.pages)}" in text


def test_metadata_language_and_bookmarks(round_pdf, built_round) -> None:
    reader = PdfReader(io.BytesIO(round_pdf))
    meta = reader.metadata
    assert meta.title == "Quickscan Inclusieve Gemeente – Gemeente Örkelljunga-aan-Zee"
    assert "Voorjaar 2026" in meta.subject
    assert meta.author
    assert reader.trailer["/Root"]["/Lang"] == "nl-NL"
    titles = outline_titles(reader)
    # Issue 12 reorders the chapters on purpose: the summary first, the method in an appendix.
    chapters = ("Bestuurlijke samenvatting", "De gemeente in cijfers", "Afdelingen", "Bijlagen",
                "Verantwoording")
    for expected in chapters:
        assert expected in titles
    assert [titles.index(t) for t in chapters] == sorted(titles.index(t) for t in chapters)
    assert titles[0] == "Bestuurlijke samenvatting"
    for department in built_round.departments:
        assert f"Afdeling {department.name}" in titles
    fonts = set()
    for page in reader.pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            fonts.add(str(font.get_object()["/BaseFont"]))
    assert any("DejaVuSans" in name for name in fonts)


def test_every_page_renders_with_pdftoppm(round_pdf, tmp_path: Path) -> None:
    assert shutil.which("pdftoppm")
    source = tmp_path / "report.pdf"
    source.write_bytes(round_pdf)
    subprocess.run(["pdftoppm", "-r", "20", "-png", str(source), str(tmp_path / "page")],
                   check=True, capture_output=True)
    pages = len(PdfReader(io.BytesIO(round_pdf)).pages)
    assert len(list(tmp_path.glob("page-*.png"))) == pages


def test_injection_comments_print_literally(round_pdf) -> None:
    text = pdf_text(round_pdf)
    for injection in ("<b>", "Tom & Jerry", '<font name="x">', "onafgesloten <i",
                      "<script>alert('xss')</script>", '=HYPERLINK("http://evil.example/',
                      '<para><a href="javascript:alert(1)">link</a></para>'):
        assert injection in text, injection


def test_markup_in_every_user_field_never_breaks_the_build(app, built_round) -> None:
    round_ = built_round.round
    round_.municipality = '<font name="x">Gemeente & <b>'
    round_.name = "Ronde <i"
    built_round.departments[0].name = "Sociaal <b>Domein</b> & <para>"
    from quickscan.extensions import db

    db.session.commit()
    data = reports.pdf_report(round_)
    text = pdf_text(data)
    assert '<font name="x">Gemeente & <b>' in text
    assert "Sociaal <b>Domein</b> & <para>" in text


def test_department_report(app, built_round) -> None:
    department = built_round.departments[0]
    data = reports.pdf_report(built_round.round, department)
    reader = PdfReader(io.BytesIO(data))
    assert department.name in reader.metadata.title
    text = " ".join(pdf_text(data).split())
    result = score(built_round.round).department(department.name)
    for theme in result.themes():
        assert format_number(theme.score) in text
    others = [d.name for d in built_round.departments[1:]]
    assert not any(f"Afdeling {name}" in text for name in others)
    question = built_round.banks[0].themes[0].questions[0].statement
    flowing = " ".join(pdf_text(data, layout=False).split())
    assert " ".join(question.split()[:6]) in flowing


def test_english_report_texts(app, built_round) -> None:
    content = build_report(reports.report_input(built_round.round, "en"))
    text = pdf_text(build_pdf(content))
    assert "Summary" in text and "Page 2 of" in text


def test_pdf_routes_save_into_the_instance_folder(app, coordinator_client, built_round,
                                                  tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    rid = built_round.round.id
    response = coordinator_client.get(f"/rondes/{rid}/rapport.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    assert "attachment" in response.headers["Content-Disposition"]
    folder = Path(app.instance_path) / "reports"
    assert len(list(folder.glob(f"quickscan-ronde-{rid}-*.pdf"))) == 1
    again = coordinator_client.get(f"/rondes/{rid}/rapport.pdf")
    assert again.status_code == 200
    assert len(list(folder.glob(f"quickscan-ronde-{rid}-????????????.pdf"))) == 1
    repo = Path(__file__).resolve().parents[2]
    assert not list((repo / "reports").glob("*.pdf"))
    department = built_round.departments[0]
    response = coordinator_client.get(
        f"/rondes/{rid}/afdelingen/{department.id}/rapport.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert coordinator_client.get(f"/rondes/{rid}/afdelingen/999999/rapport.pdf"
                                  ).status_code == 404


def test_html_report_has_the_same_content(coordinator_client, built_round) -> None:
    from markupsafe import escape

    rid = built_round.round.id
    page = coordinator_client.get(f"/rondes/{rid}/rapport")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    result = score(built_round.round)
    for department in result.departments:
        assert str(escape(f"Afdeling {department.name}")) in text
    for priority in result.priorities:
        assert f">{format_number(priority.priority)}<" in text
    for bank in built_round.round.banks:
        assert bank.sha256 in text
    for injection in INJECTIONS:
        assert str(escape(injection)) in text
    assert "<script>alert" not in text
    assert "css/results.css" in text
    css = (Path(__file__).resolve().parents[2] / "quickscan/static/css/results.css").read_text()
    assert "@media print" in css


def test_round_report_limits_its_priority_chapter(app, built_round) -> None:
    """The round report lists the `report_priorities` most important gaps and says so."""
    result = score(built_round.round)
    total = len(result.priorities)
    assert total > 3
    original = app.config["REPORTS_DIR"]
    app.config["REPORTS_DIR"] = str(_reports_with_limit(app, 3))
    try:
        text = " ".join(pdf_text(reports.pdf_report(built_round.round, result=result)).split())
    finally:
        app.config["REPORTS_DIR"] = original
    assert f"Dit rapport toont de 3 belangrijkste van de {total} verbeterpunten." in text


def _reports_with_limit(app, limit: int) -> Path:
    import tempfile

    import yaml

    source = Path(__file__).resolve().parents[2] / "reports"
    folder = Path(tempfile.mkdtemp(prefix="reports_"))
    for path in source.glob("*.yaml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        data["layout"]["report_priorities"] = limit
        (folder / path.name).write_text(yaml.safe_dump(data, allow_unicode=True),
                                        encoding="utf-8")
    return folder
