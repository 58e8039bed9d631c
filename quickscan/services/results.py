"""Scoring a round from the database: loads the answers and hands them to the pure engine.

:func:`score` scores afresh; :func:`cached_score` reuses a scoring of the same round while
its :func:`results_version` is unchanged (the chart endpoint: one page shows many charts, each
its own request, and none of them should score the whole round again).
"""

from __future__ import annotations

import threading
from collections import OrderedDict, defaultdict
from collections.abc import Hashable
from typing import cast

from flask import current_app
from sqlalchemy import case, func, select

from quickscan.extensions import db
from quickscan.models import (
    RESPONSE_SUBMITTED,
    Answer,
    Department,
    ImportanceRating,
    Response,
    Round,
)
from quickscan.scoring import (
    AnswerValue,
    DepartmentInput,
    ResponseInput,
    RoundResult,
    score_round,
)
from quickscan.services.banks import round_banks


def target_overrides(round_: Round) -> dict[tuple[str, str], int]:
    """The round's target overrides as ``{(bank_id, theme_id): level}``."""
    out: dict[tuple[str, str], int] = {}
    for key, level in (round_.target_overrides or {}).items():
        bank_id, _, theme_id = key.partition("/")
        out[(bank_id, theme_id)] = int(level)
    return out


def score(round_: Round) -> RoundResult:
    """Score a round: every department, only submitted responses (drafts count as started)."""
    departments = list(round_.departments)
    names = {d.id: d.name for d in departments}
    responses = db.session.execute(
        select(Response.id, Response.department_id, Response.status)
        .join(Department).where(Department.round_id == round_.id)).all()
    submitted_ids = [r.id for r in responses if r.status == RESPONSE_SUBMITTED]
    answers: dict[int, dict[str, AnswerValue]] = defaultdict(dict)
    importance: dict[int, dict[tuple[str, str], int]] = defaultdict(dict)
    if submitted_ids:
        rows = db.session.execute(
            select(Answer.response_id, Answer.question_id, Answer.value)
            .join(Response).join(Department)
            .where(Department.round_id == round_.id, Response.status == RESPONSE_SUBMITTED))
        for response_id, question_id, raw in rows:
            # The database constraint allows only the levels and the two outside values.
            answers[response_id][question_id] = (int(raw) if raw.isdigit()
                                                 else cast(AnswerValue, raw))
        ratings = db.session.execute(
            select(ImportanceRating.response_id, ImportanceRating.bank_id,
                   ImportanceRating.theme_id, ImportanceRating.value)
            .join(Response).join(Department)
            .where(Department.round_id == round_.id, Response.status == RESPONSE_SUBMITTED))
        for response_id, bank_id, theme_id, rating in ratings:
            importance[response_id][(bank_id, theme_id)] = rating
    inputs = [
        ResponseInput(department=names[r.department_id], answers=answers.get(r.id, {}),
                      importance=importance.get(r.id, {}),
                      submitted=r.status == RESPONSE_SUBMITTED)
        for r in responses]
    return score_round(
        round_banks(round_),
        [DepartmentInput(d.name, tuple(d.bank_ids)) for d in departments],
        inputs,
        target_overrides(round_),
    )


#: Scorings kept per app (one per round and results version).
SCORE_CACHE_SIZE = 16


class _ScoreCache:
    """A small LRU of round results keyed by round id and results version."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.entries: OrderedDict[tuple[int, Hashable], RoundResult] = OrderedDict()
        self.lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: tuple[int, Hashable]) -> RoundResult | None:
        with self.lock:
            result = self.entries.get(key)
            if result is not None:
                self.entries.move_to_end(key)
                self.hits += 1
            return result

    def put(self, key: tuple[int, Hashable], result: RoundResult) -> None:
        with self.lock:
            self.misses += 1
            # One entry per round: an older version of the same round is never asked again.
            for old in [k for k in self.entries if k[0] == key[0]]:
                del self.entries[old]
            self.entries[key] = result
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)


def _score_cache() -> _ScoreCache:
    cache: _ScoreCache | None = current_app.extensions.get("quickscan.scores")
    if cache is None:
        cache = cast(_ScoreCache, current_app.extensions.setdefault(
            "quickscan.scores", _ScoreCache(SCORE_CACHE_SIZE)))
    return cache


def results_version(round_: Round) -> Hashable:
    """A value that changes whenever the scoring of the round could change.

    It covers what the engine reads: the pinned banks, the departments and their banks, the
    target overrides, and the responses (how many, which, how many submitted, and the last
    change: saving answers, comments or an importance rating touches ``updated_at`` and a
    submitted response is read-only). One aggregate query, far cheaper than scoring.
    """
    responses = db.session.execute(
        select(func.count(Response.id),
               func.count(case((Response.status == RESPONSE_SUBMITTED, 1))),
               func.coalesce(func.sum(Response.id), 0),
               func.max(Response.updated_at), func.max(Response.submitted_at))
        .join(Department).where(Department.round_id == round_.id)).one()
    return (
        str(round_.created_at),  # SQLite may reuse the id of a deleted round
        tuple((rb.bank_id, rb.sha256) for rb in round_.banks),
        tuple((d.id, d.name, tuple(d.bank_ids or ())) for d in round_.departments),
        tuple(sorted((round_.target_overrides or {}).items())),
        tuple(str(value) for value in responses),
    )


def cached_score(round_: Round) -> RoundResult:
    """The round's scoring, reused while :func:`results_version` is unchanged."""
    cache = _score_cache()
    key = (round_.id, results_version(round_))
    result = cache.get(key)
    if result is None:
        result = score(round_)
        cache.put(key, result)
    return result


def score_cache_info() -> dict[str, int]:
    """Hits, misses and entries of this app's scoring cache (tests and diagnostics)."""
    cache = _score_cache()
    with cache.lock:
        return {"hits": cache.hits, "misses": cache.misses, "size": len(cache.entries)}
