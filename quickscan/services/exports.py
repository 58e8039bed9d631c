"""Exports of a round: JSON (a documented contract), CSV and XLSX.

The JSON document (``docs/export.md``, schema ``quickscan-export/1``) is built as the typed
model of ``quickscan/export_schema.py`` -- the same model ``quickscan import`` validates a file
against -- and holds the round with its pinned bank snapshots, every department with the
engine's scores, the prioritised list and the responses, so an import restores the round.
CSV (as Dutch Excel opens it: ``;``, decimal comma, UTF-8 with BOM, every field quoted) and
XLSX hold the same scores, priorities and answers as tables; text that a spreadsheet would read
as a formula (starting with ``= + - @``, a tab or a carriage return; in CSV also after every
``;`` or line break) gets a single quote before it. All numbers come from the scoring engine,
unrounded.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final, cast

from sqlalchemy import select

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

from quickscan.export_schema import (
    SCHEMA,
    AnswerPart,
    BankResultPart,
    CommentPart,
    DepartmentPart,
    ExportDocument,
    Flag,
    ImportancePart,
    MunicipalityBank,
    MunicipalityPart,
    MunicipalityTheme,
    PinnedBank,
    PriorityPart,
    ResponsePart,
    ResponseStatus,
    RoundPart,
    RoundStatus,
    ThemeResultPart,
)
from quickscan.extensions import db
from quickscan.models import (
    RESPONSE_SUBMITTED,
    Answer,
    Comment,
    Department,
    ImportanceRating,
    Response,
    Round,
)
from quickscan.scoring import DepartmentResult, RoundResult, ThemeResult
from quickscan.services.banks import round_banks
from quickscan.services.results import score

FORMULA_PREFIXES: Final = ("=", "+", "-", "@", "\t", "\r")
#: A formula start at the beginning of a text or right after a CSV separator or line break:
#: a reader that splits on ``;`` or on lines without honouring quotes still sees no formula.
_FORMULA_IN_TEXT: Final = re.compile(r"(^|[;\r\n])(?=[=+\-@\t\r])")
CSV_SEPARATOR: Final = ";"
#: CSV tables: internal key -> Dutch name used in URLs (``?tabel=``) and sheet titles.
TABLES: Final = {"scores": "scores", "priorities": "prioriteiten", "answers": "antwoorden",
                 "importance": "belang"}
MIME_TYPES: Final = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class ExportError(ValueError):
    """An export was asked in a form that does not exist."""


def neutralise(value: Any) -> Any:
    """Make a text cell inert for spreadsheets: prefix formula-like text with a single quote."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _aware(value: datetime.datetime) -> datetime.datetime:
    """A stored timestamp with its zone (SQLite returns them without one: they are UTC)."""
    return value.replace(tzinfo=datetime.UTC) if value.tzinfo is None else value


def _value(stored: str) -> int | str:
    return int(stored) if stored.isdigit() else stored


# --------------------------------------------------------------------------- JSON


def _responses(round_: Round, submitted: bool) -> list[ResponsePart]:
    """Responses of the round (submitted or drafts) with answers, importance and comments."""
    rows = db.session.execute(
        select(Response, Department.name).join(Department)
        .where(Department.round_id == round_.id,
               (Response.status == RESPONSE_SUBMITTED) if submitted
               else (Response.status != RESPONSE_SUBMITTED))
        .order_by(Response.id)).all()
    ids = [response.id for response, _ in rows]
    answers: dict[int, list[AnswerPart]] = defaultdict(list)
    importance: dict[int, list[ImportancePart]] = defaultdict(list)
    comments: dict[int, list[CommentPart]] = defaultdict(list)
    if ids:
        order = {q.id: i for i, q in enumerate(q for b in round_banks(round_) for q in b.questions)}
        for response_id, question_id, value in db.session.execute(
                select(Answer.response_id, Answer.question_id, Answer.value)
                .where(Answer.response_id.in_(ids))):
            answers[response_id].append(AnswerPart(question=question_id, value=_value(value)))
        for response_id, bank_id, theme_id, rating in db.session.execute(
                select(ImportanceRating.response_id, ImportanceRating.bank_id,
                       ImportanceRating.theme_id, ImportanceRating.value)
                .where(ImportanceRating.response_id.in_(ids))
                .order_by(ImportanceRating.bank_id, ImportanceRating.theme_id)):
            importance[response_id].append(ImportancePart(
                theme=f"{bank_id}/{theme_id}", bank=bank_id, theme_id=theme_id, value=rating))
        for response_id, question_id, text in db.session.execute(
                select(Comment.response_id, Comment.question_id, Comment.text)
                .where(Comment.response_id.in_(ids))):
            comments[response_id].append(CommentPart(question=question_id, text=text))

        def by_question(item: AnswerPart | CommentPart) -> tuple[int, str]:
            return order.get(item.question, 1 << 30), item.question

        for items in list(answers.values()) + list(comments.values()):
            items.sort(key=by_question)
    return [ResponsePart(
        id=response.id,
        department=name,
        department_id=response.department_id,
        status=cast(ResponseStatus, response.status),
        created_at=_aware(response.created_at),
        updated_at=_aware(response.updated_at),
        submitted_at=_aware(response.submitted_at) if response.submitted_at else None,
        answers=answers.get(response.id, []),
        importance=importance.get(response.id, []),
        comments=comments.get(response.id, []),
    ) for response, name in rows]


