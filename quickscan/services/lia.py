"""The Lokale Inclusie Agenda: candidate speerpunten, the vote, speerpunten, actions, export.

The workflow (docs/lia.md): the coordinator turns priorities into candidate speerpunten and
adds their own; a vote runs online (a public link, one ballot per browser) and as tallies for
votes in the room (``zaal``) or on paper (``papier``); the rules are locked by the first vote;
after closing, the top N become speerpunten (changes kept with their reason); each speerpunt
gets actions with an owner (a department of the round or a named partner), a deadline, a
status and dated progress notes. Every write runs in :func:`unit_of_work` and refuses bad input
with a domain exception before anything is written.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from flask_babel import gettext as _
from sqlalchemy import func, select

from quickscan.extensions import db
from quickscan.group_models import PARTICIPANT_ROLES
from quickscan.models import (
    DEFAULT_LIA_VOTES,
    KIND_DEPARTMENT,
    LIA_ORIGIN_ONLINE,
    LIA_ORIGIN_PAPER,
    LIA_ORIGIN_ROOM,
    LIA_ORIGINS,
    LIA_SOURCE_OWN,
    LIA_SOURCE_PRIORITY,
    LIA_STATUSES,
    LIA_VOTE_CLOSED,
    LIA_VOTE_DRAFT,
    LIA_VOTE_OPEN,
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
from quickscan.names import name_key
from quickscan.services import tokens
from quickscan.services.banks import round_banks
from quickscan.services.errors import Conflict, InvalidInput, NeedsCorrection, NotFound
from quickscan.services.rounds import clean_text
from quickscan.services.uow import unit_of_work

EXPORT_FORMAT = "quickscan-lia/1"
TITLE_MAX_LENGTH = 200
TEXT_MAX_LENGTH = 4000
VOTES_RANGE = (1, 10)
TALLY_MAX = 100_000
#: "ik stem als": the same roles as the inwoners survey's "ik doe mee als".
VOTER_ROLES = PARTICIPANT_ROLES
SecretKey = str | bytes


class LiaInputError(NeedsCorrection):
    """Input the coordinator typed and can correct."""


class ForgedLiaInput(InvalidInput):
    """A value no form of the app sends (an unknown candidate, origin or role)."""


class VoteRefused(Conflict):
    """A vote the state of the vote does not allow (closed, already voted, rules locked)."""


# --------------------------------------------------------------------------- reading


def get_plan(round_: Round) -> LiaPlan | None:
    """The round's agenda, or None while nothing was done for it."""
    return db.session.execute(
        select(LiaPlan).where(LiaPlan.round_id == round_.id)).scalar_one_or_none()


def plan_or_default(round_: Round) -> LiaPlan:
    """The round's agenda, or an unsaved one with the defaults (never added to the session)."""
    return get_plan(round_) or LiaPlan(round_id=round_.id, votes_per_voter=DEFAULT_LIA_VOTES,
                                       vote_status=LIA_VOTE_DRAFT, partners=[],
                                       show_results=False, published=False, choice_note="")


def _plan_for_write(round_: Round) -> LiaPlan:
    plan = get_plan(round_)
    if plan is None:
        plan = plan_or_default(round_)
        db.session.add(plan)
        db.session.flush()
    return plan


def _touch(plan: LiaPlan) -> None:
    plan.updated_at = utcnow()


def candidates(round_: Round, *, include_merged: bool = False) -> list[LiaCandidate]:
    """The round's candidates in order; merged ones only when asked."""
    query = select(LiaCandidate).where(LiaCandidate.round_id == round_.id)
    if not include_merged:
        query = query.where(LiaCandidate.merged_into_id.is_(None))
    return list(db.session.execute(
        query.order_by(LiaCandidate.position, LiaCandidate.id)).scalars())


def get_candidate(round_: Round, candidate_id: object) -> LiaCandidate:
    """A candidate of this round (:class:`NotFound` otherwise)."""
    try:
        key = int(str(candidate_id))
    except ValueError:
        raise ForgedLiaInput(_("Onbekende kandidaat.")) from None
    candidate = db.session.get(LiaCandidate, key) if 0 < key < 2**31 else None
    if candidate is None or candidate.round_id != round_.id:
        raise NotFound(_("Onbekende kandidaat: %(id)s.", id=candidate_id))
    return candidate


def speerpunten(round_: Round) -> list[LiaCandidate]:
    """The chosen candidates: the agenda's speerpunten, most votes first."""
    return [r.candidate for r in results(round_) if r.candidate.chosen]


def actions(speerpunt: LiaCandidate) -> list[LiaAction]:
    """The actions of a speerpunt, oldest first."""
    return list(db.session.execute(
        select(LiaAction).where(LiaAction.candidate_id == speerpunt.id)
        .order_by(LiaAction.id)).scalars())


