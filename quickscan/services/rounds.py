"""Rounds: create and edit rounds, pin bank versions, manage departments and invitation links.

Every write to rounds, departments and invitations goes through this module. Errors raise
:class:`RoundError` with a Dutch message and the HTTP status a view should answer with
(400 for forged or impossible values, 409 for a change the round's state forbids, 422 for
input the user can correct).

A bank can only be pinned when the catalog holds it as a valid bank file; pinning re-reads the
file, checks its content hash against the validated one and stores both the hash and a
snapshot of the content, so later edits to the file never change a running round.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml
from flask import current_app, has_request_context, request
from flask_babel import gettext as _
from sqlalchemy import func, select

from quickscan.bank import (
    Bank,
    BankError,
    Catalog,
    bank_content,
    bank_from_snapshot,
    content_hash,
)
from quickscan.extensions import db
from quickscan.models import (
    RESPONSE_SUBMITTED,
    ROUND_CLOSED,
    ROUND_OPEN,
    Answer,
    Department,
    Invitation,
    Response,
    Round,
    RoundBank,
    utcnow,
)
from quickscan.services import tokens
from quickscan.services.banks import catalog as bank_catalog
from quickscan.services.banks import round_bank_map, round_banks

NAME_MAX_LENGTH = 200
DESCRIPTION_MAX_LENGTH = 5000
DEFAULT_BASE_URL = "http://127.0.0.1:5000"


class RoundError(ValueError):
    """A round could not be changed; ``message`` is Dutch and shown to the user."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


# --------------------------------------------------------------------------- reading


def get_round(round_id: int) -> Round | None:
    """Return the round with this id, or None."""
    return db.session.get(Round, round_id)


def get_department(round_: Round, department_id: int) -> Department | None:
    """Return the department with this id when it belongs to ``round_``, else None."""
    department = db.session.get(Department, department_id)
    if department is None or department.round_id != round_.id:
        return None
    return department


def list_rounds() -> list[Round]:
    """All rounds, newest first."""
    return list(db.session.scalars(select(Round).order_by(Round.created_at.desc(),
                                                           Round.id.desc())))


def find_round(reference: str) -> Round | None:
    """Find a round by its id (as text); used by the command line."""
    reference = reference.strip()
    if reference.isdigit():
        return get_round(int(reference))
    return None


def has_responses(department: Department) -> bool:
    """True once any respondent has started for this department (answers may exist)."""
    return bool(db.session.scalar(
        select(func.count(Response.id)).where(Response.department_id == department.id)))


def round_has_responses(round_: Round) -> bool:
    """True once any respondent has started in this round."""
    return bool(db.session.scalar(
        select(func.count(Response.id)).join(Department)
        .where(Department.round_id == round_.id)))


# --------------------------------------------------------------------------- validation


def _clean_text(value: str | None, label: str, *, required: bool = True,
                max_length: int = NAME_MAX_LENGTH, multiline: bool = False) -> str:
    """Strip (and for one-line fields collapse) whitespace; check presence and length."""
    if value is not None and not isinstance(value, str):
        raise RoundError(_("Ongeldige waarde voor %(label)s.", label=label), 400)
    text = (value or "").strip() if multiline else " ".join((value or "").split())
    if required and not text:
        raise RoundError(_("Vul %(label)s in.", label=label))
    if len(text) > max_length:
        raise RoundError(_("De tekst bij %(label)s is te lang: hoogstens %(max)d tekens.",
                           label=label, max=max_length))
    return text


def _check_deadline(deadline: datetime.date | None) -> datetime.date | None:
    if deadline is not None and not isinstance(deadline, datetime.date):
        raise RoundError(_("De deadline is geen geldige datum."), 400)
    return deadline


def _resolve_bank(catalog: Catalog, bank_id: str, version: str | None) -> Bank:
    """The valid bank version the catalog holds; forged or invalid ids are refused (400)."""
    if not isinstance(bank_id, str) or not catalog.versions(bank_id):
        raise RoundError(_("Onbekende of ongeldige vragenlijst: %(bank)s.", bank=str(bank_id)), 400)
    if version is not None and version not in catalog.versions(bank_id):
        raise RoundError(_("Onbekende versie %(version)s van vragenlijst %(bank)s.",
                           version=str(version), bank=bank_id), 400)
    return catalog.get(bank_id, version)


