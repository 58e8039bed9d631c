"""The perspectives table in CSV and XLSX: the JSON ``perspectives`` table with titles, and
no figure of a group (department, inwoners, bestuur) under its minimum size."""

from __future__ import annotations

import io
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale
from openpyxl import load_workbook

from quickscan import links
from quickscan.models import KIND_BESTUUR, KIND_RESIDENTS, Round
from quickscan.services import exports
from quickscan.services import perspectives as service
from tests.results.test_exports_privacy import (
    HIDDEN_NOTE,
    SMALL,
    dicts,
    three_departments,
)

KEY = ("bestuur", "participatie")  # mirrored by the inwoners statement "inwoners.meepraten"
COLUMNS = exports.COLUMNS["perspectives"]
FIGURES = ("civil_servants", "residents", "ambition", "difference")


def _with_groups() -> Round:
    """Sociaal Domein and Wonen (3 submitted each), Griffie (2: under k = 3), and the
    inwoners (minimum 5) and bestuur (minimum k = 3) groups without responses."""
    round_ = three_departments().round
    service.add_residents_group(round_, secret_key=links.secret_key())
    service.add_bestuur_group(round_, secret_key=links.secret_key())
    return round_


def _residents(round_: Round, count: int, value: str = "1") -> None:
    link = service.links(service.group(round_, KIND_RESIDENTS))[0]
    for _ in range(count):
        service.submit_residents(link, service.ResidentSubmission(
            answers={"inwoners.meepraten": value}, comments={}))


def _bestuur(round_: Round, count: int, level: str = "4") -> None:
    link = service.links(service.group(round_, KIND_BESTUUR))[0]
    for _ in range(count):
        service.submit_bestuur(link, {KEY: (level, "5")})


def _expected(row: dict[str, Any]) -> dict[str, Any]:
    """A row of the JSON table as the sheet holds it (figures at full precision)."""
    return {"department": row["department"] or "", "bank": row["bank"],
            "theme": row["theme"], **{column: None if row[column] is None else pytest.approx(
                row[column], rel=1e-12) for column in FIGURES}}


def _sheet(row: dict[str, Any]) -> dict[str, Any]:
    """A sheet row's ids and figures (openpyxl reads an empty cell as None)."""
    return {"department": row["department"] or "", "bank": row["bank"], "theme": row["theme"],
            **{column: row[column] for column in FIGURES}}


def _xlsx_rows(round_: Round) -> list[dict[str, Any]]:
    workbook = load_workbook(io.BytesIO(exports.to_xlsx(round_)))
    sheet = workbook[exports.export_labels().tables["perspectives"]]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0] == [exports.export_labels().headers[c] for c in COLUMNS]
    assert all(sheet.cell(row=1, column=i + 1).font.bold for i in range(len(COLUMNS)))
    return [dict(zip(COLUMNS, row, strict=True)) for row in rows[1:]]


def test_groups_under_their_minimum_size_are_empty(app: Flask) -> None:
    round_ = _with_groups()
    _residents(round_, 4)  # one short of the inwoners' minimum 5
    _bestuur(round_, 2)  # one short of k = 3
    expected = service.perspective_rows(round_)
    csv_rows = dicts(round_, "perspectives")
    xlsx_rows = _xlsx_rows(round_)
    assert len(csv_rows) == len(xlsx_rows) == len(expected) > 0
    for want, csv_row, xlsx_row in zip(expected, csv_rows, xlsx_rows, strict=True):
        assert csv_row["residents"] == csv_row["ambition"] == csv_row["difference"] == ""
        assert xlsx_row["residents"] is xlsx_row["ambition"] is xlsx_row["difference"] is None
        assert "Inwoners: nog geen resultaat: minder dan 5 ingevulde vragenlijsten " \
               "(4 ingevuld)." in csv_row["note"]
        assert "Bestuur: nog geen resultaat: minder dan 3 ingevulde vragenlijsten " \
               "(2 ingevuld)." in csv_row["note"]
        assert (csv_row["department"], csv_row["bank"], csv_row["theme"]) == (
            want["department"] or "", want["bank"], want["theme"])
        assert csv_row["civil_servants"] == exports.csv_cell(want["civil_servants"], 1)
        assert _sheet(xlsx_row) == _expected(want)
    # The small department: a row per theme, never a figure, the k sentence.
    small = [row for row in csv_rows if row["department"] == SMALL]
    assert small and all(row["civil_servants"] == "" and HIDDEN_NOTE in row["note"]
                         for row in small)
    assert all(HIDDEN_NOTE not in row["note"] for row in csv_rows if row["department"] != SMALL)
    # The municipality-wide rows come first, with an empty department and titles beside ids.
    municipal = [row for row in csv_rows if row["department"] == ""]
    assert csv_rows[:len(municipal)] == municipal
    assert {(row["bank"], row["theme"]) for row in municipal} >= {KEY}
    assert all(row["bank_title"] and row["theme_title"] for row in csv_rows)
    assert next(row for row in municipal if (row["bank"], row["theme"]) == KEY)[
        "bank_title"] == "Bestuur, regie & participatie"


