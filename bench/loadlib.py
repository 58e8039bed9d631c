"""What the load benchmarks share: their database, the gunicorn server, the HTTP client,
closed-loop throughput and percentiles (``bench_load.py`` and its ``--residents`` variant in
``bench_residents.py``).

Own client: ``http.client`` in threads, one connection per virtual user, cookies and CSRF
tokens handled like a browser. On PostgreSQL a private database ``qs_bench_<pid>`` is created
on the given server and dropped afterwards; the database named in the URL is never touched.
"""

from __future__ import annotations

import http.client
import os
import re
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent
SECRET_KEY = "bench-load-secret-key"
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


# --------------------------------------------------------------------------- database


@dataclass
class Database:
    """The benchmark's own database: a SQLite file or a private PostgreSQL database."""

    url: str
    kind: str
    admin_url: str | None = None
    name: str | None = None

    def drop(self) -> None:
        """Drop the private PostgreSQL database (SQLite files go with the temp folder)."""
        if self.kind != "postgresql":
            return
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as connection:
            connection.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                               "WHERE datname = %s", (self.name,))
            connection.execute(f'DROP DATABASE IF EXISTS "{self.name}"')


def make_database(url: str | None, tmp: Path) -> Database:
    """A fresh database: SQLite in ``tmp``, or a private one on the given PostgreSQL server."""
    if not url:
        return Database(f"sqlite:///{tmp / 'bench.db'}", "sqlite")
    import psycopg
    from sqlalchemy.engine import make_url

    parsed = make_url(url.replace("postgresql+psycopg://", "postgresql://"))
    admin = parsed.set(database="postgres").render_as_string(hide_password=False)
    name = f"qs_bench_{os.getpid()}"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
    own = parsed.set(database=name).render_as_string(hide_password=False)
    return Database(own, "postgresql", admin, name)