def _pin(catalog: Catalog, bank: Bank, position: int) -> RoundBank:
    """A RoundBank row for a validated bank: content hash plus a snapshot of its content."""
    path = catalog.paths[bank.key]
    try:
        content = bank_content(path)
        snapshot = bank_from_snapshot(content)
    except (OSError, BankError, ValueError, yaml.YAMLError) as exc:
        raise RoundError(_("Vragenlijst %(bank)s %(version)s is niet geldig en kan niet "
                           "worden gebruikt.", bank=bank.id, version=bank.version), 400) from exc
    sha256 = content_hash(content)
    if sha256 != bank.sha256 or snapshot.id != bank.id or snapshot.version != bank.version:
        # The file changed after it was validated: refuse rather than pin unchecked content.
        from quickscan.services.banks import reload_catalog

        reload_catalog()
        raise RoundError(_("Vragenlijst %(bank)s %(version)s is gewijzigd sinds hij werd "
                           "gecontroleerd; probeer het opnieuw.", bank=bank.id,
                           version=bank.version), 409)
    return RoundBank(bank_id=bank.id, version=bank.version, sha256=sha256, content=content,
                     position=position)


def _ordered(catalog: Catalog, bank_ids: Iterable[str]) -> list[str]:
    """Bank ids in catalog order: the common bank first, then by title."""
    order = {bank.id: index for index, bank in enumerate(catalog.latest_banks())}
    return sorted(set(bank_ids), key=lambda bank_id: (order.get(bank_id, len(order)), bank_id))


def _department_banks(bank_ids: Iterable[str], pinned: Sequence[str], common_id: str | None
                      ) -> list[str]:
    """A department's bank ids in round order, always including the common bank."""
    chosen = set(bank_ids)
    unknown = sorted(chosen - set(pinned))
    if unknown:
        raise RoundError(_("Vragenlijst %(bank)s hoort niet bij deze ronde.",
                           bank=", ".join(unknown)), 400)
    if common_id is not None:
        chosen.add(common_id)
    if not chosen:
        raise RoundError(_("Kies minstens één vragenlijst voor de afdeling."))
    return [bank_id for bank_id in pinned if bank_id in chosen]


def _common_id(round_: Round) -> str | None:
    for bank in round_banks(round_):
        if bank.common:
            return bank.id
    return None


def _check_department_name(round_: Round, name: str, *, exclude: Department | None = None) -> str:
    name = _clean_text(name, _("de naam van de afdeling"))
    for other in round_.departments:
        if other is not exclude and other.name.casefold() == name.casefold():
            raise RoundError(_("Er is al een afdeling met de naam %(name)s.", name=name))
    return name


def _check_overrides(banks: Mapping[str, Bank], overrides: Mapping[str, Any] | None
                     ) -> dict[str, int]:
    """Validate target overrides ``{"bank/theme": level}``; unknown themes are refused (400)."""
    clean: dict[str, int] = {}
    for key, level in (overrides or {}).items():
        bank_id, _sep, theme_id = str(key).partition("/")
        bank = banks.get(bank_id)
        if bank is None or theme_id not in {theme.id for theme in bank.themes}:
            raise RoundError(_("Onbekend thema: %(theme)s.", theme=str(key)), 400)
        try:
            value = int(level)
        except (TypeError, ValueError):
            raise RoundError(_("Het doelniveau moet 0 tot en met 4 zijn."), 400) from None
        if str(level).strip() != str(value) or not 0 <= value <= 4:
            raise RoundError(_("Het doelniveau moet 0 tot en met 4 zijn."), 400)
        if value != bank.theme(theme_id).target:
            clean[f"{bank_id}/{theme_id}"] = value
    return clean


# --------------------------------------------------------------------------- rounds


