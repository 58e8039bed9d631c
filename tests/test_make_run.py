"""What ``make run`` does, as separate processes: migrate, load the demo, serve.

The Makefile's ``run`` target runs ``quickscan db upgrade``, ``quickscan demo --if-empty`` and
``quickscan run``; this test runs the same commands (the installed ``quickscan`` script next to
this interpreter) on a temporary SQLite database, starts the server on a free port and checks the
front page, the login page, a coordinator login with the printed demo password and the demo
round's first invitation link. Running the first two steps again, as a second ``make run`` does,
changes nothing.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.factories import CSRF_RE

pytestmark = pytest.mark.slow

QUICKSCAN = Path(sys.executable).parent / "quickscan"
ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def quickscan(env: dict[str, str], *args: str) -> str:
    """Run one ``quickscan`` command to completion; returns its standard output."""
    done = subprocess.run([str(QUICKSCAN), *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, f"quickscan {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """The environment of ``make run``, with the database and demo login in ``tmp_path``."""
    environment = {key: value for key, value in os.environ.items()
                   if not key.startswith("QUICKSCAN_")}
    environment["QUICKSCAN_DATABASE_URL"] = f"sqlite:///{tmp_path / 'q.db'}"
    environment["QUICKSCAN_DEMO_LOGIN_FILE"] = str(tmp_path / "demo-login.txt")
    return environment


@contextmanager
def serving(env: dict[str, str], port: int, command: list[str] | None = None,
            cwd: Path = ROOT) -> Iterator[str]:
    """``quickscan run`` on ``port`` until the block ends; yields the base URL once it answers.

    ``command`` is the ``quickscan`` script to run (default: the one beside this interpreter).
    """
    process = subprocess.Popen(
        [*(command or [str(QUICKSCAN)]), "run", "--host", "127.0.0.1", "--port", str(port)],
        env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, f"quickscan run exited with {process.returncode}"
            try:
                with urllib.request.urlopen(base + "/login", timeout=2):
                    break
            except (urllib.error.URLError, ConnectionError):
                assert time.monotonic() < deadline, "quickscan run did not answer in 30 s"
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def get(opener: urllib.request.OpenerDirector, url: str) -> tuple[int, str, str]:
    """GET ``url``: (status, final URL, body)."""
    with opener.open(url, timeout=10) as response:
        return response.status, response.geturl(), response.read().decode("utf-8")


def test_make_run_serves_the_demo_round(env, tmp_path):
    assert QUICKSCAN.exists(), QUICKSCAN
    quickscan(env, "db", "upgrade")
    output = quickscan(env, "demo", "--if-empty")
    assert re.search(r"Demoronde \d+ geladen", output), output
    password = re.search(r"wachtwoord:\s*(\S+)", output).group(1)
    assert (tmp_path / "demo-login.txt").read_text(encoding="utf-8").count(password) == 1

    # A second `make run` migrates nothing new and leaves the demo as it is.
    quickscan(env, "db", "upgrade")
    again = quickscan(env, "demo", "--if-empty")
    assert "niet opnieuw geladen" in again and password in again
    assert quickscan(env, "rounds", "list").count("\n") == 1

    # Links are printed for the address the server is about to listen on.
    port = free_port()
    links_env = dict(env, QUICKSCAN_BASE_URL=f"http://127.0.0.1:{port}")
    round_id = quickscan(env, "rounds", "list").split("\t", 1)[0]
    links = quickscan(links_env, "rounds", "links", round_id).rstrip("\n").split("\n")
    assert len(links) >= 3
    first_link = links[0].split("\t")[1]
    assert first_link.startswith(f"http://127.0.0.1:{port}/s/")

    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    with serving(env, port) as base:
        status, _, front = get(opener, base + "/")
        assert status == 200 and "Quickscan Inclusieve Gemeente" in front

        status, _, login_page = get(opener, base + "/login")
        assert status == 200 and "Inloggen als coördinator" in login_page

        status, _, intro = get(opener, first_link)
        assert status == 200
        assert "Start de vragenlijst" in intro and "Gemeente Voorbeeld" in intro

        # The demo coordinator logs in with the printed password and sees the demo round.
        token = CSRF_RE.search(login_page).group(1)
        form = urllib.parse.urlencode({"csrf_token": token, "email": "demo@quickscan.local",
                                       "password": password}).encode()
        with opener.open(base + "/login", data=form, timeout=10) as response:
            assert response.status == 200 and response.geturl() == base + "/rondes"
            assert "Gemeente Voorbeeld" in response.read().decode("utf-8")


#: A program a test starts by its name (a string literal first in the argument list given to
#: subprocess's run/Popen/check_output/call, or the argument of shutil's which).
PROGRAM_CALL_RE = re.compile(
    r"""(?:\b(?:run|Popen|check_output|check_call|call)\(\s*\[\s*|\bwhich\(\s*)["']([\w.+-]+)["']""")


def test_make_test_installs_every_program_the_tests_call():
    """``make test`` (target ``test-programs``) knows every external program the suite calls."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    declared = re.search(r"^TEST_PROGRAMS \?= (.+)$", makefile, re.MULTILINE)
    assert declared, "Makefile: TEST_PROGRAMS missing"
    programs = dict(pair.split(":", 1) for pair in declared.group(1).split())
    assert re.search(r"^test: .*\btest-programs\b", makefile, re.MULTILINE)

    called: dict[str, set[str]] = {}
    for path in sorted((ROOT / "tests").rglob("*.py")):
        for name in PROGRAM_CALL_RE.findall(path.read_text(encoding="utf-8")):
            called.setdefault(name, set()).add(path.relative_to(ROOT).as_posix())
    assert {"pdftotext", "pdftoppm"} <= called.keys(), called
    missing = {name: where for name, where in called.items() if name not in programs}
    assert not missing, f"add these to TEST_PROGRAMS in the Makefile (program:package): {missing}"
    for program, package in programs.items():
        assert program and package, (program, package)
