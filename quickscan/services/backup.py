"""The restorable parts of the JSON backup beyond the civil servants' responses.

:func:`restorable_parts` builds ``perspective``, ``perspective_groups``, ``lia`` and ``series``
of a ``quickscan-export/2`` document (``docs/export.md``); ``services/restore.py`` checks and
writes them on import. Nothing here links an answer, a comment or a ballot to a person: no
token, link secret, ballot or browser identifier, no time of day; every list is sorted by its
content, never by id or submission.
"""

from __future__ import annotations

import datetime
import json
from collections import defaultdict
from typing import Any, cast

from pydantic import BaseModel
from sqlalchemy import select

from quickscan.export_schema import (
    AmbitionPart,
    BestuurResponsePart,
    ContinuesPart,
    GroupLinkPart,
    LiaActionPart,
    LiaBallotPart,
    LiaCandidatePart,
    LiaFigurePart,
    LiaNotePart,
    LiaPart,
    LiaVotePart,
    PerspectiveGroupPart,
    PerspectiveSettingsPart,
    ResidentAnswerPart,
    ResidentCommentPart,
    ResidentResponsePart,
    ResidentsBankPart,
    SeriesPart,
    SeriesRoundKey,
)
from quickscan.extensions import db
from quickscan.group_models import (
    AmbitionRating,
    BestuurResponse,
    GroupLink,
    GroupState,
    ResidentAnswer,
    ResidentComment,
    ResidentResponse,
    RoundPerspective,
)
from quickscan.models import (
    KIND_RESIDENTS,
    Department,
    LiaAction,
    LiaBallot,
    LiaCandidate,
    LiaPlan,
    LiaVote,
    Round,
)


def restorable_parts(round_: Round) -> dict[str, Any]:
    """``perspective``, ``perspective_groups``, ``lia`` and ``series`` of the backup."""
    return {"perspective": perspective_part(round_),
            "perspective_groups": [group_part(d) for d in round_.perspective_groups],
            "lia": lia_part(round_), "series": series_part(round_)}


def _by_content(parts: list[Any]) -> list[Any]:
    """Parts sorted by their content (so the order reveals nothing of who came first)."""
    return sorted(parts, key=lambda part: json.dumps(cast(BaseModel, part).model_dump(
        mode="json"), sort_keys=True, ensure_ascii=False))


def _aware(value: datetime.datetime) -> datetime.datetime:
    return value.replace(tzinfo=datetime.UTC) if value.tzinfo is None else value


# --------------------------------------------------------------------------- perspectives


def perspective_part(round_: Round) -> PerspectiveSettingsPart | None:
    """The round's perspective settings and pinned residents bank, or None."""
    row = db.session.get(RoundPerspective, round_.id)
    if row is None:
        return None
    bank = None
    if row.residents_sha256 and row.residents_content is not None:
        bank = ResidentsBankPart(id=row.residents_bank_id or "", version=row.residents_version
                                 or "", sha256=row.residents_sha256,
                                 content=dict(row.residents_content))
    return PerspectiveSettingsPart(
        target_source=cast(Any, row.target_source), residents_bank=bank)


def _group_size(department: Department) -> int:
    from quickscan.services.perspectives import min_size

    return min_size(department)


def group_part(department: Department) -> PerspectiveGroupPart:
    """An inwoners or bestuur group with its links' labels, answers and comments."""
    state = db.session.get(GroupState, department.id)
    links = list(db.session.scalars(select(GroupLink).where(
        GroupLink.department_id == department.id).order_by(GroupLink.id)))
    residents = department.kind == KIND_RESIDENTS
    return PerspectiveGroupPart(
        kind=cast(Any, department.kind), name=department.name,
        open=state is None or state.open, min_group_size=_group_size(department),
        links=[GroupLinkPart(label=link.label, active=link.active) for link in links],
        responses=_resident_responses(department, links) if residents else [],
        comments=_resident_comments(department) if residents else [],
        ambitions=[] if residents else _ambitions(department))


def _resident_responses(department: Department, links: list[GroupLink]
                        ) -> list[ResidentResponsePart]:
    labels = {link.id: link.label for link in links}
    answers: dict[int, list[ResidentAnswerPart]] = defaultdict(list)
    for response_id, statement_id, value in db.session.execute(
            select(ResidentAnswer.response_id, ResidentAnswer.statement_id, ResidentAnswer.value)
            .join(ResidentResponse).where(ResidentResponse.department_id == department.id)
            .order_by(ResidentAnswer.statement_id)):
        answers[response_id].append(ResidentAnswerPart(
            statement=statement_id, value=int(value) if value.isdigit() else value))
    rows = db.session.scalars(select(ResidentResponse).where(
        ResidentResponse.department_id == department.id))
    return _by_content([ResidentResponsePart(
        submitted_on=row.submitted_on, channel=cast(Any, row.channel),
        link=labels.get(row.link_id) if row.link_id is not None else None,
        assisted=bool(row.assisted), role=cast(Any, row.participant_role),
        answers=answers[row.id]) for row in rows])


def _resident_comments(department: Department) -> list[ResidentCommentPart]:
    return sorted((ResidentCommentPart(statement=statement_id, text=text)
                   for statement_id, text in db.session.execute(
                       select(ResidentComment.statement_id, ResidentComment.text)
                       .where(ResidentComment.department_id == department.id))),
                  key=lambda c: (c.statement, c.text))


