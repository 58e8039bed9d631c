"""``quickscan import FILE``: restore a round from its JSON backup (``quickscan export --format json``)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy.exc import SQLAlchemyError

from quickscan.services.importer import (
    MAX_FILE_BYTES,
    ImportFileError,
    import_round,
    read_export,
)


@click.command("import")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--new-ids", is_flag=True,
              help="Always give the round, departments and responses fresh ids "
                   "(default: keep the file's ids when they are free).")
@click.option("--no-verify", is_flag=True,
              help="Skip re-scoring the restored round against the scores in the file.")
@with_appcontext
def import_command(file: Path, new_ids: bool, no_verify: bool) -> None:
    """Restore a round from a JSON backup (quickscan-export/2, or /1), in one transaction.

    Prints the new round's id and, per department and inwoners or bestuur link, its new link;
    says whether the link to the previous round of the series was restored. A file that is
    not a valid export (wrong shape, out-of-range values, unknown bank content, larger than
    ``IMPORT_MAX_BYTES``, too deeply nested, not UTF-8) is refused with a message naming the
    JSON path, exit code 1 and nothing written.
    """
    from quickscan.links import base_url

    try:
        max_bytes = int(current_app.config.get("IMPORT_MAX_BYTES", MAX_FILE_BYTES))
    except (TypeError, ValueError):
        raise click.UsageError("IMPORT_MAX_BYTES must be a number of bytes") from None
    try:
        document = read_export(file, max_bytes)
        result = import_round(document, current_app.config["SECRET_KEY"],
                              keep_ids=False if new_ids else None, verify=not no_verify)
    except ImportFileError as exc:
        click.echo(f"import failed, nothing was written: {exc}", err=True)
        sys.exit(1)
    except SQLAlchemyError as exc:
        click.echo("import failed, nothing was written: the database refused it: "
                   f"{type(exc).__name__}", err=True)
        sys.exit(1)
    click.echo(f"Imported round {result.round.id} ({result.round.name}): "
               f"{result.departments} department(s), {result.responses} submitted response(s) "
               f"with {result.answers} answer(s), {result.drafts} unfinished response(s)"
               f"{'; ids kept' if result.kept_ids else '; new ids'}.", err=True)
    if result.previous_round_id is not None:
        click.echo(f"Linked to the previous round {result.previous_round_id} of its series.",
                   err=True)
    if result.series_note:
        click.echo(f"Note: {result.series_note}.", err=True)
    click.echo(result.round.id)
    for name, path in sorted(result.links.items()):
        click.echo(f"{name}\t{base_url()}{path}", err=True)


def register(app: Flask) -> None:
    """Attach ``quickscan import`` to the app's command line."""
    app.cli.add_command(import_command)
