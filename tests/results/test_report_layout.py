"""The demo round's reports as a bestuurder reads them: length, order, tables that fit, words.

The demo round (six departments, twelve banks, and the previous round of its series) is loaded
once for this module; its round report and department reports are built once and checked from
several sides: the main part
(before the appendices, found by the "Bijlagen" bookmark) stays within 12 pages for the round
and 8 for a department, it starts with the summary, it shows titles and long dates instead of
ids, hashes, ISO dates and formulas, every page says it is provisional while the round is open,
and no table cell holds a word wider than its column.
"""

from __future__ import annotations

import dataclasses
import io
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from pypdf import PdfReader
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import KeepTogether, Paragraph, Table

from quickscan.reporting.content import ReportContent, build_report
from quickscan.reporting.pdf import build_pdf, build_story
from quickscan.scoring import RoundResult

ROUND_MAIN_PAGES = 12
DEPARTMENT_MAIN_PAGES = 8
MONTHS = ("januari|februari|maart|april|mei|juni|juli|augustus|september|oktober|november|"
          "december")


@dataclass
class Demo:
    """The demo round's report inputs, contents and PDFs, built once."""

    round_content: ReportContent
    round_pdf: bytes
    departments: dict[str, ReportContent] = field(default_factory=dict)
    department_pdfs: dict[str, bytes] = field(default_factory=dict)
    ids: set[str] = field(default_factory=set)
    hashes: set[str] = field(default_factory=set)
    hidden_pdf: bytes = b""
    hidden_names: tuple[str, ...] = ()
    closed_pdf: bytes = b""


@pytest.fixture(scope="module")
def demo(_session_app, tmp_path_factory) -> Iterator[Demo]:
    from quickscan.extensions import db
    from quickscan.models import Round
    from quickscan.services import reports
    from quickscan.services import results as results_service
    from quickscan.services.demo import load_demo

    app = _session_app
    login_file = tmp_path_factory.mktemp("demo") / "login.txt"
    with app.app_context():
        try:
            from quickscan import links

            # With the previous round, as `make run` shows it: the trend chapter is in the report.
            loaded = load_demo(secret_key=links.secret_key(), login_file=login_file,
                               history=True)
            round_ = db.session.get(Round, loaded.round_id)
            data = reports.report_input(round_)
            content = build_report(data)
            built = Demo(content, build_pdf(content, processes=1))
            built.ids = {b.id for b in data.banks} | {
                f"{b.id}.{t.id}" for b in data.banks for t in b.themes} | {
                q.id for b in data.banks for q in b.questions}
            built.hashes = {b.sha256 for b in data.banks}
            for department in round_.departments:
                section = build_report(reports.report_input(round_, department=department),
                                       department_id=department.id)
                built.departments[department.name] = section
            # The department report with the most themes, and the one with the fewest.
            by_size = sorted(built.departments, key=lambda n: len(
                built.departments[n].department_report.themes))
            for name in (by_size[-1], by_size[0]):
                built.department_pdfs[name] = build_pdf(built.departments[name], processes=1)
            # A minimum group size of 5 hides the departments with fewer submissions.
            hidden: RoundResult = results_service.score(round_, 5)
            built.hidden_names = tuple(d.name for d in hidden.departments if d.hidden)
            hidden_data = dataclasses.replace(data, result=hidden, min_group_size=5)
            built.hidden_pdf = build_pdf(build_report(hidden_data), processes=1)
            closed = dataclasses.replace(data, round=dataclasses.replace(data.round,
                                                                         status="closed"))
            built.closed_pdf = build_pdf(build_report(closed), processes=1)
            yield built
        finally:
            db.session.rollback()
            for table in reversed(db.metadata.sorted_tables):
                db.session.execute(table.delete())
            db.session.commit()
            db.session.remove()


def pdf_text(data: bytes, first: int = 1, last: int | None = None) -> str:
    args = ["pdftotext", "-layout", "-f", str(first)] + (["-l", str(last)] if last else [])
    return subprocess.run(args + ["-", "-"], input=data, capture_output=True,
                          check=True).stdout.decode("utf-8")


def bookmarks(data: bytes) -> list[tuple[str, int]]:
    """Every outline entry with its (1-based) page, in document order."""
    reader = PdfReader(io.BytesIO(data))
    found: list[tuple[str, int]] = []

    def walk(items: list) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item)
            else:
                found.append((item.title, reader.get_destination_page_number(item) + 1))

    walk(reader.outline)
    return found


