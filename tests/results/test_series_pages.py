"""The series on the pages, in the report and in the exports: "Volgende meting",
"Ontwikkeling", the report chapter, ``comparison`` in the JSON export and the CSV/XLSX table.
Wherever a change is shown, the compatibility share is shown with it."""

from __future__ import annotations

import csv
import datetime
import io
import json
import re

import pytest
from openpyxl import load_workbook

from quickscan import links
from quickscan.export_schema import ExportDocument
from quickscan.extensions import db
from quickscan.models import Round
from quickscan.reporting.trend import (
    ActionStatus,
    TrendRow,
    attach_actions,
    format_share,
)
from quickscan.services import demo, exports, reports, rounds, series, trend
from tests.rounds_helpers import csrf_token

TODAY = datetime.date(2026, 11, 30)
SHARE_RE = re.compile(r"Vergelijkbaar: (\d+) van de (\d+) vragen van deze meting \((\d+)%\)")


@pytest.fixture
def demo_series(app, tmp_path) -> Round:
    result = demo.load_demo(secret_key=links.secret_key(), login_file=tmp_path / "login.txt",
                            today=TODAY, history=True)
    return db.session.get(Round, result.round_id)


def _share(comparison) -> tuple[int, int, int]:
    return (comparison.comparable_questions, len(comparison.questions),
            round(comparison.compatibility * 100))


def test_development_page_shows_every_change_with_its_share(coordinator_client, demo_series):
    comparison = series.round_comparison(demo_series).comparison
    page = coordinator_client.get(f"/rondes/{demo_series.id}/ontwikkeling")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    found = SHARE_RE.search(html)
    assert found and tuple(int(x) for x in found.groups()) == _share(comparison)
    # one chart per department (the municipal group's single answer is hidden by k)
    assert html.count('src="data:image/png;base64,') == len(
        rounds.departments_of(demo_series))
    # every change cell is followed by its share cell "NN% (c/q)"
    for change in comparison.banks:
        assert f"{format_share(change.compatibility)} ({change.comparable_questions}/" \
               f"{change.questions})" in html
    # the round page and the results page link to it; the first round says it has no series
    assert f"/rondes/{demo_series.id}/ontwikkeling" in coordinator_client.get(
        f"/rondes/{demo_series.id}").get_data(as_text=True)
    assert f"/rondes/{demo_series.id}/ontwikkeling" in coordinator_client.get(
        f"/rondes/{demo_series.id}/resultaten").get_data(as_text=True)
    first = coordinator_client.get(f"/rondes/{demo_series.previous_round_id}/ontwikkeling")
    assert "geen vorige meting" in first.get_data(as_text=True)


def test_report_chapter_and_pdf(coordinator_client, demo_series):
    html = coordinator_client.get(f"/rondes/{demo_series.id}/rapport").get_data(as_text=True)
    assert "Ontwikkeling sinds de vorige meting" in html
    assert SHARE_RE.search(html)
    content = reports.report_content(demo_series)
    assert content.trend is not None and len(content.trend.sections) == len(
        demo_series.departments)
    from quickscan.reporting.pdf import build_story

    texts = " ".join(getattr(f, "text", "") for f in build_story(content))
    assert "Ontwikkeling sinds de vorige meting" in texts
    first = reports.report_content(db.session.get(Round, demo_series.previous_round_id))
    assert first.trend is None


def test_json_export_comparison_recomputes(app, demo_series):
    data = json.loads(exports.to_json(demo_series))
    ExportDocument.model_validate(data)
    comparison = series.round_comparison(demo_series).comparison
    part = data["comparison"]
    assert part["previous_round"]["id"] == demo_series.previous_round_id
    assert {b["version"] for b in part["previous_round"]["banks"]} == {"1.0.0"}
    assert part["compatibility"] == pytest.approx(comparison.compatibility)
    assert len(part["themes"]) == len(comparison.themes)
    for row, change in zip(part["themes"], comparison.themes, strict=True):
        assert (row["department"], row["bank"], row["theme"]) == (
            change.department, change.bank_id, change.theme_id)
        assert row["delta"] == change.delta and row["questions"] == change.questions
        if row["delta"] is not None:
            assert row["delta"] == pytest.approx(row["score"] - row["previous_score"])
    first = json.loads(exports.to_json(db.session.get(Round, demo_series.previous_round_id)))
    assert first["comparison"] is None


