"""``quickscan rounds`` (create, list, links, close, reopen, delete) and ``quickscan demo``."""

from __future__ import annotations

import datetime
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from quickscan import links as app_links
from quickscan.cli.common import fail, refusals, round_or_fail
from quickscan.cli.groups import add_groups, print_group_links, register_group_commands
from quickscan.models import DEFAULT_MIN_GROUP_SIZE, SCOPES
from quickscan.services import demo as demo_service
from quickscan.services import group_size
from quickscan.services import rounds as round_service


def register(app: Flask) -> None:
    """Attach ``rounds`` and ``demo`` to the app's command line."""
    register_group_commands(rounds)
    app.cli.add_command(rounds)
    app.cli.add_command(demo)


def _demo_login_file() -> Path:
    """Where the demo login is kept (config ``DEMO_LOGIN_FILE``, else the instance folder)."""
    return demo_service.login_file_in(current_app.instance_path,
                                      current_app.config.get("DEMO_LOGIN_FILE"))


def parse_department(value: str) -> tuple[str, list[str]]:
    """Parse ``"Naam=bank1,bank2"`` (the bank list may be empty: common bank only)."""
    name, sep, banks = value.partition("=")
    if not sep or not name.strip():
        raise click.BadParameter(f"expected \"Naam=bank1,bank2\", got {value!r}")
    return name.strip(), [b.strip() for b in banks.split(",") if b.strip()]


def parse_bank(value: str) -> tuple[str, str | None]:
    """Parse ``id`` or ``id@version``."""
    bank_id, sep, version = value.partition("@")
    if not bank_id.strip() or (sep and not version.strip()):
        raise click.BadParameter(f"expected \"id\" or \"id@version\", got {value!r}")
    return bank_id.strip(), (version.strip() if sep else None)


def parse_bank_option(value: str) -> tuple[str, str | None, str | None]:
    """Parse ``--bank``: ``id``, ``id@version``, each optionally with ``:kern`` or
    ``:volledig`` (how much of the bank the round asks)."""
    head, sep, scope = value.rpartition(":")
    if not sep:
        return (*parse_bank(value), None)
    scope = scope.strip()
    if scope not in SCOPES:
        raise click.BadParameter(f"expected \"id[@version][:kern|:volledig]\", got {value!r}")
    return (*parse_bank(head), scope)


@click.group()
def rounds() -> None:
    """Rounds: create, list, print invitation links, close, reopen and delete."""


@rounds.command("create")
@click.option("--name", required=True, help="Name of the round.")
@click.option("--municipality", default=None,
              help="The municipality (required unless --from is given).")
@click.option("--department", "departments", multiple=True,
              help='A department and its own banks: "Naam=bank1,bank2" (repeatable; required '
                   'unless --from is given, which repeats the previous round\'s departments).')
@click.option("--bank", "banks", multiple=True,
              help="Pin a bank, optionally a version and scope: id, id@version, "
                   "id@version:kern or id:volledig (repeatable).")
@click.option("--scope", "scope", type=click.Choice(SCOPES), default=None,
              help="Default scope of the banks not given one with --bank: kern (only the core "
                   "questions; banks without a core set are asked in full) or volledig. "
                   "Default: kern for banks with a core set.")