def create_round(name: str, municipality: str, description: str = "",
                 deadline: datetime.date | None = None,
                 banks: Mapping[str, str | None] | None = None,
                 departments: Sequence[tuple[str, Sequence[str]]] = (),
                 target_overrides: Mapping[str, Any] | None = None) -> Round:
    """Create a round, pin its bank versions and add its departments, in one transaction.

    ``banks`` maps bank ids to a version (None: the newest). The common bank is always
    included, and so is every bank a department answers (newest version unless given).
    """
    name = _clean_text(name, _("de naam van de ronde"))
    municipality = _clean_text(municipality, _("de gemeente"))
    description = _clean_text(description, _("de toelichting"), required=False,
                              max_length=DESCRIPTION_MAX_LENGTH, multiline=True)
    deadline = _check_deadline(deadline)
    catalog = bank_catalog()
    chosen: dict[str, str | None] = dict(banks or {})
    common = catalog.common_bank()
    if common is not None:
        chosen.setdefault(common.id, None)
    for _name, bank_ids in departments:
        for bank_id in bank_ids:
            chosen.setdefault(bank_id, None)
    resolved = {bank_id: _resolve_bank(catalog, bank_id, version)
                for bank_id, version in chosen.items()}
    if not resolved:
        raise RoundError(_("Kies minstens één vragenlijst."))
    round_ = Round(name=name, municipality=municipality, description=description,
                   deadline=deadline, status=ROUND_OPEN, target_overrides={})
    pinned = _ordered(catalog, resolved)
    round_.banks = [_pin(catalog, resolved[bank_id], position)
                    for position, bank_id in enumerate(pinned)]
    round_.target_overrides = _check_overrides(resolved, target_overrides)
    common_id = common.id if common is not None else None
    seen: set[str] = set()
    for dept_name, bank_ids in departments:
        clean_name = _clean_text(dept_name, _("de naam van de afdeling"))
        if clean_name.casefold() in seen:
            raise RoundError(_("Er is al een afdeling met de naam %(name)s.", name=clean_name))
        seen.add(clean_name.casefold())
        department = Department(name=clean_name,
                                bank_ids=_department_banks(bank_ids, pinned, common_id))
        department.invitations = [_new_invitation()]
        round_.departments.append(department)
    db.session.add(round_)
    db.session.commit()
    return round_


def update_round(round_: Round, name: str, municipality: str, description: str = "",
                 deadline: datetime.date | None = None,
                 banks: Mapping[str, str | None] | None = None,
                 target_overrides: Mapping[str, Any] | None = None) -> Round:
    """Change a round's details, and its banks and versions while nobody has started yet.

    ``banks`` None leaves the pinned banks as they are; otherwise it lists the banks to keep
    or add, with a version (None: keep the pinned version, or the newest for a new bank).
    A bank that is dropped is also dropped from every department. ``target_overrides`` None leaves the overrides as they are.
    """
    try:
        return _update_round(round_, name, municipality, description, deadline, banks,
                             target_overrides)
    except RoundError:
        db.session.rollback()
        raise


def _update_round(round_: Round, name: str, municipality: str, description: str,
                  deadline: datetime.date | None, banks: Mapping[str, str | None] | None,
                  target_overrides: Mapping[str, Any] | None) -> Round:
    name = _clean_text(name, _("de naam van de ronde"))
    municipality = _clean_text(municipality, _("de gemeente"))
    description = _clean_text(description, _("de toelichting"), required=False,
                              max_length=DESCRIPTION_MAX_LENGTH, multiline=True)
    deadline = _check_deadline(deadline)
    current = {rb.bank_id: rb.version for rb in round_.banks}
    if banks is not None:
        catalog = bank_catalog()
        chosen: dict[str, str | None] = dict(banks)
        common_id = _common_id(round_)
        if common_id is not None:
            chosen.setdefault(common_id, current[common_id])
        else:
            common = catalog.common_bank()
            if common is not None:
                chosen.setdefault(common.id, None)
        # An unchanged pinned bank keeps its snapshot, even when the file is gone or changed.
        changed = {bank_id: version for bank_id, version in chosen.items()
                   if bank_id not in current or (version is not None
                                                 and version != current[bank_id])}
        if changed or set(current) - set(chosen):
            resolved = {bank_id: _resolve_bank(catalog, bank_id, version)
                        for bank_id, version in changed.items()}
            if round_has_responses(round_):
                raise RoundError(_("De vragenlijsten kunnen niet meer worden gewijzigd: er zijn "
                                   "al antwoorden gegeven."), 409)
            if not chosen:
                raise RoundError(_("Kies minstens één vragenlijst."))
            pinned = _ordered(catalog, chosen)
            rows = {rb.bank_id: rb for rb in round_.banks if rb.bank_id in chosen}
            for bank_id, bank in resolved.items():
                fresh = _pin(catalog, bank, 0)
                row = rows.get(bank_id)
                if row is None:
                    rows[bank_id] = fresh
                else:  # update in place: (round, bank) is unique
                    row.version, row.sha256, row.content = fresh.version, fresh.sha256, fresh.content
            round_.banks = [rows[bank_id] for bank_id in pinned]
            for position, row in enumerate(round_.banks):
                row.position = position
            db.session.flush()
            for department in round_.departments:
                kept = [b for b in pinned if b in department.bank_ids]
                common_now = _common_id(round_)
                if common_now is not None and common_now not in kept:
                    kept.insert(0, common_now)
                department.bank_ids = [b for b in pinned if b in kept]
            overrides = {key: level for key, level in (round_.target_overrides or {}).items()
                         if key.partition("/")[0] in chosen}
            round_.target_overrides = overrides
    if target_overrides is not None:
        round_.target_overrides = _check_overrides(round_bank_map(round_), target_overrides)
    round_.name = name
    round_.municipality = municipality
    round_.description = description
    round_.deadline = deadline
    db.session.commit()
    return round_


