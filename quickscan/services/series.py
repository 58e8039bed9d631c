"""Rounds as a series: the next measurement, and the change since the previous round.

:func:`next_round` creates the follow-up of a round ("Volgende meting"): the same departments
and banks (renamed, merged or split departments say which earlier departments each continues),
the banks at their newest versions unless chosen otherwise, the same minimum group size and
target levels, the inwoners and bestuur groups, new invitation links;
``Round.previous_round_id`` links the two.

:func:`round_comparison` scores the previous round with the new round's departments (an
earlier department's responses count for every department that continues it) and hands both
to the pure :func:`quickscan.comparison.compare_rounds`; :func:`round_trend` gathers the
scores of every round of the series. The rules are in ``docs/scoring.md``.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from flask_babel import gettext as _

from quickscan.bank import Bank
from quickscan.comparison import (
    Change,
    Comparison,
    compare_rounds,
    hidden_by_sources,
    remap_responses,
)
from quickscan.extensions import db
from quickscan.models import KIND_DEPARTMENT, KIND_MUNICIPALITY, Department, Round
from quickscan.names import name_key
from quickscan.scoring import DepartmentInput, RoundResult, score_round
from quickscan.services import group_size
from quickscan.services import rounds as round_service
from quickscan.services.banks import catalog as bank_catalog
from quickscan.services.banks import round_banks
from quickscan.services.errors import NotFound
from quickscan.services.results import response_inputs, target_overrides
from quickscan.services.uow import unit_of_work

#: A series never gets longer than this many rounds (guards against a cycle in bad data).
MAX_SERIES = 50


@dataclass(frozen=True)
class DepartmentPlan:
    """A department of the next round: its name, its banks and the earlier ones it continues."""

    name: str
    bank_ids: tuple[str, ...]
    continues: tuple[str, ...]
    kind: str = KIND_DEPARTMENT


def default_plan(previous: Round) -> list[DepartmentPlan]:
    """Every department of ``previous`` again, under its own name, continuing itself."""
    return [DepartmentPlan(d.name, tuple(d.bank_ids or ()), (d.name,),
                           d.kind or KIND_DEPARTMENT)
            for d in previous.departments]


def _check_continues(previous: Round, plans: Sequence[DepartmentPlan]) -> list[DepartmentPlan]:
    known = {name_key(d.name): d.name for d in previous.departments}
    checked: list[DepartmentPlan] = []
    for plan in plans:
        names: list[str] = []
        for earlier in plan.continues:
            found = known.get(name_key(earlier))
            if found is None:
                raise round_service.RoundInputError(_(
                    "Afdeling %(name)s bestaat niet in de vorige ronde.", name=earlier))
            if found not in names:
                names.append(found)
        checked.append(DepartmentPlan(plan.name, plan.bank_ids, tuple(names), plan.kind))
    return checked


def next_round(previous: Round, name: str, *, secret_key: str | bytes,
               departments: Sequence[DepartmentPlan] | None = None,
               banks: Mapping[str, str | None] | None = None,
               deadline: datetime.date | None = None, description: str | None = None
               ) -> Round:
    """Create the next round of ``previous``'s series, in one transaction.

    ``departments`` None repeats every department under its own name; ``banks`` maps bank ids
    to a version (None or absent: the newest version in the catalog). The minimum group size,
    target levels (of themes that still exist), bank scopes and department kinds are copied.
    """
    plans = _check_continues(previous, departments if departments is not None
                             else default_plan(previous))
    catalog = bank_catalog()
    chosen: dict[str, str | None] = {rb.bank_id: None for rb in previous.banks
                                     if catalog.versions(rb.bank_id)}
    chosen.update(banks or {})
    # The municipal group is no department: create_round adds it for a pinned municipal bank,
    # and no department answers a municipal bank.
    groups = [plan for plan in plans if plan.kind == KIND_MUNICIPALITY]
    plans = [plan for plan in plans if plan.kind != KIND_MUNICIPALITY]
    group_continues = ([old for plan in groups for old in plan.continues] if groups else
                       [d.name for d in round_service.municipal_groups(previous)])
    with unit_of_work():
        round_ = round_service.create_round(
            name=name, municipality=previous.municipality,
            description=previous.description if description is None else description,
            deadline=deadline, banks=chosen,
            departments=[(plan.name, [b for b in plan.bank_ids if catalog.versions(b)
                                      and not catalog.latest(b).municipal])
                         for plan in plans],
            secret_key=secret_key)
        round_.previous_round_id = previous.id
        round_.min_group_size = group_size.min_group_size(previous)
        scopes = {rb.bank_id: rb.scope for rb in previous.banks}
        for row in round_.banks:
            if scopes.get(row.bank_id):
                row.scope = scopes[row.bank_id]
        pinned = {bank.id: bank for bank in round_banks(round_)}
        round_.target_overrides = _kept_overrides(previous.target_overrides or {}, pinned)
        by_key = {name_key(plan.name): plan for plan in plans}
        for department in round_.departments:
            if round_service.is_municipal_group(department):
                department.continues = list(dict.fromkeys(group_continues))
                continue
            plan = by_key[name_key(department.name)]
            department.continues = list(plan.continues)
            department.kind = plan.kind
        db.session.flush()
        _copy_groups(previous, round_, secret_key)
    return round_


def _copy_groups(previous: Round, round_: Round, secret_key: str | bytes) -> None:
    """The inwoners and bestuur groups again (on the newest residents bank), with
    the same target source and inwoners' minimum size, and new links."""
    from quickscan.models import KIND_BESTUUR, KIND_RESIDENTS
    from quickscan.services import perspectives

    before = perspectives.settings(previous)
    if perspectives.group(previous, KIND_RESIDENTS) is not None:
        perspectives.add_residents_group(
            round_, secret_key=secret_key,
)
    if perspectives.group(previous, KIND_BESTUUR) is not None:
        perspectives.add_bestuur_group(round_, secret_key=secret_key)
    now = perspectives.settings(round_)
    if before is not None and now is not None:
        now.target_source = before.target_source
        now.residents_min_group_size = max(before.residents_min_group_size,
                                           round_.min_group_size or 1)


