"""Command line: ``quickscan`` (a Flask group), the same commands as ``flask --app quickscan``."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import FlaskGroup


def register_commands(app: Flask) -> None:
    """Attach every command group to ``app.cli``."""
    from quickscan.cli import banks, local_banks, users

    local_banks.attach(banks.banks)
    app.cli.add_command(banks.banks)
    app.cli.add_command(users.users)
    for module_name in ("rounds", "reports", "transfer", "mail", "lia"):
        try:
            module = __import__(f"quickscan.cli.{module_name}", fromlist=["register"])
        except ModuleNotFoundError as exc:
            if exc.name != f"quickscan.cli.{module_name}":
                raise
            continue
        module.register(app)


def _create_app() -> Flask:
    from quickscan import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False)
def main() -> None:
    """Quickscan Inclusieve Gemeente."""