def close_round(round_: Round) -> None:
    """Close a round: respondents can no longer change anything; invitees' addresses go."""
    round_.status = ROUND_CLOSED
    from quickscan.services.invitations import forget_addresses

    forget_addresses(round_)  # retention: e-mail addresses are deleted when a round closes
    db.session.commit()


def reopen_round(round_: Round) -> None:
    """Reopen a closed round."""
    round_.status = ROUND_OPEN
    db.session.commit()


# --------------------------------------------------------------------------- departments


def _check_open(round_: Round) -> None:
    """Departments change only while the round is open; a closed round answers 409."""
    if not round_.is_open:
        raise RoundError(_("Deze ronde is gesloten. Heropen de ronde om afdelingen te "
                           "wijzigen."), 409)


def add_department(round_: Round, name: str, bank_ids: Sequence[str]) -> Department:
    """Add a department answering the common bank plus ``bank_ids`` (all pinned to the round).

    Refused (409) while the round is closed.
    """
    _check_open(round_)
    name = _check_department_name(round_, name)
    pinned = [rb.bank_id for rb in round_.banks]
    department = Department(name=name,
                            bank_ids=_department_banks(bank_ids, pinned, _common_id(round_)))
    department.invitations = [_new_invitation()]
    round_.departments.append(department)
    db.session.commit()
    return department


def rename_department(department: Department, name: str) -> Department:
    """Rename a department; refused once respondents have started or while the round is closed."""
    _check_open(department.round)
    if has_responses(department):
        raise RoundError(_("Afdeling %(name)s kan niet meer worden hernoemd: er zijn al "
                           "antwoorden gegeven.", name=department.name), 409)
    department.name = _check_department_name(department.round, name, exclude=department)
    db.session.commit()
    return department


def remove_department(department: Department) -> None:
    """Remove a department and its invitation; refused once respondents have started or while
    the round is closed."""
    _check_open(department.round)
    if has_responses(department):
        raise RoundError(_("Afdeling %(name)s kan niet meer worden verwijderd: er zijn al "
                           "antwoorden gegeven.", name=department.name), 409)
    department.round.departments.remove(department)  # delete-orphan removes it and its links
    db.session.commit()


def set_department_banks(department: Department, bank_ids: Sequence[str]) -> Department:
    """Change which banks a department answers: the common bank plus ``bank_ids``.

    Only banks pinned to the round are accepted (others: 400, nothing written). Refused (409)
    once respondents have started for the department or while the round is closed.
    """
    round_ = department.round
    _check_open(round_)
    if has_responses(department):
        raise RoundError(_("De vragenlijsten van afdeling %(name)s kunnen niet meer worden "
                           "gewijzigd: er zijn al antwoorden gegeven.", name=department.name), 409)
    pinned = [rb.bank_id for rb in round_.banks]
    department.bank_ids = _department_banks(bank_ids, pinned, _common_id(round_))
    db.session.commit()
    return department


# --------------------------------------------------------------------------- invitations


def _new_invitation() -> Invitation:
    salt = tokens.new_salt()
    token = tokens.invitation_token(current_app.config["SECRET_KEY"], salt)
    return Invitation(token_salt=salt, token_hash=tokens.hash_token(token))


def active_invitation(department: Department) -> Invitation | None:
    """The department's working invitation, or None when its link is revoked."""
    for invitation in sorted(department.invitations, key=lambda i: i.id or 0, reverse=True):
        if invitation.active:
            return invitation
    return None


def invitation_token(department: Department) -> str | None:
    """The department's current invitation token, or None when its link is revoked."""
    invitation = active_invitation(department)
    if invitation is None:
        return None
    return tokens.invitation_token(current_app.config["SECRET_KEY"], invitation.token_salt)


