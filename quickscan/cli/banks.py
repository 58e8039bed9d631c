"""``quickscan banks``: validate, list, publish and check coverage of question banks."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from quickscan.bank import (
    LOCK_FILE,
    BankError,
    bank_files,
    load_any_bank_file,
    load_catalog,
    read_lock,
    validate_paths,
    write_lock,
)
from quickscan.bank_diff import diff_banks
from quickscan.coverage import coverage, render_matrix
from quickscan.readability import readability as measure
from quickscan.residents import ResidentsBank


def _questions_dir(path: str | None) -> Path:
    return Path(path) if path else Path(current_app.config["QUESTIONS_DIR"])


@click.group()
def banks() -> None:
    """Question banks: validate, list, publish, coverage."""


@banks.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@with_appcontext
def validate(paths: tuple[Path, ...]) -> None:
    """Validate bank files or folders (default: the questions folder).

    Prints FILE:LINE: path.to.field: message for every problem and exits 1 when there are any.
    """
    targets = list(paths) or [_questions_dir(None)]
    problems = validate_paths(targets)
    for problem in problems:
        click.echo(str(problem))
    if problems:
        click.echo(f"{len(problems)} problem(s) found.", err=True)
        sys.exit(1)
    count = len(bank_files(targets))
    click.echo(f"{count} bank file(s) valid.")


@banks.command("list")
@click.option("--questions", "questions", default=None, help="Questions folder.")
@with_appcontext
def list_banks(questions: str | None) -> None:
    """Print id, version, title, theme and question counts of every bank version."""
    try:
        catalog = load_catalog(_questions_dir(questions))
    except BankError as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    for (bank_id, version), bank in sorted(catalog.banks.items()):
        click.echo(f"{bank_id}\t{version}\t{bank.title}\t{len(bank.themes)} thema's\t"
                   f"{len(bank.questions)} vragen")
    for (bank_id, version), residents in sorted(catalog.residents.items()):
        click.echo(f"{bank_id}\t{version}\t{residents.title}\tinwoners\t"
                   f"{len(residents.statements)} uitspraken")


@banks.command("coverage")
@click.option("--questions", "questions", default=None, help="Questions folder.")
@click.option("--markdown", is_flag=True, help="Print Markdown tables.")
@with_appcontext
def coverage_command(questions: str | None, markdown: bool) -> None:
    """Print the coverage matrix of the newest banks; exit 1 when something is uncovered."""
    try:
        catalog = load_catalog(_questions_dir(questions))
    except BankError as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    report = coverage(catalog.latest_banks())
    click.echo(render_matrix(report, markdown=markdown))
    if report.missing:
        for dimension, key in report.missing:
            click.echo(f"not covered: {dimension} {key}", err=True)
        sys.exit(1)
    click.echo("Everything required is covered.")


@banks.command("publish")
@click.option("--questions", "questions", default=None, help="Questions folder.")
@with_appcontext
def publish(questions: str | None) -> None:
    """Record the content hash of every valid bank version in published.lock.

    A version that is already published keeps its hash: a changed file is refused.
    """
    root = _questions_dir(questions)
    lock_path = root / LOCK_FILE
    lock = read_lock(lock_path)
    problems = validate_paths([root])
    if problems:
        for problem in problems:
            click.echo(str(problem))
        sys.exit(1)
    added = 0
    for path in bank_files([root]):
        bank = load_any_bank_file(path)
        versions = lock.setdefault(bank.id, {})
        if bank.version not in versions:
            versions[bank.version] = bank.sha256
            added += 1
            click.echo(f"published {bank.id} {bank.version} {bank.sha256}")
    write_lock(lock_path, lock)
    click.echo(f"{added} version(s) newly published.")


@banks.command("readability")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--check", is_flag=True,
              help="Exit 1 when a format-2 bank scores below 60 or has a statement over 20 words.")
@with_appcontext
def readability_command(paths: tuple[Path, ...], check: bool) -> None:
    """Print per bank version the Flesch-Douma score and word counts of its statements.

    PATHS are bank files or folders (default: the questions folder). The formula is documented in
    docs/question-banks.md; statements over 20 words are listed below their bank.
    """
    targets = list(paths) or [_questions_dir(None)]
    problems = validate_paths(targets)
    if problems:
        for problem in problems:
            click.echo(str(problem))
        sys.exit(1)
    click.echo("bank\tversion\tstatements\tflesch_douma\twords_mean\twords_max\tover_20")
    failed = False
    for path in bank_files(targets):
        bank = load_any_bank_file(path)
        if isinstance(bank, ResidentsBank):
            result = measure(bank.id, bank.version, [(s.id, s.statement) for s in bank.statements])
        else:
            result = measure(bank.id, bank.version, [(q.id, q.statement) for q in bank.questions])
        score = f"{result.score:.1f}" if result.score is not None else "-"
        click.echo(f"{bank.id}\t{bank.version}\t{result.statements}\t{score}\t"
                   f"{result.mean_words:.1f}\t{result.max_words}\t{len(result.long_statements)}")
        for long in result.long_statements:
            click.echo(f"  {long.question_id}: {long.words} words")
        if getattr(bank, "format", 2) >= 2 and not result.passes():
            failed = True
    if check and failed:
        click.echo("A format-2 bank is below 60 or has a statement over 20 words.", err=True)
        sys.exit(1)


@banks.command("diff")
@click.argument("bank_id")
@click.argument("old")
@click.argument("new")
@click.option("--questions", "questions", default=None, help="Questions folder.")
@with_appcontext
def diff_command(bank_id: str, old: str, new: str, questions: str | None) -> None:
    """Print the kept, replaced, split, merged, removed and new questions from OLD to NEW."""
    try:
        catalog = load_catalog(_questions_dir(questions))
        old_bank, new_bank = catalog.get(bank_id, old), catalog.get(bank_id, new)
    except BankError as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    except KeyError:
        click.echo(f"Unknown bank or version: {bank_id} {old} / {new}", err=True)
        sys.exit(1)
    result = diff_banks(old_bank, new_bank)
    click.echo(f"{bank_id} {old} -> {new}")
    sections: list[tuple[str, list[str]]] = [
        ("kept", list(result.kept)),
        ("replaced", [f"{o} -> {n}" for o, n in result.replaced]),
        ("split", [f"{o} -> {', '.join(ns)}" for o, ns in result.split]),
        ("merged", [f"{', '.join(os_)} -> {n}" for os_, n in result.merged]),
        ("removed", list(result.removed)),
        ("new", list(result.new)),
    ]
    for title, lines in sections:
        click.echo(f"{title} ({len(lines)})")
        for line in lines:
            click.echo(f"  {line}")
