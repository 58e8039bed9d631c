"""Findings of the security probe (issue 10, item 5), each closed with a test.

Query strings and ids that used to answer 500, the language switch's redirect, session
fixation, the per-account login limit, private instance files, ``Cache-Control: no-store``,
names with invisible or bidi characters, the secret-key race and ``TRUSTED_HOSTS``. (The
access log is tested against a real gunicorn in ``tests/server/test_access_log_and_sessions.py``.)
"""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
import stat
from pathlib import Path

import pytest
from sqlalchemy import func, select

from quickscan import create_app
from quickscan.config import _secret_key, secure_instance_folder, trusted_hosts
from quickscan.extensions import db, limiter
from quickscan.models import Department, Round
from quickscan.names import InvalidName, clean_name, name_key
from quickscan.services import accounts, responses, rounds
from quickscan.services.rounds import RoundError
from tests.factories import csrf_token, log_in, post, service_round

PASSWORD = "een-lang-wachtwoord"
EMAIL = "coord@gemeente.example"


@pytest.fixture
def coordinator(app, test_banks):
    accounts.create_user(EMAIL, PASSWORD, "coordinator")
    return log_in(app.test_client(), EMAIL, PASSWORD)


@pytest.fixture
def round_(app, test_banks):
    return service_round("Ronde", "Gemeente", [("Wonen", ["wonen"]), ("Werk", ["werk"])])


# --------------------------------------------------------------------------- 500s


@pytest.mark.parametrize("query", ["afdeling=²", "afdeling=٣", "vergelijk=²",
                                   "vergelijk=99999999999999999999999",
                                   "afdeling=99999999999999999999999"])
def test_unicode_digits_and_huge_ids_in_queries_are_400(coordinator, round_, query):
    for path in (f"/rondes/{round_.id}/resultaten", f"/rondes/{round_.id}/grafiek/vergelijking.svg"):
        if "afdeling" in query and "grafiek" in path:
            continue
        response = coordinator.get(f"{path}?{query}")
        assert response.status_code == 400, (path, query, response.status_code)
        assert '<html lang="nl"' in response.get_data(as_text=True)


@pytest.mark.parametrize("path", [
    "/rondes/99999999999999999999999", "/rondes/2147483648/resultaten",
    "/rondes/1/afdelingen/99999999999999999999999/rapport.pdf",
    "/gebruikers/99999999999999999999999/rol"])
def test_ids_beyond_the_database_range_are_404(coordinator, app, path):
    response = coordinator.post(path) if path.endswith("/rol") else coordinator.get(path)
    assert response.status_code == 404


@pytest.mark.parametrize(("target", "location"), [
    ("/rondes\nSet-Cookie: x=1", "/"), ("/\t/evil.example/x", "/"), ("/\\evil.example", "/"),
    ("//evil.example/x", "/"), ("https://evil.example/", "/"), ("/r\r\n/x", "/"),
    ("/rondes?x=1", "/rondes?x=1")])
def test_language_switch_redirects_only_on_site(client, app, target, location):
    response = post(client, "/taal", {"lang": "en", "next": target}, form_page="/")
    assert response.status_code == 302
    assert response.headers["Location"] == location
    assert all(not value.startswith("x=") for value in response.headers.getlist("Set-Cookie"))


# --------------------------------------------------------------------------- sessions


def test_login_renews_the_session_and_csrf_token(app, test_banks):
    accounts.create_user(EMAIL, PASSWORD, "coordinator")
    client = app.test_client()
    before = csrf_token(client, "/login")
    planted = client.get_cookie("session").value
    assert post(client, "/login", {"email": EMAIL, "password": PASSWORD, "csrf_token": before},
                form_page="/login").status_code == 303
    after = csrf_token(client, "/rondes/nieuw")
    assert after != before
    assert client.get_cookie("session").value != planted
    # The token from before the login no longer works in the logged-in session.
    refused = client.post("/rondes/nieuw", data={"csrf_token": before, "name": "X",
                                                  "municipality": "Y", "bank": "wonen"})
    assert refused.status_code == 400
    assert db.session.scalar(select(func.count(Round.id))) == 0
    # A planted pre-login session cookie gives an attacker nothing.
    attacker = app.test_client()
    attacker.set_cookie("session", planted)
    assert attacker.get("/rondes").status_code == 302


