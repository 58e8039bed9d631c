"""The publication PDF: a tagged PDF/UA-1 of the HTML report, checked with pikepdf."""

from __future__ import annotations

import io
import itertools
import subprocess
from collections import Counter
from pathlib import Path

import pikepdf
import pytest

from quickscan.reporting.content import build_report
from quickscan.reporting.publication import publication_html
from quickscan.services import reports
from quickscan.services.results import score

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def publication(app, built_round) -> bytes:
    return reports.publication_report(built_round.round)


def structure(pdf: pikepdf.Pdf) -> list[pikepdf.Dictionary]:
    """Every structure element of the document, depth first (document order)."""
    return structure_of(pdf.Root.StructTreeRoot)


def test_publication_pdf_is_tagged_pdf_ua(publication, built_round) -> None:
    pdf = pikepdf.open(io.BytesIO(publication))
    root = pdf.Root
    assert "/StructTreeRoot" in root
    assert bool(root.MarkInfo.Marked) is True
    assert str(root.Lang) == "nl-NL"
    assert bool(root.ViewerPreferences.DisplayDocTitle) is True
    title = "Quickscan Inclusieve Gemeente – Gemeente Örkelljunga-aan-Zee"
    assert str(pdf.docinfo.Title) == title
    with pdf.open_metadata() as meta:
        assert meta.get("pdfuaid:part") == "1"
        assert meta.get("dc:title") == title
    elements = structure(pdf)
    kinds = Counter(str(e.S) for e in elements)
    # Headings: one H1, then H2…, never a level skipped.
    levels = [int(str(e.S)[2:]) for e in elements if str(e.S) in ("/H1", "/H2", "/H3", "/H4",
                                                                   "/H5", "/H6")]
    assert levels[0] == 1 and levels.count(1) == 1
    for before, after in itertools.pairwise(levels):
        assert after <= before + 1, (before, after)
    assert {2, 3, 4} <= set(levels)
    # Tables with header cells.
    assert kinds["/Table"] >= 5
    for table in (e for e in elements if str(e.S) == "/Table"):
        inner = [str(e.S) for e in structure_of(table)]
        assert "/TH" in inner and "/TR" in inner
    # Every figure has an alternative text.
    figures = [e for e in elements if str(e.S) == "/Figure"]
    assert len(figures) == 1 + len(built_round.departments)
    for figure in figures:
        assert str(figure.get("/Alt", "")).startswith("Radargrafiek")
    assert kinds["/L"] and kinds["/LI"]


def structure_of(element: pikepdf.Dictionary) -> list[pikepdf.Dictionary]:
    found: list[pikepdf.Dictionary] = []

    def walk(node: object) -> None:
        if isinstance(node, pikepdf.Array):
            for item in node:
                walk(item)
        elif isinstance(node, pikepdf.Dictionary) and "/S" in node:
            found.append(node)
            if "/K" in node:
                walk(node.K)

    walk(element.K)
    return found


def test_publication_pdf_holds_the_report(publication, built_round) -> None:
    text = subprocess.run(["pdftotext", "-", "-"], input=publication, capture_output=True,
                          check=True).stdout.decode("utf-8")
    flat = " ".join(text.split())
    assert "Bestuurlijke samenvatting" in flat
    assert flat.index("Bestuurlijke samenvatting") < flat.index("Bijlagen")
    for department in built_round.departments:
        assert f"Afdeling {department.name}" in flat
    assert "Voorlopig: de ronde is nog open" in flat
    for injection in ("<b>", "Tom & Jerry", "<script>alert('xss')</script>"):
        assert injection in flat


def test_publication_html_escapes_user_text_and_embeds_its_charts(app, built_round) -> None:
    content = build_report(reports.report_input(built_round.round))
    html = publication_html(content, ROOT / "templates")
    assert "<script>alert" not in html and "&lt;script&gt;alert" in html
    assert html.count('src="data:image/png;base64,') == 1 + len(built_round.departments)
    assert '<html lang="nl-NL">' in html


def test_hidden_department_in_the_publication(app, built_round, monkeypatch) -> None:
    import dataclasses

    from quickscan.services import results as results_service

    data = reports.report_input(built_round.round,
                                result=results_service.score(built_round.round, 4))

    data = dataclasses.replace(data, min_group_size=4)
    assert all(d.hidden for d in data.result.departments)
    html = publication_html(build_report(data), ROOT / "templates")
    assert html.count("Nog geen resultaat: minder dan 4 ingevulde vragenlijsten") >= 3
    assert "data:image/png" not in html


def test_publication_route_and_button(app, coordinator_client, built_round, tmp_path,
                                      monkeypatch) -> None:
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    rid = built_round.round.id
    page = coordinator_client.get(f"/rondes/{rid}/resultaten").get_data(as_text=True)
    assert f'href="/rondes/{rid}/rapport-publicatie.pdf"' in page
    assert "PDF voor publicatie (toegankelijk)" in page
    report_page = coordinator_client.get(f"/rondes/{rid}/rapport").get_data(as_text=True)
    assert f'href="/rondes/{rid}/rapport-publicatie.pdf"' in report_page
    response = coordinator_client.get(f"/rondes/{rid}/rapport-publicatie.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert f"quickscan-ronde-{rid}-publicatie.pdf" in response.headers["Content-Disposition"]
    assert pikepdf.open(io.BytesIO(response.data)).Root.MarkInfo.Marked
    assert coordinator_client.get("/rondes/999999/rapport-publicatie.pdf").status_code == 404
    department = built_round.departments[1]
    base = f"/rondes/{rid}/afdelingen/{department.id}"
    drill = coordinator_client.get(f"/rondes/{rid}/resultaten/afdeling/{department.id}")
    assert f'href="{base}/rapport-publicatie.pdf"' in drill.get_data(as_text=True)
    response = coordinator_client.get(f"{base}/rapport-publicatie.pdf")
    assert response.status_code == 200
    pdf = pikepdf.open(io.BytesIO(response.data))
    assert department.name in str(pdf.docinfo.Title)
    assert coordinator_client.get(f"/rondes/{rid}/afdelingen/999999/rapport-publicatie.pdf"
                                  ).status_code == 404


def test_cli_publication(app, built_round, tmp_path) -> None:
    out = tmp_path / "publicatie.pdf"
    runner = app.test_cli_runner()
    result = runner.invoke(args=["report", str(built_round.round.id), "--publication",
                                 "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    pdf = pikepdf.open(out)
    assert "/StructTreeRoot" in pdf.Root and str(pdf.Root.Lang) == "nl-NL"
    assert score(built_round.round).departments
