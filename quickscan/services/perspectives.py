"""Perspectives in a round: the inwoners and bestuur groups, their links and answers, and the
three perspectives side by side (:mod:`quickscan.perspectives`).

Every write runs in one :func:`~quickscan.services.uow.unit_of_work`; refusals are domain
exceptions with a Dutch message. Nothing here reads the request: the secret key, the base URL
and "today" are arguments.
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import event, func, insert, select
from sqlalchemy.orm import Session, defer, joinedload

from quickscan.bank import BankError, bank_content
from quickscan.extensions import db
from quickscan.group_models import (
    CHANNEL_ONLINE,
    CHANNEL_PAPER,
    PARTICIPANT_ROLES,
    RESIDENT_VALUES,
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
    KIND_BESTUUR,
    KIND_RESIDENTS,
    Department,
    Round,
    utcnow,
)
from quickscan.names import name_key
from quickscan.perspectives import (
    DEFAULT_RESIDENTS_MIN_GROUP_SIZE,
    TARGET_BANKS,
    TARGET_BESTUUR,
    TARGET_OVERRIDES,
    TARGET_SOURCES,
    Ambition,
    CivilServantTheme,
    Perspectives,
    bestuur_targets,
    compare,
)
from quickscan.residents import ResidentsBank, residents_from_snapshot
from quickscan.services import tokens
from quickscan.services.banks import catalog as bank_catalog
from quickscan.services.banks import round_banks
from quickscan.services.errors import (
    Conflict,
    Gone,
    InvalidInput,
    NeedsCorrection,
    NotFound,
)
from quickscan.services.uow import unit_of_work

SecretKey = str | bytes
RESIDENTS_NAME = "Inwoners"
BESTUUR_NAME = "Bestuur"
DEFAULT_LINK_LABEL = "Algemeen"
LABEL_MAX_LENGTH = 200
#: A resident's comment is short: at most this many characters.
RESIDENT_COMMENT_MAX = 500


class PerspectiveError(InvalidInput):
    """A forged or impossible value (unknown statement, value out of range)."""


class PerspectiveCorrection(NeedsCorrection):
    """Input the user can correct (nothing answered, a label missing or taken)."""


class GroupClosed(Conflict):
    """The group (or its round) does not take responses now."""


class LinkGone(Gone):
    """The link was revoked."""


# --------------------------------------------------------------------------- reading


#: Bumped whenever this process flushes a change to a round, a group, a link or the round's
#: perspective settings: the public pages' short-lived memo (views/perspectives.py) drops
#: everything it remembered, so a group closed here shows closed at once.
_epoch = [0]


def epoch() -> int:
    """The current generation of rounds, groups and links as this process knows them."""
    return _epoch[0]


@event.listens_for(Session, "after_flush")
def _bump_epoch(session: Session, _context: Any) -> None:
    watched = (Round, Department, GroupState, GroupLink, RoundPerspective)
    if any(isinstance(item, watched)
           for item in (*session.new, *session.dirty, *session.deleted)):
        _epoch[0] += 1



def settings(round_: Round) -> RoundPerspective | None:
    """The round's perspective settings, or None when the round has none."""
    return db.session.get(RoundPerspective, round_.id)


def group(round_: Round, kind: str) -> Department | None:
    """The round's inwoners or bestuur group, or None."""
    for department in round_.perspective_groups:
        if department.kind == kind:
            return department
    return None


def is_open(department: Department) -> bool:
    """True while the group takes responses (its round open and the group itself open)."""
    state = db.session.get(GroupState, department.id)
    return department.round.is_open and (state is None or state.open)


def residents_bank(round_: Round) -> ResidentsBank | None:
    """The residents bank the round pinned, rebuilt from its snapshot."""
    row = db.session.get(RoundPerspective, round_.id,
                         options=[defer(RoundPerspective.residents_content)])
    if row is None or row.residents_sha256 is None:
        return None
    cached = _residents_snapshots.get(row.residents_sha256)
    if cached is not None:
        return cached
    if row.residents_content is None:
        return None
    bank = residents_from_snapshot(row.residents_content)
    if bank.sha256 != row.residents_sha256:
        raise BankError([])
    _residents_snapshots[bank.sha256] = bank  # frozen; keyed by its content hash
    return bank