def test_per_account_limit_stops_guessing_from_many_addresses(app, test_banks):
    accounts.create_user(EMAIL, PASSWORD, "coordinator")
    accounts.create_user("ander@gemeente.example", PASSWORD, "coordinator")
    app.config["ACCOUNT_LOGIN_RATE_LIMIT"] = "5 per 2 seconds"
    try:
        statuses = []
        for attempt in range(7):
            client = app.test_client()
            client.environ_base["REMOTE_ADDR"] = f"198.51.100.{attempt + 1}"
            statuses.append(post(client, "/login", {"email": EMAIL.upper(),
                                                    "password": f"gok-{attempt}-xxxxxx"},
                                 form_page="/login").status_code)
        assert statuses == [401] * 5 + [429] * 2
        locked = app.test_client()
        locked.environ_base["REMOTE_ADDR"] = "203.0.113.9"
        assert post(locked, "/login", {"email": EMAIL, "password": PASSWORD},
                    form_page="/login").status_code == 429  # even the right password
        other = app.test_client()
        other.environ_base["REMOTE_ADDR"] = "198.51.100.1"
        assert post(other, "/login", {"email": "ander@gemeente.example", "password": PASSWORD},
                    form_page="/login").status_code == 303  # other accounts unaffected
        import time

        time.sleep(2.2)  # the lock-out is short
        assert post(locked, "/login", {"email": EMAIL, "password": PASSWORD},
                    form_page="/login").status_code == 303
    finally:
        app.config["ACCOUNT_LOGIN_RATE_LIMIT"] = "10 per 5 minutes"
        limiter.reset()


def test_successful_logins_do_not_count_towards_the_account_limit(app, test_banks):
    accounts.create_user(EMAIL, PASSWORD, "coordinator")
    for _ in range(15):
        client = app.test_client()
        assert post(client, "/login", {"email": EMAIL, "password": PASSWORD},
                    form_page="/login").status_code == 303


# --------------------------------------------------------------------------- files


