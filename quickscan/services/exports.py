"""Exports of a round: the JSON backup (a documented contract), CSV and XLSX analysis tables.

**JSON** (``docs/export.md``, schema ``quickscan-export/2``) is the round's *backup*: built as
the typed model of ``quickscan/export_schema.py`` -- the same model ``quickscan import``
validates a file against -- it holds the round with its pinned bank snapshots, every
department with the engine's scores, the prioritised list and the responses, so an import
restores the round. It holds response-level data and says so (``contains``): responses carry
random opaque ids generated at export (stable within one file only) and dates without times,
in an order that does not follow submission. Only the beheerder may download it.

**CSV and XLSX** hold aggregates and comments only, never one row per response: scores per
theme, the priorities, per-question distributions (counts per level), per-theme importance
distributions, the comments (without response, sorted by department, question and text) and
the municipality means. A department with fewer than the round's minimum group size k of
submitted responses is *hidden*: its rows carry no figure, only its counts of started and
submitted questionnaires and a sentence that says why; it does not count in the municipality
figures or the priorities (the scoring engine does that, given k).

CSV is written as Dutch Excel opens it (``;``, decimal comma, UTF-8 with BOM, every field
quoted, scores rounded to one decimal); XLSX keeps full precision with a ``0.0`` number
format, column widths from the content, a frozen header row, one sheet per table and an
explanation sheet. Column headers, sheet names and the explanation come in as
:class:`ExportLabels` (the views build them in the request's language with
:func:`export_labels`). Text that a spreadsheet would read as a formula (starting with
``= + - @``, a tab or a carriage return; in CSV also after every ``;`` or line break) gets a
single quote before it, in every field.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import re
import secrets
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final, Literal, cast

from flask_babel import gettext as _
from sqlalchemy import func, select

from quickscan.bank import Bank
from quickscan.export_schema import (
    CONTAINS,
    SCHEMA,
    AnswerPart,
    BankResultPart,
    CommentPart,
    ComparisonPart,
    ComparisonTheme,
    DepartmentPart,
    ExportDocument,
    Flag,
    ImportancePart,
    MunicipalityBank,
    MunicipalityPart,
    MunicipalityTheme,
    PinnedBank,
    PreviousBank,
    PreviousRound,
    PriorityPart,
    ResponsePart,
    ResponseStatus,
    RoundPart,
    RoundStatus,
    ThemeResultPart,
)
from quickscan.extensions import db
from quickscan.models import (
    KIND_DEPARTMENT,
    KIND_MUNICIPALITY,
    RESPONSE_SUBMITTED,
    SCOPE_FULL,
    Answer,
    Comment,
    Department,
    ImportanceRating,
    Response,
    Round,
)
from quickscan.scoring import DepartmentResult, RoundResult, ThemeResult
from quickscan.services.backup import restorable_parts
from quickscan.services.banks import round_banks
from quickscan.services.group_size import min_group_size
from quickscan.services.results import score, score_municipal

FORMULA_PREFIXES: Final = ("=", "+", "-", "@", "\t", "\r")
#: A formula start at the beginning of a text or right after a CSV separator or line break:
#: a reader that splits on ``;`` or on lines without honouring quotes still sees no formula.
_FORMULA_IN_TEXT: Final = re.compile(r"(^|[;\r\n])(?=[=+\-@\t\r])")
CSV_SEPARATOR: Final = ";"
#: Analysis tables: internal key -> Dutch name used in URLs (``?tabel=``).
TABLES: Final = {"scores": "scores", "priorities": "prioriteiten", "answers": "antwoorden",
                 "importance": "belang", "comments": "opmerkingen",
                 "municipality": "gemeente", "comparison": "vergelijking",
                 "perspectives": "perspectieven"}
MIME_TYPES: Final = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
#: Decimals of a score (points, importance, priority) in CSV; XLSX shows as many.
CSV_DECIMALS: Final = 1
XLSX_SCORE_FORMAT: Final = "0.0"
#: Widest column of a sheet, in characters.
XLSX_MAX_WIDTH: Final = 60

#: The columns of every table, in order. The first ones of ``scores`` and ``priorities`` are
#: those of version 1 of this export, in the same order.
COLUMNS: Final[dict[str, tuple[str, ...]]] = {
    "scores": ("department", "bank", "bank_title", "theme", "theme_title", "score", "target",
               "gap", "importance", "priority", "answered", "dont_know", "not_applicable",
               "flags", "bank_score", "respondents_submitted", "respondents_started", "note"),
    "priorities": ("rank", "department", "bank", "bank_title", "theme", "theme_title",
                   "score", "target", "gap", "importance", "priority", "action"),
    "answers": ("department", "bank", "bank_title", "theme", "theme_title", "question",
                "question_text", "level_0", "level_1", "level_2", "level_3", "level_4",
                "dont_know", "not_applicable", "answered", "score", "respondents_submitted",
                "respondents_started", "note"),
    "importance": ("department", "bank", "bank_title", "theme", "theme_title", "importance",
                   "rating_1", "rating_2", "rating_3", "rating_4", "rating_5", "ratings",
                   "respondents_submitted", "respondents_started", "note"),
    "comments": ("department", "bank", "bank_title", "theme", "theme_title", "question",
                 "question_text", "comment", "note"),
    "municipality": ("bank", "bank_title", "theme", "theme_title", "score"),
    #: The JSON ``perspectives`` table (:func:`quickscan.services.perspectives.perspective_rows`)
    #: with titles beside the ids; empty figures where a group is under its minimum size.
    "perspectives": ("department", "bank", "bank_title", "theme", "theme_title",
                     "civil_servants", "residents", "ambition", "difference", "blind_spot",
                     "note"),
}
#: The columns of the ``comparison`` table (the change since the previous round): only a round
#: with a previous round has rows, and only its XLSX has the sheet.
COMPARISON_COLUMNS: Final = ("department", "bank", "bank_title", "theme", "theme_title",
                             "score", "previous_score", "delta", "comparable_questions",
                             "questions", "compatibility", "previous_round", "note")


def columns_of(table: str) -> tuple[str, ...]:
    """The columns of a table key of :data:`TABLES`."""
    return COMPARISON_COLUMNS if table == "comparison" else COLUMNS[table]
#: Columns holding a score on the 0-100 or 1-5 scale (one decimal in CSV and XLSX).
SCORE_COLUMNS: Final = frozenset({"score", "target", "gap", "importance", "priority",
                                  "bank_score", "previous_score", "delta", "civil_servants",
                                  "residents", "ambition", "difference"})


class ExportError(ValueError):
    """An export was asked in a form that does not exist."""


@dataclass(frozen=True)
class ExportLabels:
    """Everything an export writes in words, in one language.

    ``headers`` and ``descriptions`` are per column key (see :data:`COLUMNS`), ``tables`` per
    table key plus ``"explanation"`` and ``"round"`` (sheet names, at most 31 characters),
    ``texts`` the explanation sheet's labels and the hidden department's sentence
    (``hidden``, with ``%(k)d``).
    """

    headers: Mapping[str, str]
    descriptions: Mapping[str, str]
    tables: Mapping[str, str]
    texts: Mapping[str, str]

    def hidden(self, k: int) -> str:
        """What a hidden department's row says instead of figures."""
        return self.texts["hidden"] % {"k": k}


