"""What every ``quickscan`` command module shares: failing with a message, services' refusals
as command-line errors, and finding a round by the reference given on the command line."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import click

from quickscan.models import Round
from quickscan.services import rounds as round_service
from quickscan.services.errors import DomainError


def fail(message: str) -> NoReturn:
    """Print ``Error: <message>`` on standard error and exit with status 1."""
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)


@contextmanager
def refusals(*kinds: type[DomainError]) -> Iterator[None]:
    """Turn a service's refusal (a domain exception of ``kinds``) into :func:`fail`."""
    try:
        yield
    except kinds as exc:
        fail(exc.message)


def round_or_fail(reference: str) -> Round:
    """The round whose id is ``reference``, or :func:`fail` saying it was not found."""
    round_ = round_service.find_round(reference)
    if round_ is None:
        fail(f"round {reference} not found")
    return round_