#: Residents banks rebuilt from round snapshots, by content hash (a frozen object per hash).
_residents_snapshots: dict[str, ResidentsBank] = {}


def round_themes(round_: Round) -> list[tuple[str, str, str]]:
    """(bank id, theme id, theme title) of every theme of the round's civil-servant banks."""
    return [(bank.id, theme.id, theme.title) for bank in round_banks(round_)
            for theme in bank.themes]


def links(department: Department) -> list[GroupLink]:
    """The group's links, oldest first."""
    return list(db.session.scalars(select(GroupLink).where(
        GroupLink.department_id == department.id).order_by(GroupLink.id)))


def link_token(link: GroupLink, secret_key: SecretKey) -> str:
    """The token of a link (derived again from the secret key and its salt)."""
    return tokens.invitation_token(secret_key, link.token_salt)


def link_url(link: GroupLink, *, secret_key: SecretKey, base_url: str) -> str:
    """The absolute address of a link: ``/i/<token>`` (inwoners) or ``/b/<token>`` (bestuur)."""
    prefix = "i" if link.department.kind == KIND_RESIDENTS else "b"
    return f"{base_url.rstrip('/')}/{prefix}/{link_token(link, secret_key)}"


def link_lines(round_: Round, *, secret_key: SecretKey, base_url: str
               ) -> list[tuple[str, str, str]]:
    """(group name, label, url) of every working link of the round's inwoners and bestuur
    groups; the label is empty for a group's first link."""
    out = []
    for department in round_.perspective_groups:
        for index, link in enumerate(l for l in links(department) if l.active):
            out.append((department.name, "" if index == 0 else link.label,
                        link_url(link, secret_key=secret_key, base_url=base_url)))
    return out


def find_link(token: str, kind: str) -> GroupLink | None:
    """The active link of kind ``residents`` or ``bestuur`` behind a token, or None."""
    if not token or len(token) > 200:
        return None
    # One round trip for everything a public page and a submission read: the link with its
    # group and round, the group's open state and the round's settings (without the bank
    # snapshot); the latter two land in the identity map, so is_open() and residents_bank()
    # find them there instead of asking the database again.
    found = db.session.execute(
        select(GroupLink, GroupState, RoundPerspective)
        .join(Department, GroupLink.department_id == Department.id)
        .outerjoin(GroupState, GroupState.department_id == GroupLink.department_id)
        .outerjoin(RoundPerspective, RoundPerspective.round_id == Department.round_id)
        .where(GroupLink.token_hash == tokens.hash_token(token))
        .options(joinedload(GroupLink.department).joinedload(Department.round),
                 defer(RoundPerspective.residents_content))).first()
    link: GroupLink | None = None if found is None else found[0]
    if found is not None:  # the identity map holds rows weakly: keep them for the session
        db.session.info.setdefault("quickscan.pinned", []).extend(
            row for row in found[1:] if row is not None)
    if link is None or not link.active or link.department.kind != kind:
        return None
    if not tokens.same_hash(link.token_hash, token):
        return None
    return link


# --------------------------------------------------------------------------- groups


def _new_link(department_id: int | None, label: str, secret_key: SecretKey) -> GroupLink:
    salt = tokens.new_salt()
    link = GroupLink(label=label, token_salt=salt,
                     token_hash=tokens.hash_token(tokens.invitation_token(secret_key, salt)))
    if department_id is not None:
        link.department_id = department_id
    return link


def _settings_for(round_: Round) -> RoundPerspective:
    row = settings(round_)
    if row is None:
        row = RoundPerspective(round_id=round_.id, target_source=TARGET_BANKS,
                               residents_min_group_size=max(DEFAULT_RESIDENTS_MIN_GROUP_SIZE,
                                                            round_.min_group_size or 1))
        db.session.add(row)
    return row