def export_labels() -> ExportLabels:
    """The labels in the current Flask-Babel locale (the request's language in a view)."""
    headers = {
        "department": _("Afdeling"), "bank": _("Vragenlijst (id)"),
        "bank_title": _("Vragenlijst"), "theme": _("Thema (id)"), "theme_title": _("Thema"),
        "question": _("Vraag (id)"), "question_text": _("Vraag"), "score": _("Score"),
        "target": _("Doel"), "gap": _("Achterstand"), "importance": _("Belang"),
        "priority": _("Prioriteit"), "answered": _("Antwoorden met niveau"),
        "dont_know": _("Weet ik niet"), "not_applicable": _("Niet van toepassing"),
        "flags": _("Signalen"), "bank_score": _("Score vragenlijst"),
        "respondents_submitted": _("Ingevuld"), "respondents_started": _("Begonnen"),
        "note": _("Opmerking"), "rank": _("Rang"), "action": _("Volgende stap"),
        "comment": _("Toelichting van respondent"), "ratings": _("Aantal beoordelingen"),
        "previous_score": _("Vorige score"), "delta": _("Verandering"),
        "comparable_questions": _("Vergelijkbare vragen"), "questions": _("Vragen"),
        "compatibility": _("Vergelijkbaar deel"), "previous_round": _("Vorige meting"),
        "civil_servants": _("Medewerkers"), "residents": _("Inwoners"),
        "ambition": _("Ambitie bestuur"), "difference": _("Verschil"),
        "blind_spot": _("Blinde vlek"),
    }
    descriptions = {
        "department": _("De afdeling."),
        "bank": _("De id van de vragenlijst."),
        "bank_title": _("De titel van de vragenlijst."),
        "theme": _("De id van het thema."),
        "theme_title": _("De titel van het thema."),
        "question": _("De id van de vraag."),
        "question_text": _("De stelling van de vraag."),
        "score": _("Score op de schaal 0-100 (niveau × 25, gemiddeld); leeg waar niemand een "
                   "niveau gaf."),
        "target": _("Het doel op de schaal 0-100."),
        "gap": _("Doel min score, niet lager dan 0."),
        "importance": _("Gemiddeld belang volgens de respondenten (1-5; 3 als niemand het "
                        "beoordeelde)."),
        "priority": _("Achterstand × belang / 5: hoe hoger, hoe eerder aanpakken."),
        "answered": _("Aantal antwoorden met een niveau."),
        "dont_know": _("Aantal antwoorden 'weet ik niet'."),
        "not_applicable": _("Aantal antwoorden 'niet van toepassing'."),
        "flags": _("Signalen: knowledge_gap (veel 'weet ik niet'), disagreement (antwoorden "
                   "lopen sterk uiteen), low_coverage (weinig antwoorden)."),
        "bank_score": _("Score van de hele vragenlijst in deze afdeling (0-100)."),
        "respondents_submitted": _("Aantal ingevulde (ingediende) vragenlijsten."),
        "respondents_started": _("Aantal begonnen vragenlijsten, ingevuld of niet."),
        "note": _("Waarom een rij geen cijfers heeft."),
        "rank": _("Plaats in de lijst van prioriteiten."),
        "action": _("De voorgestelde volgende stap."),
        "comment": _("Een toelichting van een respondent, zonder wie of wanneer."),
        "ratings": _("Aantal respondenten dat het belang beoordeelde."),
        "previous_score": _("Score van de vorige meting over dezelfde vergelijkbare vragen, "
                            "met dezelfde gewichten (0-100)."),
        "delta": _("Score min vorige score; leeg waar een van beide ontbreekt."),
        "comparable_questions": _("Vragen van het thema die in beide metingen hetzelfde "
                                  "betekenen (zelfde id, of één-op-één vervangen)."),
        "questions": _("Vragen van het thema in deze meting."),
        "compatibility": _("Vergelijkbare vragen gedeeld door vragen (0-1); onder de 0,5 "
                           "berust de verandering op minder dan de helft van de vragen."),
        "previous_round": _("De meting waarmee vergeleken wordt."),
        "civil_servants": _("Score van de medewerkers op het thema (0-100): van de afdeling, "
                            "of het gemiddelde van de getoonde afdelingen waar de afdeling "
                            "leeg is."),
        "residents": _("Hoe inwoners het thema ervaren (0-100): 25 × (antwoord − 1), "
                       "gemiddeld over de zinnen die bij het thema horen."),
        "ambition": _("De ambitie van het bestuur: het middelste niveau (mediaan) × 25 "
                      "(0-100)."),
        "difference": _("Medewerkers min inwoners; leeg waar een van beide ontbreekt."),
        "blind_spot": _("'ja' bij een blinde vlek: medewerkers scoren 25 punten of meer "
                        "hoger dan inwoners."),
    }
    for level in range(5):
        headers[f"level_{level}"] = _("Niveau %(level)d", level=level)
        descriptions[f"level_{level}"] = _("Aantal antwoorden met niveau %(level)d.",
                                           level=level)
    for rating in range(1, 6):
        headers[f"rating_{rating}"] = _("Belang %(rating)d", rating=rating)
        descriptions[f"rating_{rating}"] = _("Aantal respondenten dat belang %(rating)d gaf.",
                                             rating=rating)
    tables = {
        "scores": _("scores"), "priorities": _("prioriteiten"), "answers": _("antwoorden"),
        "importance": _("belang"), "comments": _("opmerkingen"),
        "municipality": _("gemeente"), "explanation": _("toelichting"), "round": _("ronde"),
        "comparison": _("vergelijking"), "perspectives": _("perspectieven"),
    }
    texts = {
        "hidden": _("Nog geen resultaat: minder dan %(k)d ingevulde vragenlijsten"),
        "title": _("Toelichting bij deze export"),
        "round": _("Ronde"), "municipality": _("Gemeente"), "status": _("Status"),
        "open": _("open (voorlopige resultaten)"), "closed": _("gesloten"),
        "deadline": _("Sluitingsdatum"), "exported": _("Datum van export"),
        "k": _("Minimale groepsgrootte"),
        "k_explained": _("Een afdeling met minder ingevulde vragenlijsten dan de minimale "
                         "groepsgrootte krijgt geen cijfers en telt niet mee in de cijfers "
                         "van de gemeente en de prioriteiten; alleen het aantal begonnen en "
                         "ingevulde vragenlijsten staat erbij."),
        "privacy": _("Deze export bevat alleen totalen en opmerkingen, nooit de antwoorden "
                     "van één persoon."),
        "table": _("Tabel"), "column": _("Kolom"), "meaning": _("Betekenis"),
        "bank": _("Vragenlijst"), "version": _("Versie"), "fingerprint": _("Vingerafdruk"),
        "comparison_hidden": _("Geen verandering: te weinig ingevulde vragenlijsten in een van "
                               "beide metingen"),
        "yes": _("ja"),
        "group_hidden": _("%(group)s: nog geen resultaat: minder dan %(k)d ingevulde "
                          "vragenlijsten (%(n)d ingevuld)."),
        "residents": _("Inwoners"), "bestuur": _("Bestuur"),
    }
    return ExportLabels(headers, descriptions, tables, texts)