def all_actions(round_: Round) -> list[tuple[LiaCandidate, LiaAction]]:
    """Every action of the round with its speerpunt."""
    return [(speerpunt, action) for speerpunt in speerpunten(round_)
            for action in actions(speerpunt)]


def get_action(round_: Round, action_id: object) -> LiaAction:
    """An action of this round (:class:`NotFound` otherwise)."""
    try:
        key = int(str(action_id))
    except ValueError:
        raise ForgedLiaInput(_("Onbekende actie.")) from None
    action = db.session.get(LiaAction, key) if 0 < key < 2**31 else None
    if action is None:
        raise NotFound(_("Onbekende actie: %(id)s.", id=action_id))
    candidate = db.session.get(LiaCandidate, action.candidate_id)
    if candidate is None or candidate.round_id != round_.id:
        raise NotFound(_("Onbekende actie: %(id)s.", id=action_id))
    return action


def department_actions(department: Department) -> list[tuple[LiaCandidate, LiaAction]]:
    """The actions a department owns, with their speerpunt."""
    return [(speerpunt, action) for speerpunt, action in all_actions(department.round)
            if action.owner_department_id == department.id]


def theme_titles(round_: Round) -> dict[str, str]:
    """``{"bank/theme": theme title}`` for every theme of the round's banks."""
    return {f"{bank.id}/{theme.id}": theme.title
            for bank in round_banks(round_) for theme in bank.themes}


def vote_count(round_: Round) -> int:
    """How many ballots (online and tallies) were cast."""
    return int(db.session.execute(
        select(func.count(LiaBallot.id)).where(LiaBallot.round_id == round_.id)).scalar_one())


def last_change(round_: Round) -> datetime.datetime | None:
    """When the agenda last changed (the public page shows its date)."""
    plan = get_plan(round_)
    return plan.updated_at if plan else None


# --------------------------------------------------------------------------- checks


def _text(value: object, label: str, *, required: bool = True,
          max_length: int = TITLE_MAX_LENGTH, multiline: bool = False) -> str:
    return clean_text(value, label, required=required, max_length=max_length,
                      multiline=multiline, error=LiaInputError, forged=ForgedLiaInput)


def _themes(round_: Round, keys: Iterable[str]) -> list[str]:
    known = theme_titles(round_)
    out: list[str] = []
    for key in keys:
        key = str(key).strip()
        if key not in known:
            raise LiaInputError(_("Onbekend thema %(theme)s: gebruik VRAGENLIJST/THEMA, "
                                  "bijvoorbeeld %(example)s.", theme=key,
                                  example=next(iter(known), "wonen/toegankelijkheid")))
        if key not in out:
            out.append(key)
    return out


def _check_rules_unlocked(plan: LiaPlan) -> None:
    if plan.locked_at is not None:
        raise VoteRefused(_("De regels van de stemming liggen vast: er is al gestemd. "
                            "Kandidaten, het aantal stemmen en de periode veranderen niet meer."))


def _next_position(round_: Round) -> int:
    return int(db.session.execute(
        select(func.coalesce(func.max(LiaCandidate.position), 0))
        .where(LiaCandidate.round_id == round_.id)).scalar_one()) + 1


