"""Backup and move: export a round, import it on PostgreSQL, export again, import on SQLite.

A round with several departments, a target override, submitted and unfinished responses,
importance ratings and comments full of markup is built through the services on SQLite A.
Its JSON export is imported into an empty private PostgreSQL database, exported from there,
imported into an empty SQLite B and exported once more. All three exports must be identical
(apart from the moment of export and the random response ids, which are new in every export):
nothing is lost on the way, not even the round's or a department's id.

A series of two rounds, the first with inwoners and bestuur groups and a Lokale Inclusie
Agenda (tests/backup_helpers.py), makes the same trip, imported in order: its exports stay
equal and the second round is linked to the first again.
"""

from __future__ import annotations

import datetime
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask_migrate import upgrade

from quickscan import create_app, links
from quickscan.extensions import db
from quickscan.services.banks import reload_catalog
from tests.factories import write_questions

SECRET = "roundtrip-secret"
#: The shipped questions (with the inwoners bank): the series test uses real banks.
ROOT_QUESTIONS = Path(__file__).resolve().parents[1] / "questions"
COMMENTS = [
    "<script>alert(1)</script>", '=HYPERLINK("http://x","y")', "+cmd", "-1+1", "@SUM(A1)",
    '<font name="x">niet gesloten <b>', "Ééñ & ‘quotes’ \n tweede regel", "x" * 2000,
]


def _admin_url() -> str:
    url = os.environ.get("QUICKSCAN_TEST_DATABASE_URL") or \
        "postgresql://postgres@127.0.0.1:5432/postgres"
    from sqlalchemy.engine import make_url

    parsed = make_url(url.replace("postgresql+psycopg://", "postgresql://"))
    if parsed.get_backend_name() != "postgresql":
        parsed = make_url("postgresql://postgres@127.0.0.1:5432/postgres")
    return parsed.set(database="postgres").render_as_string(hide_password=False)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """An empty private PostgreSQL database, dropped afterwards."""
    import psycopg

    admin = _admin_url()
    name = f"qs_roundtrip_{os.getpid()}"
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
            connection.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        # The round trip needs a real PostgreSQL server: unreachable is a failure, never a skip.
        pytest.fail(f"PostgreSQL is unreachable at {admin}: {exc}", pytrace=False)
    from sqlalchemy.engine import make_url

    yield make_url(admin).set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                           "WHERE datname = %s", (name,))
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')


def _app(url: str, questions: Path) -> Flask:
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": SECRET,
                      "QUESTIONS_DIR": str(questions), "TESTING": True})
    with app.app_context():
        upgrade()
    return app


def _build_round(app: Flask) -> int:
    from quickscan.services import responses, rounds

    with app.app_context():
        reload_catalog()
        round_ = rounds.create_round(
            'Nulmeting <b>2026</b> =1+1', "@Gemeente <font name=\"x\">",
            description="Toelichting met <script>x</script>\nen een tweede regel",
            deadline=datetime.date(2026, 6, 30), banks={"wonen": "1.0.0"},
            departments=[("Wonen & Bouwen", ["wonen"]), ("Sociaal =domein", ["werk"]),
                         ("Leeg", [])],
            target_overrides={"bestuur/thema1": 4}, secret_key=links.secret_key())
        tokens = {d.name: links.invitation_token(d) for d in round_.departments}
        for index in range(7):
            department = ["Wonen & Bouwen", "Sociaal =domein"][index % 2]
            response, _ = responses.start_response(tokens[department] or "")
            for step in responses.steps(response):
                answers = {qid: ["0", "1", "2", "3", "4", "dont_know", "not_applicable"][
                    (index + n + step.number) % 7] for n, qid in enumerate(step.question_ids)}
                comments = {step.question_ids[0]: COMMENTS[(index + step.number) % len(
                    COMMENTS)]}
                responses.save_page(response, step.number, answers, comments,
                                    (index + step.number) % 5 + 1)
            if index < 5:
                responses.submit(response)
        # One respondent who opened the survey and stopped before answering anything.
        responses.start_response(tokens["Wonen & Bouwen"] or "")
        round_id = round_.id
        rounds.close_round(round_)
        db.session.remove()
    return round_id


def _export_bytes(app: Flask, round_id: int) -> bytes:
    from quickscan.models import Round
    from quickscan.services.exports import to_json

    with app.app_context():
        data = to_json(db.session.get(Round, round_id))
        db.session.remove()
    return data


def _export(app: Flask, round_id: int) -> dict[str, Any]:
    return json.loads(_export_bytes(app, round_id))  # type: ignore[no-any-return]


def _without_moment(data: bytes) -> bytes:
    """An export's bytes without its ``exported_at`` line, each response's random id replaced
    by its place in the file."""
    document = json.loads(data)
    for index, response in enumerate(document["responses"] + document["draft_responses"]):
        data = data.replace(f'"id": "{response["id"]}"'.encode(), f'"id": "#{index}"'.encode())
    return b"\n".join(line for line in data.split(b"\n")
                      if not line.lstrip().startswith(b'"exported_at"'))


def _import(app: Flask, data: dict[str, Any]) -> int:
    from quickscan.services.importer import import_round

    with app.app_context():
        result = import_round(data, SECRET)
        assert result.kept_ids
        round_id = result.round.id
        db.session.remove()
    return round_id


def _utc(value: str) -> str:
    parsed = datetime.datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.UTC)
    return parsed.astimezone(datetime.UTC).isoformat()


