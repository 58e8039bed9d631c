"""The perspectives chapter of a department's PDF: the department's own civil servants' score
per theme beside the inwoners' experience and the bestuur's ambition, read back with
pdftotext; no figure of a group (the department, the inwoners, the bestuur) under its
minimum size."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from flask import Flask

from quickscan import links
from quickscan.models import KIND_BESTUUR, KIND_RESIDENTS, Department, Round
from quickscan.reporting.content import build_report
from quickscan.services import perspectives as service
from quickscan.services import reports
from quickscan.services.results import score
from tests.results.test_exports_privacy import SMALL, three_departments

THEME = "Ervaringsdeskundigheid, adviesraad en"  # bestuur/participatie, first line of its title
KEY = ("bestuur", "participatie")


def _round() -> Round:
    round_ = three_departments().round
    service.add_residents_group(round_, secret_key=links.secret_key())
    service.add_bestuur_group(round_, secret_key=links.secret_key())
    return round_


def _residents(round_: Round, count: int, comment: str) -> None:
    link = service.links(service.group(round_, KIND_RESIDENTS))[0]
    for _ in range(count):
        service.submit_residents(link, service.ResidentSubmission(
            answers={"inwoners.meepraten": "1"}, comments={"inwoners.meepraten": comment}))


def _bestuur(round_: Round, count: int) -> None:
    link = service.links(service.group(round_, KIND_BESTUUR))[0]
    for _ in range(count):
        service.submit_bestuur(link, {KEY: ("3", "5")})  # level 3: 75 points


def _department(round_: Round, name: str) -> Department:
    return next(d for d in round_.departments if d.name == name)


def _chapter(round_: Round, name: str, tmp_path: Path) -> str:
    """The perspectives chapter of a department's PDF, as pdftotext lays it out."""
    pdf = tmp_path / f"{name}.pdf"
    pdf.write_bytes(reports.pdf_report(round_, _department(round_, name)))
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    start = text.index(f"Per thema van {name}:")
    return text[start:text.index("Bijlagen", start)]


def _own_score(round_: Round, name: str) -> float:
    """The department's score on the theme as if k were 1."""
    department = next(d for d in score(round_, min_group_size=1).departments if d.name == name)
    value = next(t.score for t in department.themes() if (t.bank_id, t.theme_id) == KEY)
    assert value is not None
    return value


def test_department_pdf_shows_its_own_perspectives(app: Flask, tmp_path: Path) -> None:
    round_ = _round()
    _residents(round_, 5, "Ik mag nooit meepraten")
    _bestuur(round_, 2)  # under k = 3
    own = _own_score(round_, "Wonen")
    municipal = next(r for r in service.perspectives(round_).municipality_rows()
                     if (r.bank_id, r.theme_id) == KEY).civil_servants
    assert municipal is not None and f"{own:.0f}" != f"{municipal:.0f}"
    chapter = _chapter(round_, "Wonen", tmp_path)
    # The department's own score (not the municipality's mean), inwoners 0, the difference.
    assert re.search(rf"{THEME}\s+{own:.0f}\s+0\s+geen resultaat\s+{own:.0f}\s+Blinde",
                     chapter), chapter
    assert "Bestuur: nog geen resultaat: minder dan 3 ingevulde vragenlijsten (2 ingevuld)." \
        in chapter
    assert "75" not in chapter  # the bestuur's ambition stays hidden under k
    assert "Wat inwoners zeggen" in chapter and "Ik mag nooit meepraten" in chapter
    _bestuur(round_, 1)
    chapter = _chapter(round_, "Wonen", tmp_path)
    assert re.search(rf"{THEME}\s+{own:.0f}\s+0\s+75\s+{own:.0f}\s+Blinde", chapter), chapter
    assert "Bestuur: nog geen resultaat" not in chapter


def test_groups_under_their_minimum_size_show_no_figures(app: Flask, tmp_path: Path) -> None:
    round_ = _round()
    _residents(round_, 4, "Verborgen opmerking")  # under the inwoners' minimum 5
    _bestuur(round_, 3)
    chapter = _chapter(round_, "Wonen", tmp_path)
    assert "Inwoners: nog geen resultaat: minder dan 5 ingevulde vragenlijsten (4 ingevuld)." \
        in chapter
    assert "Verborgen opmerking" not in chapter and "Wat inwoners zeggen" not in chapter
    own = _own_score(round_, "Wonen")
    assert re.search(rf"{THEME}\s+{own:.0f}\s+geen\s+75\s+geen", chapter), chapter
    # A department under k: the chapter is there, without a score of its own.
    small = _chapter(round_, SMALL, tmp_path)
    assert (f"{SMALL}: nog geen resultaat: minder dan 3 ingevulde vragenlijsten "
            "(2 ingevuld).") in small
    row = re.search(rf"{THEME}\s+(.*)", small)
    assert row is not None and row.group(1).split()[:2] == ["geen", "resultaat"], small
    hidden_score = _own_score(round_, SMALL)
    assert f"{hidden_score:.0f}" not in row.group(1)
    data = reports.report_input(round_, department=_department(round_, SMALL))
    rows = data.department_perspectives[_department(round_, SMALL).id].rows
    assert rows and all(r.civil_servants is None and r.residents is None for r in rows)


def test_only_the_asked_department_and_none_without_groups(app: Flask) -> None:
    round_ = _round()
    wonen = _department(round_, "Wonen")
    data = reports.report_input(round_, department=wonen)
    assert set(data.department_perspectives) == {wonen.id}
    assert reports.report_input(round_).department_perspectives == {}
    other = build_report(data, department_id=_department(round_, "Sociaal Domein").id)
    assert other.perspectives is None  # gathered for Wonen only: never another's figures
    assert build_report(data, department_id=wonen.id).perspectives is not None
    plain = three_departments().round
    assert reports.report_input(plain, department=plain.departments[0]
                                ).department_perspectives == {}


def test_department_page_shows_its_perspectives(app: Flask, coordinator_client) -> None:
    round_ = _round()
    _residents(round_, 5, "Ik mag nooit meepraten")
    wonen = _department(round_, "Wonen")
    body = coordinator_client.get(f"/rondes/{round_.id}/resultaten/afdeling/{wonen.id}"
                                  ).get_data(as_text=True)
    assert 'id="perspectieven"' in body and "Per thema van Wonen:" in body
    assert "Ik mag nooit meepraten" in body
    assert "Bestuur: nog geen resultaat: minder dan 3 ingevulde vragenlijsten (0 ingevuld)." \
        in body
    small = _department(round_, SMALL)
    hidden = coordinator_client.get(f"/rondes/{round_.id}/resultaten/afdeling/{small.id}"
                                    ).get_data(as_text=True)
    assert 'id="perspectieven"' not in hidden  # a department under k shows no chapter
