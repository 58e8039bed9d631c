"""Responses: starting, saving and submitting a respondent's survey.

Every write a respondent causes goes through this module. A respondent is anonymous: the
invitation token says which department they answer for, and the personal resume token (shown
once, stored only as a hash) brings them back to their own response. Nothing here ever reads
another department's answers.

A saved page is one transaction: the answers, comments and importance rating sent for one step
are upserted (``INSERT .. ON CONFLICT DO UPDATE``), so two tabs saving at once never duplicate a
row or fail. Every check happens before the first write, so refused input writes nothing.
Each write runs in one :func:`~quickscan.services.uow.unit_of_work`. Refusals raise a
:class:`SurveyError` subclass carrying a Dutch message, of the domain kind that fits
(:mod:`quickscan.services.errors`); no HTTP status, no request.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from quickscan.bank import DEFAULT_SCALE, Bank, Question, Scale, Theme
from quickscan.extensions import db
from quickscan.models import (
    ANSWER_VALUES,
    COMMENT_MAX_LENGTH,
    RESPONSE_DRAFT,
    RESPONSE_SUBMITTED,
    ROUND_OPEN,
    Answer,
    Comment,
    Department,
    ImportanceRating,
    Invitation,
    Response,
    Round,
    utcnow,
)
from quickscan.services import chart_jobs, tokens
from quickscan.services.banks import catalog, round_banks
from quickscan.services.errors import (
    Conflict,
    DomainError,
    Gone,
    InvalidInput,
    NeedsCorrection,
    NotFound,
)
from quickscan.services.uow import unit_of_work

#: Seconds a respondent needs per question, for the time estimate on the intro page.
SECONDS_PER_QUESTION = 20
IMPORTANCE_VALUES = (1, 2, 3, 4, 5)


# --------------------------------------------------------------------------- errors


class SurveyError(DomainError):
    """A respondent's request was refused; ``message`` is Dutch."""

    default_message: Any = _l("Dit verzoek kan niet worden verwerkt.")

    def __init__(self, message: str | None = None) -> None:
        super().__init__(str(message if message is not None else self.default_message))


class NotFoundError(SurveyError, NotFound):
    """An unknown, revoked or mistyped link, or a step that does not exist."""

    default_message = _l("Deze link is onbekend of niet meer geldig. Vraag de coördinator van "
                         "uw gemeente om de juiste link.")


class RevokedLinkError(SurveyError, Gone):
    """An invitation link the coordinator revoked or replaced by a new one."""

    default_message = _l("Deze link is ingetrokken en werkt niet meer. Vraag de coördinator "
                         "van uw gemeente om de nieuwe link. Bent u al begonnen? Dan kunt u "
                         "verder via uw eigen herstellink.")


class MalformedFormError(SurveyError, InvalidInput):
    """A form no page of the survey sends (an unknown action, a field sent twice)."""

    default_message = _l("Het formulier is ongeldig verstuurd.")


class InvalidAnswerError(SurveyError, InvalidInput):
    """A value outside the scale, or a question that is not on this step (forged input)."""

    default_message = _l("Het formulier bevat een antwoord dat niet bestaat.")


class UnknownQuestionError(SurveyError, InvalidInput):
    """A question id that is not among this step's questions (forged input)."""

    default_message = _l("Het formulier bevat een vraag die niet bij deze stap van uw "
                         "vragenlijst hoort.")


class InvalidImportanceError(SurveyError, InvalidInput):
    """An importance rating outside 1-5 (forged input)."""

    default_message = _l("Het belang van een thema moet een getal van 1 tot en met 5 zijn.")


class CommentTooLongError(SurveyError, NeedsCorrection):
    """A comment longer than :data:`COMMENT_MAX_LENGTH` characters."""

    default_message = _l("Een toelichting mag hoogstens %(max)s tekens hebben.",
                         max=COMMENT_MAX_LENGTH)


class NothingAnsweredError(SurveyError, NeedsCorrection):
    """A submission without a single answered question (it would only inflate the counts)."""

    default_message = _l("U hebt nog geen enkele vraag beantwoord. Beantwoord minstens één "
                         "vraag voordat u indient; ook ‘weet ik niet’ of ‘niet van "
                         "toepassing’ telt als antwoord. Er is niets ingediend.")


