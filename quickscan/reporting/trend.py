"""The trend of a round's series: slope charts, the rows of its tables and the report chapter.

Pure renderers: :class:`TrendChapter` is plain frozen data (built by
:mod:`quickscan.services.trend`, every text already translated); :func:`slope_chart` draws one
department's banks through the rounds of the series on a :class:`matplotlib.figure.Figure` and
returns PNG or SVG bytes; :func:`pdf_chapter` lays out the chapter "Ontwikkeling sinds de
vorige meting" for the PDF (the HTML report includes ``report/_trend.html``). Every change is
shown with its compatibility share, and the actions of the LIA with their status are shown
beside the themes they target (:func:`attach_actions`).
"""

from __future__ import annotations

import base64
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from matplotlib.figure import Figure

from quickscan import charts
from quickscan.charts import GRID_COLOUR, TEXT_COLOUR, style, wrap_label

if TYPE_CHECKING:
    from reportlab.platypus import Flowable


@dataclass(frozen=True)
class ActionStatus:
    """An action of the LIA (speerpunt) and its status, shown beside the theme it targets.

    ``department`` None: the action targets the theme in every department.
    """

    bank_id: str
    theme_id: str
    title: str
    status: str
    department: str | None = None


@dataclass(frozen=True)
class TrendRow:
    """One figure through the series: a bank (``theme`` empty) or a theme of a department."""

    department: str
    bank_id: str
    theme_id: str | None
    label: str
    scores: tuple[float | None, ...]
    score: float | None
    previous_score: float | None
    delta: float | None
    comparable_questions: int
    questions: int
    hidden: bool
    actions: tuple[ActionStatus, ...] = ()

    @property
    def compatibility(self) -> float:
        """Comparable questions / questions of the new round (0.0-1.0)."""
        return self.comparable_questions / self.questions if self.questions else 0.0

    @property
    def partial(self) -> bool:
        """True when the change rests on less than half of the questions."""
        return self.compatibility < 0.5


@dataclass(frozen=True)
class SlopeSpec:
    """A slope chart: one line per series through the rounds (None: no figure that round)."""

    title: str
    rounds: tuple[str, ...]
    lines: tuple[tuple[str, tuple[float | None, ...]], ...]
    y_label: str = ""


@dataclass(frozen=True)
class TrendSection:
    """One department: its chart and its rows (banks, each followed by its themes)."""

    department: str
    chart: SlopeSpec
    alt: str
    rows: tuple[TrendRow, ...]
    hidden: bool = False

    @property
    def chart_src(self) -> str:
        """The chart as a ``data:`` address (PNG) for the HTML report and the pages."""
        return "data:image/png;base64," + base64.b64encode(slope_chart(self.chart)).decode()


@dataclass(frozen=True)
class TrendChapter:
    """Everything the trend pages and the report chapter show, texts included."""

    round_labels: tuple[str, ...]
    previous: str
    compatibility: float
    comparable_questions: int
    questions: int
    sections: tuple[TrendSection, ...]
    labels: Mapping[str, str] = field(default_factory=dict)
    split_or_merged: tuple[str, ...] = ()

    def label(self, key: str) -> str:
        """A text of the chapter (the key itself when missing)."""
        return self.labels.get(key, key)


def attach_actions(rows: Sequence[TrendRow], actions: Sequence[ActionStatus]
                   ) -> tuple[TrendRow, ...]:
    """Rows with the actions that target their theme (in the department, or everywhere)."""
    out: list[TrendRow] = []
    for row in rows:
        if row.theme_id is None:
            out.append(row)
            continue
        mine = tuple(a for a in actions if a.bank_id == row.bank_id
                     and a.theme_id == row.theme_id
                     and (a.department is None or a.department == row.department))
        out.append(replace(row, actions=mine) if mine else row)
    return tuple(out)


def format_delta(value: float | None, none: str = "–", lang: str = "nl") -> str:
    """A change with its sign, one decimal (``+4,2``; ``–`` when there is none)."""
    if value is None or math.isnan(value):
        return none
    text = f"{value:+.1f}"
    return text.replace(".", ",") if lang == "nl" else text


