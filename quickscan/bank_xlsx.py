"""Question banks as spreadsheets: the XLSX template, reading it into a bank, writing a bank.

Part of the domain core (no web framework, no database): bytes in, a :class:`~quickscan.bank.Bank`
or a list of problems out. Every problem is reported as ``SHEET!CELL: field: message`` (the
spreadsheet counterpart of ``FILE:LINE``), e.g. ``vragen!C7: statement: must not be empty``.

The workbook has the sheets ``bank`` (one field per row: ``field``, ``value``), ``themas`` (one
theme per row), ``vragen`` (one question per row, its theme in column A), ``wijzigingen`` (the
changelog) and ``uitleg`` (an explanation, never read). Lists in a cell are separated by
commas. The bank validation of :mod:`quickscan.bank` runs on the result and its problems are
mapped back to the cells they came from.

Safety: the file is size-limited, must be a plain ``.xlsx`` zip (a macro-enabled workbook, a
``vbaProject.bin`` part, a DTD or a zip bomb is refused before openpyxl reads it), formulas are
read as their text and refused (never evaluated), and every text is written back as a string
cell, so a text that starts with ``=`` stays text.
"""

from __future__ import annotations

import datetime
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, cast

from quickscan.bank import (
    DEFAULT_SCALE,
    Bank,
    BankError,
    PathKey,
    Scale,
    parse_bank,
)

#: Default upload limit in bytes (the app's config ``BANK_XLSX_MAX_BYTES`` overrides it).
MAX_BYTES: Final = 1024 * 1024
#: Limits on what the zip may unpack to, so that a zip bomb is refused before it is read.
MAX_UNPACKED_BYTES: Final = 40 * 1024 * 1024
MAX_PARTS: Final = 2000
#: The most rows a sheet may have.
MAX_ROWS: Final = 3000

SHEET_BANK: Final = "bank"
SHEET_THEMES: Final = "themas"
SHEET_QUESTIONS: Final = "vragen"
SHEET_CHANGELOG: Final = "wijzigingen"
SHEET_HELP: Final = "uitleg"

BANK_HEADERS: Final = ("field", "value")
BANK_FIELDS: Final = ("id", "version", "title", "description", "scale", "format", "common",
                      "municipal", "local", "levensdomeinen")
THEME_HEADERS: Final = ("id", "title", "description", "crpd", "target")
QUESTION_HEADERS: Final = (
    "theme", "id", "statement", "weight", "core", "evidence",
    "help_0", "help_1", "help_2", "help_3", "help_4",
    "next_step", "next_steps.levels_0_1", "next_steps.level_2", "next_steps.level_3",
    "crpd", "levensdomein", "movisie", "routekaart", "principles", "groups", "replaces",
)
CHANGELOG_HEADERS: Final = ("version", "date", "changes")
HEADERS: Final[dict[str, tuple[str, ...]]] = {
    SHEET_BANK: BANK_HEADERS, SHEET_THEMES: THEME_HEADERS, SHEET_QUESTIONS: QUESTION_HEADERS,
    SHEET_CHANGELOG: CHANGELOG_HEADERS,
}

LEVENSDOMEIN_KEYS: Final = ("onderwijs", "thuis", "werk_inkomen", "vrije_tijd", "vervoer",
                            "welzijn")
GROUP_KEYS: Final = ("handicap", "leeftijd", "herkomst", "gender", "seksuele_orientatie",
                     "inkomen", "religie", "laaggeletterdheid")
PRINCIPLE_KEYS: Final = ("gelijkheid", "solidariteit", "autonomie", "participatie")
CRPD_SUGGESTED: Final = ("4.3", "5", "8", "9", "11", "16", "19", "20", "21", "24", "25", "26",
                         "27", "28", "29", "30", "31", "33.3")

FORMULA_MESSAGE: Final = "formules zijn niet toegestaan"
_MACRO_TYPES: Final = ("macroenabled", "vbaproject", "ms-office.activex", "vnd.ms-excel.addin")
_MAIN_TYPE: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"