class ResponseSubmittedError(SurveyError, Conflict):
    """A change to a response that has already been submitted."""

    default_message = _l("U hebt deze vragenlijst al ingediend. De antwoorden kunnen niet meer "
                         "worden gewijzigd.")


class RoundClosedError(SurveyError, Conflict):
    """A change while the round is closed."""

    default_message = _l("Deze ronde is gesloten. Er kunnen geen antwoorden meer worden "
                         "gegeven of gewijzigd.")


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class Step:
    """One page of the survey: a theme of one of the department's banks."""

    number: int
    bank: Bank
    theme: Theme

    @property
    def question_ids(self) -> tuple[str, ...]:
        """The ids of the theme's questions, in order."""
        return tuple(q.id for q in self.theme.questions)


@dataclass(frozen=True)
class StepProgress:
    """How far a respondent got on one step."""

    step: Step
    answered: int
    total: int
    importance: int | None
    unanswered: tuple[Question, ...]

    @property
    def complete(self) -> bool:
        """True when every question of the step has an answer."""
        return self.answered == self.total


def find_invitation(token: str) -> Invitation | None:
    """Return the active invitation behind a token, or None (unknown or revoked)."""
    if not token or len(token) > 200:
        return None
    invitation: Invitation | None = db.session.scalar(
        select(Invitation).where(Invitation.token_hash == tokens.hash_token(token)))
    if invitation is None or not invitation.active:
        return None
    if not tokens.same_hash(invitation.token_hash, token):
        return None
    return invitation


def link_error(token: str) -> SurveyError:
    """The error for a token :func:`find_invitation` did not accept: :class:`RevokedLinkError`
    for a revoked (or replaced) link, else :class:`NotFoundError`."""
    if token and len(token) <= 200:
        invitation: Invitation | None = db.session.scalar(
            select(Invitation).where(Invitation.token_hash == tokens.hash_token(token)))
        if (invitation is not None and not invitation.active
                and tokens.same_hash(invitation.token_hash, token)):
            return RevokedLinkError()
    return NotFoundError()


def find_response(resume_token: str) -> Response | None:
    """Return the response behind a resume token, or None (constant-time hash compare)."""
    if not resume_token or len(resume_token) > 200:
        return None
    response: Response | None = db.session.scalar(
        select(Response).where(Response.resume_token_hash == tokens.hash_token(resume_token)))
    if response is None or not tokens.same_hash(response.resume_token_hash, resume_token):
        return None
    return response


def department_banks(department: Department) -> list[Bank]:
    """The banks a department answers: the common bank first, then its own in round order."""
    wanted = set(department.bank_ids or ())
    banks = [bank for bank in round_banks(department.round) if bank.id in wanted]
    return sorted(banks, key=lambda bank: not bank.common)  # stable: keeps round order


def department_steps(department: Department) -> list[Step]:
    """The survey pages for a department: one per theme, numbered from 1."""
    pairs = [(bank, theme) for bank in department_banks(department) for theme in bank.themes]
    return [Step(number, bank, theme) for number, (bank, theme) in enumerate(pairs, start=1)]


def steps(response: Response) -> list[Step]:
    """The survey pages of a response (its department decides them)."""
    return department_steps(response.department)


def get_step(response: Response, number: int) -> Step:
    """Return step ``number`` (1-based) of a response; raise :class:`NotFoundError` if absent."""
    all_steps = steps(response)
    if not 1 <= number <= len(all_steps):
        raise NotFoundError(str(_l("Deze stap bestaat niet.")))
    return all_steps[number - 1]


def question_count(department: Department) -> int:
    """The number of questions a department's respondents are asked."""
    return sum(len(bank.questions) for bank in department_banks(department))


def estimated_minutes(department: Department) -> int:
    """Minutes the survey takes, estimated at :data:`SECONDS_PER_QUESTION` a question."""
    return max(1, math.ceil(question_count(department) * SECONDS_PER_QUESTION / 60))


def scale_for(bank: Bank) -> Scale:
    """The answer scale a bank uses, from ``questions/scales.yaml``."""
    scales = catalog().scales
    return scales.get(bank.scale) or scales[DEFAULT_SCALE]


def answers_of(response: Response) -> dict[str, str]:
    """The response's answers: question id -> stored value."""
    rows = db.session.execute(select(Answer.question_id, Answer.value)
                              .where(Answer.response_id == response.id))
    return {question_id: value for question_id, value in rows}


