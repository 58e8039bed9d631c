"""Residents load benchmark: ``python bench/bench_load.py --residents N`` (default N = 500).

A big city's inwoners survey on one public link: gunicorn with 2 × cores workers (PostgreSQL
with ``--database-url``, else SQLite), loopback only, bounded in time and count.

1. **Capacity** (closed loop, no think time): requests per second for ``/healthz``, the public
   survey page (GET ``/i/<token>``) and a submission (POST of the whole questionnaire); the
   ratio page/healthz is the figure the issue asks for (goal ≥ 0.25).
2. **Inwoners**: N virtual inwoners arrive over the first seconds; each opens the public link
   (``page``), thinks (uniformly 0.5-1.5 × ``--think`` s, default 5 s), and sends the whole
   easy-read questionnaire (``save``: 15 ratings, sometimes a comment, a role), then starts
   again, until the time is up. p50/p95/p99 of page and save (goal p95 < 150 ms).

Every virtual inwoner comes from 127.0.0.1, so the per-address flood ceiling
(``RESIDENTS_IP_RATE_LIMIT``) and the per-link bucket (``RESIDENTS_LINK_RATE_LIMIT``) are
lifted for the run (they are what a real deployment keeps; see docs/security.md). Afterwards
the database is read: every acknowledged (303) submission must be stored with exactly the
ratings it sent (compared as a multiset of (statement, value) pairs); anything else is a lost
answer. Exits non-zero on any error or lost answer. Server, client, closed loop and
percentiles are those of ``bench_load.py`` (``bench/loadlib.py``).
"""

from __future__ import annotations

import os
import random
import re
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from loadlib import (
    CSRF_RE,
    ROOT,
    SECRET_KEY,
    Browser,
    Database,
    Stats,
    capacity_table,
    closed_loop,
    cpu_line,
    env_for,
    make_database,
    migrate,
    ms,
    percentile,
    start_server,
    stop_server,
    timed,
    usage,
)

VALUES = ("1", "2", "3", "4", "5", "dont_know")
STATEMENT_RE = re.compile(r'name="a-([a-z0-9_.]+)"')
#: The flood limits of the public link, lifted: every virtual inwoner comes from 127.0.0.1.
LIFTED = {"QUICKSCAN_RESIDENTS_IP_RATE_LIMIT": "1000000 per minute",
          "QUICKSCAN_RESIDENTS_LINK_RATE_LIMIT": "1000000 per minute",
          "QUICKSCAN_TOKEN_RATE_LIMIT": "1000000 per minute"}


def seed(database: Database, questions: Path) -> str:
    """Migrate and create a round with one department and an inwoners group; its token."""
    migrate(database, questions)
    from quickscan import create_app, links
    from quickscan.extensions import db
    from quickscan.models import KIND_RESIDENTS
    from quickscan.services import perspectives, rounds

    app = create_app({"DATABASE_URL": database.url, "SECRET_KEY": SECRET_KEY,
                      "QUESTIONS_DIR": str(questions)})
    with app.app_context():
        round_ = rounds.create_round("Inwonerspeiling", "Gemeente Loopback",
                                     departments=[("Publiekszaken", ["informatie"])],
                                     secret_key=links.secret_key())
        perspectives.add_residents_group(round_, secret_key=links.secret_key())
        link = perspectives.links(perspectives.group(round_, KIND_RESIDENTS))[0]
        token = perspectives.link_token(link, links.secret_key())
        db.session.remove()
        db.engine.dispose()
    return token


def form_for(csrf: str, statements: list[str], rng: random.Random
             ) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """A filled-in questionnaire: every statement rated, a comment and a role sometimes."""
    answers = [(s, rng.choice(VALUES)) for s in statements]
    form = {"csrf_token": csrf, **{f"a-{s}": v for s, v in answers}}
    if rng.random() < 0.3:
        form[f"c-{statements[0]}"] = f"Opmerking {rng.randrange(10**6)}: de brief was lastig."
    if rng.random() < 0.5:
        form["role"] = rng.choice(("inwoner", "ervaringsdeskundige", "mantelzorger"))
    return form, answers


def inwoner(index: int, port: int, token: str, deadline: float, think: float, ramp: float,
            stats: Stats, sent: list[tuple[str, str]]) -> None:
    """One virtual inwoner: open the link, think, send; again until the time is up."""
    rng = random.Random(index)
    time.sleep(rng.uniform(0, ramp))
    browser = Browser(port)
    try:
        while time.monotonic() < deadline:
            try:
                _, _, page = timed(stats, "page", browser, "GET", f"/i/{token}", 200)
            except (OSError, RuntimeError):
                return
            csrf = CSRF_RE.search(page)
            statements = list(dict.fromkeys(STATEMENT_RE.findall(page)))
            if csrf is None or not statements:
                stats.error("page without form")
                return
            time.sleep(think * rng.uniform(0.5, 1.5))
            form, answers = form_for(csrf.group(1), statements, rng)
            try:
                timed(stats, "save", browser, "POST", f"/i/{token}", 303, form)
            except (OSError, RuntimeError):
                return
            with stats.lock:
                sent.extend(answers)
    finally:
        browser.close()