def parse_date(value: object, label: str) -> datetime.date | None:
    """A date from a ``datetime.date`` or an ISO text (``2027-03-31``); empty is None."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value).strip())
    except ValueError:
        raise LiaInputError(_("%(label)s is geen datum: vul een datum in als jjjj-mm-dd, "
                              "bijvoorbeeld 2027-03-31.", label=label)) from None


# --------------------------------------------------------------------------- candidates


def add_candidate(round_: Round, title: object, description: object = "",
                  themes: Iterable[str] = (), departments: Iterable[str] = (),
                  figures: Sequence[dict[str, Any]] = (),
                  source: str = LIA_SOURCE_OWN) -> LiaCandidate:
    """Add a candidate speerpunt (refused once the vote's rules are locked)."""
    with unit_of_work() as session:
        plan = _plan_for_write(round_)
        _check_rules_unlocked(plan)
        candidate = LiaCandidate(
            round_id=round_.id, title=_text(title, _("de titel")),
            description=_text(description, _("de beschrijving"), required=False,
                              max_length=TEXT_MAX_LENGTH, multiline=True),
            themes=_themes(round_, themes), departments=list(dict.fromkeys(departments)),
            figures=list(figures), source=source, position=_next_position(round_))
        session.add(candidate)
        _touch(plan)
        session.flush()
    return candidate


def _priority_figure(priority: Any) -> dict[str, Any]:
    return {"rank": priority.rank, "department": priority.department, "bank": priority.bank,
            "theme": priority.theme, "score": priority.score, "target": priority.target,
            "gap": priority.gap, "importance": priority.importance,
            "priority": priority.priority}


def priorities(round_: Round) -> list[Any]:
    """The round's prioritised gaps with the round's minimum group size applied."""
    from quickscan.services.exports import round_result

    return list(round_result(round_).priorities)


def candidate_from_priorities(round_: Round, ranks: Iterable[object],
                              title: object = None) -> LiaCandidate:
    """One candidate from one or more priorities (by rank): their themes, departments, figures."""
    by_rank = {p.rank: p for p in priorities(round_)}
    chosen = []
    for rank in ranks:
        try:
            chosen.append(by_rank[int(str(rank))])
        except (KeyError, ValueError):
            raise ForgedLiaInput(_("Onbekende prioriteit: %(rank)s.", rank=rank)) from None
    if not chosen:
        raise LiaInputError(_("Kies een of meer prioriteiten."))
    titles = theme_titles(round_)
    first = chosen[0]
    default_title = titles.get(f"{first.bank}/{first.theme}", first.theme)
    return add_candidate(
        round_, title or default_title,
        description="\n".join(dict.fromkeys(p.action for p in chosen if p.action)),
        themes=[f"{p.bank}/{p.theme}" for p in chosen],
        departments=[p.department for p in chosen],
        figures=[_priority_figure(p) for p in chosen], source=LIA_SOURCE_PRIORITY)


def candidates_from_priorities(round_: Round, top: object) -> list[LiaCandidate]:
    """Candidates from the top N priorities: one per theme, its departments together.

    A theme that already has a candidate from the priorities is skipped.
    """
    count = _count(top, _("het aantal prioriteiten"), 1, 100)
    existing = {key for c in candidates(round_, include_merged=True)
                if c.source == LIA_SOURCE_PRIORITY for key in c.themes}
    groups: dict[str, list[Any]] = {}
    for priority in priorities(round_)[:count]:
        key = f"{priority.bank}/{priority.theme}"
        if key not in existing:
            groups.setdefault(key, []).append(priority)
    with unit_of_work():
        return [candidate_from_priorities(round_, [p.rank for p in group])
                for group in groups.values()]


def merge_candidates(round_: Round, keep_id: object, merge_ids: Iterable[object],
                     reason: object) -> LiaCandidate:
    """Merge candidates into ``keep``: themes, departments and figures join; the reason is kept."""
    with unit_of_work():
        plan = _plan_for_write(round_)
        _check_rules_unlocked(plan)
        keep = get_candidate(round_, keep_id)
        others = [get_candidate(round_, key) for key in merge_ids]
        others = [c for c in others if c.id != keep.id]
        if not others:
            raise LiaInputError(_("Kies ten minste één andere kandidaat om samen te voegen."))
        text = _text(reason, _("de reden van het samenvoegen"), max_length=TEXT_MAX_LENGTH,
                     multiline=True)
        if keep.merged_into_id is not None or any(c.merged_into_id for c in others):
            raise LiaInputError(_("Een samengevoegde kandidaat kan niet nog eens worden "
                                  "samengevoegd."))
        for other in others:
            keep.themes = list(dict.fromkeys([*keep.themes, *other.themes]))
            keep.departments = list(dict.fromkeys([*keep.departments, *other.departments]))
            keep.figures = [*keep.figures, *other.figures]
            other.merged_into_id = keep.id
            other.merge_reason = text
        keep.merge_reason = "\n".join(filter(None, [keep.merge_reason, text]))
        _touch(plan)
    return keep


# --------------------------------------------------------------------------- the vote


def _count(value: object, label: str, low: int, high: int) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        raise LiaInputError(_("%(label)s moet een heel getal zijn.", label=label)) from None
    if not low <= number <= high:
        raise LiaInputError(_("%(label)s moet tussen %(low)d en %(high)d liggen.",
                              label=label, low=low, high=high))
    return number


def set_rules(round_: Round, votes_per_voter: object = DEFAULT_LIA_VOTES,
              opens_on: object = None, closes_on: object = None) -> LiaPlan:
    """Set the votes per voter and the period (refused once the first vote is cast)."""
    with unit_of_work():
        plan = _plan_for_write(round_)
        _check_rules_unlocked(plan)
        votes = _count(votes_per_voter, _("Het aantal stemmen per stemmer"), *VOTES_RANGE)
        start = parse_date(opens_on, _("De begindatum"))
        end = parse_date(closes_on, _("De einddatum"))
        if start and end and end < start:
            raise LiaInputError(_("De einddatum ligt voor de begindatum."))
        plan.votes_per_voter, plan.vote_opens_on, plan.vote_closes_on = votes, start, end
        _touch(plan)
    return plan


def vote_token(plan: LiaPlan, secret_key: SecretKey) -> str:
    """The public vote link's token: HMAC(secret key, the plan's salt)."""
    key = secret_key.encode() if isinstance(secret_key, str) else secret_key
    digest = hmac.new(key, b"lia-vote:" + plan.vote_salt.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def open_vote(round_: Round, *, secret_key: SecretKey,
              votes_per_voter: object | None = None) -> LiaPlan:
    """Open the vote (optionally setting the votes per voter first); needs two candidates."""
    with unit_of_work():
        plan = _plan_for_write(round_)
        if votes_per_voter is not None and str(votes_per_voter) != str(plan.votes_per_voter):
            set_rules(round_, votes_per_voter, plan.vote_opens_on, plan.vote_closes_on)
        if plan.vote_status == LIA_VOTE_CLOSED:
            raise VoteRefused(_("De stemming is gesloten en gaat niet opnieuw open."))
        if len(candidates(round_)) < 2:
            raise LiaInputError(_("Voeg eerst ten minste twee kandidaat-speerpunten toe."))
        if not plan.vote_salt:
            plan.vote_salt = tokens.new_salt()
            plan.vote_token_hash = tokens.hash_token(vote_token(plan, secret_key))
        plan.vote_status = LIA_VOTE_OPEN
        _touch(plan)
    return plan


def close_vote(round_: Round) -> LiaPlan:
    """Close the vote: no ballot or tally is accepted after this."""
    with unit_of_work():
        plan = _plan_for_write(round_)
        if plan.vote_status != LIA_VOTE_OPEN:
            raise VoteRefused(_("De stemming is niet open."))
        plan.vote_status = LIA_VOTE_CLOSED
        _touch(plan)
    return plan


def set_show_results(round_: Round, show: bool) -> LiaPlan:
    """Whether the projector view shows the running result."""
    with unit_of_work():
        plan = _plan_for_write(round_)
        plan.show_results = bool(show)
    return plan


def find_vote(token: str) -> tuple[Round, LiaPlan] | None:
    """The round and plan behind a public vote token, or None."""
    if not token or len(token) > 200:
        return None
    plan = db.session.execute(select(LiaPlan).where(
        LiaPlan.vote_token_hash == tokens.hash_token(token))).scalar_one_or_none()
    if plan is None:
        return None
    round_ = db.session.get(Round, plan.round_id)
    return (round_, plan) if round_ is not None else None


def _check_vote_open(plan: LiaPlan, today: datetime.date | None = None) -> None:
    today = today or datetime.datetime.now(datetime.UTC).date()
    if plan.vote_status == LIA_VOTE_CLOSED:
        raise VoteRefused(_("De stemming is gesloten: er kan niet meer worden gestemd."))
    if plan.vote_status != LIA_VOTE_OPEN:
        raise VoteRefused(_("De stemming is nog niet open."))
    if plan.vote_opens_on and today < plan.vote_opens_on:
        raise VoteRefused(_("De stemming begint op %(day)s.", day=plan.vote_opens_on.isoformat()))
    if plan.vote_closes_on and today > plan.vote_closes_on:
        raise VoteRefused(_("De stemming is gesloten: de periode liep tot en met %(day)s.",
                            day=plan.vote_closes_on.isoformat()))


def _voter_role(value: object) -> str:
    role = "" if value is None else str(value)
    if role and role not in VOTER_ROLES:
        raise ForgedLiaInput(_("Onbekende keuze bij 'ik stem als': %(role)s. Kies een van: "
                               "%(roles)s.", role=role, roles=", ".join(VOTER_ROLES)))
    return role


def new_ballot_token() -> str:
    """A fresh ballot token for one browser (kept in a signed cookie; stored only as a hash)."""
    return secrets.token_urlsafe(tokens.TOKEN_BYTES)


def has_voted(ballot_token: str) -> bool:
    """True when a ballot with this browser's token was cast."""
    return bool(ballot_token) and db.session.execute(
        select(LiaBallot.id).where(LiaBallot.token_hash == tokens.hash_token(ballot_token))
    ).first() is not None


def cast_ballot(round_: Round, ballot_token: str, candidate_ids: Sequence[object],
                voter_role: object = "") -> LiaBallot:
    """An online ballot: one vote each for up to ``votes_per_voter`` different candidates."""
    with unit_of_work() as session:
        plan = _plan_for_write(round_)
        _check_vote_open(plan)
        if not ballot_token:
            raise VoteRefused(_("Deze stem is niet geldig: open de stemlink opnieuw."))
        if has_voted(ballot_token):
            raise VoteRefused(_("Vanuit deze browser is al gestemd. Iedereen stemt één keer."))
        try:
            chosen = [get_candidate(round_, key)
                      for key in dict.fromkeys(map(str, candidate_ids))]
        except NotFound:
            raise ForgedLiaInput(_("U stemde op een kandidaat die niet bestaat: er is niets "
                                   "opgeslagen.")) from None
        if len(chosen) != len(candidate_ids):
            raise ForgedLiaInput(_("U kunt op een kandidaat maar één stem uitbrengen."))
        if any(c.merged_into_id is not None for c in chosen):
            raise ForgedLiaInput(_("Onbekende kandidaat."))
        if not chosen:
            raise LiaInputError(_("Kies ten minste één kandidaat."))
        if len(chosen) > plan.votes_per_voter:
            raise LiaInputError(_("U heeft %(chosen)d kandidaten gekozen; u mag er hoogstens "
                                  "%(max)d kiezen.", chosen=len(chosen),
                                  max=plan.votes_per_voter))
        ballot = LiaBallot(round_id=round_.id, origin=LIA_ORIGIN_ONLINE,
                           voter_role=_voter_role(voter_role),
                           token_hash=tokens.hash_token(ballot_token),
                           votes=[LiaVote(candidate_id=c.id, count=1) for c in chosen])
        session.add(ballot)
        plan.locked_at = plan.locked_at or utcnow()
        _touch(plan)
        session.flush()
    return ballot


def add_tally(round_: Round, candidate_id: object, origin: object, count: object,
              voter_role: object = "") -> LiaBallot:
    """Votes counted in the room (``zaal``) or on paper (``papier``) for one candidate."""
    with unit_of_work() as session:
        plan = _plan_for_write(round_)
        if origin not in (LIA_ORIGIN_ROOM, LIA_ORIGIN_PAPER):
            raise ForgedLiaInput(_("Kies als herkomst 'zaal' of 'papier'."))
        _check_vote_open(plan)
        candidate = get_candidate(round_, candidate_id)
        if candidate.merged_into_id is not None:
            raise ForgedLiaInput(_("Onbekende kandidaat."))
        number = _count(count, _("Het aantal stemmen"), 1, TALLY_MAX)
        ballot = LiaBallot(round_id=round_.id, origin=str(origin),
                           voter_role=_voter_role(voter_role),
                           votes=[LiaVote(candidate_id=candidate.id, count=number)])
        session.add(ballot)
        plan.locked_at = plan.locked_at or utcnow()
        _touch(plan)
        session.flush()
    return ballot


@dataclass(frozen=True)
class CandidateResult:
    """A candidate's votes: per origin and in total."""

    candidate: LiaCandidate
    online: int
    zaal: int
    papier: int

    @property
    def total(self) -> int:
        """All votes together."""
        return self.online + self.zaal + self.papier

    def votes(self) -> dict[str, int]:
        """The export's ``votes`` object."""
        return {"online": self.online, "zaal": self.zaal, "papier": self.papier,
                "total": self.total}


def results(round_: Round) -> list[CandidateResult]:
    """Votes per candidate, most votes first (ties: the candidates' order)."""
    rows = db.session.execute(
        select(LiaVote.candidate_id, LiaBallot.origin, func.sum(LiaVote.count))
        .join(LiaBallot).where(LiaBallot.round_id == round_.id)
        .group_by(LiaVote.candidate_id, LiaBallot.origin)).all()
    tally: dict[int, dict[str, int]] = {}
    for candidate_id, origin, total in rows:
        tally.setdefault(candidate_id, {})[origin] = int(total)
    out = [CandidateResult(c, *(tally.get(c.id, {}).get(o, 0) for o in LIA_ORIGINS))
           for c in candidates(round_)]
    return sorted(out, key=lambda r: (-r.total, r.candidate.position, r.candidate.id))


@dataclass(frozen=True)
class RoleVotes:
    """The votes cast as one "ik stem als" role (``""``: not said), per origin and in total;
    ``hidden`` (all figures 0) while the role has fewer votes than the round's k."""

    role: str
    online: int
    zaal: int
    papier: int
    hidden: bool = False

    @property
    def total(self) -> int:
        """All votes of the role together."""
        return self.online + self.zaal + self.papier


@dataclass(frozen=True)
class VoteFigures:
    """The vote in figures: ballots online, votes per origin, votes per role."""

    online_ballots: int
    votes: dict[str, int]
    roles: tuple[RoleVotes, ...]
    votes_per_voter: int


def role_votes(round_: Round) -> tuple[RoleVotes, ...]:
    """Votes per "ik stem als" role and origin (online ballots and tallies alike), in the
    order of the roles, "not said" last. A role with fewer votes than the round's minimum
    group size k is shown without figures."""
    from quickscan.services.group_size import min_group_size

    rows = db.session.execute(
        select(LiaBallot.voter_role, LiaBallot.origin, func.sum(LiaVote.count))
        .join(LiaVote).where(LiaBallot.round_id == round_.id)
        .group_by(LiaBallot.voter_role, LiaBallot.origin)).all()
    tally: dict[str, dict[str, int]] = {}
    for role, origin, total in rows:
        tally.setdefault(role or "", {})[origin] = int(total)
    k = min_group_size(round_)
    out = []
    for role in (*VOTER_ROLES, ""):
        if role not in tally:
            continue
        online, zaal, papier = (tally[role].get(origin, 0) for origin in LIA_ORIGINS)
        if online + zaal + papier < k:
            out.append(RoleVotes(role, 0, 0, 0, hidden=True))
        else:
            out.append(RoleVotes(role, online, zaal, papier))
    return tuple(out)


def vote_figures(round_: Round) -> VoteFigures:
    """The vote's figures for the document and the pages."""
    plan = plan_or_default(round_)
    votes = {origin: 0 for origin in LIA_ORIGINS}
    for result in results(round_):
        for origin in LIA_ORIGINS:
            votes[origin] += getattr(result, origin)
    votes["total"] = sum(votes.values())
    online = db.session.execute(select(func.count(LiaBallot.id)).where(
        LiaBallot.round_id == round_.id, LiaBallot.origin == LIA_ORIGIN_ONLINE)).scalar_one()
    return VoteFigures(int(online), votes, role_votes(round_), plan.votes_per_voter)


# --------------------------------------------------------------------------- speerpunten


def choose(round_: Round, top: object, *, add: Iterable[object] = (),
           drop: Iterable[object] = (), reason: object = "") -> list[LiaCandidate]:
    """Choose the top N of the vote as speerpunten, adjusted by ``add``/``drop`` with a reason."""
    with unit_of_work():
        plan = _plan_for_write(round_)
        if plan.vote_status == LIA_VOTE_OPEN:
            raise VoteRefused(_("Sluit eerst de stemming; daarna kiest u de speerpunten."))
        count = _count(top, _("Het aantal speerpunten"), 1, 50)
        ranked = results(round_)
        top_ids = [r.candidate.id for r in ranked[:count]]
        added = [get_candidate(round_, key).id for key in add]
        dropped = [get_candidate(round_, key).id for key in drop]
        text = _text(reason, _("de reden van de aanpassing"), required=bool(added or dropped),
                     max_length=TEXT_MAX_LENGTH, multiline=True)
        chosen = [key for key in [*top_ids, *added] if key not in dropped]
        for result in ranked:
            candidate = result.candidate
            candidate.chosen = candidate.id in chosen
            candidate.choice_reason = text if candidate.id in (*added, *dropped) else ""
        note = _("De %(top)d kandidaten met de meeste stemmen.", top=count)
        if text:
            note += " " + _("Aangepast: %(reason)s", reason=text)
        plan.choice_note = note
        _touch(plan)
    return speerpunten(round_)


# --------------------------------------------------------------------------- actions


def add_partner(round_: Round, name: object) -> LiaPlan:
    """Add a named partner organisation that may own actions."""
    with unit_of_work():
        plan = _plan_for_write(round_)
        text = _text(name, _("de naam van de partner"))
        if name_key(text) in {name_key(p) for p in plan.partners}:
            raise LiaInputError(_("Partner %(name)s staat er al.", name=text))
        plan.partners = [*plan.partners, text]
        _touch(plan)
    return plan


def _owner(round_: Round, owner: object) -> tuple[Department | None, str]:
    text = _text(owner, _("de eigenaar"))
    key = name_key(text)
    for department in round_.departments:
        if department.kind == KIND_DEPARTMENT and name_key(department.name) == key:
            return department, ""
    for partner in plan_or_default(round_).partners:
        if name_key(partner) == key:
            return None, partner
    raise LiaInputError(_("%(owner)s is geen afdeling van deze ronde en geen genoemde "
                          "partnerorganisatie. Voeg de partner eerst toe.", owner=text))


def _status(value: object) -> str:
    if value not in LIA_STATUSES:
        raise LiaInputError(_("Onbekende status %(status)s: kies gepland, bezig, gereed of "
                              "gestopt.", status=value))
    return str(value)


def add_action(round_: Round, speerpunt_id: object, title: object, owner: object,
               deadline: object = None, status: object = "gepland",
               themes: Iterable[str] = ()) -> LiaAction:
    """Add an action to a speerpunt: an owner of the round, a deadline, a status, themes."""
    with unit_of_work() as session:
        plan = _plan_for_write(round_)
        speerpunt = get_candidate(round_, speerpunt_id)
        if not speerpunt.chosen:
            raise LiaInputError(_("%(title)s is geen speerpunt.", title=speerpunt.title))
        department, partner = _owner(round_, owner)
        action = LiaAction(candidate_id=speerpunt.id, title=_text(title, _("de titel")),
                           owner_department_id=department.id if department else None,
                           owner_partner=partner,
                           deadline=parse_date(deadline, _("De deadline")),
                           status=_status(status), themes=_themes(round_, themes))
        session.add(action)
        _touch(plan)
        session.flush()
    return action


def update_action(round_: Round, action: LiaAction, status: object = None,
                  note: object = "", day: object = None) -> LiaAction:
    """Change an action's status and/or add a dated progress note."""
    with unit_of_work() as session:
        plan = _plan_for_write(round_)
        text = _text(note, _("de voortgang"), required=status is None,
                     max_length=TEXT_MAX_LENGTH, multiline=True)
        if status is not None:
            action.status = _status(status)
        if text:
            session.add(LiaNote(action_id=action.id, text=text,
                                day=parse_date(day, _("De datum"))
                                or datetime.datetime.now(datetime.UTC).date()))
        action.updated_at = utcnow()
        _touch(plan)
    return action


def set_published(round_: Round, published: bool) -> LiaPlan:
    """Publish (or withdraw) the public progress page."""
    with unit_of_work():
        plan = _plan_for_write(round_)
        plan.published = bool(published)
        _touch(plan)
    return plan


def published_round(round_id: int) -> Round | None:
    """The round behind a public progress page, or None when it is not published."""
    round_ = db.session.get(Round, round_id) if 0 < round_id < 2**31 else None
    if round_ is None:
        return None
    plan = get_plan(round_)
    return round_ if plan is not None and plan.published else None


# --------------------------------------------------------------------------- export


def export_data(round_: Round) -> dict[str, Any]:
    """The ``quickscan-lia/1`` document (docs/lia.md): exactly ``round``, ``candidates`` and
    ``speerpunten``."""
    return {
        "round": {"id": round_.id, "name": round_.name, "municipality": round_.municipality},
        "candidates": [
            {"id": r.candidate.id, "title": r.candidate.title, "themes": list(r.candidate.themes),
             "votes": r.votes(), "chosen": r.candidate.chosen}
            for r in results(round_)],
        "speerpunten": [
            {"id": s.id, "title": s.title, "description": s.description,
             "themes": list(s.themes),
             "actions": [
                 {"id": a.id, "title": a.title, "owner": a.owner,
                  "deadline": a.deadline.isoformat() if a.deadline else None,
                  "status": a.status,
                  "notes": [{"date": n.day.isoformat(), "text": n.text} for n in a.notes]}
                 for a in actions(s)]}
            for s in speerpunten(round_)],
    }


ACTION_COLUMNS = ("speerpunt", "action", "owner", "deadline", "status", "themes", "notes")


def action_rows(round_: Round) -> list[list[Any]]:
    """The actions as a table: a header row, then one row per action."""
    titles = theme_titles(round_)
    header = [_("Speerpunt"), _("Actie"), _("Eigenaar"), _("Deadline"), _("Status"),
              _("Thema's"), _("Voortgang")]
    rows: list[list[Any]] = [header]
    for speerpunt, action in all_actions(round_):
        rows.append([speerpunt.title, action.title, action.owner,
                     action.deadline.isoformat() if action.deadline else "", action.status,
                     ", ".join(titles.get(t, t) for t in action.themes),
                     "\n".join(f"{n.day.isoformat()}: {n.text}" for n in action.notes)])
    return rows


def actions_csv(round_: Round) -> bytes:
    """The actions as CSV for Dutch Excel (the exports' dialect and neutralising)."""
    import csv
    import io

    from quickscan.services.exports import CSV_SEPARATOR, csv_cell

    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=CSV_SEPARATOR, quoting=csv.QUOTE_ALL,
                        lineterminator="\r\n")
    for row in action_rows(round_):
        writer.writerow([csv_cell(cell) for cell in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def actions_xlsx(round_: Round) -> bytes:
    """The actions and the vote's results as a workbook (text cells never formulas)."""
    import io

    from openpyxl import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

    from quickscan.services.exports import _write_sheet

    workbook = Workbook()
    sheet = cast(Worksheet, workbook.active)  # a new workbook's active sheet is a worksheet
    sheet.title = _("Acties")
    _write_sheet(sheet, action_rows(round_), None)
    votes = workbook.create_sheet(_("Stemming"))
    _write_sheet(votes, [[_("Kandidaat"), "online", "zaal", "papier", _("Totaal"),
                          _("Gekozen")]] + [
        [r.candidate.title, r.online, r.zaal, r.papier, r.total,
         _("ja") if r.candidate.chosen else _("nee")] for r in results(round_)], None)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --------------------------------------------------------------------------- the document


def perspective_lines(round_: Round) -> tuple[Any, ...]:
    """The perspectives per theme for the document: the municipality-wide rows of
    :func:`services.perspectives.perspective_rows` (the figures of the perspectives page and
    the exports, groups under their minimum size left empty); empty while the round has no
    inwoners or bestuur group."""
    from quickscan.reporting.lia_docx import PerspectiveLine
    from quickscan.services import perspectives as perspective_service

    if not round_.perspective_groups:
        return ()
    titles = {(b, t): title for b, t, title in perspective_service.round_themes(round_)}
    return tuple(
        PerspectiveLine(theme=titles.get((row["bank"], row["theme"]), row["theme"]),
                        civil_servants=row["civil_servants"], residents=row["residents"],
                        ambition=row["ambition"], difference=row["difference"],
                        blind_spot=bool(row["blind_spot"]))
        for row in perspective_service.perspective_rows(round_) if row["department"] is None)


def doc_input(round_: Round, lang: str = "nl",
              today: datetime.date | None = None) -> Any:
    """Everything the DOCX shows, as the renderer's plain input."""
    from quickscan.reporting.lia_docx import (
        ActionLine,
        CandidateLine,
        LiaDocInput,
        RoleLine,
        SpeerpuntSection,
    )
    from quickscan.reporting.summary import build_summary
    from quickscan.reporting.texts import format_number
    from quickscan.services.exports import round_result
    from quickscan.services.group_size import min_group_size
    from quickscan.services.reports import load_texts

    texts = load_texts(lang)
    banks = round_banks(round_)
    titles = theme_titles(round_)
    summary = build_summary(
        round_result(round_), texts, lang=lang, bank_titles={b.id: b.title for b in banks},
        theme_titles={(b.id, t.id): t.title for b in banks for t in b.themes},
        min_group_size=min_group_size(round_),
        status="open" if round_.is_open else "closed",
        deadline=round_.deadline.isoformat() if round_.deadline else "")
    figures = vote_figures(round_)
    plan = plan_or_default(round_)

    def number(value: object) -> str:
        return "–" if value is None else format_number(float(value), lang)  # type: ignore[arg-type]

    def figure_line(item: dict[str, Any]) -> str:
        return str(texts["lia"]["figure_line"]).format(
            theme=titles.get(f"{item['bank']}/{item['theme']}", item["theme"]),
            department=item["department"], score=number(item.get("score")),
            target=number(item.get("target")), gap=number(item.get("gap")))

    return LiaDocInput(
        municipality=round_.municipality, round_name=round_.name, texts=texts,
        language=str(texts.get("pdf_language") or "nl-NL"),
        date=today or datetime.datetime.now(datetime.UTC).date(), summary=summary,
        candidates=tuple(CandidateLine(r.candidate.title, r.online, r.zaal, r.papier,
                                       r.total, r.candidate.chosen) for r in results(round_)),
        votes_per_voter=figures.votes_per_voter, online_ballots=figures.online_ballots,
        votes=figures.votes, choice_note=plan.choice_note,
        speerpunten=tuple(
            SpeerpuntSection(
                s.title, s.description, tuple(figure_line(f) for f in s.figures),
                s.choice_reason,
                tuple(ActionLine(a.title, a.owner,
                                 a.deadline.isoformat() if a.deadline else "", a.status,
                                 ", ".join(titles.get(t, t) for t in a.themes))
                      for a in actions(s)))
            for s in speerpunten(round_)),
        perspectives=perspective_lines(round_),
        roles=tuple(RoleLine(r.role, r.online, r.zaal, r.papier, r.total, r.hidden)
                    for r in figures.roles),
        min_group_size=min_group_size(round_))


def to_docx(round_: Round, lang: str = "nl") -> bytes:
    """The draft Lokale Inclusie Agenda as DOCX."""
    from quickscan.reporting.lia_docx import build_docx

    return build_docx(doc_input(round_, lang))


def export(round_: Round, fmt: str, lang: str = "nl") -> bytes:
    """``docx``, ``json`` (quickscan-lia/1), ``xlsx`` or ``csv`` (the actions)."""
    if fmt == "docx":
        return to_docx(round_, lang)
    if fmt == "json":
        import json

        return json.dumps(export_data(round_), ensure_ascii=False, indent=2).encode("utf-8")
    if fmt == "xlsx":
        return actions_xlsx(round_)
    if fmt == "csv":
        return actions_csv(round_)
    raise ForgedLiaInput(_("Onbekend formaat %(fmt)s.", fmt=fmt))


MIME_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


def export_filename(round_: Round, fmt: str) -> str:
    """``lia-ronde-3.docx``, ``lia-ronde-3-acties.csv``, ..."""
    if fmt in ("csv", "xlsx"):
        return f"lia-ronde-{round_.id}-acties.{fmt}"
    return f"lia-ronde-{round_.id}.{fmt}"
