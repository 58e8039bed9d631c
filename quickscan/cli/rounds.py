"""``quickscan rounds`` (create, list, links, close, reopen) and ``quickscan demo``."""

from __future__ import annotations

import datetime
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from quickscan import links as app_links
from quickscan.cli.common import fail, refusals, round_or_fail
from quickscan.services import demo as demo_service
from quickscan.services import rounds as round_service


def register(app: Flask) -> None:
    """Attach ``rounds`` and ``demo`` to the app's command line."""
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


@click.group()
def rounds() -> None:
    """Rounds: create, list, print invitation links, close and reopen."""


@rounds.command("create")
@click.option("--name", required=True, help="Name of the round.")
@click.option("--municipality", required=True, help="The municipality.")
@click.option("--department", "departments", multiple=True, required=True,
              help='A department and its own banks: "Naam=bank1,bank2" (repeatable).')
@click.option("--bank", "banks", multiple=True,
              help="Pin a bank, optionally a version: id or id@version (repeatable).")
@click.option("--description", default="", help="Description shown to respondents.")
@click.option("--deadline", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Deadline, YYYY-MM-DD.")
@with_appcontext
def create(name: str, municipality: str, departments: tuple[str, ...], banks: tuple[str, ...],
           description: str, deadline: datetime.datetime | None) -> None:
    """Create a round and print its id. The common bank is always included."""
    try:
        parsed_departments = [parse_department(value) for value in departments]
        parsed_banks = dict(parse_bank(value) for value in banks)
    except click.BadParameter as exc:
        fail(exc.format_message())
    with refusals(round_service.RoundError):
        round_ = round_service.create_round(
            name=name, municipality=municipality, description=description,
            deadline=deadline.date() if deadline else None, banks=parsed_banks,
            departments=parsed_departments, secret_key=app_links.secret_key())
    click.echo(str(round_.id))


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


@click.command("demo")
@click.option("--if-empty", is_flag=True,
              help="Do nothing (but show the stored demo login) when rounds already exist.")
@click.option("--seed", type=int, default=demo_service.DEFAULT_SEED, show_default=True,
              help="Seed of the simulated answers.")
@with_appcontext
def demo(if_empty: bool, seed: int) -> None:
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
                                        login_file=_demo_login_file())
    click.echo(f"Demoronde {result.round_id} geladen: {result.departments} afdelingen, "
               f"{result.submitted} ingediende en {result.drafts} onafgemaakte antwoorden.")
    click.echo(demo_service.login_text(result.email, result.password).rstrip("\n"))
    click.echo(f"(bewaard in {result.login_file})")