def test_instance_files_are_private(tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir(mode=0o755)
    (instance / "reports").mkdir(mode=0o755)
    old_report = instance / "reports" / "rapport.pdf"
    old_report.write_bytes(b"%PDF")
    old_report.chmod(0o644)
    database = instance / "quickscan.db"
    secure_instance_folder(str(instance), f"sqlite:///{database}")
    key = _secret_key(str(instance))
    connection = sqlite3.connect(database)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("CREATE TABLE t (x)")
    connection.execute("INSERT INTO t VALUES (1)")
    connection.commit()
    wal = Path(f"{database}-wal")
    assert wal.exists()
    modes = {path.name: stat.S_IMODE(path.stat().st_mode)
             for path in (instance, instance / "reports", old_report, database, wal,
                          Path(f"{database}-shm"), instance / "secret_key")}
    connection.close()
    assert modes == {"instance": 0o700, "reports": 0o700, "rapport.pdf": 0o600,
                     "quickscan.db": 0o600, "quickscan.db-wal": 0o600,
                     "quickscan.db-shm": 0o600, "secret_key": 0o600}, modes
    assert len(key) == 64


def _start_worker(folder: str, barrier: multiprocessing.synchronize.Barrier,
                  queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    barrier.wait()
    try:
        queue.put(_secret_key(folder))
    except Exception as exc:  # noqa: BLE001 - reported to the test
        queue.put(f"error: {exc!r}")


def test_four_workers_starting_at_once_share_one_secret_key(tmp_path):
    context = multiprocessing.get_context("fork")
    for attempt in range(5):
        folder = tmp_path / f"instance-{attempt}"
        barrier = context.Barrier(4)
        queue = context.Queue()
        workers = [context.Process(target=_start_worker, args=(str(folder), barrier, queue))
                   for _ in range(4)]
        for worker in workers:
            worker.start()
        keys = [queue.get(timeout=30) for _ in workers]
        for worker in workers:
            worker.join(timeout=30)
            assert worker.exitcode == 0
        assert len(set(keys)) == 1 and len(keys[0]) == 64, keys
        assert (folder / "secret_key").read_text() == keys[0]
        assert sorted(p.name for p in folder.iterdir()) == ["secret_key"]  # no temp files left


# --------------------------------------------------------------------------- headers


def test_team_pages_and_respondent_results_are_not_stored(coordinator, round_, app):
    for path in ("/rondes", f"/rondes/{round_.id}", f"/rondes/{round_.id}/voortgang",
                 f"/rondes/{round_.id}/resultaten", f"/rondes/{round_.id}/rapport",
                 "/uitkomsten", "/account/wachtwoord", "/login"):
        response = coordinator.get(path)
        assert response.headers.get("Cache-Control") == "no-store", path
    token = rounds.invitation_token(round_.departments[0])
    respondent = app.test_client()
    started = post(respondent, f"/s/{token}/start", form_page=f"/s/{token}")
    resume = started.headers["Location"].rstrip("/").split("/r/")[1]
    responses.submit(responses.find_response(resume))
    page = respondent.get(f"/r/{resume}/resultaten")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"


def test_trusted_hosts_refuse_other_host_headers(database_url, monkeypatch):
    monkeypatch.setenv("QUICKSCAN_TRUSTED_HOSTS", "quickscan.gemeente.example, localhost")
    app = create_app({"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "x" * 32})
    assert app.config["TRUSTED_HOSTS"] == ["quickscan.gemeente.example", "localhost"]
    client = app.test_client()
    assert client.get("/", headers={"Host": "quickscan.gemeente.example"}).status_code == 200
    refused = client.get("/", headers={"Host": "evil.example"})
    assert refused.status_code == 400
    assert "evil.example" not in refused.get_data(as_text=True)
    assert trusted_hosts('["a.example"]') == ["a.example"]
    assert trusted_hosts(["a.example"]) == ["a.example"]
    assert trusted_hosts("") is None


# --------------------------------------------------------------------------- names


@pytest.mark.parametrize("bad", ["Wonen\u202egnineok", "Wo\u200bnen", "Wonen\u2066",
                                 "Wonen\x07", "Wonen\u200f", "Wo\ufeffnen"])
def test_names_with_bidi_zero_width_or_control_characters_are_refused(bad):
    with pytest.raises(InvalidName):
        clean_name(bad)
    with pytest.raises(RoundError):
        rounds.create_round(bad, "Gemeente")


def test_names_are_nfc_and_duplicates_compare_case_and_width_insensitively(app, round_):
    assert clean_name("Cafe\u0301  Zuid ") == "Caf\u00e9 Zuid"
    assert name_key("ＷＯＮＥＮ") == name_key("wonen") == name_key("Wonen")
    for duplicate in ("ＷＯＮＥＮ", "wonen", " WONEN "):
        with pytest.raises(RoundError):
            rounds.add_department(round_, duplicate, ["wonen"])
    with pytest.raises(RoundError):
        rounds.create_round("Ronde", "Gemeente", departments=[("Cafe\u0301", []), ("CAFÉ", [])])
    department = rounds.add_department(round_, "Cafe\u0301", ["wonen"])
    assert department.name == "Caf\u00e9"


def test_web_form_refuses_a_bidi_department_name_and_writes_nothing(coordinator, round_):
    before = db.session.scalar(select(func.count(Department.id)))
    response = post(coordinator, f"/rondes/{round_.id}/afdelingen",
                    {"name": "Wonen\u202e", "bank": "wonen"}, form_page=f"/rondes/{round_.id}")
    assert response.status_code == 422
    assert "stuurtekens" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Department.id))) == before


def test_account_emails_are_normalised(app):
    user = accounts.create_user(" Ｃoord@Gemeente.example ", PASSWORD, "lezer")
    assert user.email == "ｃoord@gemeente.example"
    with pytest.raises(accounts.AccountError):
        accounts.create_user("co\u202eord@gemeente.example", PASSWORD, "lezer")
    assert os.environ.get("QUICKSCAN_TRUSTED_HOSTS") is None


def test_app_log_lines_never_carry_a_token(app):
    import logging

    from flask.logging import default_handler

    record = logging.LogRecord("quickscan.app.database", logging.ERROR, __file__, 1,
                               "database unavailable on %s %s: %s", ("POST", "/r/geheim-token/stap/1",
                                                                     "x"), None)
    for log_filter in default_handler.filters:
        log_filter.filter(record)
    assert "geheim-token" not in record.getMessage()
    assert "/r/***/stap/1" in record.getMessage()