def main_part_pages(data: bytes) -> int:
    """The pages before the appendices (the "Bijlagen" bookmark)."""
    start = dict(bookmarks(data))["Bijlagen"]
    return start - 1


def test_round_report_main_part_fits_in_twelve_pages(demo) -> None:
    pages = main_part_pages(demo.round_pdf)
    assert 3 <= pages <= ROUND_MAIN_PAGES
    total = len(PdfReader(io.BytesIO(demo.round_pdf)).pages)
    assert total > pages  # the appendices follow
    text = pdf_text(demo.round_pdf, pages + 1, pages + 1)
    assert "Bijlagen" in text


def test_department_reports_main_part_fits_in_eight_pages(demo) -> None:
    assert len(demo.department_pdfs) == 2
    for name, data in demo.department_pdfs.items():
        pages = main_part_pages(data)
        assert 2 <= pages <= DEPARTMENT_MAIN_PAGES, name
        titles = [title for title, _ in bookmarks(data)]
        assert f"Afdeling {name}" in titles
        # The question-level detail is an appendix.
        assert titles.index("Antwoorden per vraag") > titles.index("Bijlagen")


def test_the_summary_comes_first_and_bookmarks_point_at_their_pages(demo) -> None:
    marks = bookmarks(demo.round_pdf)
    assert marks[0] == ("Bestuurlijke samenvatting", 2)
    pages = [page for _, page in marks]
    assert pages == sorted(pages) and pages[-1] > pages[0]
    top = [title for title, _ in marks]
    for chapter in ("Bestuurlijke samenvatting", "De gemeente in cijfers", "Afdelingen",
                    "Bijlagen", "Alle verbeterpunten", "Verantwoording",
                    "Vragenlijsten en vingerafdrukken"):
        assert chapter in top
    summary = pdf_text(demo.round_pdf, 2, 3)
    for heading in ("Respons", "De grootste verbeterkansen", "Sterke punten",
                    "Kennislacunes en verschil van mening", "Wat nu te doen"):
        assert heading in summary
    summary_text = demo.round_content.summary.plain_text()
    first = demo.round_content.summary.block("priorities").items[0]
    assert " ".join(first.split()[:4]) in " ".join(summary.split())
    assert "vragenlijsten zijn ingevuld en ingediend" in summary_text


def test_main_part_shows_titles_and_long_dates_never_ids_hashes_or_formulas(demo) -> None:
    for data in [demo.round_pdf, *demo.department_pdfs.values()]:
        main = pdf_text(data, 1, main_part_pages(data))
        flat = " ".join(main.split())
        assert not re.search(r"\b\d{4}-\d{2}-\d{2}\b", main), "ISO date in the main part"
        assert re.search(rf"\b\d{{1,2}} ({MONTHS}) \d{{4}}\b", flat), "no long Dutch date"
        assert not re.search(r"\b[0-9a-f]{16,}\b", main), "fingerprint in the main part"
        assert "max(0" not in main and "SHA-256" not in main
        for internal in demo.ids:
            if "_" in internal or "." in internal:
                assert internal not in flat, internal
            assert f"({internal})" not in flat, internal
        rest = " ".join(pdf_text(data, main_part_pages(data) + 1).split())
        for digest in demo.hashes:
            assert digest in rest  # the fingerprints are in the appendix


def test_every_page_says_provisional_while_the_round_is_open(demo) -> None:
    for data in [demo.round_pdf, *demo.department_pdfs.values()]:
        pages = len(PdfReader(io.BytesIO(data)).pages)
        for page in range(1, pages + 1):
            assert "Voorlopig: de ronde is nog open" in pdf_text(data, page, page), page
    assert demo.round_content.provisional
    closed = pdf_text(demo.closed_pdf)
    assert "Voorlopig" not in closed and "voorlopig" not in closed


def test_hidden_departments_say_so_instead_of_figures(demo) -> None:
    assert demo.hidden_names  # the demo has departments with fewer than 5 submissions
    text = " ".join(pdf_text(demo.hidden_pdf).split())
    assert "Nog geen resultaat: minder dan 5 ingevulde vragenlijsten" in text
    main = " ".join(pdf_text(demo.hidden_pdf, 1, main_part_pages(demo.hidden_pdf)).split())
    for name in demo.hidden_names:
        # Named in the summary, with a chapter that holds the message, never in a priority.
        assert f"Afdeling {name}" in main
        chapter = main.split(f"Afdeling {name}")[-1][:400]
        assert "Nog geen resultaat: minder dan 5 ingevulde vragenlijsten" in chapter
        assert "Scores per thema" not in chapter.split("Afdeling ")[0]


