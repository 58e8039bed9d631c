"""Report texts and formatting: dotted text keys, numbers, long dates and lists in words.

Pure helpers shared by the content model, the written summary and the renderers. The language
comes in as data (``ReportInput.lang``); nothing here asks Flask for a locale.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from babel.dates import format_date as babel_format_date

DEFAULT_LANGUAGE = "nl"


def text(texts: Mapping[str, Any], dotted: str, **values: object) -> str:
    """A text by dotted key (``labels.score``), with ``{placeholders}`` filled in."""
    node: Any = texts
    for part in dotted.split("."):
        node = node[part]
    template = str(node)
    return template.format_map(defaultdict(str, {k: str(v) for k, v in values.items()}))


def plural(texts: Mapping[str, Any], dotted: str, count: int, **values: object) -> str:
    """``dotted_one`` when ``count`` is 1 and that key exists, else ``dotted``; ``{count}`` is
    the number in words where the texts have a word for it (``numbers``: "vijf")."""
    shown = count_word(texts, count)
    if count == 1:
        try:
            return text(texts, f"{dotted}_one", count=shown, **values)
        except KeyError:
            pass
    return text(texts, dotted, count=shown, **values)


def count_word(texts: Mapping[str, Any], count: int) -> str:
    """A small count in words (the ``numbers`` list of the texts), larger ones in digits."""
    words = texts.get("numbers") or ()
    return str(words[count]) if 0 <= count < len(words) else str(count)


def format_number(value: float | None, lang: str = DEFAULT_LANGUAGE, digits: int = 1,
                  empty: str = "–") -> str:
    """A number for display: one decimal, a decimal comma in Dutch; ``empty`` for None."""
    if value is None:
        return empty
    shown = f"{value:.{digits}f}"
    return shown.replace(".", ",") if lang == "nl" else shown


def format_date(value: datetime.date | None, lang: str = DEFAULT_LANGUAGE,
                empty: str = "") -> str:
    """A long date in the report's language: "30 november 2026", "30 November 2026"."""
    if value is None:
        return empty
    return str(babel_format_date(value, format="long", locale=lang or DEFAULT_LANGUAGE))


def join_words(items: Sequence[str], conjunction: str) -> str:
    """``a``, ``a en b``, ``a, b en c`` (with the language's ``conjunction``)."""
    items = [str(item) for item in items]
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"
