"""Names typed by users (rounds, departments, municipalities, accounts): one spelling each.

:func:`clean_name` normalises to NFC, collapses whitespace and refuses control, format
(bidi overrides, zero-width characters), private-use and unassigned characters, so a name
cannot reorder the text around it or hide an invisible difference. :func:`name_key` is the
form used to compare names for duplicates: NFKC with case folding, so ``Wonen``, ``WONEN`` and
the full-width ``Ｗｏｎｅｎ`` are one name. Pure functions; callers turn :class:`InvalidName` into
their own domain error.
"""

from __future__ import annotations

import unicodedata

#: Unicode categories refused in names: controls, format characters (bidi, zero-width),
#: surrogates, private use, unassigned, line and paragraph separators.
REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
#: Controls a multi-line text (a description) may hold.
MULTILINE_ALLOWED = frozenset("\n\r\t")
#: Bidirectional formatting characters (embeddings, overrides, isolates, marks).
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
                          "\u2066\u2067\u2068\u2069")


class InvalidName(ValueError):
    """The text holds a character a name may not hold."""


def clean_name(value: str, *, multiline: bool = False) -> str:
    """Return ``value`` in NFC with whitespace tidied; raise :class:`InvalidName` on bad characters.

    One-line text has every run of whitespace collapsed to one space; multi-line text (a
    description, not a name) is only stripped, keeps line breaks and tabs and may hold
    format characters such as the zero-width joiner of an emoji, but no other control and no
    bidi control.
    """
    text = unicodedata.normalize("NFC", value)
    for char in text:
        if multiline:
            refused = char in BIDI_CONTROLS or (
                unicodedata.category(char) in ("Cc", "Cs") and char not in MULTILINE_ALLOWED)
        else:
            refused = unicodedata.category(char) in REFUSED_CATEGORIES
        if refused:
            raise InvalidName(f"U+{ord(char):04X}")
    return text.strip() if multiline else " ".join(text.split())


def name_key(value: str) -> str:
    """The comparison key of a name: NFKC, case-folded, whitespace collapsed."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", value).casefold())
    return " ".join(folded.split())