def _add_group(round_: Round, kind: str, name: str, secret_key: SecretKey) -> Department:
    if group(round_, kind) is not None:
        raise Conflict(_("Deze ronde heeft al een groep %(name)s.", name=name))
    if any(name_key(d.name) == name_key(name) for d in round_.departments):
        raise PerspectiveCorrection(_("Er is al een afdeling met de naam %(name)s; geef die "
                                      "afdeling eerst een andere naam.", name=name))
    department = Department(round_id=round_.id, name=name, kind=kind, bank_ids=[])
    db.session.add(department)
    db.session.flush()
    db.session.add(GroupState(department_id=department.id, open=True))
    label = DEFAULT_LINK_LABEL if kind == KIND_RESIDENTS else name
    db.session.add(_new_link(department.id, label, secret_key))
    db.session.flush()
    db.session.expire(round_, ["perspective_groups"])
    return department


def add_residents_group(round_: Round, *, secret_key: SecretKey,
                        bank_id: str | None = None) -> Department:
    """Add the inwoners group with one public link; pins the newest residents bank."""
    with unit_of_work():
        catalog = bank_catalog()
        bank = catalog.latest_residents(bank_id)
        if bank is None:
            raise PerspectiveError(_("Er is geen geldige vragenlijst voor inwoners."))
        content = bank_content(catalog.residents_paths[bank.key])
        row = _settings_for(round_)
        row.residents_bank_id, row.residents_version = bank.id, bank.version
        row.residents_sha256, row.residents_content = bank.sha256, content
        department = _add_group(round_, KIND_RESIDENTS, RESIDENTS_NAME, secret_key)
    return department


def add_bestuur_group(round_: Round, *, secret_key: SecretKey) -> Department:
    """Add the bestuur group (wethouders, raadsleden) with one link."""
    with unit_of_work():
        _settings_for(round_)
        department = _add_group(round_, KIND_BESTUUR, BESTUUR_NAME, secret_key)
    return department


def clean_label(label: str) -> str:
    """A shared link's label: one line, 1-200 characters."""
    from quickscan.names import InvalidName, clean_name

    try:
        text = clean_name(label or "")
    except InvalidName:
        raise PerspectiveCorrection(_("Het label bevat onzichtbare tekens of stuurtekens.")
                                    ) from None
    if not text:
        raise PerspectiveCorrection(_("Vul een label in, bijvoorbeeld de organisatie of "
                                      "bijeenkomst waar u de link deelt."))
    if len(text) > LABEL_MAX_LENGTH:
        raise PerspectiveCorrection(_("Het label is te lang: hoogstens 200 tekens."))
    return text


def add_shared_link(department: Department, label: str, *, secret_key: SecretKey) -> GroupLink:
    """Another link of the inwoners group, labelled with where it is shared."""
    with unit_of_work():
        if department.kind != KIND_RESIDENTS:
            raise PerspectiveError(_("Alleen de groep inwoners heeft gedeelde links."))
        text = clean_label(label)
        if any(name_key(l.label) == name_key(text) for l in links(department)):
            raise PerspectiveCorrection(_("Er is al een link met het label %(label)s.",
                                          label=text))
        link = _new_link(department.id, text, secret_key)
        db.session.add(link)
        db.session.flush()
    return link


def set_group_open(department: Department, open_: bool) -> None:
    """Open or close one group on its own."""
    with unit_of_work():
        state = db.session.get(GroupState, department.id)
        if state is None:
            db.session.add(GroupState(department_id=department.id, open=open_))
        else:
            state.open = open_


def set_target_source(round_: Round, source: str) -> None:
    """Where the round's theme targets come from: ``banks``, ``overrides`` or ``bestuur``."""
    with unit_of_work():
        if source not in TARGET_SOURCES:
            raise PerspectiveError(_("Onbekende bron voor de doelen."))
        if source == TARGET_BESTUUR and group(round_, KIND_BESTUUR) is None:
            raise PerspectiveCorrection(_("Voeg eerst de groep bestuur toe."))
        _settings_for(round_).target_source = source