def _theme_part(theme: ThemeResult) -> ThemeResultPart:
    return ThemeResultPart(
        id=theme.theme_id, score=theme.score, target=theme.target, gap=theme.gap,
        importance=theme.importance, priority=theme.priority, answered=theme.answered,
        dont_know=theme.dont_know, not_applicable=theme.not_applicable,
        flags=[cast(Flag, flag) for flag in theme.flags], action=theme.action)


def _department_part(department: DepartmentResult, department_id: int,
                     bank_ids: Sequence[str]) -> DepartmentPart:
    return DepartmentPart(
        id=department_id,
        name=department.name,
        bank_ids=list(bank_ids),
        respondents_started=department.respondents_started,
        respondents_submitted=department.respondents_submitted,
        banks=[BankResultPart(id=bank.bank_id, score=bank.score, target=bank.target,
                              gap=bank.gap, themes=[_theme_part(t) for t in bank.themes])
               for bank in department.banks],
        dimensions={dimension: dict(values)
                    for dimension, values in department.dimensions.items()})


def _round_part(round_: Round) -> RoundPart:
    return RoundPart(
        id=round_.id,
        name=round_.name,
        municipality=round_.municipality,
        description=round_.description or "",
        deadline=round_.deadline,
        status=cast(RoundStatus, round_.status),
        created_at=_aware(round_.created_at),
        target_overrides=dict(round_.target_overrides or {}),
        banks=[PinnedBank(id=rb.bank_id, version=rb.version, sha256=rb.sha256,
                          position=rb.position, content=rb.content) for rb in round_.banks])


def results_parts(result: RoundResult,
                  departments: Mapping[str, tuple[int, Sequence[str]]]) -> dict[str, Any]:
    """The parts of the document the engine computes: departments, priorities, municipality.

    ``departments`` maps each department's name to its id and bank ids. The importer compares
    these parts of a file with the restored round's own.
    """
    return {
        "departments": [_department_part(d, *departments[d.name]) for d in result.departments],
        "priorities": [PriorityPart(
            rank=p.rank, department=p.department, bank=p.bank, theme=p.theme, score=p.score,
            target=p.target, gap=p.gap, importance=p.importance, priority=p.priority,
            action=p.action) for p in result.priorities],
        "municipality": MunicipalityPart(
            banks=[MunicipalityBank(id=bank_id, score=value)
                   for bank_id, value in result.municipality.banks.items()],
            themes=[MunicipalityTheme(bank=bank_id, theme=theme_id, score=value)
                    for (bank_id, theme_id), value in result.municipality.themes.items()]),
    }


def export_document(round_: Round, result: RoundResult | None = None) -> ExportDocument:
    """The round as a validated ``quickscan-export/1`` document."""
    result = result or score(round_)
    return ExportDocument(
        schema=SCHEMA,
        exported_at=datetime.datetime.now(datetime.UTC),
        round=_round_part(round_),
        **results_parts(result, {d.name: (d.id, d.bank_ids) for d in round_.departments}),
        responses=_responses(round_, submitted=True),
        draft_responses=_responses(round_, submitted=False),
    )


def export_data(round_: Round, result: RoundResult | None = None) -> dict[str, Any]:
    """The round as the ``quickscan-export/1`` JSON document (a dict ready for ``json.dumps``)."""
    return export_document(round_, result).dump()


def to_json(round_: Round, result: RoundResult | None = None) -> bytes:
    """The JSON export as UTF-8 bytes."""
    return json.dumps(export_data(round_, result), ensure_ascii=False, indent=2).encode("utf-8")


# --------------------------------------------------------------------------- tables