def test_hidden_side_gives_null_figures(app, demo_series):
    earlier = series.previous_round(demo_series)
    earlier.min_group_size = 10
    db.session.commit()
    data = json.loads(exports.to_json(demo_series))
    assert data["comparison"]["themes"]
    for row in data["comparison"]["themes"]:
        assert row["score"] is None and row["previous_score"] is None and row["delta"] is None
        assert row["questions"] > 0
    rows = list(csv.reader(io.StringIO(
        exports.to_csv(demo_series, "comparison").decode("utf-8-sig")), delimiter=";"))
    assert len(rows) > 1
    assert all("te weinig ingevulde vragenlijsten" in row[-1] for row in rows[1:])


def test_csv_and_xlsx_comparison_table(coordinator_client, demo_series):
    answer = coordinator_client.get(f"/rondes/{demo_series.id}/export.csv?tabel=vergelijking")
    assert answer.status_code == 200
    rows = list(csv.reader(io.StringIO(answer.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["Afdeling", "Vragenlijst (id)", "Vragenlijst"]
    comparison = series.round_comparison(demo_series).comparison
    assert len(rows) - 1 == len(comparison.themes)
    workbook = load_workbook(io.BytesIO(exports.to_xlsx(demo_series)))
    assert "vergelijking" in workbook.sheetnames
    sheet = [[c.value for c in row] for row in workbook["vergelijking"].iter_rows()]
    share = sheet[0].index("Vergelijkbaar deel")
    for line, change in zip(sheet[1:], comparison.themes, strict=True):
        assert line[share] == pytest.approx(change.compatibility)
    first = load_workbook(io.BytesIO(exports.to_xlsx(
        db.session.get(Round, demo_series.previous_round_id))))
    assert "vergelijking" not in first.sheetnames


def test_next_round_form(coordinator_client, demo_series):
    path = f"/rondes/{demo_series.id}/volgende-meting"
    form = coordinator_client.get(path)
    assert form.status_code == 200
    html = form.get_data(as_text=True)
    assert 'name="dept-0-name"' in html and 'name="dept-0-continues"' in html
    token = csrf_token(coordinator_client, path)
    names = [d.name for d in demo_series.departments]
    data = {"csrf_token": token, "name": "Quickscan 2027", "deadline": "2027-12-01",
            "dept-0-name": "Sociaal en ruimte", "dept-0-continues": [names[0], names[1]],
            "dept-1-name": "", "dept-1-continues": []}
    for index, name in enumerate(names[2:], start=2):
        data[f"dept-{index}-name"] = name
        data[f"dept-{index}-continues"] = [name]
    created = coordinator_client.post(path, data=data)
    assert created.status_code == 303, created.get_data(as_text=True)[:2000]
    new = db.session.scalar(db.select(Round).where(Round.name == "Quickscan 2027"))
    assert new.previous_round_id == demo_series.id
    merged = next(d for d in new.departments if d.name == "Sociaal en ruimte")
    assert merged.continues == names[:2]
    assert set(merged.bank_ids) >= set(demo_series.departments[0].bank_ids)
    # a continued department that does not exist is refused with a message, nothing written
    before = db.session.scalar(db.select(db.func.count(Round.id)))
    refused = coordinator_client.post(path, data={
        "csrf_token": token, "name": "X", "dept-0-name": "A", "dept-0-continues": ["Onbekend"]})
    assert refused.status_code == 422 and "bestaat niet" in refused.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(Round.id))) == before


def test_actions_beside_their_themes():
    row = TrendRow("Ruimte", "wonen", "toegang", "Toegang", (40.0, 55.0), 55.0, 40.0, 15.0,
                   2, 4, False)
    bank = TrendRow("Ruimte", "wonen", None, "Wonen", (40.0, 55.0), 55.0, 40.0, 15.0, 2, 8,
                    False)
    actions = [ActionStatus("wonen", "toegang", "Loket toegankelijk", "afgerond"),
               ActionStatus("wonen", "toegang", "Alleen elders", "gestart", department="Zorg"),
               ActionStatus("wonen", "anders", "Ander thema", "gepland")]
    out = attach_actions([bank, row], actions)
    assert out[0].actions == ()
    assert [(a.title, a.status) for a in out[1].actions] == [("Loket toegankelijk", "afgerond")]
    assert out[1].compatibility == 0.5 and not out[1].partial


def test_trend_chapter_rows_match_the_comparison(app, demo_series):
    chapter = trend.trend_chapter(demo_series)
    comparison = series.round_comparison(demo_series).comparison
    assert chapter.round_labels == tuple(r.name for r in series.series(demo_series))
    for section in chapter.sections:
        for row in section.rows:
            change = (comparison.theme(row.department, row.bank_id, row.theme_id)
                      if row.theme_id else next(
                          c for c in comparison.banks
                          if (c.department, c.bank_id) == (row.department, row.bank_id)))
            assert row.delta == change.delta
            assert row.compatibility == pytest.approx(change.compatibility)
            assert len(row.scores) == 2


def test_slope_chart_is_drawn_from_plain_data():
    from quickscan.reporting.trend import SlopeSpec, slope_chart

    spec = SlopeSpec("Ruimte: scores", ("Ronde 2025", "Ronde 2026"),
                     (("Wonen", (40.0, 55.0)), ("Vervoer", (None, 60.0))), "Score")
    png = slope_chart(spec)
    assert png.startswith(b"\x89PNG")
    svg = slope_chart(spec, "svg")
    assert svg.startswith(b"<?xml") and slope_chart(spec) == png


def test_share_stands_beside_every_change_in_the_report_and_pdf(coordinator_client,
                                                                 demo_series):
    """The demo round's predecessor used the 1.0.0 banks: wherever the report (HTML and PDF)
    shows a change, its compatibility share stands beside it."""
    import subprocess

    comparison = series.round_comparison(demo_series).comparison
    assert 0 < comparison.compatibility < 1
    html = coordinator_client.get(f"/rondes/{demo_series.id}/rapport").get_data(as_text=True)
    chapter = html[html.index('id="ontwikkeling"'):]
    chapter = chapter[:chapter.index("</section>")]
    rows = re.findall(r"<tr class=\"utrecht-table__row\">(.*?)</tr>", chapter, re.DOTALL)
    cells = [re.findall(r"<td[^>]*>\s*(.*?)\s*</td>", row, re.DOTALL) for row in rows]
    changes = [c for c in cells if c and re.fullmatch(r"[+-]\d+\.\d( \*)?", c[-2])]
    assert len(changes) > 10
    for row in cells:
        if row:
            assert re.fullmatch(r"\d+%", row[-1]), row  # the share closes every row
    data = reports.render_pdf(reports.report_content(demo_series))
    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True,
                          check=True).stdout.decode("utf-8")
    found = SHARE_RE.search(re.sub(r"\s+", " ", text))
    assert found and tuple(int(x) for x in found.groups()) == _share(comparison)
    lines = [line for line in text.splitlines() if re.search(r"\s[+-]\d+,\d( \*)?\s", line)]
    assert len(lines) > 10
    for line in lines:
        assert re.search(r"[+-]\d+,\d( \*)?\s+\d+%", line), line
