"""Check and write the restorable parts of a backup beyond the civil servants' responses.

The importer (``services/importer.py``) calls :func:`check_restorable` before it writes
anything and :func:`write_restorable` inside its transaction, before it verifies the scores
(the bestuur's ambitions can set the round's targets). The parts (``docs/export.md``):

* ``perspective`` and ``perspective_groups``: the target source, the pinned residents bank
  (its content must be a version this installation ships), the inwoners and bestuur groups
  with their open state, minimum size, link labels (each gets a new link: tokens are never in
  a backup), the inwoners' questionnaires and comments and the bestuur's ambitions;
* ``lia``: the agenda's rules and state, the candidates (merges with their reason), the ballots
  and tallies (no identifier: a restored online ballot can no longer be recognised by its
  browser), the chosen speerpunten and their actions; a vote link gets a new token;
* ``series``: the departments' continuity and the previous round, found again in the target
  database by its name, municipality and creation time. When it is not there the import still
  succeeds and says so (:attr:`Restored.series_note`).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from sqlalchemy import select

from quickscan.bank import LOCK_FILE, Bank, BankError, content_hash, read_lock
from quickscan.export_schema import (
    ExportDocument,
    LiaPart,
    PerspectiveGroupPart,
    PerspectiveSettingsPart,
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
    KIND_DEPARTMENT,
    KIND_RESIDENTS,
    Department,
    LiaAction,
    LiaBallot,
    LiaCandidate,
    LiaNote,
    LiaPlan,
    LiaVote,
    Round,
    utcnow,
)
from quickscan.residents import ResidentsBank, residents_from_snapshot
from quickscan.services import tokens


class ImportFileError(ValueError):
    """The file is not a valid ``quickscan-export/2`` (or ``/1``) export, or does not fit
    this app."""


@dataclass
class Restored:
    """What :func:`write_restorable` restored beside the round."""

    #: Links of the inwoners and bestuur groups: ``name`` or ``name (label)`` -> path.
    links: dict[str, str] = field(default_factory=dict)
    previous_round_id: int | None = None
    #: Why the link to the previous round could not be restored ("" when it was, or none).
    series_note: str = ""


def _casefold(name: str) -> str:
    return " ".join(name.split()).casefold()


def names(document: ExportDocument) -> Iterator[tuple[str, str]]:
    """The one-line names of the restorable parts, with their JSON paths (checked as names)."""
    for index, group in enumerate(document.perspective_groups):
        yield f"perspective_groups[{index}].name", group.name
        for number, link in enumerate(group.links):
            yield f"perspective_groups[{index}].links[{number}].label", link.label
    if document.lia is not None:
        for index, partner in enumerate(document.lia.partners):
            yield f"lia.partners[{index}]", partner
        for index, candidate in enumerate(document.lia.candidates):
            yield f"lia.candidates[{index}].title", candidate.title
        for index, action in enumerate(document.lia.actions):
            yield f"lia.actions[{index}].title", action.title


# --------------------------------------------------------------------------- checks


def check_restorable(document: ExportDocument, banks: Mapping[str, Bank]) -> None:
    """Check the restorable parts' references (raises :class:`ImportFileError`)."""
    themes = {f"{bank.id}/{theme.id}" for bank in banks.values() for theme in bank.themes}
    residents = _check_perspective(document)
    for index, group in enumerate(document.perspective_groups):
        _check_group(document, index, group, residents, themes)
    if document.lia is not None:
        _check_lia(document, document.lia, themes)
    _check_series(document)


def _known_residents(bank_id: str, version: str) -> set[str]:
    from quickscan.services.banks import catalog

    known = set()
    cat = catalog()
    if (bank_id, version) in cat.residents:
        known.add(cat.residents[(bank_id, version)].sha256)
    try:
        published = read_lock(cat.root / LOCK_FILE)
    except BankError:
        published = {}
    if version in published.get(bank_id, {}):
        known.add(published[bank_id][version])
    return known


def _residents_bank(part: PerspectiveSettingsPart) -> ResidentsBank | None:
    entry, where = part.residents_bank, "perspective.residents_bank"
    if entry is None:
        return None
    computed = content_hash(entry.content)
    if computed != entry.sha256:
        raise ImportFileError(f"{where}.content: its content hash is {computed[:12]}…, not the "
                              f"sha256 {entry.sha256[:12]}… the file claims")
    if computed not in _known_residents(entry.id, entry.version):
        raise ImportFileError(f"{where}: residents bank {entry.id} {entry.version} with this "
                              "content is not a version of this installation")
    try:
        bank = residents_from_snapshot(entry.content)
    except (BankError, ValueError, TypeError) as exc:
        raise ImportFileError(f"{where}.content: not a valid residents bank: {exc}") from None
    if (bank.id, bank.version) != (entry.id, entry.version):
        raise ImportFileError(f"{where}.content: holds {bank.id} {bank.version}, expected "
                              f"{entry.id} {entry.version}")
    return bank


