"""``quickscan users``: create coordinator accounts."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from quickscan.services import accounts


@click.group()
def users() -> None:
    """Coordinator accounts."""


@users.command("create")
@click.option("--email", required=True, help="The coordinator's e-mail address (login name).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
def create(email: str, password_stdin: bool) -> None:
    """Create a coordinator; the password is read from stdin or prompted for."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Wachtwoord", hide_input=True, confirmation_prompt=True)
    try:
        user = accounts.create_user(email, password)
    except accounts.AccountError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)
    click.echo(f"Coordinator {user.email} created (id {user.id}).")
