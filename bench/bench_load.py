"""Load benchmark: gunicorn with 2 × cores workers, 100 virtual respondents, loopback only.

Usage::

    python bench/bench_load.py                     # SQLite (WAL file in a temp folder)
    python bench/bench_load.py --database-url postgresql://postgres@127.0.0.1:5432/postgres
    python bench/bench_load.py --quick             # CI: 20 respondents, a few seconds

On PostgreSQL a private database ``qs_bench_<pid>`` is created on the given server and dropped
afterwards; the database named in the URL is never touched. The run has two phases:

1. **Capacity** (closed loop, no think time, 2 × workers client threads, a few seconds per
   endpoint): the most requests per second the server answers for the bare ``/healthz`` route
   (the limit: no database, no template), a survey page (GET ``/r/<token>/stap/<n>``) and a
   save (POST of one page's answers, comments and importance, answered with a 303).
2. **Respondents** (bounded in time and count): 100 virtual respondents each open their
   invitation, start, and fill in the survey page by page -- GET the page, think (uniformly
   0.5-1.5 × ``--think`` seconds), POST the page with ``action=next`` -- and submit at the end;
   then the next survey, until the time is up. Latencies (p50/p95/p99) of page and save are
   measured here. The default think time of 5 s for a page of five questions is about ten
   times faster than people answer; ``--think 2`` is the stress variant.

Afterwards the database is read directly: every answer a respondent saw acknowledged (303)
must be stored with the value it last sent; anything else is a lost answer. The benchmark
exits non-zero on any error or lost answer. Own client: ``http.client`` in threads, one
connection per virtual respondent, cookies and CSRF tokens handled like a browser.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
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

QUESTION_RE = re.compile(r'name="q-([a-z0-9_.]+)"')
VALUES = ("0", "1", "2", "3", "4", "dont_know", "not_applicable")
THEMES = 5
QUESTIONS = 5


# --------------------------------------------------------------------------- setup


def write_banks(root: Path) -> Path:
    """Two realistic banks (5 themes × 5 questions each): common ``bestuur`` and ``wonen``."""
    import yaml

    folder = root / "questions"
    folder.mkdir(parents=True)
    (folder / "scales.yaml").write_text(
        (ROOT / "questions" / "scales.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    for bank_id, title, common in (("bestuur", "Bestuur", True), ("wonen", "Wonen", False)):
        data = {
            "id": bank_id, "version": "1.0.0", "title": title,
            "description": f"Vragen over {title.lower()}.", "scale": "volwassenheid",
            "common": common, "levensdomeinen": ["welzijn"],
            "changelog": [{"version": "1.0.0", "date": "2026-01-01", "changes": "Eerste versie."}],
            "themes": [{
                "id": f"thema{t}", "title": f"{title}: thema {t}",
                "description": f"Wat de gemeente doet aan thema {t} van {title.lower()}.",
                "crpd": ["9"], "target": 3,
                "questions": [{
                    "id": f"{bank_id}.thema{t}.vraag{q}",
                    "statement": f"{title}, thema {t}: de gemeente betrekt inwoners met een "
                                 f"beperking structureel bij onderwerp {q}.",
                    "help": {0: "Nog niet.", 1: "Incidenteel.", 2: "Deels.",
                             3: "Grotendeels.", 4: "Volledig en geborgd."},
                    "next_step": "Maak afspraken over structurele betrokkenheid.",
                    "tags": {"crpd": ["9"], "levensdomein": ["welzijn"], "movisie": 2},
                } for q in range(1, QUESTIONS + 1)],
            } for t in range(1, THEMES + 1)],
        }
        path = folder / bank_id / "1.0.0.yaml"
        path.parent.mkdir()
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                        encoding="utf-8")
    return folder


def seed(database: Database, questions: Path, departments: int) -> list[str]:
    """Migrate with ``quickscan db upgrade`` and create an open round; returns invitation tokens."""
    migrate(database, questions)
    from quickscan import create_app, links
    from quickscan.extensions import db
    from quickscan.services import rounds

    app = create_app({"DATABASE_URL": database.url, "SECRET_KEY": SECRET_KEY,
                      "QUESTIONS_DIR": str(questions)})
    with app.app_context():
        round_ = rounds.create_round(
            "Belastingtest", "Gemeente Loopback",
            departments=[(f"Afdeling {i + 1}", ["wonen"]) for i in range(departments)],
            secret_key=links.secret_key())
        tokens = [links.invitation_token(d) or "" for d in round_.departments]
        db.session.remove()
        db.engine.dispose()
    return tokens


# --------------------------------------------------------------------------- client


@dataclass
class Survey:
    """One filled-in survey: its resume token and the answers acknowledged by the server."""

    resume_token: str
    acknowledged: dict[str, str] = field(default_factory=dict)


def start_survey(browser: Browser, token: str, stats: Stats) -> tuple[Survey, str]:
    """Open the invitation and start; returns the survey and the CSRF token."""
    _, _, intro = timed(stats, "intro", browser, "GET", f"/s/{token}", 200)
    csrf = CSRF_RE.search(intro)
    if csrf is None:
        raise RuntimeError("no CSRF token on the intro page")
    _, headers, _ = timed(stats, "start", browser, "POST", f"/s/{token}/start", 303,
                          {"csrf_token": csrf.group(1)})
    resume = headers["location"].rstrip("/").split("/r/")[1]
    return Survey(resume), csrf.group(1)


def save_form(csrf: str, questions: list[str], rng: random.Random, action: str
              ) -> tuple[dict[str, str], dict[str, str]]:
    """A page's form: an answer to every question, a comment on some, an importance."""
    answers = {q: rng.choice(VALUES) for q in questions}
    form = {"csrf_token": csrf, "action": action, "importance": str(rng.randint(1, 5))}
    form.update({f"q-{q}": value for q, value in answers.items()})
    for q in questions:
        if rng.random() < 0.3:
            form[f"c-{q}"] = f"Toelichting {rng.randrange(10**6)}: zie beleidsnota, p. 4 – ‘ok’."
    return form, answers