def _check_perspective(document: ExportDocument) -> ResidentsBank | None:
    part = document.perspective
    if part is None:
        if document.perspective_groups:
            raise ImportFileError("perspective: groups need the round's perspective settings")
        return None
    kinds = [group.kind for group in document.perspective_groups]
    if part.target_source == "bestuur" and "bestuur" not in kinds:
        raise ImportFileError("perspective.target_source: bestuur, but the round has no "
                              "bestuur group")
    return _residents_bank(part)


def _check_group(document: ExportDocument, index: int, group: PerspectiveGroupPart,
                 residents: ResidentsBank | None, themes: set[str]) -> None:
    where = f"perspective_groups[{index}]"
    if [g.kind for g in document.perspective_groups].index(group.kind) != index:
        raise ImportFileError(f"{where}.kind: a second {group.kind} group")
    if _casefold(group.name) in {_casefold(d.name) for d in document.departments}:
        raise ImportFileError(f"{where}.name: {group.name!r} is also a department's name")
    k = document.round.min_group_size
    if group.kind == "bestuur" and group.min_group_size != k:
        raise ImportFileError(f"{where}.min_group_size: the bestuur's is the round's ({k})")
    if group.min_group_size < k:
        raise ImportFileError(f"{where}.min_group_size: below the round's ({k})")
    if group.kind == KIND_RESIDENTS:
        _check_residents(where, group, residents)
    for number, response in enumerate(group.ambitions):
        for rating_index, rating in enumerate(response.ratings):
            if rating.theme not in themes:
                raise ImportFileError(f"{where}.ambitions[{number}].ratings[{rating_index}]."
                                      f"theme: {rating.theme!r} is not a theme of the round")


def _check_residents(where: str, group: PerspectiveGroupPart,
                     bank: ResidentsBank | None) -> None:
    if bank is None:
        raise ImportFileError(f"{where}: an inwoners group needs perspective.residents_bank")
    statements = {statement.id for statement in bank.statements}
    labels = {_casefold(link.label) for link in group.links}
    for number, response in enumerate(group.responses):
        if response.link is not None and _casefold(response.link) not in labels:
            raise ImportFileError(f"{where}.responses[{number}].link: no link labelled "
                                  f"{response.link!r}")
        for answer_index, answer in enumerate(response.answers):
            if answer.statement not in statements:
                raise ImportFileError(f"{where}.responses[{number}].answers[{answer_index}]."
                                      f"statement: {answer.statement!r} is not in the bank")
    for number, comment in enumerate(group.comments):
        if comment.statement not in statements:
            raise ImportFileError(f"{where}.comments[{number}].statement: "
                                  f"{comment.statement!r} is not in the bank")


def _check_themes(where: str, keys: list[str], themes: set[str]) -> None:
    for index, key in enumerate(keys):
        if key not in themes:
            raise ImportFileError(f"{where}[{index}]: {key!r} is not a theme of the round")


def _check_lia(document: ExportDocument, lia: LiaPart, themes: set[str]) -> None:
    merged = {c.id for c in lia.candidates if c.merged_into is not None}
    ids = {c.id for c in lia.candidates}
    for index, candidate in enumerate(lia.candidates):
        target = candidate.merged_into
        if target is not None and (target not in ids or target in merged):
            raise ImportFileError(f"lia.candidates[{index}].merged_into: no candidate "
                                  f"{target} to merge into")
        _check_themes(f"lia.candidates[{index}].themes", candidate.themes, themes)
    for index, ballot in enumerate(lia.ballots):
        for number, vote in enumerate(ballot.votes):
            if vote.candidate not in ids - merged:
                raise ImportFileError(f"lia.ballots[{index}].votes[{number}].candidate: no "
                                      f"candidate {vote.candidate}")
        if len(ballot.votes) > lia.votes_per_voter:
            raise ImportFileError(f"lia.ballots[{index}].votes: more than "
                                  f"{lia.votes_per_voter} votes")
    _check_actions(document, lia, themes)


