"""Database connection settings and database failures.

SQLite gets the pragmas a multi-process web server needs on every new connection
(write-ahead log so readers never block the writer, a busy timeout instead of an immediate
"database is locked", foreign keys enforced, ``synchronous=NORMAL`` which is durable in WAL
mode at commit boundaries). A database that cannot be reached, or drops the connection in the
middle of a request, is answered with the Dutch 503 page and one log line; the transaction of
that request is rolled back, so nothing is half written.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from typing import Any

from flask import Flask, Response, request
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from quickscan.extensions import db

logger = logging.getLogger("quickscan.app.database")

#: PRAGMA statements run on every new SQLite connection, in this order.
SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA busy_timeout=5000",
    "PRAGMA foreign_keys=ON",
    "PRAGMA synchronous=NORMAL",
)


def set_sqlite_pragmas(dbapi_connection: Any, _record: Any = None) -> None:
    """Apply :data:`SQLITE_PRAGMAS` to a fresh SQLite DBAPI connection (others untouched)."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    try:
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
    finally:
        cursor.close()


def configure_engine(engine: Engine) -> None:
    """Install the per-connection settings on ``engine`` (idempotent)."""
    if engine.dialect.name == "sqlite" and not event.contains(engine, "connect",
                                                              set_sqlite_pragmas):
        event.listen(engine, "connect", set_sqlite_pragmas)


def is_unavailable(error: BaseException) -> bool:
    """True when ``error`` means the database cannot be reached or used right now.

    Connection refused, dropped or terminated connections, a locked or read-only SQLite file
    and an exhausted connection pool count; constraint violations and programming errors do
    not (they are bugs or bad input, answered elsewhere).
    """
    if isinstance(error, PoolTimeoutError):
        return True
    if isinstance(error, (OperationalError, InterfaceError)):
        return True
    return isinstance(error, DBAPIError) and bool(error.connection_invalidated)


def _rollback_quietly() -> None:
    """Roll back and drop the request's session; the connection may already be gone."""
    with contextlib.suppress(Exception):
        db.session.rollback()
    with contextlib.suppress(Exception):
        db.session.remove()


def handle_database_error(error: Exception) -> Response:
    """Answer a database failure: the Dutch 503 page (or 500 for other database errors)."""
    from quickscan.errors import render_error

    _rollback_quietly()
    if is_unavailable(error):
        orig = getattr(error, "orig", None) or error
        logger.error("database unavailable on %s %s: %s: %s", request.method, request.path,
                     type(orig).__name__, str(orig).splitlines()[0] if str(orig) else "")
        return render_error(503, headers={"Retry-After": "30"})
    logger.exception("database error on %s %s", request.method, request.path)
    return render_error(500)


def init_app(app: Flask) -> None:
    """Configure the engine(s) of ``app`` and register the database error handler.

    Call after ``db.init_app(app)``.
    """
    with app.app_context():
        for engine in db.engines.values():
            configure_engine(engine)
    app.register_error_handler(DBAPIError, handle_database_error)
    app.register_error_handler(PoolTimeoutError, handle_database_error)
