"""Command line: ``quickscan mail test ADDRESS``, ``quickscan mail send-pending``,
``quickscan worker`` and ``quickscan rounds progress ROUND``."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from quickscan.services.errors import DomainError


@click.group("mail")
def mail() -> None:
    """E-mail: test the mail settings, send what is waiting."""


@mail.command("test")
@click.argument("address")
@with_appcontext
def test(address: str) -> None:
    """Send a test message to ADDRESS (checks the QUICKSCAN_MAIL_* settings)."""
    from quickscan.services import mail as mail_service

    try:
        mail_service.send_now([mail_service.test_message(address)])
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"Testbericht verstuurd naar {address.strip()}.")


@mail.command("send-pending")
@with_appcontext
def send_pending() -> None:
    """Send every queued message now (in this process), e.g. from cron without a worker."""
    from quickscan.services import invitations

    invitations.recover_stale()
    for batch_id in invitations.pending_batches():
        outcome = invitations.send_batch(batch_id)
        click.echo(f"verzending {batch_id}: {outcome.sent} verstuurd, {outcome.failed} mislukt, "
                   f"{outcome.uncertain} onzeker, {outcome.left} wachtend")
        if outcome.error:
            click.echo(outcome.error, err=True)


@click.command("worker")
@click.option("--workers", default=1, show_default=True, help="Worker threads.")
def worker(workers: int) -> None:
    """Run the background task queue (e-mail, reports) until interrupted."""
    from quickscan import tasks

    tasks.run_worker(current_app._get_current_object(), workers)  # type: ignore[attr-defined]


@click.command("progress")
@click.argument("round_ref")
@with_appcontext
def progress(round_ref: str) -> None:
    """Response rates per department: tab-separated, with a header line."""
    from quickscan.services import invitations
    from quickscan.services import rounds as round_service

    round_ = round_service.find_round(round_ref)
    if round_ is None:
        raise click.ClickException(f"Ronde {round_ref} bestaat niet.")
    click.echo("afdeling\tuitgenodigd\tgestart\tingediend\trespons\tdagen_te_gaan")
    for row in invitations.response_rates(round_):
        rate = "" if row.rate is None else f"{round(row.rate * 100)}%"
        days = "" if row.days_left is None else str(row.days_left)
        name = " ".join(row.name.split())
        click.echo(f"{name}\t{row.invited}\t{row.started}\t{row.submitted}\t{rate}\t{days}")


def register(app: Flask) -> None:
    """Attach ``mail``, ``worker`` and ``rounds progress`` to the app's command line."""
    app.cli.add_command(mail)
    assert worker.callback is not None  # a @click.command always has its function
    worker_command = with_appcontext(worker.callback)
    worker.callback = worker_command
    app.cli.add_command(worker)
    rounds_group = app.cli.commands.get("rounds")
    if isinstance(rounds_group, click.Group) and "progress" not in rounds_group.commands:
        rounds_group.add_command(progress)
