"""Rounds: create and edit rounds, pin bank versions, manage departments and invitation links.

Every write to rounds, departments and invitations goes through this module, each in one
:func:`~quickscan.services.uow.unit_of_work`. Refusals raise a :class:`RoundError` with a
Dutch message, of the domain kind that fits (:mod:`quickscan.services.errors`): a forged or
impossible value is :class:`ForgedRoundInput` (an ``InvalidInput``), input the coordinator can
correct is :class:`RoundInputError` (``NeedsCorrection``), a change the round's state forbids
is a :class:`RoundConflict`. Nothing here knows HTTP or reads the request: the secret key that
derives invitation tokens and the base URL of links are arguments.

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
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

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
    KIND_MUNICIPALITY,
    RESPONSE_SUBMITTED,
    ROUND_CLOSED,
    ROUND_OPEN,
    SCOPE_CORE,
    SCOPE_FULL,
    SCOPES,
    Answer,
    Department,
    Invitation,
    Response,
    Round,
    RoundBank,
    utcnow,
)
from quickscan.names import InvalidName, name_key
from quickscan.names import clean_name as normalise_name
from quickscan.services import chart_jobs, tokens
from quickscan.services.banks import catalog as bank_catalog
from quickscan.services.banks import (
    default_scope,
    full_round_banks,
    has_core,
    round_bank_map,
    round_banks,
)
from quickscan.services.errors import (
    Conflict,
    DomainError,
    InvalidInput,
    NeedsCorrection,
)
from quickscan.services.uow import unit_of_work

NAME_MAX_LENGTH = 200
DESCRIPTION_MAX_LENGTH = 5000
#: The name of the group that answers a round's municipal bank (facts of the whole
#: municipality, answered once per round); stored as data, so in Dutch.
MUNICIPAL_GROUP_NAME = "Gemeente (algemeen)"

SecretKey = str | bytes


class RoundError(DomainError):
    """A round could not be changed; ``message`` is Dutch and shown to the user."""


class ForgedRoundInput(RoundError, InvalidInput):
    """A value no form of the app sends: an unknown bank, version, theme or level."""


class RoundInputError(RoundError, NeedsCorrection):
    """Input the coordinator can correct: a missing or too long text, a name already taken."""


class RoundConflict(RoundError, Conflict):
    """The round's state forbids the change: answers were given, a bank file changed."""


class RoundClosed(RoundConflict):
    """Departments change only while the round is open."""


class LinkRevoked(RoundConflict):
    """The department's invitation link was revoked; there is no link to show."""


class DepartmentAddedMeanwhile(RoundConflict):
    """Another request added a department with the same name at the same moment."""


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


def is_municipal_group(department: Department) -> bool:
    """True for the group that answers the round's municipal bank (not a department)."""
    return department.kind == KIND_MUNICIPALITY


def departments_of(round_: Round) -> list[Department]:
    """The round's departments proper: every group except the municipal one."""
    return [d for d in round_.departments if not is_municipal_group(d)]


def municipal_groups(round_: Round) -> list[Department]:
    """The round's municipal group (at most one): it answers only the municipal bank."""
    return [d for d in round_.departments if is_municipal_group(d)]


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


def clean_text(value: object, label: str, *, required: bool = True,
               max_length: int = NAME_MAX_LENGTH, multiline: bool = False,
               error: type[DomainError] = RoundInputError,
               forged: type[DomainError] = ForgedRoundInput) -> str:
    """A typed name or text in NFC with whitespace tidied (one-line fields collapsed); checks
    presence and length and refuses invisible or control characters.

    Raises ``error`` (a correctable refusal) or ``forged`` (a value no form sends); other
    services pass their own classes (the LIA's ``LiaInputError``/``ForgedLiaInput``).
    """
    if value is not None and not isinstance(value, str):
        raise forged(_("Ongeldige waarde voor %(label)s.", label=label))
    try:
        text = normalise_name(value or "", multiline=multiline)
    except InvalidName:
        raise error(_("%(label)s bevat onzichtbare tekens of stuurtekens; typ de tekst "
                      "opnieuw.", label=label)) from None
    if required and not text:
        raise error(_("Vul %(label)s in.", label=label))
    if len(text) > max_length:
        raise error(_("De tekst bij %(label)s is te lang: hoogstens %(max)d tekens.",
                      label=label, max=max_length))
    return text