def comments_of(response: Response) -> dict[str, str]:
    """The response's comments: question id -> text."""
    rows = db.session.execute(select(Comment.question_id, Comment.text)
                              .where(Comment.response_id == response.id))
    return {question_id: text for question_id, text in rows}


def importance_of(response: Response) -> dict[tuple[str, str], int]:
    """The response's importance ratings: (bank id, theme id) -> 1..5."""
    rows = db.session.execute(
        select(ImportanceRating.bank_id, ImportanceRating.theme_id, ImportanceRating.value)
        .where(ImportanceRating.response_id == response.id))
    return {(bank_id, theme_id): value for bank_id, theme_id, value in rows}


def progress(response: Response) -> list[StepProgress]:
    """Per step: how many questions are answered, which are not, and the importance given."""
    answers = answers_of(response)
    importance = importance_of(response)
    out = []
    for step in steps(response):
        unanswered = tuple(q for q in step.theme.questions if q.id not in answers)
        total = len(step.theme.questions)
        out.append(StepProgress(step, total - len(unanswered), total,
                                importance.get((step.bank.id, step.theme.id)), unanswered))
    return out


def answered_count(response: Response) -> int:
    """How many of the response's own questions have an answer ("weet ik niet" and "niet van
    toepassing" included)."""
    own = {q.id for bank in department_banks(response.department) for q in bank.questions}
    return sum(1 for question_id in answers_of(response) if question_id in own)


def resumable_draft(invitation: Invitation, resume_token: str | None) -> Response | None:
    """The draft behind ``resume_token`` when it can still be continued from this invitation.

    That is: a known response of the invitation's department, not yet submitted, in an open
    round. Anything else (an unknown or foreign token, a submitted response, a closed round)
    is None, so the intro page simply offers a fresh start.
    """
    if not resume_token:
        return None
    response = find_response(resume_token)
    if (response is None or response.department_id != invitation.department_id
            or response.is_submitted or not response.department.round.is_open):
        return None
    return response


def first_open_step(response: Response) -> int:
    """The first step with an unanswered question (the last step when all are answered)."""
    all_progress = progress(response)
    for item in all_progress:
        if not item.complete:
            return item.step.number
    return len(all_progress) or 1


# --------------------------------------------------------------------------- writing


def check_writable(response: Response) -> None:
    """Refuse a change to a submitted response or while the round is closed."""
    if response.is_submitted:
        raise ResponseSubmittedError()
    if not response.department.round.is_open:
        raise RoundClosedError()


def normalise_comment(text: str) -> str:
    """Normalise a comment as browsers send it: ``\\r\\n`` -> ``\\n``, outer whitespace off."""
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def validate_page(step: Step, answers: Mapping[str, str], comments: Mapping[str, str],
                  importance: int | None) -> dict[str, str]:
    """Check a page's input against its step; return the normalised comments.

    Raises :class:`UnknownQuestionError` for a question not on this step,
    :class:`InvalidAnswerError` for a value outside the scale,
    :class:`InvalidImportanceError` for an importance outside 1-5 and
    :class:`CommentTooLongError` for a comment over the limit.
    """
    allowed = set(step.question_ids)
    if any(qid not in allowed for qid in list(answers) + list(comments)):
        raise UnknownQuestionError()
    if any(value not in ANSWER_VALUES for value in answers.values()):
        raise InvalidAnswerError()
    if importance is not None and (isinstance(importance, bool)
                                   or importance not in IMPORTANCE_VALUES):
        raise InvalidImportanceError()
    cleaned = {qid: normalise_comment(text) for qid, text in comments.items()}
    if any(len(text) > COMMENT_MAX_LENGTH for text in cleaned.values()):
        raise CommentTooLongError()
    return cleaned