def format_share(value: float) -> str:
    """A share as a whole percentage (``67%``)."""
    return f"{round(value * 100):d}%"


# --------------------------------------------------------------------------- the chart


def _figure(spec: SlopeSpec) -> Figure:
    count = max(2, len(spec.rounds))
    figure = charts._new_figure(3.0 + 1.6 * count, 4.2)
    axes = figure.add_axes((0.1, 0.14, 0.5, 0.72))
    positions = list(range(len(spec.rounds)))
    for index, (label, values) in enumerate(spec.lines):
        look = style(index)
        points = [(x, v) for x, v in zip(positions, values, strict=False) if v is not None]
        if not points:
            continue
        axes.plot([p[0] for p in points], [p[1] for p in points], label=wrap_label(label, 28),
                  linewidth=2, markersize=6, color=look["color"], linestyle=look["linestyle"],
                  marker=look["marker"])
    axes.set_xticks(positions, [wrap_label(r, 16) for r in spec.rounds], fontsize=8,
                    color=TEXT_COLOUR)
    axes.set_xlim(-0.3, max(positions[-1], 1) + 0.3 if positions else 1.3)
    axes.set_ylim(0, 100)
    axes.set_yticks([0, 25, 50, 75, 100])
    axes.tick_params(axis="y", labelsize=8, colors=TEXT_COLOUR)
    axes.grid(axis="y", color=GRID_COLOUR, linewidth=0.5, alpha=0.6)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    if spec.y_label:
        axes.set_ylabel(spec.y_label, fontsize=8, color=TEXT_COLOUR)
    axes.set_title(wrap_label(spec.title, 48, 2), fontsize=10, color=TEXT_COLOUR, loc="left")
    if spec.lines:
        axes.legend(loc="center left", bbox_to_anchor=(1.02, 0.5), fontsize=7, frameon=False)
    return figure


def slope_chart(spec: SlopeSpec, fmt: str = "png", dpi: int = 110) -> bytes:
    """The slope chart as PNG or SVG bytes (written as every chart of :mod:`quickscan.charts`)."""
    return charts._to_bytes(_figure(spec), fmt, dpi)


# --------------------------------------------------------------------------- the PDF chapter


def pdf_chapter(builder: Any, chapter: TrendChapter | None) -> list[Flowable]:
    """The chapter "Ontwikkeling sinds de vorige meting" for the PDF (empty without a series).

    ``builder`` is the PDF builder of :mod:`quickscan.reporting.pdf` (paragraphs, headings,
    tables and images in the report's style).
    """
    if chapter is None:
        return []
    from reportlab.lib.units import cm
    from reportlab.platypus import CondPageBreak

    lang = builder.c.lang
    none = builder.c.t("labels.none")
    story: list[Flowable] = [CondPageBreak(builder.height * 0.5),
                             builder.heading(chapter.label("title"), 0),
                             builder.p(chapter.label("intro")),
                             builder.p(chapter.label("compatibility"), "Note")]
    for section in chapter.sections:
        story += [CondPageBreak(14 * cm), builder.heading(section.department, 1)]
        if section.hidden:
            story.append(builder.p(chapter.label("hidden")))
            continue
        story.append(builder.image(slope_chart(section.chart), max_height=8 * cm))
        story.append(builder.p(section.alt, "Caption"))
        with_actions = any(row.actions for row in section.rows)
        header = [chapter.label("figure"), *chapter.round_labels, chapter.label("delta"),
                  chapter.label("share")] + ([chapter.label("actions")] if with_actions else [])
        rows = []
        for row in section.rows:
            cells = [
                row.label if row.theme_id is None else f"– {row.label}",
                *[builder.num(score) for score in row.scores],
                (none if row.hidden else format_delta(row.delta, none, lang))
                + (" *" if row.partial and row.delta is not None else ""),
                format_share(row.compatibility)]
            if with_actions:
                cells.append("; ".join(f"{a.title} ({a.status})" for a in row.actions))
            rows.append(cells)
        story.append(builder.grid_table(header, rows))
    story.append(builder.p(chapter.label("partial_note"), "Note"))
    return story
