"""``quickscan lia``: the Lokale Inclusie Agenda from the command line, as the web does it.

Candidates, the vote (open, tallies for the room and paper, close), the choice of speerpunten,
actions with owners, publishing the progress page and the export (docx, json, xlsx, csv).
Every refusal prints the service's Dutch message and exits 1 with nothing written.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from flask import Flask
from flask.cli import with_appcontext

from quickscan import links as app_links
from quickscan.models import LiaCandidate, Round
from quickscan.services import lia as service
from quickscan.services import rounds as round_service
from quickscan.services.errors import DomainError

T = TypeVar("T")


def register(app: Flask) -> None:
    """Attach ``lia`` to the app's command line."""
    app.cli.add_command(lia)


def _run(call: Callable[[], T]) -> T:
    try:
        return call()
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc


def _round(reference: str) -> Round:
    round_ = round_service.find_round(reference)
    if round_ is None:
        raise click.ClickException(f"Ronde {reference} bestaat niet.")
    return round_


def _candidate(round_: Round, reference: str) -> LiaCandidate:
    """A candidate by id or by its exact title."""
    if reference.isdigit():
        return _run(lambda: service.get_candidate(round_, reference))
    for candidate in service.candidates(round_):
        if candidate.title == reference:
            return candidate
    raise click.ClickException(f"Kandidaat {reference} bestaat niet in deze ronde.")


def vote_url(round_: Round) -> str:
    """The public vote link of the round (its vote must have been opened)."""
    plan = service.plan_or_default(round_)
    token = service.vote_token(plan, app_links.secret_key())
    return f"{app_links.base_url()}/s/{token}/stem"


@click.group()
def lia() -> None:
    """Lokale Inclusie Agenda: candidates, the vote, speerpunten, actions, export."""


@lia.group()
def candidates() -> None:
    """Candidate speerpunten."""


@candidates.command("add")
@click.argument("round_ref", metavar="ROUND")
@click.option("--title", required=True)
@click.option("--description", default="")
@click.option("--theme", "themes", multiple=True, metavar="BANK/THEME")
@with_appcontext
def candidates_add(round_ref: str, title: str, description: str, themes: tuple[str, ...]) -> None:
    """Add an own candidate."""
    round_ = _round(round_ref)
    candidate = _run(lambda: service.add_candidate(round_, title, description, themes))
    click.echo(f"{candidate.id}\t{candidate.title}")


@candidates.command("from-priorities")
@click.argument("round_ref", metavar="ROUND")
@click.option("--top", required=True, type=int)
@with_appcontext
def candidates_from_priorities(round_ref: str, top: int) -> None:
    """One candidate per theme among the top N priorities."""
    round_ = _round(round_ref)
    for candidate in _run(lambda: service.candidates_from_priorities(round_, top)):
        click.echo(f"{candidate.id}\t{candidate.title}")


@candidates.command("list")
@click.argument("round_ref", metavar="ROUND")
@with_appcontext
def candidates_list(round_ref: str) -> None:
    """Every candidate with its votes: id, title, online, zaal, papier, total, chosen."""
    round_ = _round(round_ref)
    for r in service.results(round_):
        click.echo("\t".join(map(str, (r.candidate.id, r.candidate.title, r.online, r.zaal,
                                        r.papier, r.total,
                                        "gekozen" if r.candidate.chosen else "-"))))


@candidates.command("merge")
@click.argument("round_ref", metavar="ROUND")
@click.argument("keep")
@click.argument("others", nargs=-1, required=True)
@click.option("--reason", required=True)
@with_appcontext
def candidates_merge(round_ref: str, keep: str, others: tuple[str, ...], reason: str) -> None:
    """Merge OTHERS into KEEP, keeping the reason."""
    round_ = _round(round_ref)
    kept = _candidate(round_, keep)
    ids = [_candidate(round_, other).id for other in others]
    _run(lambda: service.merge_candidates(round_, kept.id, ids, reason))
    click.echo(f"{kept.id}\t{kept.title}")


@lia.group()
def vote() -> None:
    """The vote on the candidates."""


@vote.command("open")
@click.argument("round_ref", metavar="ROUND")
@click.option("--votes", type=int, default=None, help="Votes per voter (default 3).")
@with_appcontext
def vote_open(round_ref: str, votes: int | None) -> None:
    """Open the vote and print the public vote link."""
    round_ = _round(round_ref)
    _run(lambda: service.open_vote(round_, secret_key=app_links.secret_key(),
                                   votes_per_voter=votes))
    click.echo(vote_url(round_))


@vote.command("tally")
@click.argument("round_ref", metavar="ROUND")
@click.argument("candidate")
@click.option("--origin", required=True, type=click.Choice(["zaal", "papier"]))
@click.option("--count", required=True, type=int)
@click.option("--role", "--als", "role", default="", metavar="ROLE",
              help="Optional 'ik stem als': " + ", ".join(service.VOTER_ROLES) + ".")