def _comparable(data: dict[str, Any]) -> dict[str, Any]:
    """The export without the moment of export; date-times compared as UTC instants."""
    out = json.loads(json.dumps(data))
    out.pop("exported_at", None)
    for index, response in enumerate(out["responses"] + out["draft_responses"]):
        response["id"] = f"#{index}"

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: (_utc(v) if k.endswith("_at") and isinstance(v, str) else walk(v))
                    for k, v in node.items()}
        if isinstance(node, list):
            return [walk(item) for item in node]
        return node

    return walk(out)  # type: ignore[no-any-return]


def test_round_trip_sqlite_postgresql_sqlite(tmp_path: Path, postgres_url: str):
    questions = write_questions(tmp_path)
    first = _app(f"sqlite:///{tmp_path / 'a.db'}", questions)
    round_id = _build_round(first)
    original = _export(first, round_id)
    assert len(original["responses"]) == 5
    assert len(original["draft_responses"]) == 3
    assert original["round"]["target_overrides"] == {"bestuur/thema1": 4}
    # k = 3 (the default): "Sociaal =domein" with 2 submitted responses is hidden, and stays
    # hidden through both moves.
    assert original["round"]["min_group_size"] == 3
    hidden = {d["name"]: d["hidden"] for d in original["departments"]}
    assert hidden == {"Leeg": True, "Sociaal =domein": True, "Wonen & Bouwen": False}

    postgres = _app(postgres_url, questions)
    with postgres.app_context():
        assert db.engine.dialect.name == "postgresql"
    assert _import(postgres, original) == round_id
    via_postgres = _export(postgres, round_id)

    last = _app(f"sqlite:///{tmp_path / 'b.db'}", questions)
    assert _import(last, via_postgres) == round_id
    back = _export(last, round_id)

    assert _comparable(via_postgres) == _comparable(original)
    assert _comparable(back) == _comparable(original)
    # Byte for byte, too: one model dumps every file the same way.
    assert _without_moment(_export_bytes(last, round_id)) == _without_moment(
        _export_bytes(first, round_id))
    assert _without_moment(_export_bytes(postgres, round_id)) == _without_moment(
        _export_bytes(first, round_id))
    texts = {c["text"] for r in back["responses"] + back["draft_responses"]
             for c in r["comments"]}
    assert texts <= set(COMMENTS) and len(texts) >= 4

    # New rows after an import with kept ids get fresh ids (PostgreSQL sequences moved on).
    from quickscan.services import rounds

    with postgres.app_context():
        reload_catalog()
        other = rounds.create_round("Tweede", "Gemeente", departments=[("Extra", [])],
                                    secret_key=links.secret_key())
        assert other.id > round_id
        db.session.remove()
    for app in (first, postgres, last):
        with app.app_context():
            db.engine.dispose()
    reload_catalog()


def test_cli_export_then_import(tmp_path: Path):
    """`quickscan export ROUND --format json` then `quickscan import FILE` on an empty database."""
    questions = write_questions(tmp_path)
    first = _app(f"sqlite:///{tmp_path / 'a.db'}", questions)
    round_id = _build_round(first)
    path = tmp_path / "ronde.json"
    exported = first.test_cli_runner().invoke(
        args=["export", str(round_id), "--format", "json", "--out", str(path)])
    assert exported.exit_code == 0, exported.output
    assert json.loads(path.read_text(encoding="utf-8"))["schema"] == "quickscan-export/2"
    target = _app(f"sqlite:///{tmp_path / 'c.db'}", questions)
    result = target.test_cli_runner().invoke(args=["import", str(path)])
    assert result.exit_code == 0, result.output
    assert str(round_id) in result.output.split()
    assert _comparable(_export(target, round_id)) == _comparable(_export(first, round_id))
    reload_catalog()


def _build_series(app: Flask) -> tuple[int, int]:
    from tests.backup_helpers import build_series

    with app.app_context():
        reload_catalog()
        ids = build_series(SECRET)
        db.session.remove()
    return ids


def _import_result(app: Flask, data: dict[str, Any]) -> tuple[int, int | None, str]:
    from quickscan.services.importer import import_round

    with app.app_context():
        result = import_round(data, SECRET)
        out = result.round.id, result.previous_round_id, result.series_note
        db.session.remove()
    return out


def test_series_with_groups_and_agenda_round_trip(tmp_path: Path, postgres_url: str):
    """Two rounds of a series, the first with inwoners, bestuur and a Lokale Inclusie Agenda:
    SQLite -> PostgreSQL -> SQLite, imported in order; every export equal to the original
    (ids may differ: the candidates' are numbers of the file), the series link restored."""
    from tests.backup_helpers import comparable

    questions = ROOT_QUESTIONS
    first = _app(f"sqlite:///{tmp_path / 'a.db'}", questions)
    ids = _build_series(first)
    originals = [_export(first, round_id) for round_id in ids]
    assert len(originals[0]["perspective_groups"]) == 2 and originals[0]["lia"] is not None
    assert originals[1]["series"]["previous_round"]["name"] == originals[0]["round"]["name"]
    assert originals[1]["comparison"] is not None

    current = originals
    for url in (postgres_url, f"sqlite:///{tmp_path / 'b.db'}"):
        app = _app(url, questions)
        earlier, linked, note = _import_result(app, current[0])
        assert (linked, note) == (None, "")
        later, linked, note = _import_result(app, current[1])
        assert (linked, note) == (earlier, "")
        current = [_export(app, earlier), _export(app, later)]
        assert [comparable(data) for data in current] == [comparable(d) for d in originals]
        with app.app_context():
            db.engine.dispose()
    with first.app_context():
        db.engine.dispose()
    reload_catalog()
