"""Markup and formula injections through every free-text field come out inert everywhere.

A corpus of script tags, event attributes, ReportLab paragraph markup (``<font name="x">``,
unclosed tags), Jinja syntax, matplotlib mathtext (``$x_{``) and spreadsheet formulas
(``=HYPERLINK(...)``, ``+cmd``, ``-1+1``, ``@SUM``) is put into the round name, the
municipality, the description, the department names and the respondents' comments. Then:

* HTML pages (coordinator, results, report, survey, respondent results) never contain a
  payload unescaped, and every ``<script`` they hold loads a file (no inline script);
* PDF reports build and their text (pypdf) shows the payloads literally;
* charts render (PNG and SVG) with the payloads as labels;
* CSV and XLSX exports hold no formula cell and no text cell starting with ``= + - @``.
"""

from __future__ import annotations

import csv
import io
import re
from html.parser import HTMLParser

import pytest
from flask import Flask, g
from flask.testing import FlaskClient

from quickscan import links
from quickscan.extensions import db
from quickscan.services import accounts, group_size, responses, rounds
from tests.factories import CSRF_RE
from tests.rounds_helpers import test_banks  # noqa: F401  (fixture)

FORMULAS = ['=HYPERLINK("http://x","y")', '+cmd|" /C calc"!A0', "-1+1", "@SUM(1+1)",
            "=1+1"]
MARKUP = ['<script>alert("x")</script>', "<img src=x onerror=alert(1)>",
          '" onmouseover="alert(1)', '<font name="x">kapot', "<b>niet gesloten",
          "</para><para>", "{{ 7*7 }}", "$x_{ 50% $\\frac{1}{0}$", "&amp; &lt;"]
CORPUS = FORMULAS + MARKUP
#: Payloads that a browser would execute or interpret if left unescaped in HTML.
DANGEROUS_HTML = ['<script>alert("x")</script>', "<img src=x onerror=alert(1)>",
                  '" onmouseover="alert(1)', '<font name="x">', "<b>niet gesloten",
                  "</para><para>"]
COORDINATOR = ("injectie@gemeente.example", "een-lang-wachtwoord")


def _csrf(client: FlaskClient) -> str:
    g.pop("csrf_token", None)
    match = CSRF_RE.search(client.get("/").get_data(as_text=True))
    assert match
    return match.group(1)


@pytest.fixture
def injected(app: Flask, test_banks):  # noqa: F811
    """A round whose every free-text field carries the corpus; one submitted response per
    department, commenting every question with a payload."""
    departments = [(name, ["wonen"]) for name in CORPUS]
    round_ = rounds.create_round(
        '<script>alert("ronde")</script> =HYPERLINK("http://x","y")',
        '=cmd|" /C calc"!A0 <font name="x">',
        description='<img src=x onerror=alert(1)> <b>niet gesloten\n=1+1',
        departments=departments, secret_key=links.secret_key())
    # One respondent per department: k = 1 so that every figure and comment is shown.
    group_size.set_min_group_size(round_, 1)
    resume: dict[str, str] = {}
    for index, department in enumerate(round_.departments):
        response, resume_token = responses.start_response(
            links.invitation_token(department) or "")
        for step in responses.steps(response):
            answers = {qid: str((index + n) % 5) for n, qid in enumerate(step.question_ids)}
            comments = {qid: CORPUS[(index + n) % len(CORPUS)]
                        for n, qid in enumerate(step.question_ids)}
            responses.save_page(response, step.number, answers, comments, index % 5 + 1)
        responses.submit(response)
        resume[department.name] = resume_token
    accounts.create_user(*COORDINATOR)
    client = app.test_client()
    logged_in = client.post("/login", data={"csrf_token": _csrf(client),
                                            "email": COORDINATOR[0],
                                            "password": COORDINATOR[1]})
    assert logged_in.status_code == 303
    return round_, client, resume