def neutralise(value: Any) -> Any:
    """Make a text cell inert for spreadsheets: prefix formula-like text with a single quote."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _aware(value: datetime.datetime) -> datetime.datetime:
    """A stored timestamp with its zone (SQLite returns them without one: they are UTC)."""
    return value.replace(tzinfo=datetime.UTC) if value.tzinfo is None else value


def _day(value: datetime.datetime) -> datetime.date:
    """The UTC date of a stored timestamp (the backup keeps no times)."""
    return _aware(value).astimezone(datetime.UTC).date()


def _value(stored: str) -> int | str:
    return int(stored) if stored.isdigit() else stored


def round_result(round_: Round) -> RoundResult:
    """The engine's result of a round with the round's minimum group size k."""
    return score(round_, min_group_size=min_group_size(round_))


# --------------------------------------------------------------------------- JSON


def _response_rows(round_: Round) -> list[tuple[Response, str]]:
    return [(response, name) for response, name in db.session.execute(
        select(Response, Department.name).join(Department)
        .where(Department.round_id == round_.id))]


def _responses(round_: Round) -> tuple[list[ResponsePart], list[ResponsePart]]:
    """Submitted and unfinished responses with answers, importance and comments.

    Each gets a random opaque id (unique in this file); both lists are sorted by department
    and content, never by id or time, so neither the ids nor the order reveal who came first.
    """
    rows = _response_rows(round_)
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
    parts = [(name, ResponsePart(
        id="0" * 16,  # replaced below, once the order is known
        department=name,
        department_id=response.department_id,
        status=cast(ResponseStatus, response.status),
        started_on=_day(response.created_at),
        submitted_on=_day(response.submitted_at) if response.submitted_at else None,
        answers=answers.get(response.id, []),
        importance=importance.get(response.id, []),
        comments=comments.get(response.id, []),
    )) for response, name in rows]
    parts.sort(key=lambda item: (item[0], json.dumps(
        item[1].model_dump(mode="json", exclude={"id"}), sort_keys=True, ensure_ascii=False)))
    used: set[str] = set()
    submitted: list[ResponsePart] = []
    drafts: list[ResponsePart] = []
    for _name, part in parts:
        opaque = secrets.token_hex(8)
        while opaque in used:  # pragma: no cover - 64 random bits
            opaque = secrets.token_hex(8)
        used.add(opaque)
        entry = part.model_copy(update={"id": opaque})
        (submitted if entry.status == RESPONSE_SUBMITTED else drafts).append(entry)
    return submitted, drafts


def _theme_part(theme: ThemeResult) -> ThemeResultPart:
    return ThemeResultPart(
        id=theme.theme_id, score=theme.score, target=theme.target, gap=theme.gap,
        importance=theme.importance, priority=theme.priority, answered=theme.answered,
        dont_know=theme.dont_know, not_applicable=theme.not_applicable,
        flags=[cast(Flag, flag) for flag in theme.flags], action=theme.action)


def _department_part(department: DepartmentResult, department_id: int,
                     bank_ids: Sequence[str], kind: str = KIND_DEPARTMENT) -> DepartmentPart:
    return DepartmentPart(
        id=department_id,
        name=department.name,
        bank_ids=list(bank_ids),
        kind=cast(Literal["department", "municipality"], kind),
        respondents_started=department.respondents_started,
        respondents_submitted=department.respondents_submitted,
        hidden=department.hidden,
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
        min_group_size=min_group_size(round_),
        target_overrides=dict(round_.target_overrides or {}),
        banks=[PinnedBank(id=rb.bank_id, version=rb.version, sha256=rb.sha256,
                          position=rb.position, content=rb.content,
                          scope=cast(Literal["volledig", "kern"], rb.scope or SCOPE_FULL))
               for rb in round_.banks])


def results_parts(result: RoundResult,
                  departments: Mapping[str, tuple[int, Sequence[str]]],
                  municipal: RoundResult | None = None) -> dict[str, Any]:
    """The parts of the document the engine computes: departments, priorities, municipality.

    ``departments`` maps each department's name to its id and bank ids. ``municipal`` is the
    separate scoring of the round's municipal group: it follows the departments in
    ``departments[]`` (``kind: municipality``), never in the priorities or municipality means.
    The importer compares these parts of a file with the restored round's own.
    """
    groups = [_department_part(d, *departments[d.name]) for d in result.departments]
    if municipal is not None:
        groups += [_department_part(d, *departments[d.name], kind=KIND_MUNICIPALITY)
                   for d in municipal.departments]
    return {
        "departments": groups,
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
    """The round as a validated ``quickscan-export/2`` document (the backup)."""
    result = result or round_result(round_)
    submitted, drafts = _responses(round_)
    return ExportDocument(
        schema=SCHEMA,
        contains=CONTAINS,
        exported_at=datetime.datetime.now(datetime.UTC),
        round=_round_part(round_),
        **results_parts(result, {d.name: (d.id, d.bank_ids) for d in round_.departments},
                        score_municipal(round_)),
        responses=submitted,
        draft_responses=drafts,
        comparison=comparison_part(round_),
        **_perspective_parts(round_),
        **restorable_parts(round_),
    )


def comparison_part(round_: Round) -> ComparisonPart | None:
    """``comparison`` of the export: the change since the previous round (None: no series)."""
    from quickscan.services.trend import comparison_export

    found = comparison_export(round_)
    if found is None:
        return None
    previous = found.previous_round
    return ComparisonPart(
        previous_round=PreviousRound(id=previous["id"], name=previous["name"], banks=[
            PreviousBank(id=bank_id, version=version)
            for bank_id, version in previous["banks"].items()]),
        compatibility=found.compatibility,
        themes=[ComparisonTheme(**row) for row in found.themes])


def _perspective_parts(round_: Round) -> dict[str, Any]:
    """``groups`` and ``perspectives`` (:mod:`quickscan.services.perspectives`)."""
    from quickscan.export_schema import GroupPart, PerspectivePart
    from quickscan.services.perspectives import groups_summary, perspective_rows

    return {"groups": [GroupPart(**group) for group in groups_summary(round_)],
            "perspectives": [PerspectivePart(**{key: value for key, value in row.items()
                                                if key != "blind_spot"})
                             for row in perspective_rows(round_)]}


def export_data(round_: Round, result: RoundResult | None = None) -> dict[str, Any]:
    """The round as the ``quickscan-export/2`` JSON document (a dict ready for ``json.dumps``)."""
    return export_document(round_, result).dump()


def to_json(round_: Round, result: RoundResult | None = None) -> bytes:
    """The JSON backup as UTF-8 bytes."""
    return json.dumps(export_data(round_, result), ensure_ascii=False, indent=2).encode("utf-8")


# --------------------------------------------------------------------------- tables


class _Titles:
    """Bank, theme and question titles of a round's pinned banks (the id where unknown)."""

    def __init__(self, banks: Sequence[Bank]) -> None:
        self.banks = {bank.id: bank for bank in banks}
        self.themes = {(bank.id, theme.id): theme.title
                       for bank in banks for theme in bank.themes}
        self.questions = {q.id: q.statement for bank in banks for q in bank.questions}
        self.order = {q.id: index for index, q in
                      enumerate(q for bank in banks for q in bank.questions)}

    def bank(self, bank_id: str) -> str:
        return self.banks[bank_id].title if bank_id in self.banks else bank_id

    def theme(self, bank_id: str, theme_id: str) -> str:
        return self.themes.get((bank_id, theme_id), theme_id)

    def question(self, question_id: str) -> str:
        return self.questions.get(question_id, question_id)


