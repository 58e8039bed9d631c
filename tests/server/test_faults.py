"""Faults against the real server: the database going away, and workers killed mid-save.

* Database unreachable (SQLite: its folder renamed away and the workers recycled so no pooled
  connection survives; PostgreSQL: the database stops accepting connections and its backends
  are terminated): every page answers with the Dutch 503 page, the server logs a line, the
  refused save leaves no trace, and once the database is back everything works again.
* A transient fault (SQLite: another process holds the write lock longer than the busy
  timeout -> 503 and nothing written; PostgreSQL: every connection of the server is
  terminated -> the pool reconnects and the next requests succeed without an error).
* Workers killed with SIGKILL while 16 respondents keep saving: every save answered with
  success is in the database, and no page is ever half saved.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import threading
import time
from dataclasses import dataclass, field

import requests
from sqlalchemy import text

from tests.server.harness import Respondent, ServerSetup, stored_page

VALUES = ("0", "1", "2", "3", "4", "dont_know", "not_applicable")


def _page_values(version: int, questions: list[str]) -> tuple[dict[str, str], dict[str, str],
                                                              int]:
    """What save number ``version`` sends: every answer, comment and the importance agree."""
    answers = {q: VALUES[version % len(VALUES)] for q in questions}
    comments = {q: f"versie {version}" for q in questions}
    return answers, comments, version % 5 + 1


def _assert_503_page(response: requests.Response) -> None:
    assert response.status_code == 503, (response.status_code, response.text[:500])
    assert "Tijdelijk niet beschikbaar" in response.text
    assert '<html lang="nl"' in response.text
    assert "Traceback" not in response.text
    assert "OperationalError" not in response.text


def _started(setup: ServerSetup) -> tuple[Respondent, str, list[str]]:
    respondent = Respondent(setup.base_url)
    respondent.start(setup.round.tokens["Wonen"])
    csrf, questions = respondent.open_step(1)
    return respondent, csrf, questions


def _unreachable(setup: ServerSetup) -> None:
    database = setup.database
    if database.kind == "postgresql":
        database.set_accepting(False)
    else:
        assert database.path is not None
        folder = database.path.parent
        folder.rename(folder.with_name(folder.name + ".away"))
        setup.server.reload_workers()


def _reachable(setup: ServerSetup) -> None:
    database = setup.database
    if database.kind == "postgresql":
        database.set_accepting(True)
    else:
        assert database.path is not None
        folder = database.path.parent
        folder.with_name(folder.name + ".away").rename(folder)


def test_database_unreachable_gives_dutch_503_and_no_half_save(live_gunicorn: ServerSetup):
    respondent, csrf, questions = _started(live_gunicorn)
    baseline = _page_values(1, questions)
    assert respondent.save(1, csrf, *baseline).status_code == 303
    log_before = len(live_gunicorn.server.log())

    _unreachable(live_gunicorn)
    try:
        _assert_503_page(respondent.session.get(
            f"{live_gunicorn.base_url}/r/{respondent.resume_token}/stap/1", timeout=60))
        _assert_503_page(respondent.save(1, csrf, *_page_values(2, questions)))
        _assert_503_page(respondent.session.get(
            f"{live_gunicorn.base_url}/s/{live_gunicorn.round.tokens['Wonen']}", timeout=60))
        assert requests.get(live_gunicorn.base_url + "/healthz", timeout=10).status_code == 200
    finally:
        _reachable(live_gunicorn)

    log = live_gunicorn.server.log()[log_before:]
    assert "database unavailable on POST /r/" in log
    assert "database unavailable on GET /r/" in log
    assert "Traceback" not in log

    engine = live_gunicorn.engine()
    try:
        answers, comments, importance = stored_page(engine, respondent.resume_token or "")
        assert (answers, comments, set(importance.values())) == (
            baseline[0], baseline[1], {baseline[2]})
        # Back again: the same save now succeeds and is stored completely.
        assert respondent.open_step(1)[1] == questions
        assert respondent.save(1, csrf, *_page_values(2, questions)).status_code == 303
        answers, comments, importance = stored_page(engine, respondent.resume_token or "")
        expected = _page_values(2, questions)
        assert (answers, comments, set(importance.values())) == (
            expected[0], expected[1], {expected[2]})
    finally:
        engine.dispose()


def test_transient_database_fault(live_gunicorn: ServerSetup):
    respondent, csrf, questions = _started(live_gunicorn)
    baseline = _page_values(3, questions)
    assert respondent.save(1, csrf, *baseline).status_code == 303
    database = live_gunicorn.database
    if database.kind == "postgresql":
        import psycopg

        with psycopg.connect(database.admin_url, autocommit=True) as connection:
            ended = connection.execute(
                "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = %s", (database.name,)).fetchone()
        assert ended is not None and ended[0] >= 1
        # The pool notices the dead connections (pre-ping) and reconnects: no error at all.
        for version in range(4, 12):
            assert respondent.open_step(1)[1] == questions
            assert respondent.save(1, csrf, *_page_values(version, questions)).status_code == 303
        expected = _page_values(11, questions)
    else:
        # Another process holds SQLite's write lock for longer than the 5 s busy timeout.
        locker = sqlite3.connect(str(database.path), isolation_level=None, timeout=30)
        try:
            locker.execute("BEGIN IMMEDIATE")
            locker.execute("UPDATE round SET description = 'vergrendeld'")
            started = time.monotonic()
            refused = respondent.save(1, csrf, *_page_values(4, questions))
            waited = time.monotonic() - started
            _assert_503_page(refused)
            assert waited >= 4.5  # it waited for the lock (busy_timeout) before giving up
            # Reading still works while the writer holds the lock (WAL).
            assert respondent.open_step(1)[1] == questions
        finally:
            locker.execute("ROLLBACK")
            locker.close()
        expected = baseline
    engine = live_gunicorn.engine()
    try:
        answers, comments, importance = stored_page(engine, respondent.resume_token or "")
        assert (answers, comments, set(importance.values())) == (
            expected[0], expected[1], {expected[2]})
    finally:
        engine.dispose()


@dataclass
class Saver:
    """A respondent saving the same page again and again, each save with a new version."""

    respondent: Respondent
    csrf: str
    questions: list[str]
    attempted: set[int] = field(default_factory=set)
    last_ok: int = 0
    interrupted: int = 0
    unexpected: list[str] = field(default_factory=list)

    def run(self, stop: threading.Event, first_version: int) -> None:
        """Save until told to stop; a cut connection is an unknown outcome, not an error."""
        version = first_version
        while not stop.is_set():
            version += 1
            self.attempted.add(version)
            try:
                response = self.respondent.save(1, self.csrf,
                                                *_page_values(version, self.questions))
            except requests.ConnectionError:
                self.interrupted += 1
                continue
            if response.status_code == 303:
                self.last_ok = version
            else:
                self.unexpected.append(f"HTTP {response.status_code}")


def test_worker_killed_mid_save(live_gunicorn: ServerSetup):
    server = live_gunicorn.server
    savers = []
    for index in range(16):
        respondent = Respondent(live_gunicorn.base_url)
        department = sorted(live_gunicorn.round.tokens)[index % 2]
        respondent.start(live_gunicorn.round.tokens[department])
        csrf, questions = respondent.open_step(1)
        savers.append(Saver(respondent, csrf, questions))
    stop = threading.Event()
    threads = [threading.Thread(target=saver.run, args=(stop, 1000 * i))
               for i, saver in enumerate(savers)]
    for thread in threads:
        thread.start()
    rng = random.Random(6)
    killed = 0
    try:
        time.sleep(1.0)
        for _ in range(8):
            workers = server.worker_pids()
            if workers:
                os.kill(rng.choice(workers), signal.SIGKILL)
                killed += 1
            time.sleep(0.4)
        time.sleep(1.0)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=120)
    server.wait_ready()
    assert killed == 8
    assert sum(saver.interrupted for saver in savers) >= 1, "no kill hit a request in flight"
    assert [u for saver in savers for u in saver.unexpected] == []

    engine = live_gunicorn.engine()
    try:
        for saver in savers:
            assert saver.last_ok > 0
            answers, comments, importance = stored_page(engine, saver.respondent.resume_token
                                                        or "")
            versions = {int(comment.split()[1]) for comment in comments.values()}
            assert len(versions) == 1, f"page half saved: {comments}"
            version = versions.pop()
            assert version >= saver.last_ok  # every successful save is in (or superseded)
            assert version in saver.attempted
            assert (answers, comments, set(importance.values())) == (
                _page_values(version, saver.questions)[0],
                _page_values(version, saver.questions)[1],
                {_page_values(version, saver.questions)[2]})
        with engine.connect() as connection:
            orphans = connection.execute(text(
                "SELECT COUNT(*) FROM answer a LEFT JOIN response r ON r.id = a.response_id "
                "WHERE r.id IS NULL")).scalar_one()
        assert orphans == 0
    finally:
        engine.dispose()
    # The server still serves everyone after the kills.
    assert requests.get(live_gunicorn.base_url + "/healthz", timeout=10).status_code == 200
