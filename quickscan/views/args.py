"""Parsing ids from query strings: ASCII digits only, within the database's integer range.

``str.isdigit`` accepts ``²`` and other Unicode digits that ``int`` refuses, and Python ints
have no upper bound while the database's ids do; :func:`parse_id` answers None for all of
those, so views can refuse them with a 400 instead of failing with a 500.
"""

from __future__ import annotations

from quickscan.security import MAX_URL_ID


def parse_id(raw: str) -> int | None:
    """The id in ``raw`` (ASCII digits, at most :data:`MAX_URL_ID`), or None."""
    raw = raw.strip()
    if not raw or len(raw) > 10 or not raw.isascii() or not raw.isdigit():
        return None
    value = int(raw)
    return value if value <= MAX_URL_ID else None
