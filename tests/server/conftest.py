"""Fixtures for the real-server tests (gunicorn with 4 workers); the harness is in harness.py.

Every test in this folder is marked ``server`` and ``db``: it runs on a SQLite WAL file, or on
a private PostgreSQL database when ``QUICKSCAN_TEST_DATABASE_URL`` points at PostgreSQL.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.server.harness import (
    Server,
    ServerSetup,
    create_private_database,
    migrate,
    seed_round,
    write_server_questions,
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test here starts a real server and runs on SQLite and (in CI) on PostgreSQL."""
    for item in items:
        if "tests/server/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.server)
            item.add_marker(pytest.mark.db)


@pytest.fixture(scope="module")
def live_gunicorn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerSetup]:
    """gunicorn with 4 workers on a fresh, migrated and seeded database (one per module)."""
    tmp = tmp_path_factory.mktemp("server")
    questions = write_server_questions(tmp)
    database = create_private_database(tmp)
    server: Server | None = None
    try:
        migrate(database.url, questions)
        seeded = seed_round(database.url, questions)
        server = Server(database=database, questions=questions, log_path=tmp / "server.log")
        server.start()
        yield ServerSetup(server, database, questions, seeded)
    finally:
        if server is not None:
            server.stop()
        database.drop()


