"""``quickscan banks import-xlsx|export-xlsx|local|publish-local|export-yaml``: local banks.

A local bank ("eigen vragen") is stored in the instance folder (see
:mod:`quickscan.services.local_banks`); these commands call the same service as the web pages.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from quickscan.services import local_banks
from quickscan.services.errors import DomainError


def _fail(exc: DomainError) -> None:
    for problem in getattr(exc, "problems", ()):
        click.echo(str(problem))
    click.echo(exc.message, err=True)
    sys.exit(1)


@click.command("import-xlsx")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def import_xlsx(file: Path) -> None:
    """Store a filled-in XLSX template as a draft local bank.

    Prints every problem as SHEET!CELL: field: message and exits 1 (nothing is stored) when
    the file is not valid.
    """
    data = file.read_bytes()
    try:
        item = local_banks.import_xlsx(data, file.name)
    except DomainError as exc:
        _fail(exc)
        return
    click.echo(f"stored draft {item.bank.id} {item.bank.version} ({len(item.bank.themes)} "
               f"thema's, {len(item.bank.questions)} vragen) in {item.path}")


@click.command("export-xlsx")
@click.argument("bank_id")
@click.argument("version")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def export_xlsx(bank_id: str, version: str, out: Path) -> None:
    """Write any bank version, shipped or local, to the XLSX template."""
    try:
        data = local_banks.xlsx_of(bank_id, version)
    except DomainError as exc:
        _fail(exc)
        return
    out.write_bytes(data)
    click.echo(f"wrote {bank_id} {version} to {out}")


@click.command("template-xlsx")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def template_xlsx(out: Path) -> None:
    """Write the empty XLSX template."""
    from quickscan.bank_xlsx import template_xlsx as template

    out.write_bytes(template(local_banks.scale_ids()))
    click.echo(f"wrote the template to {out}")


@click.command("local")
@with_appcontext
def list_local() -> None:
    """List the local banks: id, version, status (draft/published), title, sha256."""
    for item in local_banks.versions():
        click.echo(f"{item.bank.id}\t{item.bank.version}\t{item.status}\t{item.bank.title}\t"
                   f"{item.bank.sha256}")


@click.command("publish-local")
@click.argument("bank_id")
@click.argument("version")
@with_appcontext
def publish_local(bank_id: str, version: str) -> None:
    """Publish a draft local bank: its hash is recorded and it is offered for new rounds."""
    try:
        item = local_banks.publish(bank_id, version)
    except DomainError as exc:
        _fail(exc)
        return
    click.echo(f"published {item.bank.id} {item.bank.version} {item.bank.sha256}")


@click.command("export-yaml")
@click.argument("bank_id")
@click.argument("version")
@with_appcontext
def export_yaml(bank_id: str, version: str) -> None:
    """Print a local bank version as YAML (for people who keep it in git)."""
    try:
        item = local_banks.get(bank_id, version)
    except DomainError as exc:
        _fail(exc)
        return
    click.echo(local_banks.yaml_text(item.bank), nl=False)


def attach(group: click.Group) -> None:
    """Add these commands to the ``banks`` group."""
    for command in (import_xlsx, export_xlsx, template_xlsx, list_local, publish_local,
                    export_yaml):
        group.add_command(command)