def set_residents_min_group_size(round_: Round, size: int) -> None:
    """The inwoners group's minimum size (at least the round's k, at most 25)."""
    with unit_of_work():
        if not isinstance(size, int) or not (round_.min_group_size or 1) <= size <= 25:
            raise PerspectiveCorrection(_("De minimale groepsgrootte voor inwoners is "
                                          "%(low)d tot en met 25.",
                                          low=round_.min_group_size or 1))
        _settings_for(round_).residents_min_group_size = size


# --------------------------------------------------------------------------- answering


@dataclass(frozen=True)
class ResidentSubmission:
    """What an inwoner (or a coordinator from a paper form) submits."""

    answers: Mapping[str, str]
    comments: Mapping[str, str]
    participant_role: str | None = None
    assisted: bool = False


def validate_residents(bank: ResidentsBank, submission: ResidentSubmission
                       ) -> tuple[dict[str, str], dict[str, str]]:
    """Checked answers and comments; forged values raise :class:`PerspectiveError`."""
    known = {s.id for s in bank.statements}
    answers: dict[str, str] = {}
    for statement_id, value in submission.answers.items():
        if statement_id not in known or value not in RESIDENT_VALUES:
            raise PerspectiveError(_("Ongeldig antwoord."))
        answers[statement_id] = value
    comments: dict[str, str] = {}
    for statement_id, text in submission.comments.items():
        if statement_id not in known or not isinstance(text, str):
            raise PerspectiveError(_("Ongeldige opmerking."))
        clean = text.replace("\r\n", "\n").strip()
        if len(clean) > RESIDENT_COMMENT_MAX:
            raise PerspectiveCorrection(_("Een opmerking is hoogstens %(max)d tekens.",
                                          max=RESIDENT_COMMENT_MAX))
        if "\x00" in clean:
            raise PerspectiveError(_("Ongeldige opmerking."))
        if clean:
            comments[statement_id] = clean
    if submission.participant_role not in (None, "", *PARTICIPANT_ROLES):
        raise PerspectiveError(_("Ongeldig antwoord bij 'Ik doe mee als'."))
    if not answers:
        raise PerspectiveCorrection(_("U heeft nog geen enkele zin beantwoord. Kies bij "
                                      "minstens één zin een antwoord."))
    return answers, comments


def _store_residents(department: Department, link_id: int | None, channel: str,
                     submission: ResidentSubmission, today: datetime.date) -> ResidentResponse:
    bank = residents_bank(department.round)
    if bank is None:
        raise NotFound(_("Deze vragenlijst bestaat niet."))
    answers, comments = validate_residents(bank, submission)
    response = ResidentResponse(
        department_id=department.id, link_id=link_id, channel=channel,
        assisted=bool(submission.assisted),
        participant_role=submission.participant_role or None, submitted_on=today)
    db.session.add(response)
    db.session.flush()  # its id; the answers and comments follow as two bulk inserts
    db.session.execute(insert(ResidentAnswer), [
        {"response_id": response.id, "statement_id": s, "value": v} for s, v in answers.items()])
    if comments:
        db.session.execute(insert(ResidentComment), [
            {"department_id": department.id, "statement_id": statement_id, "text": text}
            for statement_id, text in comments.items()])
    return response


def submit_residents(link: GroupLink, submission: ResidentSubmission, *,
                     today: datetime.date | None = None) -> None:
    """Store an inwoner's answers from the public link (one transaction)."""
    with unit_of_work():
        if not link.active:
            raise LinkGone(_("Deze link werkt niet meer."))
        if not is_open(link.department):
            raise GroupClosed(_("De vragenlijst is gesloten. U kunt niet meer meedoen."))
        _store_residents(link.department, link.id, CHANNEL_ONLINE, submission,
                         today or utcnow().date())