def respondent(index: int, port: int, tokens: list[str], deadline: float, think: float,
               ramp: float, max_surveys: int, stats: Stats, surveys: list[Survey]) -> None:
    """A virtual respondent: fills in surveys page by page until time or count runs out.

    Respondents arrive spread over the first ``ramp`` seconds, not all in one millisecond.
    """
    rng = random.Random(index)
    token = tokens[index % len(tokens)]
    time.sleep(rng.uniform(0, ramp))
    browser = Browser(port)
    try:
        for _ in range(max_surveys):
            if time.monotonic() >= deadline:
                return
            try:
                survey, csrf = start_survey(browser, token, stats)
            except (OSError, RuntimeError, KeyError):
                return
            with stats.lock:
                surveys.append(survey)
            step = 1
            while True:
                try:
                    _, _, page = timed(stats, "page", browser, "GET",
                                       f"/r/{survey.resume_token}/stap/{step}", 200)
                except (OSError, RuntimeError):
                    return
                questions = list(dict.fromkeys(QUESTION_RE.findall(page)))
                time.sleep(think * rng.uniform(0.5, 1.5))
                form, answers = save_form(csrf, questions, rng, "next")
                try:
                    _, headers, _ = timed(stats, "save", browser, "POST",
                                          f"/r/{survey.resume_token}/stap/{step}", 303, form)
                except (OSError, RuntimeError):
                    return
                survey.acknowledged.update(answers)
                if "/overzicht" in headers.get("location", "") or time.monotonic() >= deadline:
                    break
                step += 1
            if "/overzicht" not in headers.get("location", ""):
                return  # time is up in the middle of a survey: its answers are still checked
            try:
                timed(stats, "submit", browser, "POST", f"/r/{survey.resume_token}/indienen",
                      303, {"csrf_token": csrf})
            except (OSError, RuntimeError):
                return
    finally:
        browser.close()


def capacity(port: int, tokens: list[str], threads: int, seconds: float
             ) -> dict[str, tuple[float, Stats]]:
    """Throughput limits: ``/healthz``, a survey page, a save."""

    def healthz(state: Any, browser: Browser, index: int, stats: Stats) -> Any:
        if state == "setup":
            return None
        return timed(stats, "healthz", browser, "GET", "/healthz", 200)

    def page(state: Any, browser: Browser, index: int, stats: Stats) -> Any:
        if state == "setup":
            survey, _ = start_survey(browser, tokens[index % len(tokens)], Stats())
            return {"survey": survey, "step": 0}
        state["step"] = state["step"] % (2 * THEMES) + 1
        return timed(stats, "page", browser, "GET",
                     f"/r/{state['survey'].resume_token}/stap/{state['step']}", 200)

    def save(state: Any, browser: Browser, index: int, stats: Stats) -> Any:
        if state == "setup":
            survey, csrf = start_survey(browser, tokens[index % len(tokens)], Stats())
            _, _, body = browser.request("GET", f"/r/{survey.resume_token}/stap/1")
            return {"survey": survey, "csrf": csrf,
                    "questions": list(dict.fromkeys(QUESTION_RE.findall(body))),
                    "rng": random.Random(index)}
        form, _ = save_form(state["csrf"], state["questions"], state["rng"], "save")
        return timed(stats, "save", browser, "POST",
                     f"/r/{state['survey'].resume_token}/stap/1", 303, form)

    return {kind: closed_loop(kind, port, threads, seconds, function)
            for kind, function in (("healthz", healthz), ("page", page), ("save", save))}


# --------------------------------------------------------------------------- checking