def _check_deadline(deadline: datetime.date | None) -> datetime.date | None:
    if deadline is not None and not isinstance(deadline, datetime.date):
        raise ForgedRoundInput(_("De deadline is geen geldige datum."))
    return deadline


def _resolve_bank(catalog: Catalog, bank_id: str, version: str | None) -> Bank:
    """The valid bank version the catalog holds; forged or invalid ids are refused (400)."""
    if not isinstance(bank_id, str) or not catalog.versions(bank_id):
        raise ForgedRoundInput(_("Onbekende of ongeldige vragenlijst: %(bank)s.",
                                 bank=str(bank_id)))
    if version is not None and version not in catalog.versions(bank_id):
        raise ForgedRoundInput(_("Onbekende versie %(version)s van vragenlijst %(bank)s.",
                                 version=str(version), bank=bank_id))
    return catalog.get(bank_id, version)


def _pin(catalog: Catalog, bank: Bank, position: int, scope: str = SCOPE_FULL) -> RoundBank:
    """A RoundBank row for a validated bank: content hash plus a snapshot of its content."""
    path = catalog.paths[bank.key]
    try:
        content = bank_content(path)
        snapshot = bank_from_snapshot(content)
    except (OSError, BankError, ValueError, yaml.YAMLError) as exc:
        raise ForgedRoundInput(_("Vragenlijst %(bank)s %(version)s is niet geldig en kan niet "
                                 "worden gebruikt.", bank=bank.id, version=bank.version)
                               ) from exc
    sha256 = content_hash(content)
    if sha256 != bank.sha256 or snapshot.id != bank.id or snapshot.version != bank.version:
        # The file changed after it was validated: refuse rather than pin unchecked content.
        from quickscan.services.banks import reload_catalog

        reload_catalog()
        raise RoundConflict(_("Vragenlijst %(bank)s %(version)s is gewijzigd sinds hij werd "
                              "gecontroleerd; probeer het opnieuw.", bank=bank.id,
                              version=bank.version))
    return RoundBank(bank_id=bank.id, version=bank.version, sha256=sha256, content=content,
                     position=position, scope=scope)


def _scope_for(bank: Bank, scope: str | None, default: str | None = None) -> str:
    """The scope a round gives ``bank``: ``scope`` when given, else ``default``, else the bank's
    default (kern when it has a core set). A bank without a core set is always ``volledig``;
    asking it ``kern`` by name is refused, a ``kern`` default simply does not apply to it."""
    if scope is not None:
        if scope not in SCOPES:
            raise ForgedRoundInput(_("Onbekende omvang %(scope)s voor vragenlijst %(bank)s.",
                                     scope=str(scope), bank=bank.id))
        if scope == SCOPE_CORE and not has_core(bank):
            raise RoundInputError(_("Vragenlijst %(bank)s %(version)s heeft geen kernvragen; "
                                    "kies volledig.", bank=bank.id, version=bank.version))
        return scope
    if default is not None:
        if default not in SCOPES:
            raise ForgedRoundInput(_("Onbekende omvang %(scope)s.", scope=str(default)))
        return SCOPE_CORE if default == SCOPE_CORE and has_core(bank) else SCOPE_FULL
    return default_scope(bank)


def _ordered(catalog: Catalog, bank_ids: Iterable[str]) -> list[str]:
    """Bank ids in catalog order: the common bank first, then by title."""
    order = {bank.id: index for index, bank in enumerate(catalog.latest_banks())}
    return sorted(set(bank_ids), key=lambda bank_id: (order.get(bank_id, len(order)), bank_id))


def _department_banks(bank_ids: Iterable[str], pinned: Sequence[str], common_id: str | None,
                      municipal: Iterable[str] = ()) -> list[str]:
    """A department's bank ids in round order, always including the common bank.

    A municipal bank (``municipal``) is never a department's: the round's municipal group
    answers it once for the whole municipality.
    """
    chosen = set(bank_ids)
    unknown = sorted(chosen - set(pinned))
    if unknown:
        raise ForgedRoundInput(_("Vragenlijst %(bank)s hoort niet bij deze ronde.",
                                 bank=", ".join(unknown)))
    facts = sorted(chosen & set(municipal))
    if facts:
        raise RoundInputError(_("Vragenlijst %(bank)s gaat over de hele gemeente en wordt één "
                                "keer per ronde ingevuld, niet per afdeling.",
                                bank=", ".join(facts)))
    if common_id is not None:
        chosen.add(common_id)
    if not chosen:
        raise RoundInputError(_("Kies minstens één vragenlijst voor de afdeling."))
    return [bank_id for bank_id in pinned if bank_id in chosen]