def enter_paper_form(department: Department, submission: ResidentSubmission, *,
                     today: datetime.date | None = None) -> None:
    """Store a paper form typed in by the coordinator (marked ``papier``)."""
    with unit_of_work():
        if department.kind != KIND_RESIDENTS:
            raise PerspectiveError(_("Papieren formulieren zijn er alleen voor inwoners."))
        if not department.round.is_open:
            raise GroupClosed(_("Deze ronde is gesloten."))
        _store_residents(department, None, CHANNEL_PAPER, submission, today or utcnow().date())


def submit_bestuur(link: GroupLink, ratings: Mapping[tuple[str, str], tuple[Any, Any]], *,
                   today: datetime.date | None = None) -> None:
    """Store a bestuur respondent's ambition (0-4) and importance (1-5) per theme."""
    with unit_of_work():
        if not link.active:
            raise LinkGone(_("Deze link werkt niet meer."))
        department = link.department
        if not is_open(department):
            raise GroupClosed(_("De vragenlijst is gesloten."))
        known = {(b, t) for b, t, _title in round_themes(department.round)}
        rows = []
        for key, (level, importance) in ratings.items():
            if key not in known:
                raise PerspectiveError(_("Onbekend thema."))
            level = _whole(level, 0, 4)
            importance = _whole(importance, 1, 5)
            if level is not None or importance is not None:
                rows.append(AmbitionRating(bank_id=key[0], theme_id=key[1], level=level,
                                           importance=importance))
        if not any(r.level is not None for r in rows):
            raise PerspectiveCorrection(_("Kies bij minstens één thema een ambitie."))
        response = BestuurResponse(department_id=department.id,
                                   submitted_on=today or utcnow().date())
        response.ratings = rows
        db.session.add(response)


def _whole(value: Any, low: int, high: int) -> int | None:
    if value in (None, ""):
        return None
    text = str(value).strip()
    if not text.isascii() or not text.isdigit() or not low <= int(text) <= high:
        raise PerspectiveError(_("Ongeldige waarde."))
    return int(text)


# --------------------------------------------------------------------------- progress


@dataclass(frozen=True)
class GroupProgress:
    """Submissions of an inwoners or bestuur group, per day and per link."""

    department_id: int
    kind: str
    name: str
    open: bool
    submitted: int
    min_size: int
    per_day: list[tuple[datetime.date, int]]
    per_link: list[tuple[str, int]]
    paper: int
    assisted: int


def submitted_count(department: Department) -> int:
    """Submitted responses of an inwoners or bestuur group."""
    model = ResidentResponse if department.kind == KIND_RESIDENTS else BestuurResponse
    return int(db.session.scalar(select(func.count(model.id)).where(
        model.department_id == department.id)) or 0)


def min_size(department: Department) -> int:
    """The group's minimum size: inwoners their own (default 5), bestuur the round's k."""
    if department.kind == KIND_RESIDENTS:
        row = settings(department.round)
        return row.residents_min_group_size if row else DEFAULT_RESIDENTS_MIN_GROUP_SIZE
    return department.round.min_group_size or 1


def group_progress(round_: Round) -> list[GroupProgress]:
    """Per inwoners or bestuur group: submissions in total, per day, per shared link."""
    out = []
    for department in round_.perspective_groups:
        model = ResidentResponse if department.kind == KIND_RESIDENTS else BestuurResponse
        per_day = [(day, count) for day, count in db.session.execute(
            select(model.submitted_on, func.count(model.id))
            .where(model.department_id == department.id)
            .group_by(model.submitted_on).order_by(model.submitted_on))]
        per_link: list[tuple[str, int]] = []
        paper = assisted = 0
        if department.kind == KIND_RESIDENTS:
            counts = dict(db.session.execute(
                select(ResidentResponse.link_id, func.count(ResidentResponse.id))
                .where(ResidentResponse.department_id == department.id)
                .group_by(ResidentResponse.link_id)).all())
            per_link = [(link.label, int(counts.get(link.id, 0))) for link in links(department)]
            paper = int(counts.get(None, 0))
            assisted = int(db.session.scalar(select(func.count(ResidentResponse.id)).where(
                ResidentResponse.department_id == department.id,
                ResidentResponse.assisted.is_(True))) or 0)
        out.append(GroupProgress(
            department_id=department.id, kind=department.kind, name=department.name,
            open=is_open(department), submitted=sum(c for _d, c in per_day),
            min_size=min_size(department), per_day=per_day, per_link=per_link, paper=paper,
            assisted=assisted))
    return out


