"""Benchmark of the scoring engine against the limit: the same aggregation as one SQL GROUP BY.

Scores 1,000,000 synthetic answers (40 departments × 250 questions × 100 respondents) with
``quickscan.scoring.score_round`` on banks built in memory through ``quickscan.bank``, and prints
wall time and peak memory (tracemalloc for the engine's Python allocations, ru_maxrss for the
process). Beside it, the per-(department, question) tally the engine computes is done as one
``GROUP BY`` in an in-memory SQLite database over the same rows (bulk-inserted beforehand; only
the query is timed). Goals on a 2-core machine: engine < 2 s, < 500 MB, at most 3× the SQL time.

Usage: ``python bench/bench_scoring.py [--quick] [--repeat N] [--seed S]``. ``--quick`` runs a
tenth of the size (10 respondents per department) for CI.
"""

from __future__ import annotations

import argparse
import gc
import random
import resource
import sqlite3
import sys
import time
import tracemalloc
from collections.abc import Sequence
from typing import Any

from quickscan.bank import DONT_KNOW, NOT_APPLICABLE, Bank, parse_bank
from quickscan.scoring import AnswerValue, DepartmentInput, ResponseInput, score_round

GOAL_SECONDS = 2.0
GOAL_MB = 500.0
GOAL_RATIO = 3.0

DEPARTMENTS = 40
BANKS = 20  # bank 0 is common; every department answers it and 9 others
BANKS_PER_DEPARTMENT = 10
THEMES_PER_BANK = 5
QUESTIONS_PER_THEME = 5  # 25 questions a bank, 250 a department
RESPONDENTS = 100

VALUES: tuple[AnswerValue, ...] = (0, 1, 2, 3, 4, DONT_KNOW, NOT_APPLICABLE)
VALUE_WEIGHTS = (10, 18, 25, 25, 10, 8, 4)


def synthetic_bank(index: int) -> Bank:
    """A valid bank of 5 themes × 5 questions, validated like a YAML file."""
    bank_id = f"bank{index:02d}"
    themes = []
    for t in range(THEMES_PER_BANK):
        questions = []
        for q in range(QUESTIONS_PER_THEME):
            questions.append({
                "id": f"{bank_id}.thema{t}.vraag{q}",
                "statement": f"Stelling {index}-{t}-{q}.",
                "help": {2: "In ontwikkeling.", 3: "Structureel.", 4: "Geborgd."},
                "weight": 1 + (q % 3),
                "next_step": f"Volgende stap {index}-{t}-{q}.",
                "tags": {"crpd": ["9"], "levensdomein": ["welzijn"], "movisie": 1 + (q + t) % 7,
                         "routekaart": [1 + (q * t) % 11], "principles": ["participatie"]},
            })
        themes.append({"id": f"thema{t}", "title": f"Thema {t}", "description": "Synthetisch.",
                       "crpd": ["9"], "target": 3, "questions": questions})
    return parse_bank({
        "id": bank_id, "version": "1.0.0", "title": f"Bank {index}", "description": "Synthetisch.",
        "common": index == 0, "levensdomeinen": ["welzijn"],
        "changelog": [{"version": "1.0.0", "date": "2026-01-01", "changes": "Eerste versie."}],
        "themes": themes,
    })