@dataclass(frozen=True)
class TableSet:
    """The analysis tables of a round: rows of values per table key (header not included)."""

    round: Round
    result: RoundResult
    k: int
    rows: Mapping[str, list[dict[str, Any]]]


def _hidden_row(department: DepartmentResult, note: str) -> dict[str, Any]:
    return {"department": department.name,
            "respondents_submitted": department.respondents_submitted,
            "respondents_started": department.respondents_started, "note": note}


def _rating_counts(round_: Round, visible: Sequence[str]
                   ) -> dict[tuple[str, str, str], dict[int, int]]:
    """How many submitted responses gave each rating, per department and theme."""
    counts: dict[tuple[str, str, str], dict[int, int]] = defaultdict(dict)
    if not visible:
        return counts
    for name, bank_id, theme_id, value, number in db.session.execute(
            select(Department.name, ImportanceRating.bank_id, ImportanceRating.theme_id,
                   ImportanceRating.value, func.count())
            .join(Response, ImportanceRating.response_id == Response.id)
            .join(Department, Response.department_id == Department.id)
            .where(Department.round_id == round_.id, Response.status == RESPONSE_SUBMITTED,
                   Department.name.in_(visible))
            .group_by(Department.name, ImportanceRating.bank_id, ImportanceRating.theme_id,
                      ImportanceRating.value)):
        counts[(name, bank_id, theme_id)][int(value)] = int(number)
    return counts


