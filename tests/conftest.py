"""Shared fixtures: an app on a real database (SQLite by default, PostgreSQL in CI).

The factories behind the round, account and CSRF fixtures are plain functions in
``tests/factories.py``; use them directly when a test needs another shape.

Set ``QUICKSCAN_TEST_DATABASE_URL`` to run the database-backed tests against another server;
``.ci/run`` does so for PostgreSQL. Every test that uses the ``app`` fixture is marked ``db``.
An unreachable test database is a failure, never a skip.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from quickscan import create_app
from quickscan.extensions import db
from quickscan.models import ROUND_CLOSED
from tests.factories import (
    PASSWORD,
    QUESTIONS,
    ROLE_EMAILS,
    ROOT,
    SurveyRound,
    create_account,
    log_in,
    real_round_for,
    small_round_for,
    write_questions,
)

TEST_DATA = Path(__file__).resolve().parent / "data"
__all__ = ["QUESTIONS", "ROOT", "TEST_DATA", "assert_accessible"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that touches the database, so CI can rerun them on PostgreSQL."""
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        if "app" in fixtures or "database_url" in fixtures:
            item.add_marker(pytest.mark.db)


def _normalise(url: str) -> str:
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The database the tests run on; its schema is dropped and recreated once per session."""
    url = os.environ.get("QUICKSCAN_TEST_DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    engine = create_engine(_normalise(url))
    try:
        with engine.begin() as connection:
            if engine.dialect.name == "postgresql":
                connection.execute(text("DROP SCHEMA public CASCADE"))
                connection.execute(text("CREATE SCHEMA public"))
    except Exception as exc:  # noqa: BLE001 - any connection failure
        # A database named explicitly must be there: unreachable fails the run (in CI and out).
        pytest.fail(f"test database {url} is unreachable: {exc}", pytrace=False)
    finally:
        engine.dispose()
    return url


class FreshContextClient(FlaskClient):
    """A test client whose every request runs in a fresh app context.

    The ``app`` fixture holds an app context for the whole test; without this, requests would
    share its ``g`` (Flask-WTF's CSRF token, Flask-Babel's locale) and its database session,
    unlike requests to a real server.
    """

    def open(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def _session_app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Flask:
    from flask_migrate import upgrade

    app = create_app({
        "TESTING": True,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret-key-not-for-production",
    })
    app.test_client_class = FreshContextClient
    with app.app_context():
        upgrade()
    return app


@pytest.fixture
def app(_session_app: Flask, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The app inside an app context; every table is emptied after the test.

    Every test gets an empty local-banks folder ("eigen vragen"), never the instance's own.
    """
    from quickscan.extensions import limiter

    limiter.reset()
    _session_app.config["LOCAL_QUESTIONS_DIR"] = str(tmp_path_factory.mktemp("local_questions"))
    with _session_app.app_context():
        yield _session_app
        db.session.rollback()
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(table.delete())
        db.session.commit()
        db.session.remove()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client of the app (CSRF protection stays on)."""
    return app.test_client()


# --------------------------------------------------------------------------- factories


@pytest.fixture
def test_banks(app: Flask, tmp_path: Path) -> Iterator[Path]:
    """Point the app at the small test questions folder (``factories.write_questions``): a
    common bank ``bestuur``, ``wonen`` in two versions, ``werk`` and one invalid file."""
    from quickscan.services.banks import reload_catalog

    previous = app.config["QUESTIONS_DIR"]
    folder = write_questions(tmp_path)
    app.config["QUESTIONS_DIR"] = str(folder)
    reload_catalog()
    try:
        yield folder
    finally:
        app.config["QUESTIONS_DIR"] = previous
        reload_catalog()


@pytest.fixture
def small_round(app: Flask) -> SurveyRound:
    """An open round on the small test banks (``tests/survey/banks``), departments "Zorg"
    (proef_bestuur + proef_zorg) and "Sport" (proef_bestuur + proef_sport)."""
    return small_round_for(app)


@pytest.fixture
def closed_round(app: Flask) -> SurveyRound:
    """A closed round on the small test banks."""
    return small_round_for(app, status=ROUND_CLOSED, name="Gesloten ronde")


@pytest.fixture
def real_round(app: Flask) -> SurveyRound:
    """An open round on the real ``bestuur`` and ``zorg`` banks (small banks if invalid)."""
    return real_round_for(app)


@pytest.fixture
def login_as(app: Flask) -> Callable[[str], FlaskClient]:
    """``login_as(role)``: a new client logged in (through the login form) as a new account
    with that role (lezer, coordinator or beheerder; e-mail from ``ROLE_EMAILS``)."""
    def login(role: str) -> FlaskClient:
        create_account(role)
        return log_in(app.test_client(), ROLE_EMAILS[role], PASSWORD)

    return login


# --------------------------------------------------------------------------- browser tests

CHROMIUM = os.environ.get("QUICKSCAN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """Serve the test app on a free loopback port in a thread; yields the base URL."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Debian's Chromium driven by Playwright (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `make test` (installs it)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    """A fresh browser context and page for one test."""
    context = browser.new_context()  # type: ignore[attr-defined]
    page = context.new_page()
    yield page
    context.close()


def assert_accessible(page: object, context: str = "") -> None:
    """Run axe-core on the current page and fail with the violations found (WCAG 2.1 AA)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
    violations = results.response["violations"]
    assert not violations, f"axe violations on {context or page.url}:\n" + "\n".join(  # type: ignore[attr-defined]
        f"- {v['id']}: {v['help']} ({[n['target'] for n in v['nodes']][:5]})"
        for v in violations)