def _check_actions(document: ExportDocument, lia: LiaPart, themes: set[str]) -> None:
    chosen = {c.id for c in lia.candidates if c.chosen and c.merged_into is None}
    departments = {_casefold(d.name) for d in document.departments if d.kind == KIND_DEPARTMENT}
    partners = {_casefold(p) for p in lia.partners}
    for index, action in enumerate(lia.actions):
        where = f"lia.actions[{index}]"
        if action.speerpunt not in chosen:
            raise ImportFileError(f"{where}.speerpunt: candidate {action.speerpunt} is not a "
                                  "chosen speerpunt")
        if action.owner_department is not None and (
                _casefold(action.owner_department) not in departments):
            raise ImportFileError(f"{where}.owner_department: not a department of the round")
        if action.owner_partner is not None and _casefold(action.owner_partner) not in partners:
            raise ImportFileError(f"{where}.owner_partner: not one of lia.partners")
        _check_themes(f"{where}.themes", action.themes, themes)


def _check_series(document: ExportDocument) -> None:
    if document.series is None:
        return
    departments = {d.name for d in document.departments}
    for index, entry in enumerate(document.series.continues):
        if entry.department not in departments:
            raise ImportFileError(f"series.continues[{index}].department: no department "
                                  f"{entry.department!r}")


# --------------------------------------------------------------------------- writing


def _midnight(day: datetime.date | None) -> datetime.datetime | None:
    return None if day is None else datetime.datetime.combine(day, datetime.time(),
                                                              tzinfo=datetime.UTC)


def write_restorable(round_: Round, document: ExportDocument, secret_key: str) -> Restored:
    """Write the restorable parts for the new, flushed ``round_`` (inside the importer's
    transaction)."""
    restored = Restored()
    _write_perspective(round_, document, secret_key, restored)
    if document.lia is not None:
        _write_lia(round_, document.lia, secret_key)
    _write_series(round_, document.series, restored)
    db.session.flush()
    db.session.expire(round_, ["perspective_groups"])
    return restored


def _write_perspective(round_: Round, document: ExportDocument, secret_key: str,
                       restored: Restored) -> None:
    part = document.perspective
    if part is None:
        return
    from quickscan.perspectives import DEFAULT_RESIDENTS_MIN_GROUP_SIZE

    sizes: dict[str, int] = {g.kind: g.min_group_size for g in document.perspective_groups}
    bank = part.residents_bank
    db.session.add(RoundPerspective(
        round_id=round_.id, target_source=part.target_source,
        residents_min_group_size=sizes.get(KIND_RESIDENTS, max(
            DEFAULT_RESIDENTS_MIN_GROUP_SIZE, round_.min_group_size or 1)),
        residents_bank_id=bank.id if bank else None,
        residents_version=bank.version if bank else None,
        residents_sha256=bank.sha256 if bank else None,
        residents_content=dict(bank.content) if bank else None))
    for group in document.perspective_groups:
        _write_group(round_, group, secret_key, restored)


def _write_links(department: Department, group: PerspectiveGroupPart, secret_key: str,
                 restored: Restored) -> dict[str, int]:
    """New links under the file's labels; returns label (casefolded) -> link id."""
    prefix = "i" if group.kind == KIND_RESIDENTS else "b"
    out: dict[str, int] = {}
    for index, part in enumerate(group.links):
        salt = tokens.new_salt()
        token = tokens.invitation_token(secret_key, salt)
        link = GroupLink(department_id=department.id, label=part.label, token_salt=salt,
                         token_hash=tokens.hash_token(token),
                         revoked_at=None if part.active else utcnow())
        db.session.add(link)
        db.session.flush()
        out[_casefold(part.label)] = link.id
        if part.active:
            name = group.name if index == 0 else f"{group.name} ({part.label})"
            restored.links[name] = f"/{prefix}/{token}"
    return out


def _write_group(round_: Round, group: PerspectiveGroupPart, secret_key: str,
                 restored: Restored) -> None:
    department = Department(round_id=round_.id, name=group.name, kind=group.kind, bank_ids=[])
    db.session.add(department)
    db.session.flush()
    db.session.add(GroupState(department_id=department.id, open=group.open))
    links = _write_links(department, group, secret_key, restored)
    for response in group.responses:
        db.session.add(ResidentResponse(
            department_id=department.id, channel=response.channel, assisted=response.assisted,
            link_id=links[_casefold(response.link)] if response.link is not None else None,
            participant_role=response.role, submitted_on=response.submitted_on,
            answers=[ResidentAnswer(statement_id=a.statement, value=str(a.value))
                     for a in response.answers]))
    for comment in group.comments:
        db.session.add(ResidentComment(department_id=department.id,
                                       statement_id=comment.statement, text=comment.text))
    for ambition in group.ambitions:
        db.session.add(BestuurResponse(
            department_id=department.id, submitted_on=ambition.submitted_on,
            ratings=[AmbitionRating(bank_id=r.bank, theme_id=r.theme_id, level=r.level,
                                    importance=r.importance) for r in ambition.ratings]))