def _comments(round_: Round, visible: Sequence[str], titles: _Titles
              ) -> list[tuple[str, str, str]]:
    """Comments of submitted responses of the visible departments, without their response:
    (department, question, text), sorted by department, question (bank order) and text."""
    if not visible:
        return []
    found = [(name, question_id, text) for name, question_id, text in db.session.execute(
        select(Department.name, Comment.question_id, Comment.text)
        .join(Response, Comment.response_id == Response.id)
        .join(Department, Response.department_id == Department.id)
        .where(Department.round_id == round_.id, Response.status == RESPONSE_SUBMITTED,
               Department.name.in_(visible)))
        if text and text.strip()]
    departments = {name: index for index, name in enumerate(visible)}
    found.sort(key=lambda item: (departments[item[0]], titles.order.get(item[1], 1 << 30),
                                 item[1], item[2]))
    return found


def build_tables(round_: Round, labels: ExportLabels | None = None,
                 result: RoundResult | None = None) -> TableSet:
    """Every analysis table of a round (aggregates and comments only), scored with its k."""
    labels = labels or export_labels()
    k = min_group_size(round_)
    result = result or round_result(round_)
    titles = _Titles(round_banks(round_))
    note = labels.hidden(k)
    visible = [d.name for d in result.departments if not d.hidden]
    rows: dict[str, list[dict[str, Any]]] = {key: [] for key in COLUMNS}
    ratings = _rating_counts(round_, visible)
    for department in result.departments:
        if department.hidden:
            for key in ("scores", "answers", "importance", "comments"):
                rows[key].append(_hidden_row(department, note))
            continue
        counts = {"department": department.name,
                  "respondents_submitted": department.respondents_submitted,
                  "respondents_started": department.respondents_started}
        for bank in department.banks:
            for theme in bank.themes:
                where = {"bank": bank.bank_id, "bank_title": titles.bank(bank.bank_id),
                         "theme": theme.theme_id,
                         "theme_title": titles.theme(bank.bank_id, theme.theme_id)}
                rows["scores"].append({
                    **counts, **where, "score": theme.score, "target": theme.target,
                    "gap": theme.gap, "importance": theme.importance,
                    "priority": theme.priority, "answered": theme.answered,
                    "dont_know": theme.dont_know, "not_applicable": theme.not_applicable,
                    "flags": ",".join(theme.flags), "bank_score": bank.score})
                for question in theme.questions:
                    rows["answers"].append({
                        **counts, **where, "question": question.question_id,
                        "question_text": titles.question(question.question_id),
                        **{f"level_{level}": question.counts[level] for level in range(5)},
                        "dont_know": question.dont_know,
                        "not_applicable": question.not_applicable,
                        "answered": question.answered, "score": question.score})
                given = ratings.get((department.name, bank.bank_id, theme.theme_id), {})
                rows["importance"].append({
                    **counts, **where, "importance": theme.importance,
                    **{f"rating_{rating}": given.get(rating, 0) for rating in range(1, 6)},
                    "ratings": sum(given.values())})
    for name, question_id, text in _comments(round_, visible, titles):
        bank_id, _sep, rest = question_id.partition(".")
        theme_id = rest.partition(".")[0]
        rows["comments"].append({
            "department": name, "bank": bank_id, "bank_title": titles.bank(bank_id),
            "theme": theme_id, "theme_title": titles.theme(bank_id, theme_id),
            "question": question_id, "question_text": titles.question(question_id),
            "comment": text})
    for p in result.priorities:
        rows["priorities"].append({
            "rank": p.rank, "department": p.department, "bank": p.bank,
            "bank_title": titles.bank(p.bank), "theme": p.theme,
            "theme_title": titles.theme(p.bank, p.theme), "score": p.score,
            "target": p.target, "gap": p.gap, "importance": p.importance,
            "priority": p.priority, "action": p.action})
    for bank_id, value in result.municipality.banks.items():
        rows["municipality"].append({"bank": bank_id, "bank_title": titles.bank(bank_id),
                                     "theme": "", "theme_title": "", "score": value})
        for (theme_bank, theme_id), theme_value in result.municipality.themes.items():
            if theme_bank == bank_id:
                rows["municipality"].append({
                    "bank": bank_id, "bank_title": titles.bank(bank_id), "theme": theme_id,
                    "theme_title": titles.theme(bank_id, theme_id), "score": theme_value})
    rows["comparison"] = _comparison_rows(round_, titles,
                                          labels.texts.get("comparison_hidden", note))
    rows["perspectives"] = _perspective_rows(
        round_, titles, labels, k, {d.name for d in result.departments if d.hidden})
    return TableSet(round_, result, k, rows)


