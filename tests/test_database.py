"""Connection settings (SQLite pragmas) and the Dutch 503 page for an unreachable database."""

from __future__ import annotations

import logging
import socket
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select, text

from quickscan import create_app
from quickscan.extensions import db
from quickscan.models import User


def _app(url: str) -> Flask:
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "database-test-secret"})

    @app.get("/test-only/users")
    def count_users() -> str:
        return str(len(db.session.scalars(select(User)).all()))

    @app.get("/test-only/duplicate")
    def duplicate() -> str:
        db.session.execute(text("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY)"))
        db.session.execute(text("INSERT INTO t (id) VALUES (1)"))
        db.session.execute(text("INSERT INTO t (id) VALUES (1)"))
        return "unreachable"

    return app


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_sqlite_pragmas_on_every_connection(tmp_path: Path):
    app = _app(f"sqlite:///{tmp_path / 'pragmas.db'}")
    with app.app_context():
        for _ in range(2):  # a new connection each time: the settings come with every one
            with db.engine.connect() as connection:
                assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
                assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 5000
                assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
                assert connection.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL
            db.engine.dispose()


def test_foreign_keys_enforced_on_sqlite(tmp_path: Path):
    from sqlalchemy.exc import IntegrityError

    app = _app(f"sqlite:///{tmp_path / 'fk.db'}")
    with app.app_context(), db.engine.begin() as connection:
        connection.execute(text("CREATE TABLE parent (id INTEGER PRIMARY KEY)"))
        connection.execute(text(
            "CREATE TABLE child (id INTEGER PRIMARY KEY, "
            "parent_id INTEGER NOT NULL REFERENCES parent(id))"))
        with pytest.raises(IntegrityError):
            connection.execute(text("INSERT INTO child (id, parent_id) VALUES (1, 99)"))


def test_unreachable_sqlite_gives_dutch_503_and_a_log_line(tmp_path: Path, caplog):
    missing = tmp_path / "no-such-folder" / "quickscan.db"
    app = _app(f"sqlite:///{missing}")
    caplog.set_level(logging.ERROR, logger="quickscan.app.database")
    response = app.test_client().get("/test-only/users")
    body = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "Tijdelijk niet beschikbaar" in body
    assert '<html lang="nl"' in body
    assert "Traceback" not in body and "OperationalError" not in body
    assert response.headers["Retry-After"] == "30"
    assert any("database unavailable" in r.getMessage() for r in caplog.records)


def test_unreachable_postgresql_gives_dutch_503(caplog):
    port = _free_port()  # nothing listens there
    app = _app(f"postgresql://postgres@127.0.0.1:{port}/nothing?connect_timeout=2")
    caplog.set_level(logging.ERROR, logger="quickscan.app.database")
    response = app.test_client().get("/test-only/users")
    assert response.status_code == 503
    assert "Tijdelijk niet beschikbaar" in response.get_data(as_text=True)
    assert any("database unavailable" in r.getMessage() for r in caplog.records)


def test_other_database_errors_are_500_not_503(tmp_path: Path, caplog):
    app = _app(f"sqlite:///{tmp_path / 'dup.db'}")
    caplog.set_level(logging.ERROR)
    response = app.test_client().get("/test-only/duplicate")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Er ging iets mis" in body
    assert "UNIQUE" not in body and "IntegrityError" not in body
    assert any(r.exc_info for r in caplog.records)