# --------------------------------------------------------------------------- figures


def _resident_answers(department: Department) -> list[dict[str, int | str]]:
    grouped: dict[int, dict[str, int | str]] = defaultdict(dict)
    for response_id, statement_id, value in db.session.execute(
            select(ResidentAnswer.response_id, ResidentAnswer.statement_id, ResidentAnswer.value)
            .join(ResidentResponse).where(ResidentResponse.department_id == department.id)):
        grouped[response_id][statement_id] = int(value) if value.isdigit() else value
    ids = db.session.scalars(select(ResidentResponse.id).where(
        ResidentResponse.department_id == department.id))
    return [grouped.get(response_id, {}) for response_id in ids]


def _ambitions(department: Department) -> list[dict[tuple[str, str], Ambition]]:
    grouped: dict[int, dict[tuple[str, str], Ambition]] = defaultdict(dict)
    for response_id, bank_id, theme_id, level, importance in db.session.execute(
            select(AmbitionRating.response_id, AmbitionRating.bank_id, AmbitionRating.theme_id,
                   AmbitionRating.level, AmbitionRating.importance)
            .join(BestuurResponse).where(BestuurResponse.department_id == department.id)):
        grouped[response_id][(bank_id, theme_id)] = Ambition(level, importance)
    ids = db.session.scalars(select(BestuurResponse.id).where(
        BestuurResponse.department_id == department.id))
    return [grouped.get(response_id, {}) for response_id in ids]


def target_source(round_: Round) -> str:
    """Where the round's targets come from (``banks`` for a round without settings)."""
    row = settings(round_)
    return row.target_source if row else TARGET_BANKS


def effective_overrides(round_: Round, overrides: Mapping[tuple[str, str], int]
                        ) -> dict[tuple[str, str], int]:
    """The target overrides scoring uses under the round's target source.

    ``banks``: none (the banks' targets); ``overrides``: the coordinator's; ``bestuur``: the
    bestuur's median ambition per theme (halves up), none while the bestuur is under k.
    A round without perspective settings keeps its overrides, as before.
    """
    row = settings(round_)
    if row is None or row.target_source == TARGET_OVERRIDES:
        return dict(overrides)
    if row.target_source == TARGET_BANKS:
        return {}
    bestuur = group(round_, KIND_BESTUUR)
    if bestuur is None:
        return {}
    return bestuur_targets(_ambitions(bestuur), min_size(bestuur))


def targets_version(round_: Round) -> tuple[Any, ...]:
    """What of the perspectives changes the scoring: the target source and, when the bestuur
    sets the targets, its responses (for the results cache)."""
    row = settings(round_)
    if row is None:
        return ()
    bestuur = group(round_, KIND_BESTUUR)
    count = submitted_count(bestuur) if bestuur is not None and (
        row.target_source == TARGET_BESTUUR) else 0
    return (row.target_source, count)