def table_rows(round_: Round, table: str, result: RoundResult | None = None,
               data: dict[str, Any] | None = None) -> list[list[Any]]:
    """One export table as rows, header first: scores, priorities, answers or importance."""
    if table not in TABLES:
        raise ExportError(f"unknown table {table!r}")
    data = data or export_data(round_, result)
    banks = {b.id: b for b in round_banks(round_)}

    def bank_title(bank_id: str) -> str:
        return banks[bank_id].title if bank_id in banks else bank_id

    def theme_title(bank_id: str, theme_id: str) -> str:
        try:
            return banks[bank_id].theme(theme_id).title
        except KeyError:
            return theme_id

    if table == "scores":
        rows: list[list[Any]] = [[
            "department", "bank", "bank_title", "theme", "theme_title", "score", "target",
            "gap", "importance", "priority", "answered", "dont_know", "not_applicable",
            "flags", "bank_score", "respondents_submitted"]]
        for department in data["departments"]:
            for bank in department["banks"]:
                for theme in bank["themes"]:
                    rows.append([
                        department["name"], bank["id"], bank_title(bank["id"]), theme["id"],
                        theme_title(bank["id"], theme["id"]), theme["score"], theme["target"],
                        theme["gap"], theme["importance"], theme["priority"], theme["answered"],
                        theme["dont_know"], theme["not_applicable"], ",".join(theme["flags"]),
                        bank["score"], department["respondents_submitted"]])
        return rows
    if table == "priorities":
        rows = [["rank", "department", "bank", "bank_title", "theme", "theme_title", "score",
                 "target", "gap", "importance", "priority", "action"]]
        for p in data["priorities"]:
            rows.append([p["rank"], p["department"], p["bank"], bank_title(p["bank"]),
                         p["theme"], theme_title(p["bank"], p["theme"]), p["score"],
                         p["target"], p["gap"], p["importance"], p["priority"], p["action"]])
        return rows
    if table == "answers":
        rows = [["response", "department", "submitted_at", "bank", "theme", "question",
                 "value", "comment"]]
        for response in data["responses"]:
            comments = {c["question"]: c["text"] for c in response["comments"]}
            answered = set()
            for answer in response["answers"]:
                parts = answer["question"].split(".")
                answered.add(answer["question"])
                rows.append([response["id"], response["department"], response["submitted_at"],
                             parts[0], parts[1] if len(parts) > 1 else "", answer["question"],
                             answer["value"], comments.get(answer["question"], "")])
            for question, comment in comments.items():
                if question not in answered:
                    parts = question.split(".")
                    rows.append([response["id"], response["department"],
                                 response["submitted_at"], parts[0],
                                 parts[1] if len(parts) > 1 else "", question, None, comment])
        return rows
    rows = [["response", "department", "bank", "theme", "value"]]
    for response in data["responses"]:
        for rating in response["importance"]:
            rows.append([response["id"], response["department"], rating["bank"],
                         rating["theme_id"], rating["value"]])
    return rows


def neutralise_csv(value: str) -> str:
    """Neutralise a text for CSV: a quote before a formula start at the beginning and after
    every ``;`` or line break, so no piece of it is a formula however a reader splits it."""
    return _FORMULA_IN_TEXT.sub(lambda match: match.group(1) + "'", value)


def csv_cell(value: Any) -> str:
    """One CSV cell as Dutch Excel reads it: decimal comma, full precision, empty for null."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return neutralise_csv(str(value).lower())
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = repr(value)
        if "e" in text or "E" in text:
            text = format(Decimal(text), "f")
        return text.replace(".", ",")
    return neutralise_csv(str(value))


def to_csv(round_: Round, table: str = "scores", result: RoundResult | None = None) -> bytes:
    """One table as CSV the way Dutch Excel opens it: UTF-8 with BOM, ``;``-separated, every
    field quoted, decimal comma, full-precision numbers, formulas neutralised in every field."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=CSV_SEPARATOR, quoting=csv.QUOTE_ALL,
                        lineterminator="\r\n")
    for row in table_rows(round_, table, result):
        writer.writerow([csv_cell(cell) for cell in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(round_: Round, result: RoundResult | None = None) -> bytes:
    """A workbook with a sheet per table (scores, priorities, answers, importance)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    data = export_data(round_, result)
    workbook = Workbook()
    info = cast("Worksheet", workbook.active)  # a new workbook always has its first sheet
    info.title = "ronde"
    info.append(["schema", SCHEMA])
    for key in ("id", "name", "municipality", "status", "deadline"):
        info.append([key, neutralise(data["round"][key])])
    for bank in data["round"]["banks"]:
        info.append(["bank", bank["id"], bank["version"], bank["sha256"]])
    for table, title in TABLES.items():
        sheet = workbook.create_sheet(title)
        rows = table_rows(round_, table, data=data)
        for row in rows:
            sheet.append([neutralise(cell) for cell in row])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
        _set_text_cells(sheet)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _set_text_cells(sheet: Any) -> None:
    """Store every text cell as a plain string (never as a formula)."""
    for row in sheet.iter_rows(min_row=1):
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"


def export(round_: Round, fmt: str, table: str = "scores") -> bytes:
    """The export of a round in ``json``, ``csv`` (one table) or ``xlsx``."""
    if fmt == "json":
        return to_json(round_)
    if fmt == "csv":
        return to_csv(round_, table)
    if fmt == "xlsx":
        return to_xlsx(round_)
    raise ExportError(f"unknown export format {fmt!r}")


def export_filename(round_: Round, fmt: str, table: str = "scores") -> str:
    """A download file name such as ``quickscan-ronde-3.json`` or ``…-prioriteiten.csv``."""
    if fmt == "csv":
        return f"quickscan-ronde-{round_.id}-{TABLES[table]}.csv"
    return f"quickscan-ronde-{round_.id}.{fmt}"


def csv_tables() -> Sequence[str]:
    """The table keys a CSV export can hold."""
    return tuple(TABLES)