def _perspective_rows(round_: Round, titles: _Titles, labels: ExportLabels, k: int,
                      hidden_departments: set[str]) -> list[dict[str, Any]]:
    """The JSON ``perspectives`` table with titles beside the ids: municipality-wide rows
    first (empty department), then per department. Figures of a group under its minimum size
    stay empty and the note says which group and why."""
    from quickscan.services.perspectives import perspectives

    found = perspectives(round_)
    texts = labels.texts
    group_notes = [texts["group_hidden"] % {"group": texts[figures.kind], "k": figures.min_size,
                                            "n": figures.submitted}
                   for figures in (found.residents, found.bestuur)
                   if figures is not None and figures.hidden]
    out = []
    for row in found.rows:
        notes = ([labels.hidden(k)] if row.department in hidden_departments else []) + group_notes
        out.append({
            "department": row.department or "", "bank": row.bank_id,
            "bank_title": titles.bank(row.bank_id), "theme": row.theme_id,
            "theme_title": titles.theme(row.bank_id, row.theme_id),
            "civil_servants": row.civil_servants, "residents": row.residents,
            "ambition": row.ambition, "difference": row.difference,
            "blind_spot": texts["yes"] if row.blind_spot else "", "note": " ".join(notes)})
    return out


def _comparison_rows(round_: Round, titles: _Titles, note: str) -> list[dict[str, Any]]:
    """The change per department and theme since the previous round (empty: no series)."""
    from quickscan.services.trend import comparison_export

    found = comparison_export(round_)
    if found is None:
        return []
    return [{**row, "bank_title": titles.bank(row["bank"]),
             "theme_title": titles.theme(row["bank"], row["theme"]),
             "compatibility": (row["comparable_questions"] / row["questions"]
                               if row["questions"] else 0.0),
             "previous_round": found.previous_round["name"], "note": note if hidden else ""}
            for row, hidden in zip(found.themes, found.hidden, strict=True)]