def perspectives(round_: Round) -> Perspectives:
    """The three perspectives of every theme of the round, groups under k left empty."""
    from quickscan.services.results import cached_score

    result = cached_score(round_)
    k = round_.min_group_size or 1
    civil = [CivilServantTheme(department=d.name, bank_id=t.bank_id, theme_id=t.theme_id,
                               score=t.score, hidden=d.respondents_submitted < k)
             for d in result.departments for t in d.themes()]
    # A department under k has no figures in the scored round; its themes stay, empty.
    banks = {bank.id: bank for bank in round_banks(round_)}
    own = {d.name: d.bank_ids or () for d in round_.departments}
    civil += [CivilServantTheme(department=d.name, bank_id=bank_id, theme_id=theme.id,
                                score=None, hidden=True)
              for d in result.departments if d.hidden
              for bank_id in own.get(d.name, ()) if bank_id in banks
              for theme in banks[bank_id].themes]
    residents = group(round_, KIND_RESIDENTS)
    bestuur = group(round_, KIND_BESTUUR)
    bank = residents_bank(round_) if residents is not None else None
    return compare(
        [(b, t) for b, t, _title in round_themes(round_)], civil,
        residents_bank=bank,
        residents=_resident_answers(residents) if residents is not None else (),
        residents_min_size=min_size(residents) if residents is not None else 1,
        ambitions=_ambitions(bestuur) if bestuur is not None else None,
        bestuur_min_size=min_size(bestuur) if bestuur is not None else k,
        target_source=target_source(round_))


def resident_comments(round_: Round) -> dict[tuple[str, str], list[str]]:
    """Inwoners' comments per mirrored theme, sorted by text (never by submission) and never
    linked to a respondent; empty while the inwoners group is under its minimum size."""
    residents = group(round_, KIND_RESIDENTS)
    bank = residents_bank(round_) if residents is not None else None
    if residents is None or bank is None or submitted_count(residents) < min_size(residents):
        return {}
    texts: dict[str, list[str]] = defaultdict(list)
    for statement_id, text in db.session.execute(
            select(ResidentComment.statement_id, ResidentComment.text)
            .where(ResidentComment.department_id == residents.id)):
        texts[statement_id].append(text)
    out: dict[tuple[str, str], list[str]] = {}
    for statement in bank.statements:
        for mirror in statement.mirrors:
            bank_id, _sep, theme_id = mirror.partition("/")
            out.setdefault((bank_id, theme_id), []).extend(texts.get(statement.id, []))
    return {key: sorted(values, key=str.casefold) for key, values in out.items() if values}


def groups_summary(round_: Round) -> list[dict[str, Any]]:
    """``[{kind, name, submitted}]`` of every group of the round (export contract)."""
    from quickscan.services.rounds import progress

    counts = {row.department_id: row.submitted for row in progress(round_).departments}
    out: list[dict[str, Any]] = [
        {"kind": d.kind, "name": d.name, "submitted": counts.get(d.id, 0)}
        for d in round_.departments]
    out += [{"kind": d.kind, "name": d.name, "submitted": submitted_count(d)}
            for d in round_.perspective_groups]
    return out


def perspective_rows(round_: Round) -> list[dict[str, Any]]:
    """The ``perspectives`` table of the exports (unrounded, as the other export figures)."""
    return [{"bank": row.bank_id, "theme": row.theme_id, "department": row.department,
             "civil_servants": row.civil_servants, "residents": row.residents,
             "ambition": row.ambition, "difference": row.difference,
             "blind_spot": row.blind_spot}
            for row in perspectives(round_).rows]


def role_counts(department: Department) -> Counter[str]:
    """How many residents chose each "ik doe mee als" answer (shown only from k)."""
    return Counter(role or "" for role in db.session.scalars(
        select(ResidentResponse.participant_role).where(
            ResidentResponse.department_id == department.id)))


def report_chapter(round_: Round) -> Any:
    """The report's perspectives chapter (``reporting.model.PerspectivesInput``), or None when
    the round has no inwoners or bestuur group. Figures of groups under k are None and a note
    says so; the comments stand beside their theme, sorted, never linked to a respondent."""
    if not round_.perspective_groups:
        return None
    result = perspectives(round_)
    intro = _("Per thema: hoe medewerkers het beleid zien, hoe inwoners het ervaren en "
              "welke ambitie het bestuur heeft. Alles op een schaal van 0 tot 100. Een "
              "blinde vlek: medewerkers scoren %(points)d punten of meer hoger dan "
              "inwoners.", points=25)
    return _chapter(round_, result, result.municipality_rows(), intro, [])


