"""The English catalogue: complete for the survey, placeholders intact, compiled by the build."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.pofile import read_po
from flask_babel import refresh

from quickscan.assets import TRANSLATIONS, compile_translations
from tests.factories import csrf_token

PO = TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def test_catalogue_is_complete_and_keeps_placeholders():
    with PO.open("rb") as handle:
        catalog = read_po(handle, locale="en")
    entries = [m for m in catalog if m.id]
    assert len(entries) > 100
    for message in entries:
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings), f"untranslated: {message.id!r}"
        expected = set(PLACEHOLDER.findall(ids[-1]))
        for string in strings:
            assert set(PLACEHOLDER.findall(string)) == expected, message.id


def test_build_compiles_the_catalogue(tmp_path: Path):
    target = tmp_path / "en" / "LC_MESSAGES"
    target.mkdir(parents=True)
    (target / "messages.po").write_bytes(PO.read_bytes())
    written = compile_translations(tmp_path)
    assert written == [target / "messages.mo"]
    assert (target / "messages.mo").read_bytes()[:4] in (b"\xde\x12\x04\x95", b"\x95\x04\x12\xde")


def test_survey_in_english(client, small_round):
    compile_translations()
    token = small_round.token("Zorg")
    switch = client.post("/taal", data={"csrf_token": csrf_token(client, f"/s/{token}", status=200),
                                        "lang": "en", "next": f"/s/{token}"})
    assert switch.status_code == 302
    refresh()  # the test's app context outlives requests: forget the cached locale
    body = client.get(f"/s/{token}").get_data(as_text=True)
    assert "Start the questionnaire" in body
    assert "Who sees your answers?" in body
    from quickscan.estimate import estimate_minutes
    from quickscan.services import responses

    banks = responses.department_banks(small_round.departments["Zorg"])
    minutes = estimate_minutes(banks, [lv.label for lv in responses.scale_for(banks[0]).levels])
    assert "5 questions" in body and f"about {minutes} minutes" in body
    assert '<html lang="en"' in body
    refresh()
