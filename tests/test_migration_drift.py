"""The migrations and the models describe the same schema (no drift between them).

A database is created the way operators create it, with ``quickscan db upgrade``, and Alembic's
``compare_metadata`` compares it with ``quickscan.models`` (the metadata autogenerate would
use): tables, columns, types, nullability, indexes, unique constraints and foreign keys. Any
difference means a model was changed without a migration, or the other way round; the
assertion message lists what ``flask db migrate`` would write.
"""

from __future__ import annotations

from pathlib import Path
from pprint import pformat
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine

import quickscan.models  # noqa: F401 - registers every table on the metadata
from quickscan.extensions import db
from tests.server.harness import _sqlalchemy_url, create_private_database, migrate


def _drift(database_url: str) -> list[Any]:
    engine = create_engine(_sqlalchemy_url(database_url))
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return list(compare_metadata(context, db.metadata))
    finally:
        engine.dispose()


def _upgraded_database_drift(tmp_path: Path, monkeypatch: pytest.MonkeyPatch | None) -> list[Any]:
    if monkeypatch is not None:  # SQLite, whatever the test database is
        monkeypatch.delenv("QUICKSCAN_TEST_DATABASE_URL", raising=False)
    database = create_private_database(tmp_path)
    try:
        migrate(database.url, Path(__file__).resolve().parent.parent / "questions")
        return _drift(database.url)
    finally:
        database.drop()


def test_sqlite_database_from_migrations_matches_the_models(tmp_path, monkeypatch):
    drift = _upgraded_database_drift(tmp_path, monkeypatch)
    assert drift == [], "models and migrations differ:\n" + pformat(drift)


def test_test_database_from_migrations_matches_the_models(database_url, tmp_path):
    """Marked ``db`` (it uses ``database_url``): CI reruns it on PostgreSQL."""
    drift = _upgraded_database_drift(tmp_path, None)
    assert drift == [], "models and migrations differ:\n" + pformat(drift)