def _kept_overrides(overrides: Mapping[str, object], banks: Mapping[str, Bank]
                    ) -> dict[str, int]:
    kept: dict[str, int] = {}
    for key, level in overrides.items():
        bank_id, _sep, theme_id = key.partition("/")
        bank = banks.get(bank_id)
        if bank is not None and theme_id in {theme.id for theme in bank.themes}:
            kept[key] = int(str(level))
    return kept


# --------------------------------------------------------------------------- the series


def previous_round(round_: Round) -> Round | None:
    """The round this one follows up, or None."""
    if round_.previous_round_id is None:
        return None
    return db.session.get(Round, round_.previous_round_id)


def series(round_: Round) -> list[Round]:
    """The rounds of ``round_``'s series up to and including it, oldest first."""
    chain = [round_]
    seen = {round_.id}
    current = previous_round(round_)
    while current is not None and current.id not in seen and len(chain) < MAX_SERIES:
        chain.append(current)
        seen.add(current.id)
        current = previous_round(current)
    return list(reversed(chain))


def continues_map(round_: Round, previous: Round) -> dict[str, tuple[str, ...]]:
    """Per department of ``round_``: the departments of ``previous`` it continues.

    A department without a stored mapping continues the earlier department of the same name,
    when there is one.
    """
    earlier = {name_key(d.name): d.name for d in previous.departments}
    out: dict[str, tuple[str, ...]] = {}
    for department in round_.departments:
        if department.continues is not None:
            out[department.name] = tuple(n for n in department.continues
                                         if name_key(n) in earlier)
        elif name_key(department.name) in earlier:
            out[department.name] = (earlier[name_key(department.name)],)
        else:
            out[department.name] = ()
    return out


def _department_inputs(round_: Round) -> list[DepartmentInput]:
    return [DepartmentInput(d.name, tuple(d.bank_ids or ())) for d in round_.departments]


@dataclass(frozen=True)
class RoundComparison:
    """A round compared with the previous round of its series."""

    round: Round
    previous: Round
    comparison: Comparison
    continues: Mapping[str, tuple[str, ...]]


def compare_with_previous(round_: Round, previous: Round,
                          current: RoundResult | None = None) -> Comparison:
    """Compare ``round_`` with ``previous`` on the comparable questions (see the module doc)."""
    continues = continues_map(round_, previous)
    previous_departments = {d.name: d for d in previous.departments}
    k_now = group_size.min_group_size(round_)
    k_before = group_size.min_group_size(previous)
    if current is None:
        current = score_round(round_banks(round_), _department_inputs(round_),
                              response_inputs(round_), target_overrides(round_),
                              min_group_size=k_now)
    earlier_responses = response_inputs(previous)
    submitted: dict[str, int] = {}
    for response in earlier_responses:
        if response.submitted:
            submitted[response.department] = submitted.get(response.department, 0) + 1
    remapped_departments = []
    for department in round_.departments:
        bank_ids: list[str] = []
        for earlier in continues[department.name]:
            for bank_id in previous_departments[earlier].bank_ids or ():
                if bank_id not in bank_ids:
                    bank_ids.append(bank_id)
        remapped_departments.append(DepartmentInput(department.name, tuple(bank_ids)))
    before = score_round(round_banks(previous), remapped_departments,
                         remap_responses(earlier_responses, continues),
                         target_overrides(previous), min_group_size=k_before)
    return compare_rounds(round_banks(previous), before, round_banks(round_), current,
                          _department_inputs(round_),
                          hidden_before=hidden_by_sources(continues, submitted, k_before))