def _common_id(round_: Round) -> str | None:
    for bank in round_banks(round_):
        if bank.common:
            return bank.id
    return None


def _municipal_ids(round_: Round) -> list[str]:
    """The round's municipal banks (facts of the whole municipality), in round order."""
    return [bank.id for bank in round_banks(round_) if bank.municipal]


def _new_municipal_group(bank_ids: Sequence[str], secret_key: SecretKey) -> Department:
    department = Department(name=MUNICIPAL_GROUP_NAME, kind=KIND_MUNICIPALITY,
                            bank_ids=list(bank_ids))
    department.invitations = [_new_invitation(secret_key)]
    return department


def _sync_municipal_group(round_: Round, secret_key: SecretKey | None) -> None:
    """Give the round one municipal group exactly when it pins a municipal bank."""
    municipal = _municipal_ids(round_)
    groups = municipal_groups(round_)
    if municipal and not groups:
        if secret_key is None:
            raise ForgedRoundInput(_("De gemeentebrede vragenlijst kan hier niet worden "
                                     "toegevoegd."))
        for other in round_.departments:
            if name_key(other.name) == name_key(MUNICIPAL_GROUP_NAME):
                raise RoundInputError(_("Er is al een afdeling met de naam %(name)s; hernoem "
                                        "die eerst.", name=MUNICIPAL_GROUP_NAME))
        round_.departments.append(_new_municipal_group(municipal, secret_key))
    elif not municipal:
        for group in groups:
            round_.departments.remove(group)
    else:
        for group in groups:
            group.bank_ids = list(municipal)


def _check_department_name(round_: Round, name: str, *, exclude: Department | None = None) -> str:
    name = clean_text(name, _("de naam van de afdeling"))
    for other in round_.departments:
        if other is not exclude and name_key(other.name) == name_key(name):
            raise RoundInputError(_("Er is al een afdeling met de naam %(name)s.", name=name))
    return name


def _check_overrides(banks: Mapping[str, Bank], overrides: Mapping[str, Any] | None
                     ) -> dict[str, int]:
    """Validate target overrides ``{"bank/theme": level}``; unknown themes are refused (400)."""
    clean: dict[str, int] = {}
    for key, level in (overrides or {}).items():
        bank_id, _sep, theme_id = str(key).partition("/")
        bank = banks.get(bank_id)
        if bank is None or theme_id not in {theme.id for theme in bank.themes}:
            raise ForgedRoundInput(_("Onbekend thema: %(theme)s.", theme=str(key)))
        try:
            value = int(level)
        except (TypeError, ValueError):
            raise ForgedRoundInput(_("Het doelniveau moet 0 tot en met 4 zijn.")) from None
        if str(level).strip() != str(value) or not 0 <= value <= 4:
            raise ForgedRoundInput(_("Het doelniveau moet 0 tot en met 4 zijn."))
        if value != bank.theme(theme_id).target:
            clean[f"{bank_id}/{theme_id}"] = value
    return clean


# --------------------------------------------------------------------------- rounds