def test_figures_appear_from_the_minimum_size_and_equal_the_json_table(app: Flask) -> None:
    round_ = _with_groups()
    _residents(round_, 5)  # "klopt helemaal niet": 0 points
    _bestuur(round_, 3)  # level 4: 100 points
    expected = service.perspective_rows(round_)
    csv_rows = dicts(round_, "perspectives")
    xlsx_rows = _xlsx_rows(round_)
    for want, csv_row, xlsx_row in zip(expected, csv_rows, xlsx_rows, strict=True):
        assert _sheet(xlsx_row) == _expected(want)
        for column in FIGURES:
            assert csv_row[column] == exports.csv_cell(want[column], 1)
        assert csv_row["blind_spot"] == ("ja" if want["blind_spot"] else "")
        assert "Inwoners" not in csv_row["note"] and "Bestuur" not in csv_row["note"]
    rows = [row for row in expected if (row["bank"], row["theme"]) == KEY]
    assert all(row["residents"] == 0.0 and row["ambition"] == 100.0 for row in rows)
    shown = [row for row in rows if row["department"] not in (SMALL,)]
    assert all(row["civil_servants"] is not None for row in shown)
    assert any(row["blind_spot"] for row in expected)  # civil servants above 25 on KEY
    small = [row for row in csv_rows if row["department"] == SMALL]
    assert small and all(row["civil_servants"] == row["difference"] == "" for row in small)
    # The municipality-wide figure leaves the small department out.
    municipal = next(row for row in rows if row["department"] is None)
    departments = [row["civil_servants"] for row in rows
                   if row["department"] not in (None, SMALL)]
    assert municipal["civil_servants"] == pytest.approx(sum(departments) / len(departments))


def test_english_headers_and_the_explanation_sheet(app: Flask) -> None:
    round_ = _with_groups()
    with force_locale("en"):
        labels = exports.export_labels()
        data = exports.to_csv(round_, "perspectives", labels=labels)
    header = data.decode("utf-8-sig").split("\r\n")[0]
    assert header == ('"Department";"Question bank (id)";"Question bank";"Theme (id)";'
                      '"Theme";"Staff";"Residents";"Board ambition";"Difference";'
                      '"Blind spot";"Note"')
    assert labels.tables["perspectives"] == "perspectives"
    workbook = load_workbook(io.BytesIO(exports.to_xlsx(round_)))
    text = [[c.value for c in row] for row in workbook["toelichting"].iter_rows()]
    meanings = {(row[0], row[1]) for row in text if len(row) >= 3 and row[2]}
    assert ("perspectieven", "Inwoners") in meanings and ("perspectieven", "Verschil") in meanings


def test_download_and_links(app: Flask, coordinator_client: FlaskClient) -> None:
    round_ = _with_groups()
    response = coordinator_client.get(f"/rondes/{round_.id}/export.csv?tabel=perspectieven")
    assert response.status_code == 200
    assert (f'filename="quickscan-ronde-{round_.id}-perspectieven.csv"'
            in response.headers["Content-Disposition"])
    assert response.data.decode("utf-8-sig").startswith('"Afdeling";"Vragenlijst (id)"')
    link = f"/rondes/{round_.id}/export.csv?tabel=perspectieven"
    for page in (f"/rondes/{round_.id}/perspectieven", f"/rondes/{round_.id}/resultaten"):
        body = coordinator_client.get(page).get_data(as_text=True)
        assert link in body.replace("&amp;", "&"), page
