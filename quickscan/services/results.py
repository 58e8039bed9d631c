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
    KIND_MUNICIPALITY,
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
    # A round with perspective settings takes its targets from its target source.
    from quickscan.services.perspectives import effective_overrides

    return effective_overrides(round_, out)


def score(round_: Round, min_group_size: int | None = None) -> RoundResult:
    """Score a round: every department, only submitted responses (drafts count as started).

    Departments with fewer submitted responses than the round's minimum group size k
    (``round_.min_group_size``; ``min_group_size`` overrides it) are hidden: they keep their
    counts but get no figure and do not count in the municipality figures (docs/scoring.md,
    rule 12). The municipal group (facts of the whole municipality) is not a
    department: it is scored apart by :func:`score_municipal`, so it never enters the
    department comparison, the prioritised list or the municipality means of the departments.
    """
    return _score(round_, [d for d in round_.departments if d.kind != KIND_MUNICIPALITY],
                  group_size(round_) if min_group_size is None else min_group_size)


def score_municipal(round_: Round) -> RoundResult | None:
    """Score the round's municipal group on its own; None when the round has none.

    The minimum group size does not apply: the group reports facts of the municipality, not
    colleagues' opinions, and is answered by one person on purpose (``docs/scoring.md``).
    """
    groups = [d for d in round_.departments if d.kind == KIND_MUNICIPALITY]
    return _score(round_, groups, 1) if groups else None


def _score(round_: Round, departments: list[Department], min_group_size: int) -> RoundResult:
    return score_round(
        round_banks(round_),
        [DepartmentInput(d.name, tuple(d.bank_ids)) for d in departments],
        response_inputs(round_, departments),
        target_overrides(round_),
        min_group_size=min_group_size,
    )


def response_inputs(round_: Round,
                    departments: list[Department] | None = None) -> list[ResponseInput]:
    """The responses of the round (or of ``departments``) as the engine takes them (drafts
    without their answers)."""
    names = {d.id: d.name for d in (round_.departments if departments is None else departments)}
    responses = db.session.execute(
        select(Response.id, Response.department_id, Response.status)
        .join(Department).where(Department.round_id == round_.id,
                                Department.id.in_(list(names) or [-1]))).all()
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
    return inputs


def group_size(round_: Round) -> int:
    """The round's minimum group size k (the default when the row has none yet)."""
    from quickscan.services.group_size import min_group_size

    return min_group_size(round_)


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

    It covers what the engine reads: the minimum group size k, the pinned banks, the departments and their banks, the
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
        group_size(round_),
        tuple((rb.bank_id, rb.sha256) for rb in round_.banks),
        tuple((d.id, d.name, tuple(d.bank_ids or ())) for d in round_.departments),
        tuple(sorted((round_.target_overrides or {}).items())),
        tuple(str(value) for value in responses),
        _targets_version(round_),
    )


def _targets_version(round_: Round) -> Hashable:
    from quickscan.services.perspectives import targets_version

    return targets_version(round_)


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
