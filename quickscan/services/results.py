"""Scoring a round from the database: loads the answers and hands them to the pure engine."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select

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
        for response_id, question_id, value in rows:
            answers[response_id][question_id] = int(value) if value.isdigit() else value
        ratings = db.session.execute(
            select(ImportanceRating.response_id, ImportanceRating.bank_id,
                   ImportanceRating.theme_id, ImportanceRating.value)
            .join(Response).join(Department)
            .where(Department.round_id == round_.id, Response.status == RESPONSE_SUBMITTED))
        for response_id, bank_id, theme_id, value in ratings:
            importance[response_id][(bank_id, theme_id)] = value
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