def _write_plan(round_: Round, lia: LiaPart, secret_key: str) -> None:
    plan = LiaPlan(round_id=round_.id, votes_per_voter=lia.votes_per_voter,
                   vote_status=lia.vote_status, vote_opens_on=lia.vote_opens_on,
                   vote_closes_on=lia.vote_closes_on, locked_at=_midnight(lia.locked_on),
                   show_results=lia.show_results, partners=list(lia.partners),
                   choice_note=lia.choice_note, published=lia.published,
                   updated_at=lia.updated_at, vote_salt="", vote_token_hash=None)
    if lia.vote_link:
        from quickscan.services.lia import vote_token

        plan.vote_salt = tokens.new_salt()
        plan.vote_token_hash = tokens.hash_token(vote_token(plan, secret_key))
    db.session.add(plan)


def _write_lia(round_: Round, lia: LiaPart, secret_key: str) -> None:
    _write_plan(round_, lia, secret_key)
    ids = _write_candidates(round_, lia)
    for ballot in lia.ballots:
        db.session.add(LiaBallot(round_id=round_.id, origin=ballot.origin,
                                 voter_role=ballot.voter_role, token_hash=None,
                                 votes=[LiaVote(candidate_id=ids[v.candidate].id, count=v.count)
                                        for v in ballot.votes]))
    _write_actions(round_, lia, ids)


def _write_candidates(round_: Round, lia: LiaPart) -> dict[int, LiaCandidate]:
    """The candidates, by their number in the file (merges point at the new rows)."""
    ids: dict[int, LiaCandidate] = {}
    for part in lia.candidates:
        ids[part.id] = LiaCandidate(
            round_id=round_.id, title=part.title, description=part.description,
            themes=list(part.themes), departments=list(part.departments),
            figures=[figure.model_dump(mode="json") for figure in part.figures],
            source=part.source, merge_reason=part.merge_reason, chosen=part.chosen,
            choice_reason=part.choice_reason, position=part.position)
        db.session.add(ids[part.id])
    db.session.flush()
    for part in lia.candidates:
        if part.merged_into is not None:
            ids[part.id].merged_into_id = ids[part.merged_into].id
    return ids


def _write_actions(round_: Round, lia: LiaPart, ids: Mapping[int, LiaCandidate]) -> None:
    owners = {_casefold(d.name): d.id for d in round_.departments}
    for action in lia.actions:
        db.session.add(LiaAction(
            candidate_id=ids[action.speerpunt].id, title=action.title,
            owner_department_id=owners[_casefold(action.owner_department)]
            if action.owner_department is not None else None,
            owner_partner=action.owner_partner or "", deadline=action.deadline,
            status=action.status, themes=list(action.themes),
            notes=[LiaNote(day=n.day, text=n.text) for n in action.notes]))
        db.session.flush()  # actions keep the file's order in their ids


def _write_series(round_: Round, part: SeriesPart | None, restored: Restored) -> None:
    if part is None:
        return
    by_name = {d.name: d for d in round_.departments}
    for entry in part.continues:
        by_name[entry.department].continues = list(entry.previous)
    if part.previous_round is None:
        return
    previous, why = find_previous(part.previous_round, round_.id)
    if previous is None:
        restored.series_note = (f"the link to the previous round {part.previous_round.name!r} "
                                f"could not be restored: {why}")
        return
    round_.previous_round_id = previous.id
    restored.previous_round_id = previous.id


def _aware(value: datetime.datetime) -> datetime.datetime:
    return value.replace(tzinfo=datetime.UTC) if value.tzinfo is None else value


def find_previous(key: SeriesRoundKey, exclude: int) -> tuple[Round | None, str]:
    """The round of this database a backup's ``series.previous_round`` names: same name,
    municipality and creation time (the id decides between several), or None and why."""
    found = [r for r in db.session.scalars(select(Round).where(
        Round.name == key.name, Round.municipality == key.municipality, Round.id != exclude))
        if _aware(r.created_at) == key.created_at]
    if len(found) > 1:
        found = [r for r in found if r.id == key.id]
        if len(found) != 1:
            return None, "several rounds of this database match it"
    if not found:
        return None, "it is not in this database (import it first)"
    return found[0], ""