def _insert(model: type[Any]) -> Any:
    """The dialect's INSERT construct that supports ``on_conflict_do_update``."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(model)
    if dialect == "sqlite":
        return sqlite.insert(model)
    raise RuntimeError(f"upserts are not implemented for the {dialect} database")


def _writable_draft(response: Response) -> Any:
    """The condition under which a response may change: a draft in an open round."""
    open_departments = (select(Department.id).join(Round, Department.round_id == Round.id)
                        .where(Round.status == ROUND_OPEN))
    return ((Response.id == response.id) & (Response.status == RESPONSE_DRAFT)
            & Response.department_id.in_(open_departments))


def _refused_meanwhile(response: Response) -> SurveyError:
    """Why a write found the response no longer writable (submitted or closed meanwhile)."""
    db.session.expire(response)
    db.session.expire(response.department.round)
    try:
        check_writable(response)
    except SurveyError as error:
        return error
    return ResponseSubmittedError()


def _touch_draft(response: Response, now: datetime.datetime) -> None:
    """Mark the response as changed (a row lock); refuse when it was submitted or its round
    closed meanwhile."""
    result = db.session.execute(update(Response).where(_writable_draft(response))
                                .values(updated_at=now))
    if getattr(result, "rowcount", 0) != 1:
        raise _refused_meanwhile(response)


def save_page(response: Response, step: int, answers: Mapping[str, str],
              comments: Mapping[str, str], importance: int | None, *,
              now: datetime.datetime | None = None) -> None:
    """Save one step's answers, comments and importance rating in one transaction.

    Answers and comments sent are upserted; questions not sent are left as they are; an empty
    comment deletes the stored one. Everything is checked before anything is written.
    """
    check_writable(response)
    current = get_step(response, step)
    cleaned = validate_page(current, answers, comments, importance)
    now = now or utcnow()
    with unit_of_work() as session:
        _touch_draft(response, now)
        if answers:
            stmt = _insert(Answer).values([
                {"response_id": response.id, "question_id": qid, "value": value,
                 "updated_at": now}
                for qid, value in answers.items()])
            session.execute(stmt.on_conflict_do_update(
                index_elements=["response_id", "question_id"],
                set_={"value": stmt.excluded.value, "updated_at": stmt.excluded.updated_at}))
        filled = {qid: text for qid, text in cleaned.items() if text}
        emptied = [qid for qid, text in cleaned.items() if not text]
        if filled:
            stmt = _insert(Comment).values([
                {"response_id": response.id, "question_id": qid, "text": text}
                for qid, text in filled.items()])
            session.execute(stmt.on_conflict_do_update(
                index_elements=["response_id", "question_id"],
                set_={"text": stmt.excluded.text}))
        if emptied:
            session.execute(delete(Comment).where(Comment.response_id == response.id,
                                                  Comment.question_id.in_(emptied)))
        if importance is not None:
            stmt = _insert(ImportanceRating).values(
                response_id=response.id, bank_id=current.bank.id, theme_id=current.theme.id,
                value=importance)
            session.execute(stmt.on_conflict_do_update(
                index_elements=["response_id", "bank_id", "theme_id"],
                set_={"value": stmt.excluded.value}))
    db.session.refresh(response)


def start_response(invitation_token: str) -> tuple[Response, str]:
    """Start a response for the department behind an invitation token.

    Returns the response and its resume token (shown to the respondent once; only its hash is
    stored). Raises :class:`NotFoundError` for an unknown or revoked token and
    :class:`RoundClosedError` when the round is closed.
    """
    invitation = find_invitation(invitation_token)
    if invitation is None:
        raise link_error(invitation_token)
    if not invitation.department.round.is_open:
        raise RoundClosedError()
    resume_token = tokens.new_resume_token()
    with unit_of_work() as session:
        response = Response(department_id=invitation.department_id,
                            resume_token_hash=tokens.hash_token(resume_token),
                            status=RESPONSE_DRAFT)
        session.add(response)
    return response, resume_token


def submit(response: Response, *, now: datetime.datetime | None = None) -> None:
    """Submit a response; it is read-only afterwards.

    Raises :class:`ResponseSubmittedError` when already submitted, :class:`RoundClosedError`
    when the round is closed and :class:`NothingAnsweredError` when no question has an answer
    (checked after the conditional update, so a closed round or a submission in another tab
    is reported first; the refusal rolls the update back, nothing is written).
    """
    check_writable(response)
    now = now or utcnow()
    with unit_of_work() as session:
        result = session.execute(
            update(Response).where(_writable_draft(response))
            .values(status=RESPONSE_SUBMITTED, submitted_at=now, updated_at=now))
        if getattr(result, "rowcount", 0) != 1:
            raise _refused_meanwhile(response)
        if answered_count(response) == 0:
            raise NothingAnsweredError()
    db.session.refresh(response)
    chart_jobs.results_changed(response.department.round_id)
