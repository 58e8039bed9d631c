"""Harness for the real-server tests: gunicorn with several workers on a private database.

The server runs as a subprocess on a free loopback port, on a fresh database: a SQLite file in
WAL mode by default, or, when ``QUICKSCAN_TEST_DATABASE_URL`` points at PostgreSQL, a private
database (``qs_server_<pid>_<n>``) created on that server next to the test database and
dropped afterwards (the shared ``test`` database is never used by the server, because other
tests reset its schema). The schema is created with ``quickscan db upgrade``, the round is
seeded through the services, and the survey is driven over HTTP with ``requests``.

Rate limits use Flask-Limiter's default ``memory://`` storage, one counter per worker; they
count only failures (unknown tokens, failed logins), so respondents never hit them here.
"""

from __future__ import annotations

import itertools
import os
import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tests.factories import CSRF_RE

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
SECRET_KEY = "server-test-secret-key"
QUESTION_RE = re.compile(r'name="q-([a-z0-9_.]+)"')
_counter = itertools.count(1)


# --------------------------------------------------------------------------- databases


def _sqlalchemy_url(url: str) -> str:
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


@dataclass
class PrivateDatabase:
    """A database of the server tests' own: a SQLite file or a private PostgreSQL database."""

    url: str
    kind: str
    admin_url: str | None = None
    name: str | None = None
    path: Path | None = None

    def drop(self) -> None:
        """Remove the database (PostgreSQL: terminate its connections, then DROP DATABASE)."""
        if self.kind != "postgresql":
            return
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as connection:
            connection.execute("UPDATE pg_database SET datallowconn = true WHERE datname = %s",
                               (self.name,))
            connection.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (self.name,))
            connection.execute(f'DROP DATABASE IF EXISTS "{self.name}"')

    def set_accepting(self, accepting: bool) -> None:
        """PostgreSQL: allow or refuse new connections; refusing also ends the open ones."""
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as connection:
            connection.execute(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS '
                               f'{"true" if accepting else "false"}')
            if not accepting:
                connection.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid()", (self.name,))


def create_private_database(tmp_path: Path) -> PrivateDatabase:
    """A fresh, empty database for one server, following ``QUICKSCAN_TEST_DATABASE_URL``."""
    url = os.environ.get("QUICKSCAN_TEST_DATABASE_URL", "")
    if url.startswith(("postgresql://", "postgres://", "postgresql+psycopg://")):
        import psycopg
        from sqlalchemy.engine import make_url

        parsed = make_url(_sqlalchemy_url(url))
        name = f"qs_server_{os.getpid()}_{next(_counter)}"
        admin = parsed.set(drivername="postgresql", database="postgres")
        admin_url = admin.render_as_string(hide_password=False)
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
            connection.execute(f'CREATE DATABASE "{name}"')
        own = parsed.set(database=name).render_as_string(hide_password=False)
        return PrivateDatabase(url=own, kind="postgresql", admin_url=admin_url, name=name)
    folder = tmp_path / "dbdir"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "server.db"
    return PrivateDatabase(url=f"sqlite:///{path}", kind="sqlite", path=path)


def write_server_questions(root: Path) -> Path:
    """A small fixed questions folder: common bank ``bestuur`` and domain bank ``wonen``."""
    from tests.factories import bank_data

    folder = root / "questions"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "scales.yaml").write_text(
        (ROOT / "questions" / "scales.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    for data in (bank_data("bestuur", "Bestuur", common=True, themes=3, questions=4),
                 bank_data("wonen", "Wonen", themes=3, questions=4)):
        path = folder / data["id"] / f"{data['version']}.yaml"
        path.parent.mkdir(exist_ok=True)
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                        encoding="utf-8")
    return folder


def server_env(database_url: str, questions: Path, **extra: str) -> dict[str, str]:
    """The environment of the server and of ``quickscan`` commands run against it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUICKSCAN_")}
    env.update({
        "QUICKSCAN_DATABASE_URL": database_url,
        "QUICKSCAN_SECRET_KEY": SECRET_KEY,
        "QUICKSCAN_QUESTIONS_DIR": str(questions),
        "PYTHONUNBUFFERED": "1",
    })
    env.update(extra)
    return env


def migrate(database_url: str, questions: Path) -> None:
    """Create the schema with ``quickscan db upgrade`` (the way operators do)."""
    result = subprocess.run([str(VENV_BIN / "quickscan"), "db", "upgrade"],
                            env=server_env(database_url, questions), cwd=ROOT,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, f"quickscan db upgrade failed:\n{result.stderr}"


@dataclass
class SeededRound:
    """A round seeded for the server: its id and one invitation token per department."""

    round_id: int
    tokens: dict[str, str]


def seed_round(database_url: str, questions: Path, departments: tuple[str, ...] = (
        "Wonen", "Sociaal domein")) -> SeededRound:
    """Create an open round through the services; every department answers both banks."""
    from quickscan import create_app, links
    from quickscan.extensions import db
    from quickscan.services.banks import reload_catalog
    from tests.factories import service_round

    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": SECRET_KEY,
                      "QUESTIONS_DIR": str(questions)})
    with app.app_context():
        reload_catalog()
        round_ = service_round(
            "Servertest", "Gemeente Teststad",
            departments=[(name, ["bestuur", "wonen"]) for name in departments])
        tokens = {d.name: links.invitation_token(d) or "" for d in round_.departments}
        seeded = SeededRound(round_.id, tokens)
        db.session.remove()
        db.engine.dispose()
    reload_catalog()
    return seeded


# --------------------------------------------------------------------------- the server


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """A gunicorn server running the app as a subprocess."""

    database: PrivateDatabase
    questions: Path
    log_path: Path
    workers: int = 4
    process: subprocess.Popen[bytes] | None = None
    port: int = 0
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start gunicorn and wait until ``/healthz`` answers."""
        self.port = free_port()
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [str(VENV_BIN / "gunicorn"), "-w", str(self.workers),
             "--bind", f"127.0.0.1:{self.port}", "--timeout", "60",
             "--graceful-timeout", "5", "--log-level", "info", "quickscan:create_app()"],
            env=server_env(self.database.url, self.questions, **self.extra_env), cwd=ROOT,
            stdout=log, stderr=subprocess.STDOUT)
        log.close()
        self.wait_ready()

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Block until ``/healthz`` answers 200 and every worker has booted."""
        import requests

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None and self.process.poll() is None, (
                f"gunicorn exited:\n{self.log()}")
            try:
                if requests.get(self.base_url + "/healthz", timeout=2).status_code == 200 and \
                        len(self.worker_pids()) >= self.workers:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise AssertionError(f"gunicorn did not become ready:\n{self.log()}")

    def worker_pids(self) -> list[int]:
        """The pids of the running workers (children of the gunicorn master)."""
        assert self.process is not None
        pid = self.process.pid
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            return []
        return [int(child) for child in children]

    def reload_workers(self) -> None:
        """Replace every worker (SIGHUP), so no pooled database connection survives."""
        assert self.process is not None
        old = set(self.worker_pids())
        self.process.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            current = set(self.worker_pids())
            if current and not current & old and len(current) >= self.workers:
                return
            time.sleep(0.1)
        raise AssertionError("gunicorn workers were not replaced after SIGHUP")

    def log(self) -> str:
        """Everything the server wrote so far (gunicorn and app log lines)."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        """Stop gunicorn (SIGTERM, then SIGKILL) and wait for it."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