@dataclass(frozen=True)
class CellProblem:
    """One problem in a spreadsheet, printed as ``SHEET!CELL: field: message``."""

    cell: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.cell}: {self.field}: {self.message}"


class XlsxError(Exception):
    """Raised when a spreadsheet is refused; carries every problem found."""

    def __init__(self, problems: Sequence[CellProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass(frozen=True)
class XlsxBank:
    """A valid bank read from a spreadsheet, with the content it was built from."""

    bank: Bank
    content: dict[str, Any]
    cells: CellMap


@dataclass
class CellMap:
    """Where each part of a bank came from: bank path -> (``SHEET!CELL``, field label)."""

    cells: list[tuple[str, str | None]] = field(default_factory=list)
    index: dict[PathKey, int] = field(default_factory=dict)

    def add(self, path: PathKey, ref: str, label: str | None = None) -> None:
        self.index[path] = len(self.cells)
        self.cells.append((ref, label))

    def locate(self, path: Iterable[str | int]) -> tuple[str, str | None]:
        """The cell of ``path`` or of its nearest ancestor that has one."""
        best = self.index.get((), 0)
        prefix: PathKey = ()
        for part in path:
            for key in (prefix + (part,), prefix + (str(part),)):
                if key in self.index:
                    prefix = key
                    best = self.index[key]
                    break
            else:
                break
        return self.cells[best] if self.cells else ("bank!A1", None)

    def problem(self, path: PathKey, message: str) -> CellProblem:
        """A problem at ``path``; a message naming a missing field points at that field's cell."""
        named = re.search(r"field '([a-z_]+)'", message)
        if named and path + (named.group(1),) in self.index:
            path = path + (named.group(1),)
        ref, label = self.locate(path)
        if label is None:
            names = [str(part) for part in path if isinstance(part, str)]
            label = names[-1] if names else "(document)"
        return CellProblem(ref, label, message)


def _ref(sheet: str, column: int, row: int) -> str:
    from openpyxl.utils import get_column_letter

    return f"{sheet}!{get_column_letter(column)}{row}"


# --------------------------------------------------------------------------- safety checks


def check_container(data: bytes, filename: str | None = None, *,
                    max_bytes: int = MAX_BYTES) -> None:
    """Refuse what is not a plain, reasonably small ``.xlsx`` zip (raises :class:`XlsxError`).

    Checks the size, the name, the zip itself (parts, unpacked size), the content types (a
    macro-enabled workbook or a VBA part is refused whatever the file is called) and that no
    XML part declares a DTD (entity expansion).
    """
    def refuse(message: str) -> XlsxError:
        return XlsxError([CellProblem("(bestand)", "file", message)])

    if len(data) > max_bytes:
        raise refuse(f"the file is {len(data)} bytes; the limit is {max_bytes} bytes")
    if filename is not None:
        suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
        if suffix in ("xlsm", "xltm", "xlam", "xlsb"):
            raise refuse("a macro-enabled workbook (.xlsm) is refused; save it as .xlsx")
        if suffix != "xlsx":
            raise refuse("expected an .xlsx file")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise refuse("not a valid .xlsx file (not a zip archive)") from None
    if len(infos) > MAX_PARTS or sum(info.file_size for info in infos) > MAX_UNPACKED_BYTES:
        raise refuse("the file unpacks to too much data")
    names = {info.filename.lower() for info in infos}
    if any(name.endswith("vbaproject.bin") for name in names):
        raise refuse("the file holds macros (vbaProject.bin); save it as .xlsx without macros")
    if "[content_types].xml" not in names:
        raise refuse("not a valid .xlsx file ([Content_Types].xml is missing)")
    from defusedxml import ElementTree  # type: ignore[import-untyped]  # no stubs installed
    from defusedxml.common import DefusedXmlException  # type: ignore[import-untyped]  # no stubs

    for info in infos:
        if not info.filename.lower().endswith((".xml", ".rels", ".vml")):
            continue
        try:
            raw = archive.read(info)
        except (zipfile.BadZipFile, OSError, ValueError, RuntimeError):
            raise refuse(f"part {info.filename} cannot be read") from None
        if b"<!doctype" in raw[:4096].lower() or b"<!entity" in raw.lower():
            raise refuse(f"part {info.filename} declares a DTD, which is not allowed")
        if info.filename == "[Content_Types].xml":
            try:
                root = ElementTree.fromstring(raw)
            except (ElementTree.ParseError, DefusedXmlException):
                raise refuse("[Content_Types].xml is not valid XML") from None
            types = [str(el.get("ContentType", "")).lower() for el in root]
            if any(marker in kind for kind in types for marker in _MACRO_TYPES):
                raise refuse("a macro-enabled workbook is refused; save it as .xlsx")
            if _MAIN_TYPE not in types:
                raise refuse("not an .xlsx workbook")


# --------------------------------------------------------------------------- reading


def _text(value: Any) -> Any:
    """A cell as text: numbers without a spurious ``.0``, dates as ISO; None stays None."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    text = str(value)
    return text if text.strip() else None


def _list(value: Any) -> list[str] | None:
    text = _text(value)
    if text is None:
        return None
    return [part.strip() for part in text.split(",") if part.strip()]


def _int(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        return int(value)
    return value


def _number(value: Any) -> Any:
    if isinstance(value, str):
        try:
            number = float(value.replace(",", "."))
        except ValueError:
            return value
        return int(number) if number.is_integer() and "." not in value else number
    return value


def _bool(value: Any) -> Any:
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("true", "ja", "waar", "1"):
            return True
        if lowered in ("false", "nee", "onwaar", "0"):
            return False
    if isinstance(value, int) and not isinstance(value, bool) and value in (0, 1):
        return bool(value)
    return value


def _int_list(value: Any) -> list[Any] | None:
    items = _list(value)
    return None if items is None else [_int(item) for item in items]


def _replaces(value: Any) -> Any:
    text = _text(value)
    if text is None:
        return None
    if "," in text:
        return [part.strip() for part in text.split(",") if part.strip()]
    return text.strip()


def _date(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        return value.date()
    return _text(value)


_BANK_CONVERT: Final[dict[str, Callable[[Any], Any]]] = {
    "format": _int, "common": _bool, "municipal": _bool, "local": _bool,
    "levensdomeinen": _list,
}
_TEXT_REQUIRED: Final = {"id", "version", "title", "description", "statement", "changes"}


@dataclass
class _Sheet:
    name: str
    columns: dict[str, int]
    rows: list[tuple[int, dict[str, Any]]]


def _read_sheet(workbook: Any, name: str, problems: list[CellProblem]) -> _Sheet | None:
    if name not in workbook.sheetnames:
        problems.append(CellProblem(f"{name}!A1", "(sheet)", f"sheet '{name}' is missing"))
        return None
    sheet = workbook[name]
    expected = HEADERS[name]
    columns: dict[str, int] = {}
    rows: list[tuple[int, dict[str, Any]]] = []
    header_ok = True
    for r_index, row in enumerate(sheet.iter_rows(), start=1):
        if r_index > MAX_ROWS:
            problems.append(CellProblem(f"{name}!A{r_index}", "(sheet)",
                                        f"more than {MAX_ROWS} rows"))
            return None
        values: dict[str, Any] = {}
        for cell in row:
            value = cell.value
            if value is None:
                continue
            ref = f"{name}!{cell.coordinate}"
            if cell.data_type == "f" or type(value).__name__ in ("ArrayFormula",
                                                                  "DataTableFormula"):
                label = (expected[cell.column - 1] if r_index > 1 and cell.column <= len(expected)
                         else "(cell)")
                label = next((h for h, c in columns.items() if c == cell.column), label)
                problems.append(CellProblem(ref, label, FORMULA_MESSAGE))
                continue
            if r_index == 1:
                header = str(value).strip()
                if header not in expected:
                    problems.append(CellProblem(ref, "(header)", f"unknown column '{header}' "
                                                f"(expected: {', '.join(expected)})"))
                    header_ok = False
                elif header in columns:
                    problems.append(CellProblem(ref, "(header)", f"column '{header}' twice"))
                    header_ok = False
                else:
                    columns[header] = cell.column
                continue
            values[str(cell.column)] = value
        if r_index == 1:
            for header in expected:
                if header not in columns:
                    problems.append(CellProblem(f"{name}!A1", "(header)",
                                                f"column '{header}' is missing"))
                    header_ok = False
        elif values:
            rows.append((r_index, {h: values.get(str(c)) for h, c in columns.items()}))
    if not columns and header_ok:
        problems.append(CellProblem(f"{name}!A1", "(header)", "the header row is missing"))
        return None
    return _Sheet(name, columns, rows) if header_ok else None


def _cell(sheet: _Sheet, header: str, row: int) -> str:
    return _ref(sheet.name, sheet.columns[header], row)


def _bank_part(sheet: _Sheet, data: dict[str, Any], cells: CellMap,
               problems: list[CellProblem]) -> None:
    seen: dict[str, int] = {}
    for row, values in sheet.rows:
        name = _text(values.get("field"))
        ref = _cell(sheet, "field", row)
        if name is None:
            problems.append(CellProblem(ref, "field", "must not be empty"))
            continue
        name = name.strip()
        if name not in BANK_FIELDS:
            problems.append(CellProblem(ref, "field", f"unknown field '{name}' "
                                        f"(expected: {', '.join(BANK_FIELDS)})"))
            continue
        if name in seen:
            problems.append(CellProblem(ref, "field", f"field '{name}' twice "
                                        f"(also in row {seen[name]})"))
            continue
        seen[name] = row
        cells.add((name,), _cell(sheet, "value", row), name)
        raw = values.get("value")
        if raw is None:
            if name in _TEXT_REQUIRED:
                data[name] = ""
            elif name == "levensdomeinen":
                data[name] = []
            continue
        convert = _BANK_CONVERT.get(name, _text)
        data[name] = convert(raw)


def _theme_part(sheet: _Sheet, cells: CellMap, problems: list[CellProblem]
                ) -> list[dict[str, Any]]:
    themes: list[dict[str, Any]] = []
    cells.add(("themes",), f"{sheet.name}!A1", "themes")
    for index, (row, values) in enumerate(sheet.rows):
        where: PathKey = ("themes", index)
        cells.add(where, _cell(sheet, "id", row), None)
        theme: dict[str, Any] = {}
        for header in THEME_HEADERS:
            cells.add(where + (header,), _cell(sheet, header, row), header)
            raw = values.get(header)
            if header == "crpd":
                theme[header] = _list(raw) or []
            elif header == "target":
                if raw is not None:
                    theme[header] = _int(raw)
            else:
                text = _text(raw)
                theme[header] = "" if text is None else text
        cells.add(where + ("questions",), _cell(sheet, "id", row), "questions")
        theme["questions"] = []
        themes.append(theme)
    return themes


def _question(sheet: _Sheet, row: int, values: dict[str, Any], where: PathKey,
              cells: CellMap) -> dict[str, Any]:
    question: dict[str, Any] = {}
    cells.add(where, _cell(sheet, "id", row), None)

    def at(path: tuple[str | int, ...], header: str) -> None:
        cells.add(where + path, _cell(sheet, header, row), header)

    for header in ("id", "statement"):
        at((header,), header)
        text = _text(values.get(header))
        question[header] = "" if text is None else text
    help_: dict[int, Any] = {}
    at(("help",), "help_2")
    for level in range(5):
        at(("help", str(level)), f"help_{level}")
        text = _text(values.get(f"help_{level}"))
        if text is not None:
            help_[level] = text
    question["help"] = help_
    simple: dict[str, Callable[[Any], Any]] = {
        "weight": _number, "core": _bool, "evidence": _text, "next_step": _text,
        "replaces": _replaces,
    }
    for header, convert in simple.items():
        at((header,), header)
        raw = values.get(header)
        if raw is not None:
            question[header] = convert(raw)
    steps: dict[str, Any] = {}
    at(("next_steps",), "next_steps.levels_0_1")
    for band in ("levels_0_1", "level_2", "level_3"):
        at(("next_steps", band), f"next_steps.{band}")
        text = _text(values.get(f"next_steps.{band}"))
        if text is not None:
            steps[band] = text
    if steps:
        question["next_steps"] = steps
    tags: dict[str, Any] = {}
    at(("tags",), "crpd")
    tag_convert: dict[str, Callable[[Any], Any]] = {
        "crpd": _list, "levensdomein": _list, "movisie": _int, "routekaart": _int_list,
        "principles": _list, "groups": _list,
    }
    for header, convert in tag_convert.items():
        at(("tags", header), header)
        value = convert(values.get(header))
        if value is not None:
            tags[header] = value
        elif header in ("crpd", "levensdomein"):
            tags[header] = []
    question["tags"] = tags
    return question


def _question_part(sheet: _Sheet, themes: list[dict[str, Any]], cells: CellMap,
                   problems: list[CellProblem]) -> None:
    by_id = {theme["id"]: index for index, theme in enumerate(themes) if theme["id"]}
    for row, values in sheet.rows:
        theme_id = _text(values.get("theme"))
        ref = _cell(sheet, "theme", row)
        if theme_id is None:
            problems.append(CellProblem(ref, "theme", "must not be empty"))
            continue
        t_index = by_id.get(theme_id.strip())
        if t_index is None:
            problems.append(CellProblem(ref, "theme", f"unknown theme '{theme_id}' (not in "
                                        f"sheet {SHEET_THEMES})"))
            continue
        questions = themes[t_index]["questions"]
        where: PathKey = ("themes", t_index, "questions", len(questions))
        questions.append(_question(sheet, row, values, where, cells))


def _changelog_part(sheet: _Sheet, cells: CellMap) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    cells.add(("changelog",), f"{sheet.name}!A1", "changelog")
    for index, (row, values) in enumerate(sheet.rows):
        where: PathKey = ("changelog", index)
        cells.add(where, _cell(sheet, "version", row), None)
        entry: dict[str, Any] = {}
        for header in CHANGELOG_HEADERS:
            cells.add(where + (header,), _cell(sheet, header, row), header)
            raw = values.get(header)
            value = _date(raw) if header == "date" else _text(raw)
            entry[header] = "" if value is None else value
        entries.append(entry)
    return entries


def read_bank_xlsx(data: bytes, *, filename: str | None = None,
                   scales: Mapping[str, Scale] | None = None,
                   force: Mapping[str, Any] | None = None,
                   max_bytes: int = MAX_BYTES,
                   extra_checks: Callable[[Bank], Sequence[tuple[PathKey, str]]] | None = None,
                   ) -> XlsxBank:
    """Read a filled-in template into a valid bank (raises :class:`XlsxError` with every problem).

    ``force`` sets bank fields regardless of the sheet (e.g. ``{"local": True}``);
    ``extra_checks`` returns further problems of a valid bank as (bank path, message), such as
    ids that clash with other banks; they are reported at their cells too.
    """
    check_container(data, filename, max_bytes=max_bytes)
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=False, data_only=False,
                                 keep_vba=False, keep_links=False, rich_text=False)
    except Exception as exc:  # noqa: BLE001 - any parse failure of a hostile file is a refusal
        raise XlsxError([CellProblem("(bestand)", "file",
                                     f"not a readable .xlsx file ({type(exc).__name__})")]
                        ) from None
    problems: list[CellProblem] = []
    sheets = {name: _read_sheet(workbook, name, problems) for name in HEADERS}
    cells = CellMap()
    cells.add((), f"{SHEET_BANK}!A1", None)
    content: dict[str, Any] = {}
    if sheets[SHEET_BANK] is not None:
        _bank_part(sheets[SHEET_BANK], content, cells, problems)
    if sheets[SHEET_CHANGELOG] is not None:
        content["changelog"] = _changelog_part(sheets[SHEET_CHANGELOG], cells)
    if sheets[SHEET_THEMES] is not None:
        themes = _theme_part(sheets[SHEET_THEMES], cells, problems)
        if sheets[SHEET_QUESTIONS] is not None:
            _question_part(sheets[SHEET_QUESTIONS], themes, cells, problems)
        content["themes"] = themes
    if problems:
        raise XlsxError(problems)
    content.update(force or {})
    try:
        bank = parse_bank(content, name="xlsx", lines=cells.index,
                          scales=scales if scales is not None else None)
    except BankError as exc:
        raise XlsxError([_mapped(cells, p.line, p.path, p.message) for p in exc.problems]
                        ) from None
    if extra_checks is not None:
        extra = [cells.problem(path, message) for path, message in extra_checks(bank)]
        if extra:
            raise XlsxError(extra)
    return XlsxBank(bank=bank, content=content, cells=cells)


def _tail(path: str) -> str:
    """The last field name of a formatted bank path (``themes[0].title`` -> ``title``)."""
    parts = [part for part in re.split(r"[.\[\]]", path) if part and not part.isdigit()]
    return parts[-1] if parts else "(document)"


def _mapped(cells: CellMap, line: int, path: str, message: str) -> CellProblem:
    """A bank problem (its ``line`` is an index into ``cells``) as a cell problem."""
    keys = {index: key for key, index in cells.index.items()}
    key = keys.get(line)
    if key is None:
        return CellProblem(f"{SHEET_BANK}!A1", _tail(path), message)
    missing_level = re.search(r"missing: (\d)", message)
    if key[-1:] == ("help",) and missing_level:
        key = key + (missing_level.group(1),)
    problem = cells.problem(key, message)
    anchor, label = cells.cells[line]
    if label is None and problem.cell == anchor:
        # The field has no cell of its own (e.g. a missing row of sheet bank): name it.
        return CellProblem(problem.cell, _tail(path), message)
    return problem


# --------------------------------------------------------------------------- writing


def _cell_text(value: Any) -> Any:
    """A value as it is written to a cell (lists joined with commas)."""
    if isinstance(value, (list, tuple)):
        return ", ".join(str(item) for item in value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def _put(sheet: Any, row: int, column: int, value: Any) -> None:
    from openpyxl.styles import Alignment

    cell = sheet.cell(row=row, column=column)
    if value is None:
        return
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"  # never a formula, even when the text starts with '='
        cell.alignment = Alignment(wrap_text=True, vertical="top")


def _header(sheet: Any, headers: Sequence[str], widths: Mapping[str, int]) -> None:
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    for column, header in enumerate(headers, start=1):
        cell = sheet.cell(row=1, column=column, value=header)
        cell.font = Font(bold=True)
        sheet.column_dimensions[get_column_letter(column)].width = widths.get(header, 14)
    sheet.freeze_panes = "A2"


def _validation(sheet: Any, headers: Sequence[str], header: str, values: Sequence[str],
                *, strict: bool, prompt: str) -> None:
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    letter = get_column_letter(headers.index(header) + 1)
    rule = DataValidation(type="list", formula1='"' + ",".join(values) + '"', allow_blank=True,
                          showErrorMessage=strict, showInputMessage=True,
                          promptTitle=header, prompt=prompt[:250])
    if not strict:
        rule.errorStyle = "information"
    sheet.add_data_validation(rule)
    rule.add(f"{letter}2:{letter}{MAX_ROWS}")


_HELP_TEXT: Final = (
    ("Eigen vragen in een spreadsheet", ""),
    ("Zo werkt het",
     ("Vul de tabbladen bank, themas, vragen en wijzigingen in en upload het bestand. Elke fout "
     "krijgt een plek als TABBLAD!CEL, bijvoorbeeld vragen!C7: statement: must not be empty.")),
    ("bank", ("Eén veld per rij: id (kleine letters, cijfers en _), version (bijv. 1.0.0), title, "
     "description, scale, format (1 of 2), common, municipal, local (laat leeg) en "
     "levensdomeinen (gescheiden door komma's).")),
    ("themas", ("Eén thema per rij: id, title, description, crpd (artikelen van het VN-verdrag, "
     "bijv. 9, 4.3) en target (doelniveau 0-4, standaard 3).")),
    ("vragen", ("Eén vraag per rij. theme is het id van het thema; id is "
     "<bank>.<thema>.<naam>. help_2, help_3 en help_4 zijn verplicht (format 2: help_0 tot en "
     "met help_4, evidence en next_steps). Lijsten scheidt u met komma's.")),
    ("wijzigingen", ("Eén rij per versie: version, date (JJJJ-MM-DD) en changes. De versie van "
     "het tabblad bank moet erin staan.")),
    ("Veilig", ("Formules zijn niet toegestaan en bestanden met macro's (.xlsm) worden "
     "geweigerd. Een betekenis die verandert krijgt een nieuw id met replaces: <oud id>.")),
    ("levensdomein", ", ".join(LEVENSDOMEIN_KEYS)),
    ("movisie", "1-7 (stappenplan Inclusief Beleid)"),
    ("groups", ", ".join(GROUP_KEYS)),
    ("principles", ", ".join(PRINCIPLE_KEYS)),
    ("crpd", ", ".join(CRPD_SUGGESTED)),
)

_WIDTHS: Final = {"statement": 60, "description": 50, "title": 30, "value": 60, "changes": 50,
                  "id": 28, "evidence": 40, "help_0": 40, "help_1": 40, "help_2": 40,
                  "help_3": 40, "help_4": 40, "next_step": 40, "next_steps.levels_0_1": 40,
                  "next_steps.level_2": 40, "next_steps.level_3": 40, "field": 18}


def _workbook(scale_ids: Sequence[str]) -> Any:
    from openpyxl import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

    workbook = Workbook()
    bank_sheet = cast(Worksheet, workbook.active)  # a new workbook's active sheet is a worksheet
    bank_sheet.title = SHEET_BANK
    sheets = {SHEET_BANK: bank_sheet}
    for name in (SHEET_THEMES, SHEET_QUESTIONS, SHEET_CHANGELOG):
        sheets[name] = workbook.create_sheet(name)
    for name, sheet in sheets.items():
        _header(sheet, HEADERS[name], _WIDTHS)
    help_sheet = workbook.create_sheet(SHEET_HELP)
    help_sheet.column_dimensions["A"].width = 24
    help_sheet.column_dimensions["B"].width = 100
    for row, (title, text) in enumerate(_HELP_TEXT, start=1):
        _put(help_sheet, row, 1, title)
        _put(help_sheet, row, 2, text or None)
    questions = sheets[SHEET_QUESTIONS]
    _validation(questions, QUESTION_HEADERS, "levensdomein", LEVENSDOMEIN_KEYS, strict=False,
                prompt="Eén of meer, gescheiden door komma's.")
    _validation(questions, QUESTION_HEADERS, "movisie", [str(i) for i in range(1, 8)],
                strict=True, prompt="Stap 1-7 van het stappenplan Inclusief Beleid.")
    _validation(questions, QUESTION_HEADERS, "crpd", CRPD_SUGGESTED, strict=False,
                prompt="Artikel(en) van het VN-verdrag, gescheiden door komma's.")
    _validation(questions, QUESTION_HEADERS, "groups", GROUP_KEYS, strict=False,
                prompt="Groepen, gescheiden door komma's (niet verplicht).")
    _validation(questions, QUESTION_HEADERS, "principles", PRINCIPLE_KEYS, strict=False,
                prompt="LIA-principes, gescheiden door komma's (niet verplicht).")
    _validation(questions, QUESTION_HEADERS, "core", ["true", "false"], strict=False,
                prompt="true voor een kernvraag.")
    _validation(sheets[SHEET_THEMES], THEME_HEADERS, "crpd", CRPD_SUGGESTED, strict=False,
                prompt="Artikel(en) van het VN-verdrag, gescheiden door komma's.")
    _validation(sheets[SHEET_THEMES], THEME_HEADERS, "target", ["0", "1", "2", "3", "4"],
                strict=True, prompt="Doelniveau 0-4 (standaard 3).")
    from openpyxl.worksheet.datavalidation import DataValidation

    scale_rule = DataValidation(type="list", formula1='"' + ",".join(scale_ids) + '"',
                                allow_blank=True, showErrorMessage=True,
                                promptTitle="scale", prompt="De antwoordschaal.")
    bank_sheet.add_data_validation(scale_rule)
    scale_rule.add(f"B{2 + BANK_FIELDS.index('scale')}")
    domains = DataValidation(type="list", formula1='"' + ",".join(LEVENSDOMEIN_KEYS) + '"',
                             allow_blank=True, showErrorMessage=False, errorStyle="information")
    bank_sheet.add_data_validation(domains)
    domains.add(f"B{2 + BANK_FIELDS.index('levensdomeinen')}")
    for row, name in enumerate(BANK_FIELDS, start=2):
        _put(bank_sheet, row, 1, name)
    return workbook, sheets


def _save(workbook: Any) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def template_xlsx(scale_ids: Sequence[str] = (DEFAULT_SCALE,)) -> bytes:
    """The empty template: headers, field names, data-validation lists, the explanation."""
    workbook, sheets = _workbook(scale_ids)
    _put(sheets[SHEET_BANK], 2 + BANK_FIELDS.index("scale"), 2, DEFAULT_SCALE)
    return _save(workbook)


def bank_to_xlsx(bank: Bank, scale_ids: Sequence[str] = (DEFAULT_SCALE,)) -> bytes:
    """Write a bank to the template; reading the result gives the same bank (lossless).

    Only the fields the bank's source set are written, so a default is not turned into an
    explicit value (and the content hash survives the round trip).
    """
    workbook, sheets = _workbook(scale_ids)
    data = bank.model_dump(exclude_unset=True, exclude={"sha256"}, mode="python")
    bank_sheet = sheets[SHEET_BANK]
    for row, name in enumerate(BANK_FIELDS, start=2):
        if name in data:
            _put(bank_sheet, row, 2, _cell_text(data[name]))
    log = sheets[SHEET_CHANGELOG]
    for row, entry in enumerate(data.get("changelog", ()), start=2):
        for column, header in enumerate(CHANGELOG_HEADERS, start=1):
            _put(log, row, column, str(_cell_text(entry[header])))
    themes, questions = sheets[SHEET_THEMES], sheets[SHEET_QUESTIONS]
    q_row = 2
    for t_row, theme in enumerate(data.get("themes", ()), start=2):
        for column, header in enumerate(THEME_HEADERS, start=1):
            if header in theme:
                value = _cell_text(theme[header])
                _put(themes, t_row, column, value if header == "target" else str(value))
        for question in theme["questions"]:
            _write_question(questions, q_row, theme["id"], question)
            q_row += 1
    return _save(workbook)


def _write_question(sheet: Any, row: int, theme_id: str, question: Mapping[str, Any]) -> None:
    values: dict[str, Any] = {"theme": theme_id}
    for key in ("id", "statement", "weight", "core", "evidence", "next_step"):
        if key in question:
            values[key] = question[key]
    for level, text in question.get("help", {}).items():
        values[f"help_{int(level)}"] = text
    for band, text in (question.get("next_steps") or {}).items():
        values[f"next_steps.{band}"] = text
    for key, value in question.get("tags", {}).items():
        values[key] = value if key == "movisie" else [str(item) for item in value]
    if "replaces" in question:
        replaces = question["replaces"]
        if isinstance(replaces, (list, tuple)):
            values["replaces"] = ", ".join(replaces) + ("," if len(replaces) == 1 else "")
        else:
            values["replaces"] = replaces
    for column, header in enumerate(QUESTION_HEADERS, start=1):
        if header in values:
            value = _cell_text(values[header])
            if header not in ("weight", "core", "movisie"):
                value = str(value)
            _put(sheet, row, column, value)