def synthetic_round(respondents: int, seed: int) -> tuple[list[Bank], list[DepartmentInput],
                                                          list[ResponseInput]]:
    """Banks, departments and submitted responses (every respondent answers every question)."""
    rnd = random.Random(seed)
    banks = [synthetic_bank(i) for i in range(BANKS)]
    departments = []
    for d in range(DEPARTMENTS):
        others = [f"bank{1 + (d + k) % (BANKS - 1):02d}" for k in range(BANKS_PER_DEPARTMENT - 1)]
        departments.append(DepartmentInput(f"Afdeling {d:02d}", ("bank00", *others)))
    by_id = {bank.id: bank for bank in banks}
    responses = []
    for department in departments:
        question_ids = [q.id for b in department.bank_ids for q in by_id[b].questions]
        theme_keys = [(b, t.id) for b in department.bank_ids for t in by_id[b].themes]
        for _ in range(respondents):
            values = rnd.choices(VALUES, VALUE_WEIGHTS, k=len(question_ids))
            rated = rnd.sample(theme_keys, len(theme_keys) // 2)
            responses.append(ResponseInput(
                department.name, dict(zip(question_ids, values)),
                {key: rnd.randint(1, 5) for key in rated}))
    return banks, departments, responses


def sql_database(responses: Sequence[ResponseInput]) -> sqlite3.Connection:
    """The same answers as rows of an in-memory SQLite database shaped like the app's tables."""
    connection = sqlite3.connect(":memory:")
    connection.executescript("""
        CREATE TABLE response (id INTEGER PRIMARY KEY, department TEXT NOT NULL,
                               submitted INTEGER NOT NULL);
        CREATE TABLE answer (response_id INTEGER NOT NULL, question_id TEXT NOT NULL,
                             value TEXT NOT NULL);
    """)
    connection.executemany("INSERT INTO response VALUES (?, ?, ?)",
                           ((i, r.department, int(r.submitted)) for i, r in enumerate(responses)))
    connection.executemany(
        "INSERT INTO answer VALUES (?, ?, ?)",
        ((i, qid, str(value)) for i, r in enumerate(responses) for qid, value in r.answers.items()))
    connection.commit()
    return connection


SQL_TALLY = """
    SELECT r.department, a.question_id,
           SUM(a.value = '0'), SUM(a.value = '1'), SUM(a.value = '2'), SUM(a.value = '3'),
           SUM(a.value = '4'), SUM(a.value = 'dont_know'), SUM(a.value = 'not_applicable')
    FROM answer AS a JOIN response AS r ON r.id = a.response_id
    WHERE r.submitted = 1
    GROUP BY r.department, a.question_id
"""


def best_time(function: Any, repeat: int) -> tuple[float, Any]:
    """The best wall time of ``repeat`` calls, and the last result."""
    best = float("inf")
    result = None
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return best, result


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print the figures; exit 1 when a goal is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the size (CI)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs; the best counts")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    respondents = RESPONDENTS // 10 if args.quick else RESPONDENTS

    banks, departments, responses = synthetic_round(respondents, args.seed)
    answers = sum(len(r.answers) for r in responses)
    print(f"scoring {answers:,} answers: {DEPARTMENTS} departments × "
          f"{answers // (DEPARTMENTS * respondents)} questions × {respondents} respondents")

    engine_s, result = best_time(lambda: score_round(banks, departments, responses), args.repeat)
    gc.collect()
    tracemalloc.start()
    score_round(banks, departments, responses)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    engine_mb = peak / 1e6

    connection = sql_database(responses)
    sql_s, rows = best_time(lambda: connection.execute(SQL_TALLY).fetchall(), args.repeat)
    assert len(rows) == DEPARTMENTS * len(result.departments[0].themes()) * QUESTIONS_PER_THEME
    first = result.departments[0].themes()[0].questions[0]
    sql_first = next(row for row in rows if row[0] == result.departments[0].name
                     and row[1] == first.question_id)
    assert tuple(sql_first[2:7]) == first.counts, "SQL and engine disagree"

    maxrss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    ratio = engine_s / sql_s
    print(f"engine (score_round):   {engine_s:7.3f} s   peak {engine_mb:7.1f} MB (tracemalloc)"
          f"   goal < {GOAL_SECONDS:g} s, < {GOAL_MB:g} MB")
    print(f"SQLite GROUP BY:        {sql_s:7.3f} s   ({len(rows):,} groups, query only)")
    print(f"ratio engine / SQL:     {ratio:7.2f} ×   goal <= {GOAL_RATIO:g} ×")
    print(f"process max RSS:        {maxrss_mb:7.1f} MB (inputs, SQLite and engine together)")
    print(f"priorities: {len(result.priorities):,}; best of {args.repeat} runs; "
          f"Python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}")
    missed = [name for name, ok in (("time", engine_s < GOAL_SECONDS),
                                    ("memory", engine_mb < GOAL_MB),
                                    ("ratio", ratio <= GOAL_RATIO)) if not ok]
    if missed:
        print("goals missed: " + ", ".join(missed))
        return 1
    print("all goals met")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
