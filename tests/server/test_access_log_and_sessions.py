"""Against a real gunicorn started as docs/operations.md says (``-c python:quickscan.gunicorn_conf``).

* No invitation or resume token reaches gunicorn's access log (or its error log).
* Logging out, changing the password and deactivation end every session of a user: an old
  session cookie and an old remember-me cookie replayed with ``requests`` are refused.
* The instance folder's files are private to the service user (umask 077).
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.server.harness import (
    CSRF_RE,
    ROOT,
    VENV_BIN,
    Respondent,
    Server,
    create_private_database,
    migrate,
    seed_round,
    server_env,
    write_server_questions,
)

PASSWORD = "een-heel-lang-wachtwoord"


@dataclass
class ConfiguredServer(Server):
    """gunicorn with the shipped configuration file and a private instance folder."""

    instance: Path | None = None

    def start(self) -> None:
        """Start ``gunicorn -c python:quickscan.gunicorn_conf`` and wait until it is ready."""
        from tests.server.harness import free_port

        self.port = free_port()
        env = server_env(self.database.url, self.questions, **self.extra_env)
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [str(VENV_BIN / "gunicorn"), "-c", "python:quickscan.gunicorn_conf",
             "-w", str(self.workers), "--bind", f"127.0.0.1:{self.port}",
             "--timeout", "60", "--graceful-timeout", "5", "quickscan:create_app()"],
            env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        self.wait_ready()


@dataclass
class Setup:
    server: ConfiguredServer
    tokens: dict[str, str]
    env: dict[str, str]


@pytest.fixture(scope="module")
def configured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    tmp = tmp_path_factory.mktemp("conf-server")
    questions = write_server_questions(tmp)
    database = create_private_database(tmp)
    server: ConfiguredServer | None = None
    try:
        migrate(database.url, questions)
        seeded = seed_round(database.url, questions)
        env = server_env(database.url, questions)
        for email, role in (("beheer@gemeente.example", "beheerder"),
                            ("coord@gemeente.example", "coordinator")):
            result = subprocess.run(
                [str(VENV_BIN / "quickscan"), "users", "create", "--email", email,
                 "--password-stdin", "--role", role], input=PASSWORD + "\n", env=env,
                cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)
            assert result.returncode == 0, result.stderr
        server = ConfiguredServer(database=database, questions=questions,
                                  log_path=tmp / "server.log")
        server.start()
        yield Setup(server, seeded.tokens, env)
    finally:
        if server is not None:
            server.stop()
        database.drop()


def test_no_token_reaches_the_access_log(configured: Setup) -> None:
    base = configured.server.base_url
    tokens = []
    for invitation in configured.tokens.values():
        respondent = Respondent(base)
        resume = respondent.start(invitation)
        csrf, questions = respondent.open_step(1)
        saved = respondent.save(1, csrf, {questions[0]: "2"})
        assert saved.status_code == 303
        assert requests.get(f"{base}/r/{resume}/resultaten", timeout=30).status_code == 403
        tokens += [invitation, resume]
    # Unknown tokens (404) and a token in the referrer header are masked too.
    requests.get(f"{base}/s/geraden-token-1234567890abcdef", timeout=30,
                 headers={"Referer": f"{base}/s/{tokens[0]}"})
    configured.server.stop()  # flush every worker's log lines
    log = configured.server.log()
    configured.server.start()
    assert re.search(r'"GET /s/\*\*\*/? HTTP/1\.1" 200', log), log[-2000:]
    assert re.search(r'"POST /r/\*\*\*/stap/1 HTTP/1\.1" 303', log), log[-2000:]
    for token in [*tokens, "geraden-token-1234567890abcdef"]:
        assert token not in log


def _login(base: str, email: str, remember: bool = True) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{base}/login", timeout=30)
    csrf = CSRF_RE.search(page.text)
    assert csrf
    data = {"csrf_token": csrf.group(1), "email": email, "password": PASSWORD}
    if remember:
        data["remember"] = "y"
    response = session.post(f"{base}/login", data=data, allow_redirects=False, timeout=30)
    assert response.status_code == 303, response.status_code
    assert "remember_token" in session.cookies or not remember
    return session


def _replay(base: str, cookies: dict[str, str]) -> int:
    """GET the rounds page with only ``cookies``; 200 means the session still works."""
    return requests.get(f"{base}/rondes", cookies=cookies, allow_redirects=False,
                        timeout=30).status_code


def test_logout_ends_every_session_including_remember_me(configured: Setup) -> None:
    base = configured.server.base_url
    first = _login(base, "coord@gemeente.example")
    second = _login(base, "coord@gemeente.example")  # another device
    old_session = {"session": first.cookies["session"]}
    old_remember = {"remember_token": first.cookies["remember_token"]}
    assert _replay(base, old_session) == 200
    assert _replay(base, old_remember) == 200
    csrf = CSRF_RE.search(first.get(f"{base}/rondes", timeout=30).text)
    assert csrf
    out = first.post(f"{base}/logout", data={"csrf_token": csrf.group(1)},
                     allow_redirects=False, timeout=30)
    assert out.status_code == 303
    assert _replay(base, old_session) == 302
    assert _replay(base, old_remember) == 302
    assert second.get(f"{base}/rondes", allow_redirects=False, timeout=30).status_code == 302


def test_deactivation_and_cli_reset_end_sessions(configured: Setup) -> None:
    base = configured.server.base_url
    coordinator = _login(base, "coord@gemeente.example")
    cookies = dict(coordinator.cookies)
    assert _replay(base, cookies) == 200
    result = subprocess.run(
        [str(VENV_BIN / "quickscan"), "users", "reset-password", "coord@gemeente.example",
         "--password-stdin"], input=PASSWORD + "\n", env=configured.env, cwd=ROOT,
        capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert _replay(base, cookies) == 302
    assert _replay(base, {"remember_token": cookies["remember_token"]}) == 302

    coordinator = _login(base, "coord@gemeente.example")
    cookies = dict(coordinator.cookies)
    beheerder = _login(base, "beheer@gemeente.example", remember=False)
    users_page = beheerder.get(f"{base}/gebruikers", timeout=30)
    user_id = re.search(r'/gebruikers/(\d+)/deactiveren"[^<]*<input[^>]*>\s*<button[^>]*'
                        r'aria-label="coord@gemeente\.example', users_page.text)
    csrf = CSRF_RE.search(users_page.text)
    assert user_id and csrf, users_page.text[:2000]
    done = beheerder.post(f"{base}/gebruikers/{user_id.group(1)}/deactiveren",
                          data={"csrf_token": csrf.group(1)}, allow_redirects=False,
                          timeout=30)
    assert done.status_code == 303
    assert _replay(base, cookies) == 302
    assert _replay(base, {"remember_token": cookies["remember_token"]}) == 302