def create_round(name: str, municipality: str, description: str = "",
                 deadline: datetime.date | None = None,
                 banks: Mapping[str, str | None] | None = None,
                 departments: Sequence[tuple[str, Sequence[str]]] = (),
                 target_overrides: Mapping[str, Any] | None = None, *,
                 secret_key: SecretKey, scopes: Mapping[str, str | None] | None = None,
                 scope: str | None = None) -> Round:
    """Create a round, pin its bank versions and add its departments, in one transaction.

    ``banks`` maps bank ids to a version (None: the newest). The common bank is always
    included, and so is every bank a department answers (newest version unless given).
    ``scopes`` maps bank ids to ``kern`` or ``volledig``; a bank not named there gets
    ``scope`` (a ``kern`` default only applies to banks with a core set), else ``kern`` when
    it has a core set and ``volledig`` otherwise. A pinned municipal bank gets the round's
    municipal group, which answers only that bank. ``secret_key`` derives the invitation tokens.
    """
    with unit_of_work() as session:
        name = clean_text(name, _("de naam van de ronde"))
        municipality = clean_text(municipality, _("de gemeente"))
        description = clean_text(description, _("de toelichting"), required=False,
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
            raise RoundInputError(_("Kies minstens één vragenlijst."))
        round_ = Round(name=name, municipality=municipality, description=description,
                       deadline=deadline, status=ROUND_OPEN, target_overrides={})
        pinned = _ordered(catalog, resolved)
        asked = dict(scopes or {})
        for bank_id in asked:
            if bank_id not in resolved:
                raise ForgedRoundInput(_("Vragenlijst %(bank)s hoort niet bij deze ronde.",
                                         bank=str(bank_id)))
        round_.banks = [_pin(catalog, resolved[bank_id], position,
                             _scope_for(resolved[bank_id], asked.get(bank_id), scope))
                        for position, bank_id in enumerate(pinned)]
        round_.target_overrides = _check_overrides(resolved, target_overrides)
        common_id = common.id if common is not None else None
        municipal = [bank_id for bank_id in pinned if resolved[bank_id].municipal]
        seen: set[str] = set()
        for dept_name, bank_ids in departments:
            clean_name = clean_text(dept_name, _("de naam van de afdeling"))
            if name_key(clean_name) in seen:
                raise RoundInputError(_("Er is al een afdeling met de naam %(name)s.",
                                        name=clean_name))
            seen.add(name_key(clean_name))
            department = Department(name=clean_name, bank_ids=_department_banks(
                bank_ids, pinned, common_id, municipal))
            department.invitations = [_new_invitation(secret_key)]
            round_.departments.append(department)
        if municipal:
            if name_key(MUNICIPAL_GROUP_NAME) in seen:
                raise RoundInputError(_("Er is al een afdeling met de naam %(name)s; die naam "
                                        "is voor de gemeentebrede vragenlijst.",
                                        name=MUNICIPAL_GROUP_NAME))
            round_.departments.append(_new_municipal_group(municipal, secret_key))
        session.add(round_)
    return round_


def update_round(round_: Round, name: str, municipality: str, description: str = "",
                 deadline: datetime.date | None = None,
                 banks: Mapping[str, str | None] | None = None,
                 target_overrides: Mapping[str, Any] | None = None, *,
                 scopes: Mapping[str, str | None] | None = None,
                 secret_key: SecretKey | None = None) -> Round:
    """Change a round's details, and its banks and versions while nobody has started yet.

    ``banks`` None leaves the pinned banks as they are; otherwise it lists the banks to keep
    or add, with a version (None: keep the pinned version, or the newest for a new bank).
    A bank that is dropped is also dropped from every department. ``scopes`` (with ``banks``)
    sets ``kern`` or ``volledig`` per bank (a bank not named keeps its scope, a new one gets
    its default). Adding a municipal bank adds the municipal group (``secret_key`` derives its
    link); dropping it removes the group. ``target_overrides`` None leaves the overrides as
    they are. One transaction: a refusal changes nothing.
    """
    with unit_of_work():
        _update_round(round_, name, municipality, description, deadline, banks,
                      target_overrides, scopes, secret_key)
    return round_


def _update_round(round_: Round, name: str, municipality: str, description: str,
                  deadline: datetime.date | None, banks: Mapping[str, str | None] | None,
                  target_overrides: Mapping[str, Any] | None,
                  scopes: Mapping[str, str | None] | None = None,
                  secret_key: SecretKey | None = None) -> None:
    name = clean_text(name, _("de naam van de ronde"))
    municipality = clean_text(municipality, _("de gemeente"))
    description = clean_text(description, _("de toelichting"), required=False,
                              max_length=DESCRIPTION_MAX_LENGTH, multiline=True)
    deadline = _check_deadline(deadline)
    if banks is not None:
        _update_banks(round_, banks, scopes or {}, secret_key)
    if target_overrides is not None:
        round_.target_overrides = _check_overrides(round_bank_map(round_), target_overrides)
    round_.name = name
    round_.municipality = municipality
    round_.description = description
    round_.deadline = deadline


def _update_banks(round_: Round, banks: Mapping[str, str | None],
                  scopes: Mapping[str, str | None], secret_key: SecretKey | None) -> None:
    """Re-pin the round's banks to ``banks`` (see :func:`update_round`)."""
    current = {rb.bank_id: rb.version for rb in round_.banks}
    current_scopes = {rb.bank_id: rb.scope or SCOPE_FULL for rb in round_.banks}
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
    for bank_id in scopes:
        if bank_id not in chosen:
            raise ForgedRoundInput(_("Vragenlijst %(bank)s hoort niet bij deze ronde.",
                                     bank=str(bank_id)))
    resolved = {bank_id: _resolve_bank(catalog, bank_id, version)
                for bank_id, version in changed.items()}
    kept_banks = {bank.id: bank for bank in full_round_banks(round_) if bank.id in chosen}
    wanted_scopes: dict[str, str] = {}
    for bank_id in chosen:
        bank = resolved.get(bank_id) or kept_banks[bank_id]
        asked = scopes.get(bank_id)
        if asked is None and bank_id in current_scopes and bank_id not in resolved:
            wanted_scopes[bank_id] = current_scopes[bank_id]
        elif asked is None and bank_id in current_scopes and has_core(bank):
            # A new version of a bank keeps the scope the round gave the earlier one.
            wanted_scopes[bank_id] = current_scopes[bank_id]
        else:
            wanted_scopes[bank_id] = _scope_for(bank, asked)
    rescoped = {bank_id for bank_id, value in wanted_scopes.items()
                if bank_id in current_scopes and value != current_scopes[bank_id]}
    if not changed and not rescoped and not set(current) - set(chosen):
        return
    if round_has_responses(round_):
        raise RoundConflict(_("De vragenlijsten kunnen niet meer worden gewijzigd: er zijn "
                              "al antwoorden gegeven."))
    if not chosen:
        raise RoundInputError(_("Kies minstens één vragenlijst."))
    pinned = _ordered(catalog, chosen)
    rows = {rb.bank_id: rb for rb in round_.banks if rb.bank_id in chosen}
    for bank_id, bank in resolved.items():
        fresh = _pin(catalog, bank, 0)
        row = rows.get(bank_id)
        if row is None:
            rows[bank_id] = fresh
        else:  # update in place: (round, bank) is unique
            row.version, row.sha256, row.content = fresh.version, fresh.sha256, fresh.content
    for bank_id, value in wanted_scopes.items():
        rows[bank_id].scope = value
    round_.banks = [rows[bank_id] for bank_id in pinned]
    for position, row in enumerate(round_.banks):
        row.position = position
    db.session.flush()
    municipal = set(_municipal_ids(round_))
    common_now = _common_id(round_)
    for department in departments_of(round_):
        kept = [b for b in pinned if b in department.bank_ids and b not in municipal]
        if common_now is not None and common_now not in kept:
            kept.insert(0, common_now)
        department.bank_ids = [b for b in pinned if b in kept]
    _sync_municipal_group(round_, secret_key)
    round_.target_overrides = {key: level
                               for key, level in (round_.target_overrides or {}).items()
                               if key.partition("/")[0] in chosen}


def close_round(round_: Round) -> None:
    """Close a round: respondents can no longer change anything; invitees' addresses go."""
    from quickscan.services.invitations import forget_addresses

    with unit_of_work():
        round_.status = ROUND_CLOSED
        forget_addresses(round_)  # retention: e-mail addresses are deleted when a round closes
    chart_jobs.results_changed(round_.id)


def reopen_round(round_: Round) -> None:
    """Reopen a closed round."""
    with unit_of_work():
        round_.status = ROUND_OPEN
    chart_jobs.results_changed(round_.id)


# --------------------------------------------------------------------------- departments


def _check_open(round_: Round) -> None:
    """Departments change only while the round is open."""
    if not round_.is_open:
        raise RoundClosed(_("Deze ronde is gesloten. Heropen de ronde om afdelingen te "
                            "wijzigen."))


def _check_not_municipal(department: Department) -> None:
    """The municipal group follows the round's municipal bank; it is not edited by hand."""
    if is_municipal_group(department):
        raise RoundConflict(_("%(name)s vult de gemeentebrede vragenlijst in en hoort bij die "
                              "vragenlijst. Haal de vragenlijst uit de ronde om deze groep te "
                              "verwijderen.", name=department.name))


def _flush_department(session: Session, name: str) -> None:
    """Write the department now; a name another request took meanwhile is a conflict.

    The unique constraint on (round, name) catches two simultaneous adds or renames that each
    passed the name check before the other was written.
    """
    try:
        session.flush()
    except IntegrityError as exc:
        raise DepartmentAddedMeanwhile(_(
            "Er is zojuist al een afdeling met de naam %(name)s opgeslagen, waarschijnlijk "
            "door iemand anders. Er is niets dubbel opgeslagen; bekijk de lijst van "
            "afdelingen hieronder.", name=name)) from exc


def add_department(round_: Round, name: str, bank_ids: Sequence[str], *,
                   secret_key: SecretKey) -> Department:
    """Add a department answering the common bank plus ``bank_ids`` (all pinned to the round).

    Refused while the round is closed (:class:`RoundClosed`) and when another request added
    the same name at the same moment (:class:`DepartmentAddedMeanwhile`).
    """
    with unit_of_work() as session:
        _check_open(round_)
        name = _check_department_name(round_, name)
        pinned = [rb.bank_id for rb in round_.banks]
        department = Department(name=name, bank_ids=_department_banks(
            bank_ids, pinned, _common_id(round_), _municipal_ids(round_)))
        department.invitations = [_new_invitation(secret_key)]
        round_.departments.append(department)
        _flush_department(session, name)
    return department


def rename_department(department: Department, name: str) -> Department:
    """Rename a department; refused once respondents have started or while the round is closed."""
    with unit_of_work() as session:
        _check_open(department.round)
        _check_not_municipal(department)
        if has_responses(department):
            raise RoundConflict(_("Afdeling %(name)s kan niet meer worden hernoemd: er zijn al "
                                  "antwoorden gegeven.", name=department.name))
        department.name = _check_department_name(department.round, name, exclude=department)
        _flush_department(session, department.name)
    return department


def remove_department(department: Department) -> None:
    """Remove a department and its invitation; refused once respondents have started or while
    the round is closed."""
    with unit_of_work():
        _check_open(department.round)
        _check_not_municipal(department)
        if has_responses(department):
            raise RoundConflict(_("Afdeling %(name)s kan niet meer worden verwijderd: er zijn "
                                  "al antwoorden gegeven.", name=department.name))
        department.round.departments.remove(department)  # delete-orphan removes its links


def set_department_banks(department: Department, bank_ids: Sequence[str]) -> Department:
    """Change which banks a department answers: the common bank plus ``bank_ids``.

    Only banks pinned to the round are accepted (others: :class:`ForgedRoundInput`, nothing
    written). Refused once respondents have started for the department or while the round is
    closed.
    """
    with unit_of_work():
        round_ = department.round
        _check_open(round_)
        _check_not_municipal(department)
        if has_responses(department):
            raise RoundConflict(_("De vragenlijsten van afdeling %(name)s kunnen niet meer "
                                  "worden gewijzigd: er zijn al antwoorden gegeven.",
                                  name=department.name))
        pinned = [rb.bank_id for rb in round_.banks]
        department.bank_ids = _department_banks(bank_ids, pinned, _common_id(round_),
                                                _municipal_ids(round_))
    return department


# --------------------------------------------------------------------------- invitations


def _new_invitation(secret_key: SecretKey) -> Invitation:
    salt = tokens.new_salt()
    token = tokens.invitation_token(secret_key, salt)
    return Invitation(token_salt=salt, token_hash=tokens.hash_token(token))


def active_invitation(department: Department) -> Invitation | None:
    """The department's working invitation, or None when its link is revoked."""
    for invitation in sorted(department.invitations, key=lambda i: i.id or 0, reverse=True):
        if invitation.active:
            return invitation
    return None


def invitation_token(department: Department, secret_key: SecretKey) -> str | None:
    """The department's current invitation token, or None when its link is revoked."""
    invitation = active_invitation(department)
    if invitation is None:
        return None
    return tokens.invitation_token(secret_key, invitation.token_salt)


def url_for_token(token: str, base_url: str) -> str:
    """The absolute survey address for an invitation token under ``base_url``."""
    return f"{base_url.rstrip('/')}/s/{token}"


def invitation_url(department: Department, *, secret_key: SecretKey, base_url: str) -> str:
    """The department's absolute invitation link (:class:`LinkRevoked` when it is revoked)."""
    token = invitation_token(department, secret_key)
    if token is None:
        raise LinkRevoked(_("De link van afdeling %(name)s is ingetrokken.",
                            name=department.name))
    return url_for_token(token, base_url)


def _revoke_all(department: Department, now: datetime.datetime) -> None:
    for invitation in department.invitations:
        if invitation.revoked_at is None:
            invitation.revoked_at = now


def renew_invitation(department: Department, *, secret_key: SecretKey,
                     now: datetime.datetime | None = None) -> str:
    """Give the department a new link; the old one stops working. Returns the new token."""
    with unit_of_work():
        _revoke_all(department, now or utcnow())
        invitation = _new_invitation(secret_key)
        department.invitations.append(invitation)
    return tokens.invitation_token(secret_key, invitation.token_salt)


def revoke_invitation(department: Department, *, now: datetime.datetime | None = None) -> None:
    """Stop the department's link from working (a new one can be made with renew)."""
    with unit_of_work():
        _revoke_all(department, now or utcnow())


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
    #: How many respondents the coordinator expects (None: not given).
    expected: int | None = None

    @property
    def response_rate(self) -> float | None:
        """Submitted over expected (may exceed 1.0), or None without an expected number."""
        return self.submitted / self.expected if self.expected else None

    @property
    def over_expected(self) -> bool:
        """True when more questionnaires were submitted than expected."""
        return self.expected is not None and self.submitted > self.expected

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
            questions=len(own), expected=department.expected_respondents))
    return RoundProgress(rows)


