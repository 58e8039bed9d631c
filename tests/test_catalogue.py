"""The English catalogue covers every UI string in the sources, and the pages speak English.

The messages are extracted from the current sources with babel's own API and the method map of
``babel.cfg``, so a new ``_()`` without an English translation fails here with its msgid. The
report texts (``reports/<lang>.yaml``) must have the same keys in both languages.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from flask_babel import refresh

from quickscan.assets import TRANSLATIONS, compile_translations
from quickscan.services.accounts import create_user
from tests.factories import CSRF_RE, build_round, login_session

ROOT = Path(__file__).resolve().parent.parent
PO = TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po"
REPORTS = ROOT / "reports"
#: The keywords of babel.cfg's extract command: babel's defaults plus the lazy variants.
KEYWORDS: dict[str, Any] = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None,
                            "lazy_ngettext": (1, 2)}
#: Only these top-level folders hold sources named in babel.cfg.
SOURCE_DIRS = ("quickscan", "templates")
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]")


def _keep_directory(path: str) -> bool:
    relative = Path(os.path.relpath(path, ROOT))
    return relative.parts[0] in SOURCE_DIRS and not relative.name.startswith((".", "_"))


def extracted_messages() -> dict[str | tuple[str, ...], list[str]]:
    """Every msgid the sources hold (plural ids as tuples), with where it occurs."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle, "babel.cfg")
    found: dict[str | tuple[str, ...], list[str]] = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=KEYWORDS,
            directory_filter=_keep_directory):
        assert context is None, f"{filename}:{lineno}: message contexts are not used"
        key = tuple(message) if isinstance(message, (tuple, list)) else message
        if key and (not isinstance(key, tuple) or key[0]):
            found.setdefault(key, []).append(f"{filename}:{lineno}")
    return found


@pytest.fixture(scope="module")
def catalogue() -> Catalog:
    """The English catalogue as committed."""
    with PO.open("rb") as handle:
        return read_po(handle, locale="en")


@pytest.fixture(scope="module")
def messages() -> dict[str | tuple[str, ...], list[str]]:
    """The messages extracted from the current sources."""
    return extracted_messages()


def test_extraction_finds_the_ui(messages) -> None:
    # A sanity check on the extraction itself: templates, lazy form labels and plurals.
    assert "Inloggen als coördinator" in messages  # templates/auth/login.html
    assert "E-mailadres" in messages  # a lazy form label in quickscan/views/auth.py
    assert ("%(num)d prioriteit getoond.", "%(num)d prioriteiten getoond.") in messages
    assert len(messages) > 300


def test_every_ui_string_has_an_english_translation(messages, catalogue) -> None:
    problems = []
    for key, places in sorted(messages.items(), key=lambda item: str(item[0])):
        ids = key if isinstance(key, tuple) else (key,)
        entry = catalogue.get(ids[0])
        where = places[0]
        if entry is None:
            problems.append(f"missing: {ids[0]!r} ({where})")
            continue
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        if entry.fuzzy or not all(strings):
            problems.append(f"{'fuzzy' if entry.fuzzy else 'untranslated'}: {ids[0]!r} ({where})")
            continue
        if isinstance(key, tuple) != isinstance(entry.id, tuple):
            problems.append(f"plural forms differ from the catalogue: {ids[0]!r} ({where})")
            continue
        expected = set(PLACEHOLDER.findall(ids[-1]))
        for string in strings:
            if set(PLACEHOLDER.findall(string)) != expected:
                problems.append(f"placeholders differ: {ids[0]!r} -> {string!r} ({where})")
    assert not problems, (
        f"{len(problems)} UI string(s) lack a usable English translation; run the commands in "
        "babel.cfg and translate them in " + str(PO.relative_to(ROOT)) + ":\n"
        + "\n".join(problems))


def test_catalogue_has_no_stale_entries(messages, catalogue) -> None:
    current = {key[0] if isinstance(key, tuple) else key for key in messages}
    stale = [m.id for m in catalogue if m.id
             and (m.id[0] if isinstance(m.id, tuple) else m.id) not in current]
    assert not stale, f"entries no longer in the sources: {stale}"
    assert not catalogue.obsolete, f"obsolete entries: {list(catalogue.obsolete)}"


def _key_paths(node: Any, prefix: str = "") -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            yield path
            yield from _key_paths(value, path)


def test_report_texts_exist_in_both_languages() -> None:
    dutch = yaml.safe_load((REPORTS / "nl.yaml").read_text(encoding="utf-8"))
    english_path = REPORTS / "en.yaml"
    assert english_path.exists(), "reports/en.yaml is missing"
    english = yaml.safe_load(english_path.read_text(encoding="utf-8"))
    nl_keys, en_keys = set(_key_paths(dutch)), set(_key_paths(english))
    assert nl_keys == en_keys, (f"only in nl.yaml: {sorted(nl_keys - en_keys)}; "
                                f"only in en.yaml: {sorted(en_keys - nl_keys)}")


# --------------------------------------------------------------------------- pages in English

#: Dutch headings of the three pages; none may survive the switch to English.
DUTCH_HEADINGS = ("Inloggen als coördinator", "Afdelingen en hun links", "Afdeling toevoegen",
                  "Voortgang", "Resultaten van", "Respons", "Beeld van de gemeente",
                  "Afdelingen vergelijken", "Prioriteiten", "Signalen", "Hoofdmenu")
HEADING_RE = re.compile(r"<(h[1-3]|caption|th|label|legend|button)\b[^>]*>(.*?)</\1>", re.DOTALL)


def _headings(body: str) -> list[str]:
    return [re.sub(r"<[^>]+>|\s+", " ", match.group(2)).strip()
            for match in HEADING_RE.finditer(body)]


def test_pages_in_english(app, client) -> None:
    compile_translations()
    built = build_round()
    round_id = built.round.id
    login_page = client.get("/login").get_data(as_text=True)
    assert "Inloggen als coördinator" in login_page  # Dutch by default
    token = CSRF_RE.search(login_page)
    assert token
    switch = client.post("/taal", data={"csrf_token": token.group(1), "lang": "en",
                                        "next": "/login"})
    assert switch.status_code == 302 and switch.headers["Location"].endswith("/login")
    refresh()  # the test's app context outlives requests: forget the cached locale
    try:
        pages = {"/login": ("Log in as coordinator", "Email address", "Password")}
        body = client.get("/login").get_data(as_text=True)
        bodies = {"/login": body}
        login_session(client, create_user("coordinator@example.org", "een-heel-lang-wachtwoord"))
        pages[f"/rondes/{round_id}"] = ("Departments and their links", "Add department",
                                        "Make a new link", "All rounds", "Progress")
        pages[f"/rondes/{round_id}/resultaten"] = (
            "Results of Voorjaar 2026", "Picture of the municipality", "Compare departments",
            "Priorities", "Response per department", "Gap to target")
        for url in list(pages)[1:]:
            response = client.get(url)
            assert response.status_code == 200, url
            bodies[url] = response.get_data(as_text=True)
        for url, expected in pages.items():
            body = bodies[url]
            assert '<html lang="en"' in body, url
            for text in expected:
                assert text in body, f"{url}: {text!r} missing"
            headings = _headings(body)
            dutch = [h for h in headings for d in DUTCH_HEADINGS if h == d or h.startswith(d + " ")]
            assert not dutch, f"{url}: untranslated Dutch headings {dutch}"
    finally:
        refresh()