def table_rows(round_: Round, table: str, result: RoundResult | None = None,
               labels: ExportLabels | None = None,
               tables: TableSet | None = None) -> list[list[Any]]:
    """One analysis table as rows of values, the header (in ``labels``' language) first."""
    if table not in TABLES:
        raise ExportError(f"unknown table {table!r}")
    labels = labels or export_labels()
    tables = tables or build_tables(round_, labels, result)
    columns = columns_of(table)
    return [[labels.headers[column] for column in columns]] + [
        [row.get(column) for column in columns] for row in tables.rows[table]]


def neutralise_csv(value: str) -> str:
    """Neutralise a text for CSV: a quote before a formula start at the beginning and after
    every ``;`` or line break, so no piece of it is a formula however a reader splits it."""
    return _FORMULA_IN_TEXT.sub(lambda match: match.group(1) + "'", value)


def csv_cell(value: Any, decimals: int | None = None) -> str:
    """One CSV cell as Dutch Excel reads it: decimal comma, empty for null; a float with
    ``decimals`` decimals when given, else at full precision."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return neutralise_csv(str(value).lower())
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if decimals is not None:
            text = f"{value:.{decimals}f}"
        else:
            text = repr(value)
            if "e" in text or "E" in text:
                text = format(Decimal(text), "f")
        return text.replace(".", ",")
    return neutralise_csv(str(value))


def to_csv(round_: Round, table: str = "scores", result: RoundResult | None = None,
           labels: ExportLabels | None = None) -> bytes:
    """One table as CSV the way Dutch Excel opens it: UTF-8 with BOM, ``;``-separated, every
    field quoted, decimal comma, scores with one decimal, formulas neutralised in every field."""
    rows = table_rows(round_, table, result, labels)
    decimals = [CSV_DECIMALS if column in SCORE_COLUMNS else None
                for column in columns_of(table)]
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=CSV_SEPARATOR, quoting=csv.QUOTE_ALL,
                        lineterminator="\r\n")
    writer.writerow([csv_cell(cell) for cell in rows[0]])
    for row in rows[1:]:
        writer.writerow([csv_cell(cell, places) for cell, places in zip(row, decimals,
                                                                        strict=True)])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _explanation(labels: ExportLabels, tables: TableSet) -> list[list[Any]]:
    """The explanation sheet: the round, its status, k, the date, and every column's meaning."""
    round_ = tables.round
    texts = labels.texts
    rows: list[list[Any]] = [
        [texts["title"]],
        [],
        [texts["round"], round_.name],
        [texts["municipality"], round_.municipality],
        [texts["status"], texts["open"] if round_.is_open else texts["closed"]],
        [texts["deadline"], round_.deadline.isoformat() if round_.deadline else ""],
        [texts["exported"], datetime.datetime.now(datetime.UTC).date().isoformat()],
        [texts["k"], tables.k],
        ["", texts["k_explained"]],
        ["", labels.hidden(tables.k)],
        ["", texts["privacy"]],
        [],
        [texts["table"], texts["column"], texts["meaning"]],
    ]
    for table, columns in COLUMNS.items():
        for column in columns:
            rows.append([labels.tables[table], labels.headers[column],
                         labels.descriptions[column]])
    return rows