def env_for(database: Database, questions: Path,
            extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Environment of the server and of the ``quickscan`` commands (``extra`` on top)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUICKSCAN_")}
    env.update({"QUICKSCAN_DATABASE_URL": database.url, "QUICKSCAN_SECRET_KEY": SECRET_KEY,
                "QUICKSCAN_QUESTIONS_DIR": str(questions)})
    env.update(extra or {})
    return env


def migrate(database: Database, questions: Path) -> None:
    """``quickscan db upgrade`` on the benchmark's database."""
    result = subprocess.run([str(BIN / "quickscan"), "db", "upgrade"],
                            env=env_for(database, questions), cwd=ROOT, capture_output=True,
                            text=True, timeout=300, check=False)
    if result.returncode != 0:
        raise SystemExit(f"quickscan db upgrade failed:\n{result.stderr}")


# --------------------------------------------------------------------------- server


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(env: Mapping[str, str], workers: int, log: Path
                 ) -> tuple[subprocess.Popen[bytes], int]:
    """Start gunicorn with ``workers`` sync workers on loopback and wait for ``/healthz``."""
    port = free_port()
    with log.open("wb") as handle:
        process = subprocess.Popen(
            [str(BIN / "gunicorn"), "-w", str(workers), "--bind", f"127.0.0.1:{port}",
             "--backlog", "2048", "--timeout", "60", "quickscan:create_app()"],
            env=dict(env), cwd=ROOT, stdout=handle,
            stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited:\n{log.read_text()}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                connection.close()
                time.sleep(1.0)  # let every worker finish booting
                return process, port
        except OSError:
            pass
        time.sleep(0.1)
    process.kill()
    raise SystemExit(f"gunicorn did not start:\n{log.read_text()}")


def stop_server(process: subprocess.Popen[bytes] | None) -> None:
    """Stop gunicorn (SIGTERM, then kill after 20 s)."""
    if process is None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


# --------------------------------------------------------------------------- client


class Browser:
    """A minimal browser: one HTTP connection, a cookie jar, form posts."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict[str, str] | None = None
                ) -> tuple[int, dict[str, str], str]:
        """Send a request; returns status, headers (lower-case names) and body."""
        headers = {"Host": f"127.0.0.1:{self.port}"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in range(2):
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                data = response.read().decode("utf-8", "replace")
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # gunicorn's sync workers close idle keep-alive connections: reconnect once,
                # but only when nothing can have been processed (a fresh connection failing).
                self.connection.close()
                if attempt:
                    raise
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key.strip()] = rest.split(";", 1)[0]
        if response.getheader("Connection", "").lower() == "close":
            self.connection.close()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data

    def close(self) -> None:
        """Close the connection."""
        self.connection.close()


@dataclass
class Stats:
    """Latencies (seconds) and outcomes per kind of request."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, seconds: float) -> None:
        """Record one successful request."""
        with self.lock:
            self.latencies[kind].append(seconds)

    def error(self, message: str) -> None:
        """Record one failed request."""
        with self.lock:
            self.errors.append(message)


def timed(stats: Stats, kind: str, browser: Browser, method: str, path: str,
          expected: int, form: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
    """One measured request; a status other than ``expected`` is an error."""
    started = time.perf_counter()
    try:
        status, headers, body = browser.request(method, path, form)
    except OSError as exc:
        stats.error(f"{kind}: {exc!r}")
        raise
    elapsed = time.perf_counter() - started
    if status != expected:
        stats.error(f"{kind} {method} {path}: HTTP {status}")
        raise RuntimeError(f"HTTP {status}")
    stats.add(kind, elapsed)
    return status, headers, body


def closed_loop(kind: str, port: int, threads: int, seconds: float,
                make_request: Any) -> tuple[float, Stats]:
    """Requests per second with ``threads`` clients sending back to back for ``seconds``.

    The clock starts when every client has done its setup (starting a survey can take longer
    than the run itself on a busy machine)."""
    stats = Stats()
    barrier = threading.Barrier(threads + 1,
                                action=lambda: stop.append(time.monotonic() + seconds))
    stop: list[float] = []

    def loop(index: int) -> None:
        browser = Browser(port)
        state = make_request("setup", browser, index, stats)
        barrier.wait()
        while time.monotonic() < stop[0]:
            try:
                make_request(state, browser, index, stats)
            except (OSError, RuntimeError):
                pass
        browser.close()

    workers = [threading.Thread(target=loop, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    barrier.wait()
    started = time.monotonic()
    for worker in workers:
        worker.join()
    elapsed = time.monotonic() - started
    return len(stats.latencies[kind]) / elapsed, stats


# --------------------------------------------------------------------------- figures


def percentile(values: list[float], share: float) -> float:
    """The ``share`` percentile (0-100) of ``values`` (nearest rank)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(share / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def ms(seconds: float) -> str:
    """Seconds as milliseconds with one decimal."""
    return f"{seconds * 1000:.1f}"


def capacity_table(limits: Mapping[str, tuple[float, Stats]], kinds: tuple[str, ...]) -> None:
    """Print the closed-loop throughput of each kind with its ratio to ``/healthz``."""
    healthz_rps = limits["healthz"][0]
    print("capacity (closed loop)      req/s   ratio to /healthz   p50 ms   p95 ms   p99 ms")
    for kind in kinds:
        rps, run = limits[kind]
        values = run.latencies[kind]
        print(f"  {kind:<24}{rps:>7.0f}   {rps / healthz_rps:>17.2f}   "
              f"{ms(percentile(values, 50)):>6}   {ms(percentile(values, 95)):>6}   "
              f"{ms(percentile(values, 99)):>6}")


def cpu_line(client: Any, server: Any) -> str:
    """Client and server CPU seconds (``resource.getrusage``) and the load average."""
    return (f"cpu: client {client.ru_utime + client.ru_stime:.0f} s, gunicorn "
            f"{server.ru_utime + server.ru_stime:.0f} s (and the database server's own); "
            f"load average {os.getloadavg()[0]:.1f} / {os.getloadavg()[1]:.1f} (1 / 5 min)")


def usage() -> tuple[Any, Any]:
    """(this process's, its finished children's) resource usage."""
    return resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