# --------------------------------------------------------------------------- tables that fit


def tables_in(flowables) -> Iterator[Table]:
    for flowable in flowables:
        if isinstance(flowable, KeepTogether):
            yield from tables_in(flowable._content)
        elif isinstance(flowable, Table):
            yield flowable
            for row in flowable._cellvalues:
                for cell in row:
                    if isinstance(cell, (list, tuple)):
                        yield from tables_in(cell)
                    elif isinstance(cell, Table):
                        yield from tables_in([cell])


def spans_of(table: Table) -> dict[tuple[int, int], tuple[int, int]]:
    """(column, row) of a span's first cell -> (first, last) column it covers."""
    out = {}
    for command in table._spanCmds:
        (c0, r0), (c1, r1) = command[1], command[2]
        columns = len(table._colWidths)
        rows = len(table._cellvalues)
        c0, c1 = c0 % columns, c1 % columns
        for row in range(r0 % rows, r1 % rows + 1):
            out[(c0, row)] = (c0, c1)
    return out


def too_wide_words(table: Table) -> list[str]:
    """Every word in a cell wider than its column (minus the cell padding)."""
    problems = []
    spans = spans_of(table)
    for row_index, row in enumerate(table._cellvalues):
        for column, cell in enumerate(row):
            first, last = spans.get((column, row_index), (column, column))
            style = table._cellStyles[row_index][column]
            room = sum(table._colWidths[first:last + 1]) - style.leftPadding - style.rightPadding
            if isinstance(cell, Paragraph):
                fonts = {cell.style.fontName} | {frag.fontName for frag in cell.frags
                                                  if hasattr(frag, "fontName")}
                size = max([cell.style.fontSize] + [frag.fontSize for frag in cell.frags
                                                    if hasattr(frag, "fontSize")])
                words = cell.getPlainText().split()
            elif isinstance(cell, str) and cell:
                fonts, size, words = {style.fontname}, style.fontsize, cell.split()
            else:
                continue
            for word in words:
                width = max(stringWidth(word, font, size) for font in fonts)
                if width > room + 0.01:
                    problems.append(f"{word!r}: {width:.1f} > {room:.1f} (row {row_index}, "
                                    f"column {column})")
    return problems


def test_no_word_is_wider_than_its_column_in_any_table(demo) -> None:
    contents = [demo.round_content, *demo.departments.values()]
    measured = 0
    for content in contents:
        story = build_story(content)
        frame = 595.2756 - 2 * 2.0 * 28.3465
        for table in tables_in(story):
            assert sum(table._colWidths) <= frame + 0.5
            problems = too_wide_words(table)
            assert not problems, problems[:5]
            measured += 1
    assert measured > 50


def test_the_departments_by_banks_matrix_fits_portrait_with_a_legend(demo) -> None:
    story = build_story(demo.round_content)
    overall = demo.round_content.overall
    matrices = [t for t in tables_in(story)
                if len(t._colWidths) == len(overall) + 1
                and len(t._cellvalues) == len(demo.round_content.departments) + 1]
    assert len(matrices) == 1
    matrix = matrices[0]
    header = [cell.getPlainText() for cell in matrix._cellvalues[0][1:]]
    assert header == [str(n) for n in range(1, len(overall) + 1)]
    text = " ".join(pdf_text(demo.round_pdf).split())
    for row in overall:
        assert f"{demo.round_content.bank_number(row.bank_id)} = {row.title}" in text


def test_too_wide_words_catches_a_squeezed_column() -> None:
    """The measure itself: a long word in a narrow column is reported."""
    from reportlab.lib.styles import ParagraphStyle

    from quickscan.reporting.pdf import FONT, register_fonts

    register_fonts()
    style = ParagraphStyle("t", fontName=FONT, fontSize=8)
    table = Table([[Paragraph("Bestuursondersteuning", style), Paragraph("kort", style)]],
                  colWidths=[40, 200])
    assert len(too_wide_words(table)) == 1
    table = Table([[Paragraph("Bestuursondersteuning", style)]], colWidths=[200])
    assert too_wide_words(table) == []