@with_appcontext
def vote_tally(round_ref: str, candidate: str, origin: str, count: int, role: str) -> None:
    """Enter votes counted in the room or on paper for CANDIDATE (id or title)."""
    round_ = _round(round_ref)
    found = _candidate(round_, candidate)
    _run(lambda: service.add_tally(round_, found.id, origin, count, role))
    click.echo("\t".join(filter(None, (str(found.id), origin, str(count), role))))


@vote.command("close")
@click.argument("round_ref", metavar="ROUND")
@with_appcontext
def vote_close(round_ref: str) -> None:
    """Close the vote."""
    round_ = _round(round_ref)
    _run(lambda: service.close_vote(round_))
    click.echo("Stemming gesloten.")


@lia.command("choose")
@click.argument("round_ref", metavar="ROUND")
@click.option("--top", required=True, type=int)
@click.option("--add", "added", multiple=True, help="A candidate to add (id or title).")
@click.option("--drop", "dropped", multiple=True, help="A candidate to leave out.")
@click.option("--reason", default="", help="Why the choice differs from the top N.")
@with_appcontext
def choose(round_ref: str, top: int, added: tuple[str, ...], dropped: tuple[str, ...],
           reason: str) -> None:
    """Choose the top N of the vote as speerpunten (adjusted with a reason)."""
    round_ = _round(round_ref)
    add = [_candidate(round_, ref).id for ref in added]
    drop = [_candidate(round_, ref).id for ref in dropped]
    for speerpunt in _run(lambda: service.choose(round_, top, add=add, drop=drop,
                                                 reason=reason)):
        click.echo(f"{speerpunt.id}\t{speerpunt.title}")


@lia.group()
def partners() -> None:
    """Named partner organisations that may own actions."""


@partners.command("add")
@click.argument("round_ref", metavar="ROUND")
@click.argument("name")
@with_appcontext
def partners_add(round_ref: str, name: str) -> None:
    """Add a partner organisation."""
    round_ = _round(round_ref)
    _run(lambda: service.add_partner(round_, name))
    click.echo(name)


@lia.group()
def action() -> None:
    """Actions of the speerpunten."""


@action.command("add")
@click.argument("round_ref", metavar="ROUND")
@click.argument("speerpunt")
@click.option("--title", required=True)
@click.option("--owner", required=True, help="A department of the round or a partner.")
@click.option("--deadline", default="", help="jjjj-mm-dd")
@click.option("--status", default="gepland",
              type=click.Choice(["gepland", "bezig", "gereed", "gestopt"]))
@click.option("--theme", "themes", multiple=True, metavar="BANK/THEME")
@with_appcontext
def action_add(round_ref: str, speerpunt: str, title: str, owner: str, deadline: str,
               status: str, themes: tuple[str, ...]) -> None:
    """Add an action to SPEERPUNT (id or title)."""
    round_ = _round(round_ref)
    found = _candidate(round_, speerpunt)
    created = _run(lambda: service.add_action(round_, found.id, title, owner, deadline,
                                              status, themes))
    click.echo(f"{created.id}\t{created.title}")


@action.command("progress")
@click.argument("round_ref", metavar="ROUND")
@click.argument("action_id", type=int)
@click.option("--status", default=None,
              type=click.Choice(["gepland", "bezig", "gereed", "gestopt"]))
@click.option("--note", default="")
@with_appcontext
def action_progress(round_ref: str, action_id: int, status: str | None, note: str) -> None:
    """Change an action's status and/or add a dated progress note."""
    round_ = _round(round_ref)
    found = _run(lambda: service.get_action(round_, action_id))
    _run(lambda: service.update_action(round_, found, status, note))
    click.echo(f"{found.id}\t{found.status}")


@lia.command("publish")
@click.argument("round_ref", metavar="ROUND")
@click.option("--withdraw", is_flag=True, help="Take the progress page offline.")
@with_appcontext
def publish(round_ref: str, withdraw: bool) -> None:
    """Publish the public progress page and print its address."""
    round_ = _round(round_ref)
    _run(lambda: service.set_published(round_, not withdraw))
    click.echo("Voortgangspagina offline." if withdraw
               else f"{app_links.base_url()}/agenda/{round_.id}")


@lia.command("export")
@click.argument("round_ref", metavar="ROUND")
@click.option("--format", "fmt", required=True,
              type=click.Choice(["docx", "json", "xlsx", "csv"]))
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--lang", default="nl", type=click.Choice(["nl", "en"]))
@with_appcontext
def export(round_ref: str, fmt: str, out: Path, lang: str) -> None:
    """Write the agenda as DOCX, the quickscan-lia/1 JSON, or the actions as XLSX/CSV."""
    round_ = _round(round_ref)
    data: Any = _run(lambda: service.export(round_, fmt, lang))
    out.write_bytes(data)
    click.echo(str(out))