def base_url() -> str:
    """The address respondents reach the app on: ``BASE_URL``, else the request's host."""
    configured = current_app.config.get("BASE_URL")
    if configured:
        return str(configured).rstrip("/")
    if has_request_context():
        return request.host_url.rstrip("/")
    return DEFAULT_BASE_URL


def url_for_token(token: str) -> str:
    """The absolute survey address for an invitation token."""
    return f"{base_url()}/s/{token}"


def invitation_url(department: Department) -> str:
    """The department's absolute invitation link (RoundError when it is revoked)."""
    token = invitation_token(department)
    if token is None:
        raise RoundError(_("De link van afdeling %(name)s is ingetrokken.",
                           name=department.name), 409)
    return url_for_token(token)


def renew_invitation(department: Department) -> str:
    """Give the department a new link; the old one stops working. Returns the new token."""
    now = utcnow()
    for invitation in department.invitations:
        if invitation.revoked_at is None:
            invitation.revoked_at = now
    invitation = _new_invitation()
    department.invitations.append(invitation)
    db.session.commit()
    return tokens.invitation_token(current_app.config["SECRET_KEY"], invitation.token_salt)


def revoke_invitation(department: Department) -> None:
    """Stop the department's link from working (a new one can be made with renew)."""
    now = utcnow()
    for invitation in department.invitations:
        if invitation.revoked_at is None:
            invitation.revoked_at = now
    db.session.commit()


# --------------------------------------------------------------------------- progress


@dataclass(frozen=True)
class DepartmentProgress:
    """How far one department is: responses started and submitted, share answered."""

    department_id: int
    name: str
    started: int
    submitted: int
    answered: int
    questions: int

    @property
    def drafts(self) -> int:
        """Responses started but not yet submitted."""
        return self.started - self.submitted

    @property
    def share_answered(self) -> float:
        """Answered questions over all questions of every started response (0.0-1.0)."""
        possible = self.started * self.questions
        return self.answered / possible if possible else 0.0


@dataclass(frozen=True)
class RoundProgress:
    """Progress of a whole round, per department and in total."""

    departments: list[DepartmentProgress]

    @property
    def started(self) -> int:
        """Responses started in the whole round (drafts and submitted)."""
        return sum(d.started for d in self.departments)

    @property
    def submitted(self) -> int:
        """Responses submitted in the whole round."""
        return sum(d.submitted for d in self.departments)

    @property
    def share_answered(self) -> float:
        """Answered questions over all questions of every started response (0.0-1.0)."""
        possible = sum(d.started * d.questions for d in self.departments)
        return sum(d.answered for d in self.departments) / possible if possible else 0.0


def progress(round_: Round) -> RoundProgress:
    """Per department: responses started and submitted, and the share of questions answered."""
    banks = round_bank_map(round_)
    question_ids: dict[str, set[str]] = {
        bank_id: {q.id for q in bank.questions} for bank_id, bank in banks.items()}
    counts: dict[int, tuple[int, int]] = {}
    for department_id, status, count in db.session.execute(
            select(Response.department_id, Response.status, func.count(Response.id))
            .join(Department).where(Department.round_id == round_.id)
            .group_by(Response.department_id, Response.status)):
        started, submitted = counts.get(department_id, (0, 0))
        counts[department_id] = (started + count,
                                 submitted + (count if status == RESPONSE_SUBMITTED else 0))
    answered: dict[int, dict[str, int]] = {}
    for department_id, question_id, count in db.session.execute(
            select(Response.department_id, Answer.question_id, func.count(Answer.id))
            .join(Response, Answer.response_id == Response.id).join(Department)
            .where(Department.round_id == round_.id)
            .group_by(Response.department_id, Answer.question_id)):
        answered.setdefault(department_id, {})[question_id] = count
    rows = []
    for department in round_.departments:
        own: set[str] = set()
        for bank_id in department.bank_ids:
            own |= question_ids.get(bank_id, set())
        started, submitted = counts.get(department.id, (0, 0))
        per_question = answered.get(department.id, {})
        rows.append(DepartmentProgress(
            department_id=department.id, name=department.name, started=started,
            submitted=submitted,
            answered=sum(count for qid, count in per_question.items() if qid in own),
            questions=len(own)))
    return RoundProgress(rows)