@dataclass
class ServerSetup:
    """A started server plus what was seeded into its database."""

    server: Server
    database: PrivateDatabase
    questions: Path
    round: SeededRound

    @property
    def base_url(self) -> str:
        """The server's base URL."""
        return self.server.base_url

    def engine(self) -> Any:
        """A SQLAlchemy engine on the server's database (for checking what was stored)."""
        from sqlalchemy import create_engine

        return create_engine(_sqlalchemy_url(self.database.url))


# --------------------------------------------------------------------------- a respondent


class Respondent:
    """One respondent driving the survey over HTTP with their own cookie session."""

    def __init__(self, base_url: str, session: Any | None = None) -> None:
        import requests

        self.base_url = base_url
        self.session = session if session is not None else requests.Session()
        self.resume_token: str | None = None

    def start(self, invitation_token: str) -> str:
        """Open the invitation, start a response; returns the resume token."""
        intro = self.session.get(f"{self.base_url}/s/{invitation_token}", timeout=60)
        assert intro.status_code == 200, intro.status_code
        csrf = CSRF_RE.search(intro.text)
        assert csrf, "no CSRF token on the intro page"
        started = self.session.post(f"{self.base_url}/s/{invitation_token}/start",
                                    data={"csrf_token": csrf.group(1)},
                                    allow_redirects=False, timeout=60)
        assert started.status_code == 303, started.status_code
        self.resume_token = started.headers["Location"].rstrip("/").split("/r/")[1]
        return self.resume_token

    def tab(self) -> Respondent:
        """A second browser tab: same cookies, same resume link."""
        other = Respondent(self.base_url, self.session)
        other.resume_token = self.resume_token
        return other

    def open_step(self, step: int) -> tuple[str, list[str]]:
        """GET a step; returns its CSRF token and question ids."""
        page = self.session.get(f"{self.base_url}/r/{self.resume_token}/stap/{step}",
                                timeout=60)
        assert page.status_code == 200, (page.status_code, page.text[:300])
        csrf = CSRF_RE.search(page.text)
        assert csrf, "no CSRF token on the step page"
        questions = list(dict.fromkeys(QUESTION_RE.findall(page.text)))
        return csrf.group(1), questions

    def save(self, step: int, csrf: str, answers: dict[str, str],
             comments: dict[str, str] | None = None, importance: int | None = None,
             action: str = "save") -> Any:
        """POST one step; returns the HTTP response (a 303 on success)."""
        data: dict[str, str] = {"csrf_token": csrf, "action": action}
        data.update({f"q-{qid}": value for qid, value in answers.items()})
        data.update({f"c-{qid}": text for qid, text in (comments or {}).items()})
        if importance is not None:
            data["importance"] = str(importance)
        return self.session.post(f"{self.base_url}/r/{self.resume_token}/stap/{step}",
                                 data=data, allow_redirects=False, timeout=60)


def stored_page(engine: Any, resume_token: str) -> tuple[dict[str, str], dict[str, str],
                                                         dict[tuple[str, str], int]]:
    """What the database holds for a response: answers, comments, importance ratings."""
    from sqlalchemy import text

    from quickscan.services.tokens import hash_token

    with engine.connect() as connection:
        response_id = connection.execute(
            text("SELECT id FROM response WHERE resume_token_hash = :h"),
            {"h": hash_token(resume_token)}).scalar_one()
        answers = dict(connection.execute(
            text("SELECT question_id, value FROM answer WHERE response_id = :r"),
            {"r": response_id}).all())
        comments = dict(connection.execute(
            text("SELECT question_id, text FROM comment WHERE response_id = :r"),
            {"r": response_id}).all())
        importance = {(b, t): v for b, t, v in connection.execute(
            text("SELECT bank_id, theme_id, value FROM importance_rating "
                 "WHERE response_id = :r"), {"r": response_id}).all()}
    return answers, comments, importance