def _ambitions(department: Department) -> list[BestuurResponsePart]:
    ratings: dict[int, list[AmbitionPart]] = defaultdict(list)
    for rating in db.session.scalars(
            select(AmbitionRating).join(BestuurResponse)
            .where(BestuurResponse.department_id == department.id)
            .order_by(AmbitionRating.bank_id, AmbitionRating.theme_id)):
        ratings[rating.response_id].append(AmbitionPart(
            theme=f"{rating.bank_id}/{rating.theme_id}", bank=rating.bank_id,
            theme_id=rating.theme_id, level=rating.level, importance=rating.importance))
    rows = db.session.scalars(select(BestuurResponse).where(
        BestuurResponse.department_id == department.id))
    return _by_content([BestuurResponsePart(submitted_on=row.submitted_on,
                                            ratings=ratings[row.id]) for row in rows])


# --------------------------------------------------------------------------- the agenda


def lia_part(round_: Round) -> LiaPart | None:
    """The round's agenda (rules, candidates, ballots, actions), or None."""
    plan = db.session.scalars(select(LiaPlan).where(LiaPlan.round_id == round_.id)).first()
    candidates = list(db.session.scalars(select(LiaCandidate).where(
        LiaCandidate.round_id == round_.id).order_by(LiaCandidate.position, LiaCandidate.id)))
    if plan is None and not candidates:
        return None
    from quickscan.services.lia import plan_or_default

    plan = plan or plan_or_default(round_)
    # Candidates are numbered 1, 2, ... in their order: ids of this file only.
    local = {candidate.id: index for index, candidate in enumerate(candidates, start=1)}
    return LiaPart(
        votes_per_voter=plan.votes_per_voter, vote_status=cast(Any, plan.vote_status),
        vote_opens_on=plan.vote_opens_on, vote_closes_on=plan.vote_closes_on,
        locked_on=_aware(plan.locked_at).date() if plan.locked_at else None,
        vote_link=bool(plan.vote_salt), show_results=bool(plan.show_results),
        partners=list(plan.partners or []), choice_note=plan.choice_note or "",
        published=bool(plan.published), updated_at=_aware(plan.updated_at),
        candidates=[_candidate(c, local) for c in candidates], ballots=_ballots(round_, local),
        actions=_actions(local))


def _candidate(candidate: LiaCandidate, local: dict[int, int]) -> LiaCandidatePart:
    return LiaCandidatePart(
        id=local[candidate.id], title=candidate.title, description=candidate.description or "",
        themes=list(candidate.themes or []), departments=list(candidate.departments or []),
        figures=[LiaFigurePart(**figure) for figure in candidate.figures or []],
        source=cast(Any, candidate.source), merged_into=local.get(candidate.merged_into_id or 0),
        merge_reason=candidate.merge_reason or "", chosen=bool(candidate.chosen),
        choice_reason=candidate.choice_reason or "", position=candidate.position)


def _ballots(round_: Round, local: dict[int, int]) -> list[LiaBallotPart]:
    """Every ballot and tally: origin, "ik stem als" and votes; no token hash, id or time."""
    votes: dict[int, list[LiaVotePart]] = defaultdict(list)
    for ballot_id, candidate_id, count in db.session.execute(
            select(LiaVote.ballot_id, LiaVote.candidate_id, LiaVote.count).join(LiaBallot)
            .where(LiaBallot.round_id == round_.id).order_by(LiaVote.candidate_id)):
        votes[ballot_id].append(LiaVotePart(candidate=local[candidate_id], count=count))
    return _by_content([LiaBallotPart(origin=cast(Any, origin), voter_role=cast(Any, role or ""),
                                      votes=sorted(votes[ballot_id],
                                                   key=lambda vote: vote.candidate))
                        for ballot_id, origin, role in db.session.execute(
                            select(LiaBallot.id, LiaBallot.origin, LiaBallot.voter_role)
                            .where(LiaBallot.round_id == round_.id))])


def _actions(local: dict[int, int]) -> list[LiaActionPart]:
    if not local:
        return []
    return [LiaActionPart(
        speerpunt=local[action.candidate_id], title=action.title,
        owner_department=action.owner_department.name if action.owner_department else None,
        owner_partner=action.owner_partner or None if not action.owner_department else None,
        deadline=action.deadline, status=cast(Any, action.status),
        themes=list(action.themes or []),
        notes=[LiaNotePart(day=note.day, text=note.text) for note in action.notes])
        for action in db.session.scalars(select(LiaAction).where(
            LiaAction.candidate_id.in_(list(local))).order_by(LiaAction.id))]


# --------------------------------------------------------------------------- the series


def series_part(round_: Round) -> SeriesPart | None:
    """The previous round (by a key that survives a move) and the departments' continuity."""
    previous = db.session.get(Round, round_.previous_round_id) if (
        round_.previous_round_id is not None) else None
    continues = [ContinuesPart(department=d.name, previous=list(d.continues))
                 for d in round_.departments if d.continues is not None]
    if previous is None and not continues:
        return None
    key = None if previous is None else SeriesRoundKey(
        id=previous.id, name=previous.name, municipality=previous.municipality,
        created_at=_aware(previous.created_at))
    return SeriesPart(previous_round=key, continues=continues)
