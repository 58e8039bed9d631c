"""The trend of a round's series as the pages, the report and the exports show it.

:func:`trend_chapter` turns :func:`quickscan.services.series.round_trend` into the plain
:class:`~quickscan.reporting.trend.TrendChapter` the renderers take (titles of banks and
themes, Dutch texts through Flask-Babel, the LIA actions beside their themes);
:func:`comparison_rows` gives the export table (``comparison`` in the JSON export, the CSV and
XLSX sheets), with ``None`` figures where a group is under the minimum group size.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _

from quickscan.models import Round
from quickscan.reporting.trend import (
    ActionStatus,
    SlopeSpec,
    TrendChapter,
    TrendRow,
    TrendSection,
    attach_actions,
    format_share,
)
from quickscan.services import series
from quickscan.services.banks import round_banks


def round_label(round_: series.TrendRound) -> str:
    """How a round of the series is named in charts and tables: its name."""
    return round_.name


def _labels(trend: series.Trend, previous: str) -> dict[str, str]:
    comparison = trend.comparison
    comparable = comparison.comparable_questions if comparison else 0
    questions = len(comparison.questions) if comparison else 0
    share = format_share(comparison.compatibility) if comparison else "0%"
    return {
        "title": _("Ontwikkeling sinds de vorige meting"),
        "intro": _("De scores van elke meting van deze reeks, en de verandering sinds "
                   "%(previous)s. De verandering is berekend over de vragen die in beide "
                   "metingen hetzelfde betekenen, aan beide kanten over dezelfde vragen met "
                   "hetzelfde gewicht.", previous=previous),
        "compatibility": _("Vergelijkbaar: %(comparable)d van de %(questions)d vragen van deze "
                           "meting (%(share)s). Gesplitste, samengevoegde en nieuwe vragen "
                           "tellen niet mee in de verandering.", comparable=comparable,
                           questions=questions, share=share),
        "figure": _("Vragenlijst of thema"),
        "delta": _("Verandering"),
        "share": _("Vergelijkbaar"),
        "actions": _("Acties (status)"),
        "hidden": _("Te weinig ingevulde vragenlijsten in een van beide metingen: de "
                    "verandering wordt niet getoond."),
        "partial_note": _("* De verandering berust op minder dan de helft van de vragen."),
        "chart_title": _("Scores per vragenlijst"),
        "y_label": _("Score (0-100)"),
        "split": _("gesplitst"),
        "merged": _("samengevoegd"),
        "new": _("nieuw"),
    }


def _alt(department: str, rounds: Sequence[str], lines: Sequence[tuple[str, tuple[
        float | None, ...]]]) -> str:
    parts = []
    for label, values in lines:
        shown = " → ".join("–" if v is None else f"{v:.0f}" for v in values)
        parts.append(f"{label}: {shown}")
    return str(_("Scores van %(department)s per meting (%(rounds)s): %(lines)s.",
                 department=department, rounds=", ".join(rounds), lines="; ".join(parts)))


def trend_chapter(round_: Round, actions: Sequence[ActionStatus] = ()) -> TrendChapter | None:
    """The trend of ``round_``'s series, or None when the round has no previous round."""
    if series.previous_round(round_) is None:
        return None
    trend = series.round_trend(round_)
    labels = [round_label(r) for r in trend.rounds]
    text = _labels(trend, labels[-2])
    banks = {bank.id: bank for bank in round_banks(round_)}
    sections: list[TrendSection] = []
    by_department: dict[str, list[series.TrendLine]] = {}
    for line in trend.lines:
        by_department.setdefault(line.department, []).append(line)
    for department, lines in by_department.items():
        rows: list[TrendRow] = []
        for line in lines:
            bank = banks[line.bank_id or ""]
            label = bank.title if line.theme_id is None else bank.theme(line.theme_id).title
            change = line.change
            rows.append(TrendRow(
                department=department, bank_id=bank.id, theme_id=line.theme_id, label=label,
                scores=line.scores,
                score=change.score if change else None,
                previous_score=change.previous_score if change else None,
                delta=change.delta if change else None,
                comparable_questions=change.comparable_questions if change else 0,
                questions=change.questions if change else 0,
                hidden=change.hidden if change else True))
        chart_lines = tuple((row.label, row.scores) for row in rows if row.theme_id is None)
        hidden = all(row.hidden for row in rows) and all(
            row.scores[-1] is None for row in rows)
        sections.append(TrendSection(
            department=department,
            chart=SlopeSpec(f"{department}: {text['chart_title']}", tuple(labels), chart_lines,
                            text["y_label"]),
            alt=_alt(department, labels, chart_lines),
            rows=attach_actions(rows, actions), hidden=hidden))
    comparison = trend.comparison
    status_text = {"split": text["split"], "merged": text["merged"], "new": text["new"]}
    questions = {q.id: q.statement for bank in banks.values() for q in bank.questions}
    changed = tuple(f"{questions.get(m.question_id, m.question_id)} ({status_text[m.status]})"
                    for m in (comparison.questions if comparison else ())
                    if m.status in ("split", "merged"))
    return TrendChapter(
        round_labels=tuple(labels), previous=labels[-2],
        compatibility=comparison.compatibility if comparison else 0.0,
        comparable_questions=comparison.comparable_questions if comparison else 0,
        questions=len(comparison.questions) if comparison else 0,
        sections=tuple(sections), labels=text, split_or_merged=changed)


# --------------------------------------------------------------------------- the export table


@dataclass(frozen=True)
class ComparisonExport:
    """The ``comparison`` of the JSON export and the rows of the CSV/XLSX sheet."""

    previous_round: dict[str, Any]
    compatibility: float
    themes: list[dict[str, Any]]
    #: Per row of ``themes``: hidden by the minimum group size.
    hidden: list[bool]


def comparison_export(round_: Round) -> ComparisonExport | None:
    """The change per department, bank and theme since the previous round (None: no series).

    Figures are None where either side is under the minimum group size or nothing comparable
    was scored; the counts of questions always stand.
    """
    found = series.round_comparison(round_)
    if found is None:
        return None
    previous = found.previous
    themes = [{
        "department": change.department, "bank": change.bank_id, "theme": change.theme_id,
        "score": change.score, "previous_score": change.previous_score, "delta": change.delta,
        "comparable_questions": change.comparable_questions, "questions": change.questions,
    } for change in found.comparison.themes]
    hidden = [change.hidden for change in found.comparison.themes]
    return ComparisonExport(
        previous_round={"id": previous.id, "name": previous.name,
                        "banks": {rb.bank_id: rb.version for rb in previous.banks}},
        compatibility=found.comparison.compatibility, themes=themes, hidden=hidden)
