"""The minimum group size k of a round: reading, checking and setting it.

A department with fewer than k submitted responses is *hidden*: no figure derived from its
answers is shown or exported, and its answers do not count in the municipality figures (see
``quickscan/scoring.py`` and ``docs/privacy.md``). Every round has k (default
:data:`~quickscan.models.DEFAULT_MIN_GROUP_SIZE`); services accept 1-10, the coordinator's form
offers :data:`UI_MIN`-10 (k = 1 or 2 is for tests and the command line only).
"""

from __future__ import annotations

from typing import Final

from flask_babel import gettext as _

from quickscan.models import DEFAULT_MIN_GROUP_SIZE, MIN_GROUP_SIZE_RANGE, Round
from quickscan.services.errors import InvalidInput
from quickscan.services.uow import unit_of_work

LOWEST: Final = MIN_GROUP_SIZE_RANGE[0]
HIGHEST: Final = MIN_GROUP_SIZE_RANGE[1]
#: The lowest k the coordinator's form offers.
UI_MIN: Final = DEFAULT_MIN_GROUP_SIZE


class InvalidGroupSize(InvalidInput):
    """A minimum group size outside 1-10 (or not a whole number)."""


def check_min_group_size(value: object, lowest: int = LOWEST) -> int:
    """Return ``value`` as k when it is a whole number from ``lowest`` to 10, else raise."""
    if isinstance(value, bool) or not isinstance(value, int) or not lowest <= value <= HIGHEST:
        raise InvalidGroupSize(_("De minimale groepsgrootte moet een heel getal van "
                                 "%(low)d tot en met %(high)d zijn.", low=lowest, high=HIGHEST))
    return value


def min_group_size(round_: Round) -> int:
    """The round's k (the default for a round object not yet flushed)."""
    value = round_.min_group_size
    return DEFAULT_MIN_GROUP_SIZE if value is None else int(value)


def set_min_group_size(round_: Round, value: object) -> Round:
    """Set the round's minimum group size k (1-10); nothing is written when it is refused."""
    k = check_min_group_size(value)
    with unit_of_work():
        round_.min_group_size = k
    return round_
