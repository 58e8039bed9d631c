"""Build the spreadsheet library of tests/data/xlsx (run: python tests/data/xlsx/make.py).

``valid.xlsx`` is a small, valid local bank filled into the template; every other file breaks
it in one way. ``tests/test_bank_xlsx.py`` checks that each broken file is refused at its exact
``SHEET!CELL``.
"""

from __future__ import annotations

import io
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))

from quickscan.bank_xlsx import template_xlsx

BANK = {"id": "armoede", "version": "1.0.0", "title": "Armoede in onze gemeente",
        "description": "Eigen vragen over armoedebeleid.", "scale": "volwassenheid",
        "levensdomeinen": "werk_inkomen, welzijn"}
THEMES = [("toegang", "Toegang tot regelingen", "Of inwoners de regelingen kunnen vinden.",
           "28, 9", 3)]
QUESTIONS = [
    ("toegang", "armoede.toegang.aanvraag", ("Een aanvraag voor bijzondere bijstand kan ook "
     "op papier en met hulp."), "Er is een plan.", "Het gebeurt altijd.",
     "We meten het elk jaar.", "Maak een papieren formulier.", "28", "werk_inkomen", 6),
    ("toegang", "armoede.toegang.uitleg", ("De brieven over regelingen zijn in eenvoudige taal "
     "geschreven."), "Een deel is herschreven.", "Alle brieven zijn herschreven.",
     "Inwoners testen de brieven elk jaar.", "Laat de brieven testen door inwoners.", "21",
     "welzijn", 6),
]


def filled(template: bytes | None = None) -> Any:
    """The template (or ``template``) filled in with the valid bank, as an openpyxl workbook."""
    workbook = load_workbook(io.BytesIO(template or template_xlsx()))
    bank = workbook["bank"]
    for row in range(2, bank.max_row + 1):
        name = bank.cell(row=row, column=1).value
        if name in BANK:
            bank.cell(row=row, column=2, value=BANK[name])
    themes = workbook["themas"]
    for index, values in enumerate(THEMES, start=2):
        for column, value in enumerate(values, start=1):
            themes.cell(row=index, column=column, value=value)
    questions = workbook["vragen"]
    headers = [cell.value for cell in questions[1]]
    for index, (theme, qid, statement, h2, h3, h4, step, crpd, domain, movisie) in enumerate(
            QUESTIONS, start=2):
        row = {"theme": theme, "id": qid, "statement": statement, "help_2": h2, "help_3": h3,
               "help_4": h4, "next_step": step, "crpd": crpd, "levensdomein": domain,
               "movisie": movisie}
        for header, value in row.items():
            questions.cell(row=index, column=headers.index(header) + 1, value=value)
    log = workbook["wijzigingen"]
    for column, value in enumerate(("1.0.0", "2026-11-30", "Eerste versie."), start=1):
        log.cell(row=2, column=column, value=value)
    return workbook


def save(workbook: Any) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _missing_sheet(wb: Any) -> None:
    del wb["themas"]


def _wrong_header(wb: Any) -> None:
    wb["vragen"]["C1"] = "stelling"


def _empty_statement(wb: Any) -> None:
    wb["vragen"]["C3"] = None


def _unknown_levensdomein(wb: Any) -> None:
    wb["vragen"]["Q2"] = "werk_inkomen, sporten"


def _duplicate_id(wb: Any) -> None:
    wb["vragen"]["B3"] = "armoede.toegang.aanvraag"


def _formula_cell(wb: Any) -> None:
    wb["vragen"]["C2"] = '=HYPERLINK("http://example.org","klik")'


def _to_xlsm(data: bytes) -> bytes:
    """The same workbook declared macro-enabled, with a VBA part (content type and name)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            raw = source.read(info)
            if info.filename == "[Content_Types].xml":
                raw = raw.replace(b"spreadsheetml.sheet.main+xml",
                                  b"application/vnd.ms-excel.sheet.macroEnabled.main+xml"
                                  ).replace(b"application/vnd.openxmlformats-officedocument."
                                            b"application/vnd.ms-excel", b"application/vnd.ms-excel")
            target.writestr(info, raw)
        target.writestr("xl/vbaProject.bin", b"\x00" * 64)
    return out.getvalue()


def _oversized(data: bytes) -> bytes:
    """A valid workbook padded past the 1 MB limit with an uncompressed, unused part."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info, source.read(info))
        target.writestr(zipfile.ZipInfo("xl/media/padding.bin"), bytes(range(256)) * 4200,
                        compress_type=zipfile.ZIP_STORED)
    return out.getvalue()


BROKEN: dict[str, Callable[[Any], None]] = {
    "missing_sheet.xlsx": _missing_sheet,
    "wrong_header.xlsx": _wrong_header,
    "empty_statement.xlsx": _empty_statement,
    "unknown_levensdomein.xlsx": _unknown_levensdomein,
    "duplicate_id.xlsx": _duplicate_id,
    "formula_cell.xlsx": _formula_cell,
}


def build() -> dict[str, bytes]:
    """Every file of the library, by name."""
    files = {"valid.xlsx": save(filled())}
    for name, breaker in BROKEN.items():
        workbook = filled()
        breaker(workbook)
        files[name] = save(workbook)
    files["macro.xlsm"] = _to_xlsm(files["valid.xlsx"])
    files["macro_renamed.xlsx"] = _to_xlsm(files["valid.xlsx"])
    files["oversized.xlsx"] = _oversized(files["valid.xlsx"])
    files["not_a_zip.xlsx"] = b"PK\x03\x04 this is not really a zip file"
    return files


if __name__ == "__main__":
    for name, data in build().items():
        (HERE / name).write_bytes(data)
        print(name, len(data))
