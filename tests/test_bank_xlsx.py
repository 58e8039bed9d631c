"""The XLSX template of question banks: lossless round trip, exact error locations, safe input."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from quickscan.bank import Bank, load_catalog, load_scales
from quickscan.bank_xlsx import (
    FORMULA_MESSAGE,
    XlsxError,
    bank_to_xlsx,
    read_bank_xlsx,
    template_xlsx,
)
from quickscan.residents import is_residents_file

ROOT = Path(__file__).resolve().parent.parent
LIBRARY = Path(__file__).resolve().parent / "data" / "xlsx"
CATALOG = load_catalog(ROOT / "questions")
SCALES = CATALOG.scales


def _problems(data: bytes, filename: str = "bank.xlsx") -> list[str]:
    with pytest.raises(XlsxError) as caught:
        read_bank_xlsx(data, filename=filename, scales=SCALES)
    return [str(problem) for problem in caught.value.problems]


@pytest.mark.parametrize("key", sorted(CATALOG.banks), ids=lambda key: f"{key[0]}-{key[1]}")
def test_every_shipped_bank_round_trips_losslessly(key: tuple[str, str]) -> None:
    bank = CATALOG.banks[key]
    back = read_bank_xlsx(bank_to_xlsx(bank, list(SCALES)), filename="x.xlsx",
                          scales=SCALES).bank
    assert back.model_dump() == bank.model_dump()
    assert back.sha256 == bank.sha256  # even the content hash survives
    assert back == bank


def test_every_version_in_questions_is_covered() -> None:
    # The XLSX template is for civil-servant banks; easy-read residents banks (``kind:
    # residents``, their own format) are loaded apart, into ``CATALOG.residents``.
    paths = list((ROOT / "questions").glob("*/*.yaml"))
    files = {(p.parent.name, p.stem) for p in paths if not is_residents_file(p)}
    assert files == set(CATALOG.banks)
    residents = {(p.parent.name, p.stem) for p in paths if is_residents_file(p)}
    assert residents == set(CATALOG.residents)


def test_valid_library_file_reads_into_a_bank() -> None:
    result = read_bank_xlsx((LIBRARY / "valid.xlsx").read_bytes(), filename="valid.xlsx",
                            scales=SCALES)
    assert isinstance(result.bank, Bank)
    assert result.bank.id == "armoede"
    assert [q.id for q in result.bank.questions] == ["armoede.toegang.aanvraag",
                                                     "armoede.toegang.uitleg"]
    assert result.bank.theme("toegang").crpd == ("28", "9")


@pytest.mark.parametrize(("name", "expected"), [
    ("missing_sheet.xlsx", ["themas!A1: (sheet): sheet 'themas' is missing"]),
    ("wrong_header.xlsx", ["vragen!C1: (header): unknown column 'stelling'",
                           "vragen!A1: (header): column 'statement' is missing"]),
    ("empty_statement.xlsx", ["vragen!C3: statement: must not be empty"]),
    ("unknown_levensdomein.xlsx", ["vragen!Q2: levensdomein: 'sporten' is not one of"]),
    ("duplicate_id.xlsx", ["vragen!B3: id: duplicate question id 'armoede.toegang.aanvraag'"]),
    ("formula_cell.xlsx", [f"vragen!C2: statement: {FORMULA_MESSAGE}"]),
    ("oversized.xlsx", ["(bestand): file: the file is "]),
    ("macro.xlsm", ["(bestand): file: a macro-enabled workbook (.xlsm) is refused"]),
    ("macro_renamed.xlsx", ["(bestand): file: the file holds macros"]),
    ("not_a_zip.xlsx", ["(bestand): file: not a valid .xlsx file"]),
])
def test_broken_library_file_is_refused_at_its_cell(name: str, expected: list[str]) -> None:
    problems = _problems((LIBRARY / name).read_bytes(), name)
    assert len(problems) == len(expected), problems
    for problem, start in zip(problems, expected):
        assert problem.startswith(start), problems


def _zip_edit(data: bytes, edit: dict[str, bytes | None]) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            raw = edit.get(info.filename, source.read(info))
            if raw is not None:
                target.writestr(info.filename, raw)
        for name, raw in edit.items():
            if name not in source.namelist() and raw is not None:
                target.writestr(name, raw)
    return out.getvalue()


def test_macro_content_type_is_refused_without_a_vba_part() -> None:
    data = (LIBRARY / "valid.xlsx").read_bytes()
    types = zipfile.ZipFile(io.BytesIO(data)).read("[Content_Types].xml").replace(
        b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        b"application/vnd.ms-excel.sheet.macroEnabled.main+xml")
    problems = _problems(_zip_edit(data, {"[Content_Types].xml": types}))
    assert problems == ["(bestand): file: a macro-enabled workbook is refused; save it as .xlsx"]


def test_entity_expansion_is_refused_cleanly() -> None:
    data = (LIBRARY / "valid.xlsx").read_bytes()
    bomb = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
            b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;">]>'
            b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1">'
            b'<si><t>&lol2;</t></si></sst>')
    problems = _problems(_zip_edit(data, {"xl/sharedStrings.xml": bomb}))
    assert problems == [("(bestand): file: part xl/sharedStrings.xml declares a DTD, "
                        "which is not allowed")]


def test_broken_xml_part_is_refused_cleanly() -> None:
    data = (LIBRARY / "valid.xlsx").read_bytes()
    problems = _problems(_zip_edit(data, {"xl/worksheets/sheet3.xml": b"<worksheet><oops"}))
    assert len(problems) == 1 and problems[0].startswith("(bestand): file: not a readable")


def test_zip_bomb_is_refused_before_it_is_read() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        target.writestr("[Content_Types].xml", b"<Types/>")
        target.writestr("xl/big.xml", b"a" * (60 * 1024 * 1024))
    problems = _problems(out.getvalue())
    assert problems == ["(bestand): file: the file unpacks to too much data"]


def test_text_starting_with_equals_is_written_as_text_and_read_back() -> None:
    bank = CATALOG.latest("wonen")
    theme = bank.themes[0]
    question = theme.questions[0].model_copy(update={"statement": "=1+1 <b>x</b>"})
    changed = bank.model_copy(update={"themes": (theme.model_copy(
        update={"questions": (question,) + theme.questions[1:]}),) + bank.themes[1:]})
    data = bank_to_xlsx(changed, list(SCALES))
    sheet = load_workbook(io.BytesIO(data))["vragen"]
    assert sheet["C2"].data_type == "s"
    assert sheet["C2"].value == "=1+1 <b>x</b>"
    back = read_bank_xlsx(data, filename="x.xlsx", scales=SCALES).bank
    assert back.questions[0].statement == "=1+1 <b>x</b>"


def test_template_has_the_sheets_headers_and_validation_lists() -> None:
    workbook = load_workbook(io.BytesIO(template_xlsx(list(SCALES))))
    assert workbook.sheetnames == ["bank", "themas", "vragen", "wijzigingen", "uitleg"]
    assert workbook["vragen"]["C1"].value == "statement"
    lists = {str(rule.sqref): rule.formula1 for rule in
             workbook["vragen"].data_validations.dataValidation}
    joined = " ".join(lists.values())
    for value in ("welzijn", "handicap", "33.3", "7"):
        assert value in joined
    bank_lists = " ".join(rule.formula1 for rule in
                          workbook["bank"].data_validations.dataValidation)
    assert "volwassenheid" in bank_lists


def test_empty_template_reports_every_required_field() -> None:
    problems = _problems(template_xlsx(list(SCALES)))
    assert "bank!B2: id: must not be empty" in problems[0] or any(
        p.startswith("bank!B2: id:") for p in problems), problems
    assert any(p.startswith("bank!B4: title: must not be empty") for p in problems), problems


def test_missing_help_level_points_at_its_cell() -> None:
    workbook = load_workbook(LIBRARY / "valid.xlsx")
    workbook["vragen"]["J2"] = None  # help_3
    buffer = io.BytesIO()
    workbook.save(buffer)
    problems = _problems(buffer.getvalue())
    assert problems == ["vragen!J2: help_3: help must describe levels 2, 3 and 4; missing: 3"]


def test_format_2_missing_evidence_points_at_the_evidence_cell() -> None:
    bank = CATALOG.latest("wonen")
    data = bank_to_xlsx(bank, list(SCALES))
    workbook = load_workbook(io.BytesIO(data))
    workbook["vragen"]["F4"] = None
    buffer = io.BytesIO()
    workbook.save(buffer)
    problems = _problems(buffer.getvalue())
    assert problems == ["vragen!F4: evidence: required field 'evidence' is missing (format 2)"]


def test_scales_come_from_scales_yaml() -> None:
    assert set(load_scales(ROOT / "questions" / "scales.yaml")) == set(SCALES)


def _edited(edit) -> bytes:  # type: ignore[no-untyped-def]
    workbook = load_workbook(LIBRARY / "valid.xlsx")
    edit(workbook)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(("edit", "expected"), [
    (lambda wb: wb["bank"].delete_rows(4), ["bank!A1: title: required field is missing"]),
    (lambda wb: wb["bank"].cell(row=20, column=1, value="weging"),
     [("bank!A20: field: unknown field 'weging' (expected: id, version, title, description, "
      "scale, format, common, municipal, local, levensdomeinen)")]),
    (lambda wb: wb["vragen"].cell(row=3, column=1, value="onbekend"),
     ["vragen!A3: theme: unknown theme 'onbekend' (not in sheet themas)"]),
    (lambda wb: wb["vragen"].cell(row=2, column=18, value=9),
     ["vragen!R2: movisie: 9 is out of range: must be at most 7"]),
    (lambda wb: wb["wijzigingen"].cell(row=2, column=2, value="30-11-2026"),
     ["wijzigingen!B2: date: expected a date (YYYY-MM-DD), got '30-11-2026'"]),
    (lambda wb: wb["themas"].cell(row=2, column=4, value="99"),
     ["themas!D2: crpd: '99' is not a CRPD article number (1-50, e.g. '9' or '4.3')"]),
])
def test_more_problems_point_at_their_cell(edit, expected) -> None:  # type: ignore[no-untyped-def]
    assert _problems(_edited(edit)) == expected
