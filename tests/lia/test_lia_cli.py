"""The LIA from the command line: candidates, a vote, speerpunten, actions and every export."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from docx import Document

from quickscan.extensions import db
from quickscan.services import lia as service
from tests.lia.helpers import counts
from tests.results.conftest import build_round

DOC = Path(__file__).resolve().parents[2] / "docs" / "lia.md"


@pytest.fixture
def scored(app):
    built = build_round()
    db.session.add(built.round)
    db.session.commit()
    return built


def run(cli, *args: str, ok: bool = True) -> str:
    result = cli.invoke(args=["lia", *args])
    assert (result.exit_code == 0) == ok, result.output
    return result.output


def test_cli_walks_a_round_to_the_agenda(app, scored, tmp_path):
    cli = app.test_cli_runner()
    rid = str(scored.round.id)
    created = run(cli, "candidates", "from-priorities", rid, "--top", "4").splitlines()
    assert len(created) >= 2
    theme = service.candidates(scored.round)[0].themes[0]
    own = run(cli, "candidates", "add", rid, "--title", "Toegankelijke website",
              "--theme", theme)
    own_id = own.split("\t")[0]
    double = run(cli, "candidates", "add", rid, "--title", "Website voor iedereen").split("\t")[0]
    out = run(cli, "candidates", "merge", rid, own_id, double, "--reason", "", ok=False)
    assert "Vul de reden" in out
    run(cli, "candidates", "merge", rid, own_id, double, "--reason", "Zelfde onderwerp")
    merged = service.get_candidate(scored.round, double)
    assert merged.merged_into_id == int(own_id) and merged.merge_reason == "Zelfde onderwerp"
    link = run(cli, "vote", "open", rid, "--votes", "2").strip()
    assert re.fullmatch(r"http://[^/]+/s/[A-Za-z0-9_-]{40,}/stem", link)
    first_id = created[0].split("\t")[0]
    run(cli, "vote", "tally", rid, own_id, "--origin", "zaal", "--count", "12")
    run(cli, "vote", "tally", rid, first_id, "--origin", "papier", "--count", "5")
    service.cast_ballot(scored.round, service.new_ballot_token(), [first_id])
    # A change of rules after the first vote is refused, nothing written.
    before = counts()
    out = run(cli, "candidates", "add", rid, "--title", "Te laat", ok=False)
    assert "er is al gestemd" in out
    assert counts() == before
    run(cli, "vote", "close", rid)
    out = run(cli, "vote", "tally", rid, own_id, "--origin", "zaal", "--count", "1", ok=False)
    assert "gesloten" in out and counts() == before
    chosen = run(cli, "choose", rid, "--top", "2").splitlines()
    assert [line.split("\t")[0] for line in chosen] == [own_id, first_id]
    run(cli, "partners", "add", rid, "Stichting MEE")
    department = scored.departments[0].name
    run(cli, "action", "add", rid, own_id, "--title", "WCAG-audit van de website",
        "--owner", department, "--deadline", "2027-06-30", "--theme", theme)
    run(cli, "action", "add", rid, first_id, "--title", "Spreekuur in de wijk",
        "--owner", "Stichting MEE", "--status", "bezig")
    # Bad actions: a deadline that is not a date, an owner that is nobody.
    before = counts()
    out = run(cli, "action", "add", rid, own_id, "--title", "X", "--owner", department,
              "--deadline", "volgende week", ok=False)
    assert "geen datum" in out
    out = run(cli, "action", "add", rid, own_id, "--title", "X", "--owner", "Onbekend BV",
              ok=False)
    assert "geen afdeling" in out and counts() == before

    out_json = tmp_path / "lia.json"
    run(cli, "export", rid, "--format", "json", "--out", str(out_json))
    data = json.loads(out_json.read_text(encoding="utf-8"))
    assert set(data) == {"round", "candidates", "speerpunten"}
    by_id = {str(c["id"]): c for c in data["candidates"]}
    assert double not in by_id
    assert by_id[own_id]["votes"] == {"online": 0, "zaal": 12, "papier": 0, "total": 12}
    assert by_id[first_id]["votes"] == {"online": 1, "zaal": 0, "papier": 5, "total": 6}
    assert [s["id"] for s in data["speerpunten"]] == [int(own_id), int(first_id)]
    action = data["speerpunten"][0]["actions"][0]
    assert action["owner"] == department and action["deadline"] == "2027-06-30"

    out_docx = tmp_path / "lia.docx"
    run(cli, "export", rid, "--format", "docx", "--out", str(out_docx))
    check_docx(out_docx.read_bytes(), department)
    out_xlsx = tmp_path / "lia.xlsx"
    run(cli, "export", rid, "--format", "xlsx", "--out", str(out_xlsx))
    from openpyxl import load_workbook

    sheet = load_workbook(out_xlsx).worksheets[0]
    assert [c.value for c in sheet[1]][:3] == ["Speerpunt", "Actie", "Eigenaar"]
    assert sheet.max_row == 3
    check_doc_shape(data)


def check_docx(data: bytes, department: str) -> None:
    """Headings in heading styles, tables with repeated header rows, the vote figures."""
    document = Document(io.BytesIO(data))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert "Inleiding" in headings and "Hoe de speerpunten zijn gekozen" in headings
    assert "Toegankelijke website" in headings
    assert document.core_properties.language == "nl-NL"
    vote_table = document.tables[0]
    assert [c.text for c in vote_table.rows[0].cells] == [
        "Kandidaat", "Online", "Zaal", "Papier", "Totaal", "Gekozen"]
    assert [c.text for c in vote_table.rows[1].cells] == [
        "Toegankelijke website", "0", "12", "0", "12", "ja"]
    for table in document.tables:
        assert 'w:tblHeader w:val="true"' in table.rows[0]._tr.xml
    text = "\n".join(p.text for p in document.paragraphs)
    assert "1 mensen" in text or "Online stemden 1" in text
    assert "18 stemmen" in text
    assert "Nog geen perspectieven gemeten" in text
    assert any(department in cell.text for t in document.tables[1:] for r in t.rows
               for cell in r.cells)
    pictures = document.inline_shapes
    assert len(pictures) == 1 and pictures[0]._inline.docPr.get("descr")


def check_doc_shape(data: dict) -> None:
    """The shape documented in docs/lia.md matches a real export, key for key."""
    block = re.search(r"```json\n(.*?)\n```", DOC.read_text(encoding="utf-8"), re.DOTALL)
    assert block, "docs/lia.md has no JSON example"
    documented = json.loads(block.group(1))

    def shape(value: object) -> object:
        if isinstance(value, dict):
            return {key: shape(item) for key, item in value.items()}
        if isinstance(value, list):
            return [shape(value[0])] if value else []
        return type(value).__name__ if value is not None else "null"

    real = shape(data)
    doc = shape(documented)
    assert set(real) == set(doc)
    assert real["candidates"] == doc["candidates"]
    assert (real["speerpunten"][0].keys() == doc["speerpunten"][0].keys())
    assert (real["speerpunten"][0]["actions"][0].keys()
            == doc["speerpunten"][0]["actions"][0].keys())