def department_report_chapter(round_: Round, department: Department) -> Any:
    """The perspectives chapter of one department's report, or None when the round has no
    inwoners or bestuur group (or the department no theme): per theme of the department's
    banks the civil servants' score of *that department* beside the inwoners' experience and
    the bestuur's ambition. A department under k shows no score of its own, and says why."""
    from quickscan.services.results import cached_score

    if not round_.perspective_groups:
        return None
    result = perspectives(round_)
    rows = tuple(row for row in result.rows if row.department == department.name)
    if not rows:
        return None
    notes = []
    k = round_.min_group_size or 1
    scored = next((d for d in cached_score(round_).departments if d.name == department.name),
                  None)
    if scored is not None and scored.respondents_submitted < k:
        notes.append(_("%(group)s: nog geen resultaat: minder dan %(k)d ingevulde "
                       "vragenlijsten (%(n)d ingevuld).", group=department.name, k=k,
                       n=scored.respondents_submitted))
    intro = _("Per thema van %(department)s: hoe de medewerkers van deze afdeling het beleid "
              "zien, hoe inwoners het ervaren en welke ambitie het bestuur heeft. Alles op "
              "een schaal van 0 tot 100. Een blinde vlek: de afdeling scoort %(points)d "
              "punten of meer hoger dan inwoners.", department=department.name, points=25)
    return _chapter(round_, result, rows, intro, notes)


def _chapter(round_: Round, result: Perspectives, shown: Any, intro: str,
             notes: list[str]) -> Any:
    """A ``PerspectivesInput`` of the rows ``shown`` (municipality-wide or one department's),
    with the target-source note, the notes of groups under k and the inwoners' comments."""
    from quickscan.reporting.model import PerspectiveRowInput, PerspectivesInput
    from quickscan.reporting.perspectives import (
        PerspectiveChartInput,
        perspective_chart,
    )

    titles = {(b, t): title for b, t, title in round_themes(round_)}
    comments = resident_comments(round_)
    notes = [{TARGET_BANKS: _("De doelen komen uit de vragenlijsten."),
              TARGET_OVERRIDES: _("De doelen zijn door de coördinator ingesteld."),
              TARGET_BESTUUR: _("De doelen komen van de ambitie van het bestuur (mediaan).")
              }[result.target_source], *notes]
    for figures, label in ((result.residents, _("Inwoners")), (result.bestuur, _("Bestuur"))):
        if figures is not None and figures.hidden:
            notes.append(_("%(group)s: nog geen resultaat: minder dan %(k)d ingevulde "
                           "vragenlijsten (%(n)d ingevuld).", group=label, k=figures.min_size,
                           n=figures.submitted))
    rows = tuple(PerspectiveRowInput(
        title=titles.get((r.bank_id, r.theme_id), r.theme_id), civil_servants=r.civil_servants,
        residents=r.residents, ambition=r.ambition, difference=r.difference,
        blind_spot=r.blind_spot, comments=tuple(comments.get((r.bank_id, r.theme_id), ())))
        for r in shown)
    chart = perspective_chart(PerspectiveChartInput.build(
        shown, titles,
        labels=(_("Medewerkers"), _("Inwoners"), _("Ambitie bestuur")),
        title=_("Drie perspectieven per thema (0-100)")))
    texts = {
        "title": _("Perspectieven"),
        "intro": intro,
        "caption": _("Drie perspectieven per thema (0-100)"),
        "columns": (_("Thema"), _("Medewerkers"), _("Inwoners"), _("Ambitie bestuur"),
                    _("Verschil"), _("Blinde vlek")),
        "hidden": _("geen resultaat"), "blind_spot": _("Blinde vlek"),
        "comments": _("Wat inwoners zeggen"),
        "chart_alt": _("Staafdiagram van de drie perspectieven per thema; de cijfers staan "
                       "in de tabel hieronder."),
    }
    return PerspectivesInput(rows=rows, notes=tuple(notes), texts=texts, chart=chart)