def _write_sheet(sheet: Any, rows: Sequence[Sequence[Any]], columns: Sequence[str] | None,
                 header_row: int | None = 1) -> None:
    """Rows into a sheet: text as inert strings, scores as numbers shown with one decimal,
    a bold header row (frozen when ``header_row`` is given) and column widths from the
    content."""
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    widths: dict[int, int] = {}
    for row in rows:
        sheet.append([neutralise(cell) for cell in row])
        for index, cell in enumerate(row, start=1):
            if cell is not None:
                longest = max((len(line) for line in str(cell).splitlines()), default=0)
                widths[index] = max(widths.get(index, 0), longest)
    for row in sheet.iter_rows(min_row=1):
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # never a formula
            elif isinstance(cell.value, float) and columns is not None and (
                    columns[cell.column - 1] in SCORE_COLUMNS):
                cell.number_format = XLSX_SCORE_FORMAT
    for cell in sheet[header_row or 1]:
        cell.font = Font(bold=True)
    if header_row is not None:
        sheet.freeze_panes = f"A{header_row + 1}"
    for index, width in widths.items():
        sheet.column_dimensions[get_column_letter(index)].width = min(XLSX_MAX_WIDTH,
                                                                      max(8, width + 2))


def to_xlsx(round_: Round, result: RoundResult | None = None,
            labels: ExportLabels | None = None) -> bytes:
    """A workbook: the explanation, the round with its bank versions, one sheet per table."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.worksheet.worksheet import Worksheet

    labels = labels or export_labels()
    tables = build_tables(round_, labels, result)
    titles = _Titles(round_banks(round_))
    texts = labels.texts
    workbook = Workbook()
    explanation = cast(Worksheet, workbook.active)  # a new workbook's active sheet is a worksheet
    explanation.title = labels.tables["explanation"]
    rows = _explanation(labels, tables)
    _write_sheet(explanation, rows, None, header_row=None)
    for cell in explanation[len(rows) - sum(map(len, COLUMNS.values()))]:
        cell.font = Font(bold=True)
    explanation.column_dimensions["B"].width = XLSX_MAX_WIDTH
    info = workbook.create_sheet(labels.tables["round"])
    _write_sheet(info, [
        [texts["bank"], labels.headers["bank_title"], texts["version"], texts["fingerprint"]],
        *[[rb.bank_id, titles.bank(rb.bank_id), rb.version, rb.sha256]
          for rb in round_.banks],
        [],
        [texts["round"], round_.name],
        [texts["municipality"], round_.municipality],
        [texts["status"], texts["open"] if round_.is_open else texts["closed"]],
        [texts["deadline"], round_.deadline.isoformat() if round_.deadline else ""],
        [texts["k"], tables.k],
    ], None)
    for table in TABLES:
        if table == "comparison" and not tables.rows[table]:
            continue  # a round without a previous round has nothing to compare
        sheet = workbook.create_sheet(labels.tables[table])
        _write_sheet(sheet, table_rows(round_, table, labels=labels, tables=tables),
                     columns_of(table))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def export(round_: Round, fmt: str, table: str = "scores",
           labels: ExportLabels | None = None) -> bytes:
    """The export of a round: the ``json`` backup, one ``csv`` table, or the ``xlsx`` workbook."""
    if fmt == "json":
        return to_json(round_)
    if fmt == "csv":
        return to_csv(round_, table, labels=labels)
    if fmt == "xlsx":
        return to_xlsx(round_, labels=labels)
    raise ExportError(f"unknown export format {fmt!r}")


def export_filename(round_: Round, fmt: str, table: str = "scores",
                    today: datetime.date | None = None) -> str:
    """A download file name: ``quickscan-ronde-3-backup-2026-11-30.json`` (response-level
    data, so named a backup), ``quickscan-ronde-3-prioriteiten.csv``, ``quickscan-ronde-3.xlsx``."""
    if fmt == "json":
        day = (today or datetime.datetime.now(datetime.UTC).date()).isoformat()
        return f"quickscan-ronde-{round_.id}-backup-{day}.json"
    if fmt == "csv":
        return f"quickscan-ronde-{round_.id}-{TABLES[table]}.csv"
    return f"quickscan-ronde-{round_.id}.{fmt}"


def csv_tables() -> Sequence[str]:
    """The table keys a CSV export can hold."""
    return tuple(TABLES)
