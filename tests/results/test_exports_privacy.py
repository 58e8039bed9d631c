"""Exports and privacy: the minimum group size k, nothing traceable, and Dutch Excel.

Every test reads real exports back the way their users do: CSV with the ``csv`` module and
``;``, XLSX with openpyxl, the backup with ``json``.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import re
from typing import Any

import pytest
from flask import Flask
from flask_babel import force_locale
from openpyxl import load_workbook
from sqlalchemy import func, select

from quickscan.extensions import db
from quickscan.models import (
    RESPONSE_SUBMITTED,
    Comment,
    Department,
    Response,
    Round,
    User,
)
from quickscan.services import exports, group_size
from quickscan.services.results import score
from tests.results.conftest import BuiltRound, build_round

HIDDEN_NOTE = "Nog geen resultaat: minder dan 3 ingevulde vragenlijsten"
SMALL = "Griffie"
#: Columns that hold a figure derived from answers (never filled for a hidden department).
FIGURES = ("score", "target", "gap", "importance", "priority", "answered", "dont_know",
           "not_applicable", "flags", "bank_score", "level_0", "level_1", "level_2", "level_3",
           "level_4", "rating_1", "rating_2", "rating_3", "rating_4", "rating_5", "ratings",
           "comment", "bank", "theme", "question")
TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def read_csv(data: bytes) -> list[list[str]]:
    """A CSV export as Dutch Excel reads it: BOM, ``;``, every field quoted."""
    assert data.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


def dicts(round_: Round, table: str) -> list[dict[str, str]]:
    """A CSV table as dicts keyed by column key (the header row is checked first)."""
    rows = read_csv(exports.to_csv(round_, table))
    labels = exports.export_labels()
    assert rows[0] == [labels.headers[c] for c in exports.COLUMNS[table]]
    return [dict(zip(exports.COLUMNS[table], row, strict=True)) for row in rows[1:]]


def three_departments(small_submitted: int = 2) -> BuiltRound:
    """Two departments of three submitted responses and a small one ("Griffie", last) of
    ``small_submitted``; one draft each. k is the default, 3."""
    built = build_round([("Sociaal Domein", ["bestuur"]), ("Wonen", ["bestuur"]),
                         (SMALL, ["bestuur"])], bank_count=1, respondents=3, drafts=1)
    small = built.departments[2]
    submitted = [r for r in small.responses if r.status == RESPONSE_SUBMITTED]
    for response in submitted[small_submitted:]:
        db.session.delete(response)
    db.session.commit()
    db.session.expire_all()
    return built


@pytest.fixture
def small_round(app: Flask) -> BuiltRound:
    return three_departments()


# --------------------------------------------------------------------------- k


def test_default_k_is_3_and_a_department_of_two_shows_no_figure_in_any_export(
        app: Flask, small_round: BuiltRound) -> None:
    round_ = small_round.round
    assert round_.min_group_size == 3
    # The backup: hidden, no figures, counts kept.
    data = json.loads(exports.to_json(round_))
    small = next(d for d in data["departments"] if d["name"] == SMALL)
    assert small["hidden"] is True and small["banks"] == [] and small["dimensions"] == {}
    assert (small["respondents_submitted"], small["respondents_started"]) == (2, 3)
    assert all(not d["hidden"] for d in data["departments"] if d["name"] != SMALL)
    assert SMALL not in {p["department"] for p in data["priorities"]}
    # Every CSV table: one row for the small department, with the note and the counts only.
    for table in ("scores", "answers", "importance", "comments"):
        rows = [row for row in dicts(round_, table) if row["department"] == SMALL]
        assert len(rows) == 1, table
        (row,) = rows
        assert row["note"] == HIDDEN_NOTE, table
        assert all(row.get(column, "") == "" for column in FIGURES), (table, row)
        if table != "comments":
            assert (row["respondents_submitted"], row["respondents_started"]) == ("2", "3")
    assert SMALL not in {row["department"] for row in dicts(round_, "priorities")}
    # The workbook: the same rows, no number in them but the counts.
    workbook = load_workbook(io.BytesIO(exports.to_xlsx(round_)))
    for table in ("scores", "answers", "importance", "comments"):
        sheet = workbook[exports.export_labels().tables[table]]
        rows = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)]
        small_rows = [dict(zip(exports.COLUMNS[table], row, strict=True)) for row in rows
                      if row[0] == SMALL]
        assert len(small_rows) == 1, table
        assert small_rows[0]["note"] == HIDDEN_NOTE
        assert all(small_rows[0].get(column) in (None, "") for column in FIGURES), table
    assert SMALL not in [c.value for c in workbook["prioriteiten"]["B"]]


def test_a_hidden_department_does_not_change_the_municipality_figures(app: Flask) -> None:
    """The municipality figures with the small department hidden equal those of the same
    round without it: nothing about it can be worked out by subtraction."""
    with_small = three_departments().round
    without = build_round([("Sociaal Domein", ["bestuur"]), ("Wonen", ["bestuur"])],
                          bank_count=1, respondents=3, drafts=1).round  # same seed, same answers
    assert json.loads(exports.to_json(with_small))["municipality"] == json.loads(
        exports.to_json(without))["municipality"]
    assert dicts(with_small, "municipality") == dicts(without, "municipality")
    assert dicts(with_small, "priorities") == dicts(without, "priorities")
    # ... while with k = 2 it does count, and changes them.
    group_size.set_min_group_size(with_small, 2)
    assert dicts(with_small, "municipality") != dicts(without, "municipality")


def test_k_is_the_rounds_own(app: Flask, small_round: BuiltRound) -> None:
    round_ = small_round.round
    group_size.set_min_group_size(round_, 2)
    rows = [row for row in dicts(round_, "scores") if row["department"] == SMALL]
    assert len(rows) > 1 and all(row["note"] == "" and row["score"] for row in rows)
    assert json.loads(exports.to_json(round_))["round"]["min_group_size"] == 2
    group_size.set_min_group_size(round_, 10)
    data = json.loads(exports.to_json(round_))
    assert all(d["hidden"] for d in data["departments"]) and data["priorities"] == []
    assert all(bank["score"] is None for bank in data["municipality"]["banks"])
    notes = {row["note"] for row in dicts(round_, "scores")}
    assert notes == {"Nog geen resultaat: minder dan 10 ingevulde vragenlijsten"}


@pytest.mark.parametrize("value", [0, 11, -3, "3", 2.5, True, None])
def test_set_min_group_size_refuses_and_writes_nothing(app: Flask, small_round: BuiltRound,
                                                       value: Any) -> None:
    round_ = small_round.round
    with pytest.raises(group_size.InvalidGroupSize, match="tot en met 10"):
        group_size.set_min_group_size(round_, value)
    db.session.rollback()
    db.session.expire_all()
    assert db.session.get(Round, round_.id).min_group_size == 3


def test_set_min_group_size_accepts_1_to_10(app: Flask, small_round: BuiltRound) -> None:
    for k in (1, 5, 10):
        group_size.set_min_group_size(small_round.round, k)
        db.session.expire_all()
        assert db.session.get(Round, small_round.round.id).min_group_size == k
    assert group_size.check_min_group_size(3, lowest=group_size.UI_MIN) == 3
    with pytest.raises(group_size.InvalidGroupSize, match="van 3 tot en met 10"):
        group_size.check_min_group_size(2, lowest=group_size.UI_MIN)


def test_cli_rounds_create_with_min_group_size(app: Flask) -> None:
    from tests.results.conftest import real_banks

    common = real_banks(1)[0].id
    runner = app.test_cli_runner()
    base = ["rounds", "create", "--name", "Ronde", "--municipality", "Gemeente",
            "--department", f"Wonen={common}"]
    result = runner.invoke(args=[*base, "--min-group-size", "5"])
    assert result.exit_code == 0, result.output
    assert db.session.get(Round, int(result.output.split()[-1])).min_group_size == 5
    result = runner.invoke(args=base)
    assert db.session.get(Round, int(result.output.split()[-1])).min_group_size == 3
    before = db.session.scalar(select(func.count(Round.id)))
    result = runner.invoke(args=[*base, "--min-group-size", "11"])
    assert result.exit_code == 1 and "tot en met 10" in result.output
    assert db.session.scalar(select(func.count(Round.id))) == before


# --------------------------------------------------------------------------- nothing traceable


def test_analysis_tables_hold_aggregates_only(app: Flask, small_round: BuiltRound) -> None:
    round_ = small_round.round
    result = score(round_, min_group_size=3)
    labels = exports.export_labels()
    headers = [labels.headers[c] for columns in exports.COLUMNS.values() for c in columns]
    assert not [h for h in headers if re.search(r"respons|tijd|time|datum", h, re.IGNORECASE)]
    for table in exports.TABLES:
        for row in read_csv(exports.to_csv(round_, table)):
            assert not [cell for cell in row if TIMESTAMP.search(cell)], (table, row)
    # The answers table is one distribution per question and department, equal to the engine's.
    answers = dicts(round_, "answers")
    for department in result.departments:
        rows = [row for row in answers if row["department"] == department.name]
        if department.hidden:
            assert len(rows) == 1
            continue
        questions = [q for theme in department.themes() for q in theme.questions]
        assert [row["question"] for row in rows] == [q.question_id for q in questions]
        for row, question in zip(rows, questions, strict=True):
            assert [int(row[f"level_{level}"]) for level in range(5)] == list(question.counts)
            assert int(row["dont_know"]) == question.dont_know
            total = sum(question.counts) + question.dont_know + question.not_applicable
            assert total <= department.respondents_submitted
            assert row["question_text"] and row["theme_title"] and row["bank_title"]
    # Importance: counts per rating, as many as the respondents who rated.
    for row in dicts(round_, "importance"):
        if row["note"]:
            continue
        counts = [int(row[f"rating_{r}"]) for r in range(1, 6)]
        assert sum(counts) == int(row["ratings"]) <= int(row["respondents_submitted"])


def test_comments_without_response_in_an_order_that_is_not_submission(
        app: Flask, small_round: BuiltRound) -> None:
    round_ = small_round.round
    rows = dicts(round_, "comments")
    comments = [row for row in rows if not row["note"]]
    visible = ["Sociaal Domein", "Wonen"]
    stored = db.session.execute(
        select(Department.name, Comment.question_id, Comment.text)
        .join(Response, Comment.response_id == Response.id)
        .join(Department, Response.department_id == Department.id)
        .where(Department.round_id == round_.id, Response.status == RESPONSE_SUBMITTED,
               Department.name.in_(visible))).all()
    assert len(comments) == len(stored) > 5
    order = {q.id: i for bank in small_round.banks for i, q in enumerate(bank.questions)}
    # Department, question, text (as stored): never by response or time.
    expected = sorted(stored, key=lambda c: (visible.index(c[0]), order[c[1]], c[2]))
    assert [(r["department"], r["question"], r["comment"]) for r in comments] == [
        (name, question, exports.neutralise_csv(text)) for name, question, text in expected]
    assert {SMALL} == {row["department"] for row in rows if row["note"]}


def test_json_backup_marks_response_level_data_with_opaque_ids_and_dates(
        app: Flask, small_round: BuiltRound) -> None:
    round_ = small_round.round
    first, second = exports.to_json(round_), exports.to_json(round_)
    data = json.loads(first)
    assert data["contains"] == "response-level data"
    assert list(data)[:3] == ["schema", "contains", "exported_at"]
    entries = data["responses"] + data["draft_responses"]
    ids = [entry["id"] for entry in entries]
    assert len(ids) == len(set(ids)) == 3 * 4 - 1  # every response, each id once
    assert all(re.fullmatch(r"[0-9a-f]{16}", value) for value in ids)
    database_ids = {str(r.id) for d in small_round.departments for r in d.responses}
    assert not set(ids) & database_ids
    assert set(ids).isdisjoint(entry["id"] for entry in json.loads(second)["responses"])
    today = datetime.datetime.now(datetime.UTC).date().isoformat()
    for entry in entries:
        assert not [key for key in entry if key.endswith("_at")]
        assert entry["started_on"] == today
        assert entry["submitted_on"] == (today if entry["status"] == "submitted" else None)
    # The order follows department and content, never the database id or the time.
    for name in ("responses", "draft_responses"):
        listed = data[name]
        assert listed == sorted(listed, key=lambda e: (e["department"], json.dumps(
            {k: v for k, v in e.items() if k != "id"}, sort_keys=True, ensure_ascii=False)))
    # Apart from the moment and the random ids, two exports are the same bytes.
    def same(raw: bytes) -> bytes:
        parsed = json.loads(raw)
        for index, entry in enumerate(parsed["responses"] + parsed["draft_responses"]):
            raw = raw.replace(entry["id"].encode(), str(index).encode())
        return b"\n".join(line for line in raw.split(b"\n") if b'"exported_at"' not in line)

    assert same(first) == same(second)


ROLES = ("lezer", "coordinator", "beheerder")  # least to most rights


def _as_role(monkeypatch: pytest.MonkeyPatch, role: str) -> None:
    """Give every account one role, as the team roles' ``User.has_role`` checks it: a role
    may do everything the roles before it may."""
    monkeypatch.setattr(User, "has_role", lambda self, wanted: (
        ROLES.index(role) >= ROLES.index(wanted)), raising=False)


@pytest.mark.parametrize("role", ["coordinator", "lezer"])
def test_backup_download_refused_for_other_roles(coordinator_client, small_round, monkeypatch,
                                                 role: str) -> None:
    _as_role(monkeypatch, role)
    rid = small_round.round.id
    response = coordinator_client.get(f"/rondes/{rid}/export.json")
    assert response.status_code == 403
    assert b'"schema"' not in response.data and b"response-level" not in response.data
    for path in (f"/rondes/{rid}/export.csv?tabel=opmerkingen", f"/rondes/{rid}/export.xlsx"):
        assert coordinator_client.get(path).status_code == 200  # the aggregates stay open


def test_backup_download_for_the_beheerder(coordinator_client, small_round, monkeypatch) -> None:
    _as_role(monkeypatch, "beheerder")
    rid = small_round.round.id
    response = coordinator_client.get(f"/rondes/{rid}/export.json")
    assert response.status_code == 200
    disposition = response.headers["Content-Disposition"]
    today = datetime.datetime.now(datetime.UTC).date().isoformat()
    assert f'filename="quickscan-ronde-{rid}-backup-{today}.json"' in disposition
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.get_json()["contains"] == "response-level data"


# --------------------------------------------------------------------------- Dutch Excel


def test_csv_headers_follow_the_page_language(coordinator_client, small_round) -> None:
    rid = small_round.round.id
    dutch = read_csv(coordinator_client.get(f"/rondes/{rid}/export.csv?tabel=scores").data)
    assert dutch[0][:6] == ["Afdeling", "Vragenlijst (id)", "Vragenlijst", "Thema (id)",
                            "Thema", "Score"]
    with coordinator_client.session_transaction() as session:
        session["lang"] = "en"
    english = read_csv(coordinator_client.get(f"/rondes/{rid}/export.csv?tabel=scores").data)
    assert english[0][:6] == ["Department", "Question bank (id)", "Question bank",
                              "Theme (id)", "Theme", "Score"]
    assert english[1:] == [row[:-1] + [row[-1].replace(HIDDEN_NOTE, (
        "No result yet: fewer than 3 completed questionnaires"))] for row in dutch[1:]]
    assert any("No result yet" in row[-1] for row in english)
    workbook = load_workbook(io.BytesIO(coordinator_client.get(f"/rondes/{rid}/export.xlsx").data))
    assert workbook.sheetnames == ["explanation", "round", "scores", "priorities", "answers",
                                   "importance", "comments", "municipality", "perspectives"]


def test_cli_export_language(app: Flask, small_round: BuiltRound, tmp_path) -> None:
    runner = app.test_cli_runner()
    out = tmp_path / "scores.csv"
    for lang, first in (("en", "Department"), ("nl", "Afdeling")):
        result = runner.invoke(args=["export", str(small_round.round.id), "--format", "csv",
                                     "--table", "comments", "--lang", lang, "--out", str(out)])
        assert result.exit_code == 0, result.output
        assert read_csv(out.read_bytes())[0][0] == first


def test_csv_scores_have_one_decimal_and_json_full_precision(app: Flask, small_round) -> None:
    round_ = small_round.round
    result = score(round_, min_group_size=3)
    rows = dicts(round_, "scores")
    for row in rows:
        for column in ("score", "target", "gap", "importance", "priority", "bank_score"):
            assert re.fullmatch(r"(\d+,\d)?", row[column]), (column, row[column])
    engine = [t.score for d in result.departments for t in d.themes() if t.score is not None]
    assert any(round(value, 1) != value for value in engine)  # something to round
    data = json.loads(exports.to_json(round_))
    exported = [t["score"] for d in data["departments"] for b in d["banks"]
                for t in b["themes"] if t["score"] is not None]
    assert exported == engine  # the backup: unrounded
    shown = [row["score"] for row in rows if row["score"]]
    assert shown == [f"{value:.1f}".replace(".", ",") for value in engine]


def test_xlsx_layout_for_excel(app: Flask, small_round: BuiltRound) -> None:
    round_ = small_round.round
    workbook = load_workbook(io.BytesIO(exports.to_xlsx(round_)))
    labels = exports.export_labels()
    assert workbook.sheetnames == ["toelichting", "ronde", "scores", "prioriteiten",
                                   "antwoorden", "belang", "opmerkingen", "gemeente",
                                   "perspectieven"]
    for table, columns in exports.COLUMNS.items():
        sheet = workbook[labels.tables[table]]
        assert [c.value for c in sheet[1]] == [labels.headers[c] for c in columns]
        assert all(c.font.bold for c in sheet[1])
        assert sheet.freeze_panes == "A2"
        for index, column in enumerate(columns, start=1):
            letter = sheet.cell(row=1, column=index).column_letter
            values = [sheet.cell(row=r, column=index).value for r in range(1, sheet.max_row + 1)]
            longest = max(len(str(v)) for v in values if v is not None)
            width = sheet.column_dimensions[letter].width
            assert min(longest, exports.XLSX_MAX_WIDTH - 2) <= width <= exports.XLSX_MAX_WIDTH
            for value, cell in zip(values[1:], sheet[letter][1:], strict=True):
                if isinstance(value, float) and column in exports.SCORE_COLUMNS:
                    assert cell.number_format == "0.0"
                if column == "question_text" and value:
                    assert cell.data_type == "s"
    scores = workbook["scores"]
    assert any(isinstance(c.value, float) and c.number_format == "0.0" for c in scores["F"])
    # The explanation: the round, its status, k, the date, and every column's meaning.
    text = [[c.value for c in row] for row in workbook["toelichting"].iter_rows()]
    flat = {str(v) for row in text for v in row if v is not None}
    assert round_.name in flat and "open (voorlopige resultaten)" in flat
    assert ["Minimale groepsgrootte", 3] in [row[:2] for row in text]
    assert datetime.datetime.now(datetime.UTC).date().isoformat() in flat
    assert HIDDEN_NOTE in flat
    meanings = {(row[0], row[1]): row[2] for row in text if len(row) >= 3 and row[2]}
    for table, columns in exports.COLUMNS.items():
        for column in columns:
            assert meanings[(labels.tables[table], labels.headers[column])] == (
                labels.descriptions[column])
    # The round sheet: the banks with their versions and fingerprints.
    ronde = [[c.value for c in row] for row in workbook["ronde"].iter_rows()]
    assert [small_round.banks[0].id, small_round.banks[0].title,
            small_round.banks[0].version] == ronde[1][:3]
    assert re.fullmatch(r"[0-9a-f]{64}", ronde[1][3])


def test_english_labels_are_complete(app: Flask) -> None:
    with force_locale("en"):
        english = exports.export_labels()
    dutch = exports.export_labels()
    keys = {c for columns in exports.COLUMNS.values() for c in columns}
    assert keys <= set(english.headers) and keys <= set(english.descriptions)
    assert keys <= set(dutch.headers) and keys <= set(dutch.descriptions)
    assert all(len(name) <= 31 for name in english.tables.values())
    assert len(set(english.tables.values())) == len(english.tables)
    assert english.hidden(4) == "No result yet: fewer than 4 completed questionnaires"
    assert dutch.hidden(3) == HIDDEN_NOTE


# --------------------------------------------------------------------------- migration


def test_migration_gives_existing_rounds_k_3(tmp_path) -> None:
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text

    from quickscan import create_app

    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'm.db'}", "TESTING": True,
                      "SECRET_KEY": "x"})
    with app.app_context():
        upgrade(revision="5abba95a15fa")
        db.session.execute(text(
            "INSERT INTO round (name, municipality, description, status, target_overrides, "
            "created_at) VALUES ('R', 'G', '', 'open', '{}', '2026-01-01 00:00:00')"))
        db.session.commit()
        upgrade()
        assert db.session.execute(text("SELECT min_group_size FROM round")).scalar() == 3
        downgrade(revision="5abba95a15fa")
        columns = [row[1] for row in db.session.execute(text("PRAGMA table_info(round)"))]
        assert "min_group_size" not in columns
        db.session.remove()
        db.engine.dispose()
