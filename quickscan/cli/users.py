"""``quickscan users``: create, list, change the role of, deactivate and reset accounts.

Passwords are read from standard input (``--password-stdin``) or prompted for, never taken
from the command line (it would end up in the shell history and the process list).
"""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from quickscan.cli.common import fail, refusals
from quickscan.models import ROLE_BEHEERDER, ROLES, User
from quickscan.services import accounts


@click.group()
def users() -> None:
    """Team accounts (roles: lezer, coordinator, beheerder)."""


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(click.prompt("Wachtwoord", hide_input=True, confirmation_prompt=True))


def _user(email: str) -> User:
    user = accounts.find_user(email)
    if user is None:
        fail(f"no account with e-mail address {email}")
    return user


@users.command("create")
@click.option("--email", required=True, help="The e-mail address (login name).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--role", type=click.Choice(ROLES), default=ROLE_BEHEERDER, show_default=True,
              help="lezer: results and reports; coordinator: also rounds; beheerder: also "
                   "accounts and the JSON backup.")
@with_appcontext
def create(email: str, password_stdin: bool, role: str) -> None:
    """Create an account; the password is read from stdin or prompted for."""
    password = _read_password(password_stdin)
    with refusals(accounts.AccountError):
        user = accounts.create_user(email, password, role)
    click.echo(f"Account {user.email} created with role {user.role} (id {user.id}).")


@users.command("list")
@with_appcontext
def list_() -> None:
    """List every account: e-mail address, role and whether it is active."""
    for user in accounts.list_users():
        state = "active" if user.active else "deactivated"
        click.echo(f"{user.email}\t{user.role}\t{state}")


@users.command("role")
@click.argument("email")
@click.argument("role", type=click.Choice(ROLES))
@with_appcontext
def role(email: str, role: str) -> None:
    """Give the account EMAIL the role ROLE."""
    user = _user(email)
    with refusals(accounts.AccountError):
        accounts.set_role(user, role)
    click.echo(f"{user.email} now has role {user.role}.")


@users.command("deactivate")
@click.argument("email")
@with_appcontext
def deactivate(email: str) -> None:
    """Deactivate the account EMAIL and end all its sessions."""
    user = _user(email)
    with refusals(accounts.AccountError):
        accounts.deactivate(user)
    click.echo(f"{user.email} is deactivated; its sessions have ended.")


@users.command("reset-password")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the new password from standard input.")
@with_appcontext
def reset_password(email: str, password_stdin: bool) -> None:
    """Set a new password for EMAIL and end all its sessions."""
    user = _user(email)
    password = _read_password(password_stdin)
    with refusals(accounts.AccountError):
        accounts.reset_password(user, password)
    click.echo(f"Password of {user.email} reset; its sessions have ended.")