def capacity(port: int, token: str, threads: int, seconds: float,
             sent: list[tuple[str, str]]) -> dict[str, tuple[float, Stats]]:
    """Closed-loop throughput of ``/healthz``, the public survey page and a submission (its
    ratings go into ``sent``, checked against the database like the inwoners' ones)."""

    def healthz(state: Any, browser: Browser, index: int, stats: Stats) -> Any:
        if state == "setup":
            return None
        return timed(stats, "healthz", browser, "GET", "/healthz", 200)

    def page(state: Any, browser: Browser, index: int, stats: Stats) -> Any:
        if state == "setup":
            return None
        return timed(stats, "page", browser, "GET", f"/i/{token}", 200)

    def save(state: Any, browser: Browser, index: int, stats: Stats) -> Any:
        if state == "setup":
            _, _, body = browser.request("GET", f"/i/{token}")
            csrf = CSRF_RE.search(body)
            return {"csrf": csrf.group(1) if csrf else "", "rng": random.Random(-1 - index),
                    "statements": list(dict.fromkeys(STATEMENT_RE.findall(body)))}
        form, answers = form_for(state["csrf"], state["statements"], state["rng"])
        result = timed(stats, "save", browser, "POST", f"/i/{token}", 303, form)
        with stats.lock:
            sent.extend(answers)
        return result

    return {kind: closed_loop(kind, port, threads, seconds, function)
            for kind, function in (("healthz", healthz), ("page", page), ("save", save))}


def stored_answers(database: Database) -> tuple[int, Counter[tuple[str, str]]]:
    """(submissions stored, multiset of stored (statement, value) pairs)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database.url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as connection:
            count = int(connection.execute(text("SELECT count(*) FROM resident_response"))
                        .scalar_one())
            pairs = Counter((s, v) for s, v in connection.execute(text(
                "SELECT statement_id, value FROM resident_answer")).all())
    finally:
        engine.dispose()
    return count, pairs


def run(args: Any) -> int:
    """Run the residents benchmark with bench_load's arguments; returns the exit status."""
    residents = args.residents
    duration = args.duration or (8.0 if args.quick else 60.0)
    think = args.think if args.think is not None else (1.0 if args.quick else 5.0)
    capacity_seconds = 2.0 if args.quick else 10.0
    client_threads = 2 * args.workers
    with tempfile.TemporaryDirectory(prefix="qs-bench-res-") as tmp_name:
        tmp = Path(tmp_name)
        questions = ROOT / "questions"
        database = make_database(args.database_url, tmp)
        process = None
        try:
            token = seed(database, questions)
            process, port = start_server(env_for(database, questions, LIFTED), args.workers,
                                         tmp / "server.log")
            print(f"bench_load --residents: gunicorn -w {args.workers} on 127.0.0.1:{port}, "
                  f"{database.kind}, {os.cpu_count()} cores; {residents} inwoners for "
                  f"{duration:.0f} s (think {think:.1f} s), capacity runs of "
                  f"{capacity_seconds:.0f} s with {client_threads} client threads; "
                  f"load average before {os.getloadavg()[0]:.1f}")
            warm = Browser(port)
            for _ in range(8 * args.workers):  # every worker loads its templates first
                warm.request("GET", f"/i/{token}")
            warm.close()
            sent: list[tuple[str, str]] = []
            limits = capacity(port, token, client_threads, capacity_seconds, sent)
            stats = Stats()
            deadline = time.monotonic() + duration
            threads = [threading.Thread(target=inwoner, args=(
                i, port, token, deadline, think, min(10.0, duration / 4), stats, sent))
                for i in range(residents)]
            started = time.monotonic()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=duration + 120)
            elapsed = time.monotonic() - started
            hung = sum(thread.is_alive() for thread in threads)
        finally:
            stop_server(process)
        client_cpu, server_cpu = usage()
        count, stored = stored_answers(database)
        database.drop()
        server_log = (tmp / "server.log").read_text(errors="replace")

    errors = stats.errors + [e for _, s in limits.values() for e in s.errors]
    errors += [f"{hung} inwoner threads did not finish"] if hung else []
    if "Traceback" in server_log:
        errors.append("server log holds a traceback")
    acknowledged = (len(stats.latencies.get("save", []))
                    + len(limits["save"][1].latencies.get("save", [])))
    lost = sum((Counter(sent) - stored).values()) + max(0, acknowledged - count)
    print()
    capacity_table(limits, ("healthz", "page", "save"))
    print()
    print(f"inwoners ({residents} virtual, {elapsed:.1f} s)   requests   req/s   p50 ms   "
          "p95 ms   p99 ms   goal p95")
    for kind in ("page", "save"):
        values = stats.latencies.get(kind, [])
        print(f"  {kind:<33}{len(values):>8}   {len(values) / elapsed:>5.1f}   "
              f"{ms(percentile(values, 50)):>6}   {ms(percentile(values, 95)):>6}   "
              f"{ms(percentile(values, 99)):>6}   < 150 ms")
    print()
    ratio = limits["page"][0] / limits["healthz"][0]
    page95 = percentile(stats.latencies.get("page", []), 95)
    save95 = percentile(stats.latencies.get("save", []), 95)
    print(f"submissions acknowledged {acknowledged}, stored {count}; ratings sent {len(sent)}, "
          f"lost {lost}; errors {len(errors)}")
    print(f"goals: page p95 {ms(page95)} ms {'OK' if page95 < 0.15 else 'MISSED'}, "
          f"save p95 {ms(save95)} ms {'OK' if save95 < 0.15 else 'MISSED'}, "
          f"page/healthz {ratio:.2f} {'OK' if ratio >= 0.25 else 'MISSED'}, "
          f"errors {'OK' if not errors else 'FAILED'}, lost {'OK' if not lost else 'FAILED'}")
    print(cpu_line(client_cpu, server_cpu))
    for error in errors[:10]:
        print(f"  error: {error}")
    if not acknowledged:
        print("  error: nothing was submitted")
        return 1
    return 1 if errors or lost else 0