def lost_answers(database: Database, surveys: list[Survey]) -> tuple[int, int]:
    """(answers acknowledged, answers missing or different in the database)."""
    from sqlalchemy import create_engine, text

    from quickscan.services.tokens import hash_token

    url = database.url.replace("postgresql://", "postgresql+psycopg://", 1)
    engine = create_engine(url)
    acknowledged = lost = 0
    try:
        with engine.connect() as connection:
            for survey in surveys:
                stored = dict(connection.execute(text(
                    "SELECT a.question_id, a.value FROM answer a JOIN response r "
                    "ON r.id = a.response_id WHERE r.resume_token_hash = :h"),
                    {"h": hash_token(survey.resume_token)}).all())
                for question, value in survey.acknowledged.items():
                    acknowledged += 1
                    if stored.get(question) != value:
                        lost += 1
    finally:
        engine.dispose()
    return acknowledged, lost


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; returns the exit status (1 on errors or lost answers)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="CI mode: 20 respondents, 2 s per capacity run, 8 s of survey")
    parser.add_argument("--database-url", default=os.environ.get("QUICKSCAN_BENCH_DATABASE_URL"),
                        help="PostgreSQL server to create a private database on "
                             "(default: SQLite)")
    parser.add_argument("--respondents", type=int, default=None)
    parser.add_argument("--duration", type=float, default=None,
                        help="seconds of the respondent phase")
    parser.add_argument("--think", type=float, default=None,
                        help="mean think time in seconds before each save "
                             "(default 5 s; --quick 1 s)")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1))
    parser.add_argument("--residents", dest="residents", type=int, nargs="?", const=500,
                        default=None, help="the inwoners benchmark on one public link "
                        "(default 500 virtual inwoners; bench/bench_residents.py)")
    args = parser.parse_args(argv)
    if args.residents is not None:
        import bench_residents

        return int(bench_residents.run(args))
    respondents = args.respondents or (20 if args.quick else 100)
    duration = args.duration or (8.0 if args.quick else 60.0)
    args.think = args.think if args.think is not None else (1.0 if args.quick else 5.0)
    capacity_seconds = 2.0 if args.quick else 10.0
    client_threads = 2 * args.workers

    with tempfile.TemporaryDirectory(prefix="qs-bench-") as tmp_name:
        tmp = Path(tmp_name)
        questions = write_banks(tmp)
        database = make_database(args.database_url, tmp)
        process = None
        try:
            tokens = seed(database, questions, departments=10)
            process, port = start_server(env_for(database, questions), args.workers,
                                         tmp / "server.log")
            print(f"bench_load: gunicorn -w {args.workers} on 127.0.0.1:{port}, "
                  f"{database.kind}, {os.cpu_count()} cores; {respondents} respondents for "
                  f"{duration:.0f} s (think {args.think:.1f} s), capacity runs of "
                  f"{capacity_seconds:.0f} s with {client_threads} client threads")
            limits = capacity(port, tokens, client_threads, capacity_seconds)

            stats = Stats()
            surveys: list[Survey] = []
            deadline = time.monotonic() + duration
            threads = [threading.Thread(target=respondent, args=(
                i, port, tokens, deadline, args.think, min(5.0, duration / 4), 1000, stats,
                surveys))
                for i in range(respondents)]
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
        acknowledged, lost = lost_answers(database, surveys)
        database.drop()
        server_log = (tmp / "server.log").read_text(errors="replace")

    errors = stats.errors + [e for _, s in limits.values() for e in s.errors]
    errors += [f"{hung} respondent threads did not finish"] if hung else []
    if "Traceback" in server_log:
        errors.append("server log holds a traceback")
    print()
    capacity_table(limits, ("healthz", "page", "save"))
    print()
    print(f"respondents ({respondents} virtual, {elapsed:.1f} s)  requests   req/s   p50 ms   "
          "p95 ms   p99 ms   goal p95")
    for kind in ("page", "save", "intro", "start", "submit"):
        values = stats.latencies.get(kind, [])
        goal = "< 100 ms" if kind in ("page", "save") else ""
        print(f"  {kind:<36}{len(values):>8}   {len(values) / elapsed:>5.1f}   "
              f"{ms(percentile(values, 50)):>6}   {ms(percentile(values, 95)):>6}   "
              f"{ms(percentile(values, 99)):>6}   {goal}")
    submitted = sum(1 for s in surveys if len(s.acknowledged) == 2 * THEMES * QUESTIONS)
    print()
    print(f"surveys started {len(surveys)}, completed {submitted}; answers acknowledged "
          f"{acknowledged}, lost {lost}; errors {len(errors)}")
    page95 = percentile(stats.latencies.get("page", []), 95)
    save95 = percentile(stats.latencies.get("save", []), 95)
    print(f"goals: page p95 {ms(page95)} ms {'OK' if page95 < 0.1 else 'MISSED'}, "
          f"save p95 {ms(save95)} ms {'OK' if save95 < 0.1 else 'MISSED'}, "
          f"errors {'OK' if not errors else 'FAILED'}, lost answers "
          f"{'OK' if not lost else 'FAILED'}")
    print(cpu_line(client_cpu, server_cpu))
    for error in errors[:10]:
        print(f"  error: {error}")
    if not surveys or not acknowledged:
        print("  error: no answers were saved at all")
        return 1
    return 1 if errors or lost else 0


if __name__ == "__main__":
    sys.exit(main())
