"""``quickscan rounds create --from ROUND``: the next measurement of a round's series."""

from __future__ import annotations

import datetime

import click

from quickscan import links as app_links
from quickscan.cli.common import fail
from quickscan.services import rounds as round_service
from quickscan.services import series as series_service


def _pairs(values: tuple[str, ...], what: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for value in values:
        name, sep, rest = value.partition("=")
        if not sep or not name.strip():
            fail(f"expected \"Naam={what}\", got {value!r}")
        out[name.strip()] = [part.strip() for part in rest.split(",") if part.strip()]
    return out


def create_next(reference: str, name: str, departments: tuple[str, ...],
                banks: tuple[str, ...], continues: tuple[str, ...], description: str,
                deadline: datetime.date | None) -> None:
    """Create the next round of ``reference`` and print its id."""
    previous = round_service.find_round(reference)
    if previous is None:
        fail(f"round {reference} not found")
    assert previous is not None
    chosen: dict[str, str | None] = {}
    for value in banks:
        bank_id, sep, version = value.partition("@")
        if not bank_id.strip() or (sep and not version.strip()):
            fail(f"expected \"id\" or \"id@version\", got {value!r}")
        chosen[bank_id.strip()] = version.strip() if sep else None
    mapping = _pairs(continues, "Oud1,Oud2")
    plans = series_service.default_plan(previous)
    if departments:
        own = {plan.name: plan for plan in plans}
        plans = []
        for dept_name, bank_ids in _pairs(departments, "bank1,bank2").items():
            earlier = tuple(mapping.get(dept_name, [dept_name] if dept_name in own else []))
            inherited = tuple(dict.fromkeys(b for old in earlier if old in own
                                            for b in own[old].bank_ids))
            plans.append(series_service.DepartmentPlan(
                dept_name, tuple(bank_ids) or inherited, earlier))
    elif mapping:
        fail("--continues needs --department for the renamed, merged or split departments")
    unknown = set(mapping) - {plan.name for plan in plans}
    if unknown:
        fail(f"--continues names no department of the new round: {', '.join(sorted(unknown))}")
    try:
        round_ = series_service.next_round(
            previous, name, secret_key=app_links.secret_key(), departments=plans,
            banks=chosen, deadline=deadline, description=description or None)
    except round_service.RoundError as exc:
        fail(exc.message)
    click.echo(str(round_.id))
