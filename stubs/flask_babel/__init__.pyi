# Partial stubs for Flask-Babel 4 (only what quickscan uses); see stubs/README.md.
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date, datetime
from typing import Any

from babel import Locale
from flask import Flask

class Babel:
    def __init__(self, app: Flask | None = None, date_formats: Any = None,
                 configure_jinja: bool = True, *args: Any, **kwargs: Any) -> None: ...
    def init_app(self, app: Flask, default_locale: str = "en", default_domain: str = "messages",
                 default_translation_directories: str = "translations",
                 default_timezone: str = "UTC",
                 locale_selector: Callable[[], str | Locale | None] | None = None,
                 timezone_selector: Callable[[], str | None] | None = None) -> None: ...

def get_locale() -> Locale | None: ...
def refresh() -> None: ...
def force_locale(locale: str | Locale) -> AbstractContextManager[None]: ...
def format_date(date: date | datetime | None = None, format: str | None = None,
                rebase: bool = True) -> str: ...
def gettext(string: str, **variables: Any) -> str: ...
def ngettext(singular: str, plural: str, num: int, **variables: Any) -> str: ...

# At run time a `LazyString`: a str-like proxy translated when it is turned into text. Typed
# as str because every place that takes one (WTForms labels and messages, flash, templates)
# treats it as a string.
def lazy_gettext(string: str, **variables: Any) -> str: ...
