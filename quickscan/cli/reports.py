"""``quickscan report`` (PDF with a progress bar) and ``quickscan export`` (JSON/CSV/XLSX)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask
from flask.cli import with_appcontext
from tqdm import tqdm

from quickscan import reporting
from quickscan.cli.common import fail, round_or_fail
from quickscan.models import Department, Round
from quickscan.services import exports


def register(app: Flask) -> None:
    """Attach ``report`` and ``export`` to the app's command line."""
    app.cli.add_command(report)
    app.cli.add_command(export)


def _department(round_: Round, name: str) -> Department:
    for department in round_.departments:
        if department.name == name or department.name.casefold() == name.casefold():
            return department
    names = ", ".join(d.name for d in round_.departments)
    fail(f"department {name!r} not found in round {round_.id} (departments: {names})")


def _write(out: Path, data: bytes) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(out)


@click.command("report")
@click.argument("round_ref", metavar="ROUND")
@click.option("--department", "department_name", default=None, metavar="NAME",
              help="Only this department (a department report).")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write the PDF (default: instance/reports/).")
@click.option("--lang", type=click.Choice(["nl", "en"]), default="nl", show_default=True,
              help="Language of the report texts (reports/<lang>.yaml).")
@click.option("--publication", is_flag=True,
              help="The accessible publication PDF (PDF/UA-1, from the HTML report) instead "
                   "of the designed PDF.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@with_appcontext
def report(round_ref: str, department_name: str | None, out: Path | None, lang: str,
           publication: bool, quiet: bool) -> None:
    """Write the PDF report of ROUND (or of one department) and print its path.

    With --publication: the tagged PDF/UA-1 to publish (see docs/reports.md).
    """
    from quickscan.reporting.content import build_report
    from quickscan.services import reports
    from quickscan.services.results import score

    round_ = round_or_fail(round_ref)
    department = _department(round_, department_name) if department_name else None
    with tqdm(total=4, desc="report", unit="step", disable=quiet, file=sys.stderr) as bar:
        bar.set_postfix_str("scoring")
        result = score(round_)
        bar.update(1)
        bar.set_postfix_str("content")
        data_in = reports.report_input(round_, lang, result=result, department=department)
        content = build_report(data_in, department_id=department.id if department else None)
        bar.update(1)
        charts_total = sum(1 for _ in reporting.report_charts(content))
        with tqdm(total=charts_total, desc="charts", unit="chart", leave=False,
                  disable=quiet, file=sys.stderr) as chart_bar:
            def advance(_chart: reporting.Chart) -> None:
                chart_bar.update(1)

            reporting.render_charts(content, advance, processes=reports.chart_processes())
        bar.update(1)
        bar.set_postfix_str("pdf")
        data = (reports.render_publication(content) if publication
                else reports.render_pdf(content))
        bar.update(1)
    if out is None:
        path = reports.save_report(data, round_, department, publication)
    else:
        _write(out, data)
        path = out
    click.echo(str(path))


@click.command("export")
@click.argument("round_ref", metavar="ROUND")
@click.option("--format", "fmt", type=click.Choice(["json", "csv", "xlsx"]), required=True,
              help="json (the quickscan-export/2 backup, with response-level data), "
                   "csv (one table) or xlsx.")
@click.option("--table", type=click.Choice(list(exports.TABLES)), default="scores",
              show_default=True, help="CSV only: which table to write.")
@click.option("--lang", type=click.Choice(["nl", "en"]), default="nl", show_default=True,
              help="CSV and XLSX: language of the column headers and the explanation.")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The file to write ('-' for standard output).")
@with_appcontext
def export(round_ref: str, fmt: str, table: str, lang: str, out: Path) -> None:
    """Export ROUND as the JSON backup, a CSV table or XLSX (see docs/export.md)."""
    from flask_babel import force_locale

    round_ = round_or_fail(round_ref)
    with force_locale(lang):
        labels = exports.export_labels()
    data = exports.export(round_, fmt, table, labels=labels)
    if str(out) == "-":
        sys.stdout.buffer.write(data)
        return
    _write(out, data)
    click.echo(str(out), err=True)