class _Tags(HTMLParser):
    """Collects the elements and attributes a browser would build from a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _assert_inert_html(body: str, where: str) -> None:
    for payload in DANGEROUS_HTML:
        assert payload not in body, f"{where}: unescaped {payload!r}"
    parser = _Tags()
    parser.feed(body)
    for tag, attrs in parser.tags:
        handlers = [name for name in attrs if name.startswith("on")]
        assert not handlers, f"{where}: <{tag}> with event handlers {handlers}"
        assert tag not in ("font", "para", "img") or attrs.get("src") != "x", where
        assert tag not in ("font", "para"), f"{where}: injected <{tag}>"
        if tag == "script":
            assert attrs.get("src"), f"{where}: inline script"
        for value in attrs.values():
            assert not (value or "").lower().startswith("javascript:"), where


def test_html_pages_are_inert(app, injected):
    round_, client, resume = injected
    department_ids = [d.id for d in round_.departments]
    pages = [f"/rondes/{round_.id}", f"/rondes/{round_.id}/voortgang", "/rondes",
             f"/rondes/{round_.id}/bewerken", f"/rondes/{round_.id}/resultaten",
             f"/rondes/{round_.id}/rapport"]
    pages += [f"/rondes/{round_.id}/resultaten/afdeling/{i}" for i in department_ids]
    for path in pages:
        page = client.get(path)
        assert page.status_code == 200, (path, page.status_code)
        body = page.get_data(as_text=True)
        _assert_inert_html(body, path)
        assert "&lt;script&gt;" in body, path  # the payload is shown, escaped
    respondent = app.test_client()
    for name, resume_token in resume.items():
        for path in (f"/r/{resume_token}", f"/r/{resume_token}/overzicht",
                     f"/r/{resume_token}/stap/1", f"/r/{resume_token}/bedankt",
                     f"/r/{resume_token}/resultaten"):
            page = respondent.get(path)
            assert page.status_code == 200, (path, page.status_code)
            _assert_inert_html(page.get_data(as_text=True), f"{path} ({name})")
    for department in round_.departments:
        token = links.invitation_token(department) or ""
        page = respondent.get(f"/s/{token}")
        assert page.status_code == 409 or page.status_code == 200
        _assert_inert_html(page.get_data(as_text=True), f"/s/ ({department.name})")


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_pdf_reports_show_payloads_literally(app, injected):
    from pypdf import PdfReader

    round_, client, _resume = injected
    # One department per payload: ask for the PDF directly, not as a background job.
    app.config["REPORT_DIRECT_MAX_DEPARTMENTS"] = 1000

    def pdf_text(path: str) -> str:
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.data.startswith(b"%PDF")
        reader = PdfReader(io.BytesIO(response.data))
        return _squash("\n".join(page.extract_text() or "" for page in reader.pages))

    text = pdf_text(f"/rondes/{round_.id}/rapport.pdf")
    assert _squash('<script>alert("ronde")</script>') in text
    for payload in CORPUS:
        assert _squash(" ".join(payload.split())) in text, payload
    markup_departments = [d for d in round_.departments
                          if d.name in ('<font name="x">kapot', "<b>niet gesloten",
                                        "</para><para>")]
    assert len(markup_departments) == 3
    for department in markup_departments:
        text = pdf_text(f"/rondes/{round_.id}/afdelingen/{department.id}/rapport.pdf")
        assert _squash(department.name) in text, department.name


@pytest.mark.parametrize("ext", ["png", "svg"])
def test_charts_render_with_payload_labels(injected, ext):
    round_, client, _resume = injected
    names = ["gemeente", "heatmap", "vergelijking", f"afdeling-{round_.departments[0].id}"]
    for name in names:
        response = client.get(f"/rondes/{round_.id}/grafiek/{name}.{ext}")
        assert response.status_code == 200, (name, response.status_code)
        if ext == "svg":
            body = response.get_data(as_text=True)
            assert "<script" not in body
            assert not re.findall(r"<[a-zA-Z][^<>]*\son[a-z]+\s*=", body)
        else:
            assert response.data.startswith(b"\x89PNG")


def _formula_like(value: object) -> bool:
    return isinstance(value, str) and value.startswith(("=", "+", "-", "@", "\t", "\r"))


def test_csv_exports_have_no_formulas(injected):
    round_, client, _resume = injected
    seen_payloads = set()
    for table in ("scores", "prioriteiten", "antwoorden", "belang", "opmerkingen", "gemeente"):
        response = client.get(f"/rondes/{round_.id}/export.csv?tabel={table}")
        assert response.status_code == 200, table
        rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
        for row in rows:
            for cell in row:
                assert not _formula_like(cell), (table, cell)
                for payload in FORMULAS:
                    if cell == "'" + payload:
                        seen_payloads.add(payload)
    assert seen_payloads == set(FORMULAS)  # they are there, neutralised
    comments = client.get(f"/rondes/{round_.id}/export.csv?tabel=opmerkingen").data
    comment_cells = {cell for row in csv.reader(io.StringIO(comments.decode("utf-8-sig")),
                                                delimiter=";") for cell in row}
    assert {"'" + payload for payload in FORMULAS} <= comment_cells


def test_xlsx_export_has_no_formulas(injected):
    from openpyxl import load_workbook

    round_, client, _resume = injected
    response = client.get(f"/rondes/{round_.id}/export.xlsx")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.data))
    seen_payloads = set()
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                assert not _formula_like(cell.value), (sheet.title, cell.coordinate,
                                                       cell.value)
                for payload in FORMULAS:
                    if cell.value == "'" + payload:
                        seen_payloads.add(payload)
    assert seen_payloads == set(FORMULAS)


def test_json_export_keeps_text_verbatim(injected):
    import json

    round_, client, _resume = injected
    data = json.loads(client.get(f"/rondes/{round_.id}/export.json").data)
    assert sorted(d["name"] for d in data["departments"]) == sorted(
        " ".join(p.split()) for p in CORPUS)
    texts = {c["text"] for r in data["responses"] for c in r["comments"]}
    assert set(CORPUS) <= texts
    db.session.rollback()
