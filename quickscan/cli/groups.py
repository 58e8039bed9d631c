"""The inwoners and bestuur groups of a round on the command line.

``quickscan rounds create --residents --bestuur`` adds them, ``quickscan rounds links ROUND``
prints ``Inwoners<TAB>link`` and ``Bestuur<TAB>link`` beside the departments' lines (a shared
inwoners link as ``Inwoners (label)<TAB>link``), ``quickscan rounds share ROUND --label L``
adds a labelled inwoners link, ``quickscan rounds group ROUND residents|bestuur open|close``
opens or closes one group.
"""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from quickscan import links as app_links
from quickscan.cli.common import fail
from quickscan.models import KIND_BESTUUR, KIND_RESIDENTS, Round
from quickscan.services import perspectives as service
from quickscan.services import rounds as round_service
from quickscan.services.errors import DomainError


def add_groups(round_: Round, *, residents: bool, bestuur: bool) -> None:
    """Add the groups asked for to a freshly created round."""
    try:
        if residents:
            service.add_residents_group(round_, secret_key=app_links.secret_key())
        if bestuur:
            service.add_bestuur_group(round_, secret_key=app_links.secret_key())
    except DomainError as exc:
        fail(exc.message)


def print_group_links(round_: Round) -> None:
    """Print one ``Group<TAB>link`` line per working link of the inwoners and bestuur groups."""
    for name, label, url in service.link_lines(round_, secret_key=app_links.secret_key(),
                                               base_url=app_links.base_url()):
        click.echo(f"{name} ({label})\t{url}" if label else f"{name}\t{url}")


def _round(reference: str) -> Round:
    round_ = round_service.find_round(reference)
    if round_ is None:
        fail(f"Onbekende ronde: {reference}")
    assert round_ is not None
    return round_


def register_group_commands(rounds: click.Group) -> None:
    """Attach ``share`` and ``group`` to the ``quickscan rounds`` group."""

    @rounds.command("share")
    @click.argument("round_ref", metavar="ROUND")
    @click.option("--label", required=True, help="Where the link is shared (organisation).")
    @with_appcontext
    def share(round_ref: str, label: str) -> None:
        """Add a labelled inwoners link and print it."""
        round_ = _round(round_ref)
        group = service.group(round_, KIND_RESIDENTS)
        if group is None:
            fail("Deze ronde heeft geen groep inwoners.")
        assert group is not None
        try:
            link = service.add_shared_link(group, label, secret_key=app_links.secret_key())
        except DomainError as exc:
            fail(exc.message)
        click.echo(f"{group.name} ({link.label})\t" + service.link_url(
            link, secret_key=app_links.secret_key(), base_url=app_links.base_url()))

    @rounds.command("group")
    @click.argument("round_ref", metavar="ROUND")
    @click.argument("kind", type=click.Choice([KIND_RESIDENTS, KIND_BESTUUR]))
    @click.argument("action", type=click.Choice(["open", "close"]))
    @with_appcontext
    def group_command(round_ref: str, kind: str, action: str) -> None:
        """Open or close the inwoners or bestuur group of a round."""
        round_ = _round(round_ref)
        group = service.group(round_, kind)
        if group is None:
            fail(f"Deze ronde heeft geen groep {kind}.")
        assert group is not None
        service.set_group_open(group, action == "open")
        click.echo(f"{group.name}: {'open' if action == 'open' else 'gesloten'}")