def round_comparison(round_: Round) -> RoundComparison | None:
    """The comparison with the previous round of the series, or None for a first round."""
    previous = previous_round(round_)
    if previous is None:
        return None
    return RoundComparison(round_, previous, compare_with_previous(round_, previous),
                           continues_map(round_, previous))


# --------------------------------------------------------------------------- the trend


@dataclass(frozen=True)
class TrendRound:
    """One round of the series: its id, name, date and k."""

    id: int
    name: str
    date: datetime.date | None
    min_group_size: int


@dataclass(frozen=True)
class TrendLine:
    """One figure through the series: the round's own score in each round (None: not asked or
    hidden), and the change since the previous round on the comparable questions."""

    department: str
    bank_id: str | None
    theme_id: str | None
    scores: tuple[float | None, ...]
    change: Change | None


@dataclass(frozen=True)
class Trend:
    """The series of a round with one line per department, bank and theme."""

    rounds: tuple[TrendRound, ...]
    lines: tuple[TrendLine, ...]
    comparison: Comparison | None
    compatibility: float | None


def _scores_of(result: RoundResult, names: Mapping[str, Sequence[str]]
               ) -> dict[tuple[str, str | None, str | None], float | None]:
    """Figures of a scored round keyed by (new department, bank, theme)."""
    by_name = {d.name: d for d in result.departments}
    out: dict[tuple[str, str | None, str | None], float | None] = {}
    for new_name, olds in names.items():
        if len(olds) != 1 or olds[0] not in by_name:
            continue  # a merged department has no single earlier figure of its own
        department = by_name[olds[0]]
        if department.hidden:
            continue
        for bank in department.banks:
            out[(new_name, bank.bank_id, None)] = bank.score
            for theme in bank.themes:
                out[(new_name, bank.bank_id, theme.theme_id)] = theme.score
    return out


def round_trend(round_: Round) -> Trend:
    """Every round of the series with the figures of ``round_``'s departments in each."""
    chain = series(round_)
    headers = tuple(TrendRound(r.id, r.name, r.created_at.date() if r.created_at else None,
                               group_size.min_group_size(r)) for r in chain)
    current = score_round(round_banks(round_), _department_inputs(round_),
                          response_inputs(round_), target_overrides(round_),
                          min_group_size=group_size.min_group_size(round_))
    # Follow each department back through the series by its continues mapping.
    lineage: list[dict[str, tuple[str, ...]]] = []
    names: dict[str, tuple[str, ...]] = {d.name: (d.name,) for d in round_.departments}
    later = round_
    for earlier in reversed(chain[:-1]):
        mapping = continues_map(later, earlier)
        names = {new: tuple(dict.fromkeys(o for name in olds for o in mapping.get(name, ())))
                 for new, olds in names.items()}
        lineage.append(names)
        later = earlier
    per_round: list[dict[tuple[str, str | None, str | None], float | None]] = []
    for earlier, mapping in zip(reversed(chain[:-1]), lineage, strict=True):
        result = score_round(round_banks(earlier), _department_inputs(earlier),
                             response_inputs(earlier), target_overrides(earlier),
                             min_group_size=group_size.min_group_size(earlier))
        per_round.append(_scores_of(result, mapping))
    per_round.reverse()
    per_round.append(_scores_of(current, {d.name: (d.name,) for d in round_.departments}))
    previous = previous_round(round_)
    comparison = (compare_with_previous(round_, previous, current)
                  if previous is not None else None)
    changes: dict[tuple[str, str | None, str | None], Change] = {}
    if comparison is not None:
        for change in comparison.banks + comparison.themes:
            changes[(change.department, change.bank_id, change.theme_id)] = change
    lines: list[TrendLine] = []
    for info in _department_inputs(round_):
        for bank in round_banks(round_):
            if bank.id not in info.bank_ids:
                continue
            for theme_id in (None, *[t.id for t in bank.themes]):
                key = (info.name, bank.id, theme_id)
                lines.append(TrendLine(info.name, bank.id, theme_id,
                                       tuple(scores.get(key) for scores in per_round),
                                       changes.get(key)))
    return Trend(headers, tuple(lines), comparison,
                 comparison.compatibility if comparison is not None else None)


def get_series_round(round_id: int) -> Round:
    """The round with this id (:class:`NotFound` when there is none)."""
    round_ = db.session.get(Round, round_id)
    if round_ is None:
        raise NotFound(_("Deze ronde bestaat niet."))
    return round_


def department_of(round_: Round, name: str) -> Department | None:
    """A department of the round by name."""
    return next((d for d in round_.departments if d.name == name), None)
