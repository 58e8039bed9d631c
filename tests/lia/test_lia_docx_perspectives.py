"""The LIA document's perspectives chapter shows the figures of the perspectives page: the rows
of ``services.perspectives.perspective_rows`` (municipality-wide), groups under k empty."""

from __future__ import annotations

import io

import lxml.html
from docx import Document

from quickscan import links
from quickscan.extensions import db
from quickscan.models import KIND_BESTUUR, KIND_RESIDENTS
from quickscan.services import lia as service
from quickscan.services import perspectives
from tests.factories import create_account, log_in
from tests.results.conftest import build_round

HEADER = ["Thema", "Medewerkers", "Inwoners", "Ambitie bestuur", "Verschil", "Blinde vlek"]


def _docx_rows(round_) -> list[list[str]]:
    document = Document(io.BytesIO(service.to_docx(round_)))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert "Perspectieven" in headings
    tables = [t for t in document.tables if [c.text for c in t.rows[0].cells] == HEADER]
    assert len(tables) == 1, "one perspectives table"
    assert 'w:tblHeader w:val="true"' in tables[0].rows[0]._tr.xml
    return [[c.text for c in row.cells] for row in tables[0].rows[1:]]


def _expected(round_) -> list[list[str]]:
    titles = {(b, t): title for b, t, title in perspectives.round_themes(round_)}

    def fmt(value):
        return "geen resultaat" if value is None else f"{value:.0f}"

    return [[titles[(r["bank"], r["theme"])], fmt(r["civil_servants"]), fmt(r["residents"]),
             fmt(r["ambition"]), fmt(r["difference"]), "Blinde vlek" if r["blind_spot"] else ""]
            for r in perspectives.perspective_rows(round_) if r["department"] is None]


def _page_rows(client, round_) -> list[list[str]]:
    html = client.get(f"/rondes/{round_.id}/perspectieven").get_data(as_text=True)
    table = lxml.html.fromstring(html).xpath("//table")[0]
    rows = []
    for tr in table.xpath("./tbody/tr[th]"):
        rows.append([" ".join(cell.text_content().split()) for cell in tr.xpath("./th|./td")])
    return rows


def test_docx_perspectives_are_the_perspectives_page(app):
    built = build_round()
    db.session.add(built.round)
    db.session.commit()
    round_ = built.round
    # Without inwoners or bestuur: the chapter says nothing was measured.
    document = Document(io.BytesIO(service.to_docx(round_)))
    assert any("Nog geen perspectieven gemeten" in p.text for p in document.paragraphs)

    secret = links.secret_key()
    perspectives.add_residents_group(round_, secret_key=secret)
    perspectives.add_bestuur_group(round_, secret_key=secret)
    residents_link = perspectives.links(perspectives.group(round_, KIND_RESIDENTS))[0]
    bestuur_link = perspectives.links(perspectives.group(round_, KIND_BESTUUR))[0]
    bank = perspectives.residents_bank(round_)
    mirrored = [s.id for s in bank.statements
                if any(m.startswith("dienstverlening/") for m in s.mirrors)]
    assert mirrored
    for answer in ("1", "2", "2", "3", "1"):
        perspectives.submit_residents(residents_link, perspectives.ResidentSubmission(
            answers={sid: answer for sid in mirrored}, comments={}))
    perspectives.submit_bestuur(bestuur_link, {
        (b, t): (4, 5) for b, t, _title in perspectives.round_themes(round_)})

    create_account("coordinator")
    client = log_in(app.test_client(), "coordinator@gemeente.example")
    # At k=4 the civil servants (3 per department) and the bestuur (1) stay hidden.
    round_.min_group_size = 4
    db.session.commit()
    rows = _docx_rows(round_)
    assert rows == _expected(round_) == _page_rows(client, round_)
    assert all(row[1] == "geen resultaat" and row[3] == "geen resultaat" for row in rows)
    assert any(row[2] != "geen resultaat" for row in rows)

    round_.min_group_size = 1
    db.session.commit()
    rows = _docx_rows(round_)
    assert rows == _expected(round_) == _page_rows(client, round_)
    full = [row for row in rows if "geen resultaat" not in row[1:5]]
    assert full, "a theme with all three perspectives"
    assert all(row[3] == "100" for row in rows)  # ambition 4 of 4
    assert any(row[5] == "Blinde vlek" for row in rows)