@click.option("--description", default="", help="Description shown to respondents.")
@click.option("--deadline", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Deadline, YYYY-MM-DD.")
@click.option("--min-group-size", "min_group_size", type=int,
              default=DEFAULT_MIN_GROUP_SIZE, show_default=True,
              help="Minimum group size k (1-10): departments with fewer submitted "
                   "responses show no figures.")
@click.option("--expected", "expected", multiple=True,
              help='Expected respondents of a department: "Naam=N" (repeatable).')
@click.option("--from", "from_round", default=None, metavar="ROUND",
              help="Create the next measurement of ROUND: its departments, banks (newest "
                   "versions unless --bank says otherwise), minimum group size and targets, "
                   "with new invitation links.")
@click.option("--continues", "continues", multiple=True,
              help='With --from: which earlier departments a department continues: '
                   '"Nieuw=Oud1,Oud2" (repeatable; default: the department of the same name).')
@click.option("--residents", is_flag=True, help="Add an inwoners group (easy-read survey).")
@click.option("--bestuur", is_flag=True, help="Add a bestuur group (ambition per theme).")
@with_appcontext
def create(name: str, municipality: str | None, departments: tuple[str, ...],
           banks: tuple[str, ...], scope: str | None, description: str,
           deadline: datetime.datetime | None, min_group_size: int,
           expected: tuple[str, ...] = (), from_round: str | None = None,
           continues: tuple[str, ...] = (), residents: bool = False,
           bestuur: bool = False) -> None:
    """Create a round and print its id. The common bank is always included; a municipal bank
    (--bank gemeente) adds the group "Gemeente (algemeen)" that answers it once. With --from,
    the next measurement of an earlier round."""
    if from_round is not None:
        from quickscan.cli.series import create_next

        create_next(from_round, name, departments, banks, continues, description,
                    deadline.date() if deadline else None)
        return
    if municipality is None or not departments:
        fail("--municipality and at least one --department are required (or use --from)")
    assert municipality is not None
    parsed_banks: dict[str, str | None] = {}
    scopes: dict[str, str | None] = {}
    try:
        group_size.check_min_group_size(min_group_size)
    except group_size.InvalidGroupSize as exc:
        fail(exc.message)
    try:
        parsed_departments = [parse_department(value) for value in departments]
        for value in banks:
            bank_id, version, bank_scope = parse_bank_option(value)
            parsed_banks[bank_id] = version
            if bank_scope is not None:
                scopes[bank_id] = bank_scope
        parsed_expected = parse_expected(expected, [n for n, _banks in parsed_departments])
    except click.BadParameter as exc:
        fail(exc.format_message())
    with refusals(round_service.RoundError):
        round_ = round_service.create_round(
            name=name, municipality=municipality, description=description,
            deadline=deadline.date() if deadline else None, banks=parsed_banks,
            departments=parsed_departments, secret_key=app_links.secret_key(),
            scopes=scopes, scope=scope)
        by_name = {d.name: d for d in round_.departments}
        for dept_name, count in parsed_expected.items():
            round_service.set_expected_respondents(by_name[dept_name], count)
    if min_group_size != round_.min_group_size:
        group_size.set_min_group_size(round_, min_group_size)
    add_groups(round_, residents=residents, bestuur=bestuur)
    click.echo(str(round_.id))


def parse_expected(values: tuple[str, ...], names: list[str]) -> dict[str, int]:
    """Parse ``"Naam=N"`` values for the departments ``names`` (N a whole number 1-100000)."""
    out: dict[str, int] = {}
    for value in values:
        name, sep, count = value.rpartition("=")
        name = name.strip()
        if not sep or name not in names:
            raise click.BadParameter(f"expected \"Naam=N\" for one of the departments, "
                                     f"got {value!r}")
        number = count.strip()
        if not (number.isascii() and number.isdigit()
                and 1 <= int(number) <= round_service.EXPECTED_MAX):
            raise click.BadParameter(f"the expected number in {value!r} must be a whole "
                                     f"number from 1 to {round_service.EXPECTED_MAX}")
        out[name] = int(number)
    return out


@rounds.command("list")
@with_appcontext
def list_rounds() -> None:
    """Print id, status, municipality, name and number of departments of every round."""
    for round_ in round_service.list_rounds():
        click.echo(f"{round_.id}\t{round_.status}\t{round_.municipality}\t{round_.name}\t"
                   f"{len(round_.departments)} afdelingen")


@rounds.command("links")
@click.argument("round_ref", metavar="ROUND")
@with_appcontext
def links(round_ref: str) -> None:
    """Print one line per department: name<TAB>invitation link (revoked links say so)."""
    round_ = round_or_fail(round_ref)
    for department in round_.departments:
        click.echo(f"{department.name}\t{app_links.invitation_url(department) or '(revoked)'}")
    print_group_links(round_)


@rounds.command("close")
@click.argument("round_ref", metavar="ROUND")
@with_appcontext
def close(round_ref: str) -> None:
    """Close a round: respondents can no longer change anything."""
    round_ = round_or_fail(round_ref)
    round_service.close_round(round_)
    click.echo(f"Round {round_.id} closed.")


@rounds.command("reopen")
@click.argument("round_ref", metavar="ROUND")
@with_appcontext
def reopen(round_ref: str) -> None:
    """Reopen a closed round."""
    round_ = round_or_fail(round_ref)
    round_service.reopen_round(round_)
    click.echo(f"Round {round_.id} reopened.")


@rounds.command("delete")
@click.argument("round_ref", metavar="ROUND")
@click.option("--yes", is_flag=True, help="Confirm: delete the round and every response.")
@with_appcontext
def delete(round_ref: str, yes: bool) -> None:
    """Delete a closed round with its departments, links, responses and saved reports."""
    round_ = round_or_fail(round_ref)
    if not yes:
        fail(f"this deletes round {round_.id} ({round_.name}) with every response for good; "
              "add --yes to confirm")
    round_id = round_.id
    try:
        round_service.delete_round(round_)
    except round_service.RoundError as exc:
        fail(exc.message)
    click.echo(f"Round {round_id} deleted.")


@click.command("demo")
@click.option("--if-empty", is_flag=True,
              help="Do nothing (but show the stored demo login) when rounds already exist.")
@click.option("--seed", type=int, default=demo_service.DEFAULT_SEED, show_default=True,
              help="Seed of the simulated answers.")
@click.option("--history", is_flag=True,
              help="Also load the same departments a year earlier (on the first versions of "
                   "the banks), so the trend pages have a series to show.")
@with_appcontext
def demo(if_empty: bool, seed: int, history: bool) -> None:
    """Fill an empty database with a demo round and a demo coordinator."""
    if not demo_service.database_is_empty():
        if not if_empty:
            fail("the database already holds rounds; the demo only loads into an empty one")
        info = demo_service.read_login_info(_demo_login_file())
        if info:
            click.echo("Er staan al rondes in de database; de demo is niet opnieuw geladen.")
            click.echo(info.rstrip("\n"))
        else:
            click.echo("Er staan al rondes in de database; de demo is niet geladen.")
        return
    with refusals(demo_service.DemoError):
        result = demo_service.load_demo(seed, secret_key=app_links.secret_key(),
                                        login_file=_demo_login_file(), history=history)
    click.echo(f"Demoronde {result.round_id} geladen: {result.departments} afdelingen, "
               f"{result.submitted} ingediende en {result.drafts} onafgemaakte antwoorden.")
    click.echo(demo_service.login_text(result.email, result.password).rstrip("\n"))
    click.echo(f"(bewaard in {result.login_file})")