# --------------------------------------------------------------------------- privacy settings


#: The minimum group sizes a coordinator may choose (docs/privacy.md: why 3 is the floor).
MIN_GROUP_SIZE_CHOICES = range(3, 11)
#: The largest expected number of respondents of one department.
EXPECTED_MAX = 100_000


def _whole_number(value: object) -> int | None:
    """An int from an int or a string of ASCII digits; None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        return int(value.strip())
    return None


def parse_min_group_size(k: object) -> int:
    """Check a minimum group size k: a whole number 3 up to 10.

    A value no form sends (not a whole number) is :class:`ForgedRoundInput`; a whole number
    outside 3-10 is :class:`RoundInputError`; both carry a Dutch message.
    """
    value = _whole_number(k)
    if value is None:
        raise ForgedRoundInput(_("De minimale groepsgrootte moet een geheel getal van "
                                 "%(low)d tot en met %(high)d zijn.",
                                 low=MIN_GROUP_SIZE_CHOICES[0],
                                 high=MIN_GROUP_SIZE_CHOICES[-1]))
    if value not in MIN_GROUP_SIZE_CHOICES:
        raise RoundInputError(_("De minimale groepsgrootte moet %(low)d tot en met %(high)d "
                                "zijn.", low=MIN_GROUP_SIZE_CHOICES[0],
                                high=MIN_GROUP_SIZE_CHOICES[-1]))
    return value


def set_min_group_size(round_id: int, k: object) -> Round:
    """Set the round's minimum group size k (3 up to 10, see :func:`parse_min_group_size`);
    a refused value writes nothing."""
    value = parse_min_group_size(k)
    with unit_of_work():
        round_ = get_round(round_id)
        if round_ is None:
            raise ForgedRoundInput(_("Deze ronde bestaat niet."))
        round_.min_group_size = value
    return round_


def set_expected_respondents(department: Department, expected: object) -> Department:
    """Set (a whole number 1 up to 100,000) or clear (None or "") the number of respondents
    the coordinator expects for a department; anything else writes nothing. Like every
    department change, only while the round is open (:class:`RoundClosed`)."""
    if expected is None or (isinstance(expected, str) and not expected.strip()):
        value = None
    else:
        value = _whole_number(expected)
        if value is None or not 1 <= value <= EXPECTED_MAX:
            raise RoundInputError(_("Vul bij het verwachte aantal invullers een geheel getal "
                                    "van 1 tot en met %(max)d in, of laat het leeg.",
                                    max=EXPECTED_MAX))
    with unit_of_work():
        _check_open(department.round)
        department.expected_respondents = value
    return department


def delete_round(round_: Round) -> None:
    """Delete a closed round with its departments, links, responses, answers, importance
    ratings and comments, in one unit of work. An open round is refused (close it first)."""
    if round_.is_open:
        raise RoundConflict(_("Sluit de ronde voordat u haar verwijdert."))
    round_id = round_.id
    with unit_of_work() as session:
        session.delete(round_)
    _remove_saved_reports(round_id)


def _remove_saved_reports(round_id: int) -> None:
    """Remove the round's generated PDF reports from the instance folder."""
    from quickscan.services.reports import reports_folder

    folder = reports_folder()
    for path in folder.glob(f"quickscan-ronde-{round_id}-*.pdf"):
        path.unlink(missing_ok=True)
