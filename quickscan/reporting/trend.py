"""The trend of a round's series: slope charts, the rows of its tables and the report chapter.

Pure renderers: :class:`TrendChapter` is plain frozen data (built by
:mod:`quickscan.services.trend`, every text already translated); :func:`slope_chart` draws one
department's banks through the rounds of the series on a :class:`matplotlib.figure.Figure` and
returns PNG or SVG bytes; :func:`pdf_chapter` lays out the chapter "Ontwikkeling sinds de
vorige meting" for the PDF's main part and :func:`pdf_appendix` its detail in the appendices
(the HTML report includes ``report/_trend.html``). Every change is
shown with its compatibility share, and the actions of the LIA with their status are shown
beside the themes they target (:func:`attach_actions`). The inwoners' experience and the
bestuur's ambition per theme are drawn as paired dot charts (:func:`pair_chart`: the previous
round and this one), each with its data table.
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
class PerspectiveTrendRow:
    """One theme of one perspective (inwoners or bestuur) through the series.

    ``scores``: the round's own figure in each round (None: the group was under its minimum
    size that round, or gave no figure); ``delta`` over the comparable statements (inwoners)
    or the theme's ambition (bestuur); ``hidden`` when the group is under its minimum size in
    either of the last two rounds.
    """

    kind: str
    bank_id: str
    theme_id: str
    label: str
    scores: tuple[float | None, ...]
    delta: float | None
    comparable_questions: int
    questions: int
    hidden: bool

    @property
    def compatibility(self) -> float:
        """Comparable statements (questions) / those of the new round (0.0-1.0)."""
        return self.comparable_questions / self.questions if self.questions else 0.0

    @property
    def partial(self) -> bool:
        """True when the change rests on less than half of the statements (questions)."""
        return self.compatibility < 0.5


@dataclass(frozen=True)
class PairSpec:
    """A paired dot chart: per item its figure in the previous and in this round."""

    title: str
    previous: str
    current: str
    items: tuple[tuple[str, float | None, float | None], ...]
    x_label: str = ""


@dataclass(frozen=True)
class PerspectiveTrendSection:
    """One perspective (inwoners or bestuur): its chart, rows and notes (groups under k)."""

    kind: str
    title: str
    caption: str
    chart: PairSpec
    alt: str
    rows: tuple[PerspectiveTrendRow, ...]
    notes: tuple[str, ...] = ()

    @property
    def has_figures(self) -> bool:
        """True when the chart has at least one figure to draw."""
        return any(a is not None or b is not None for _l, a, b in self.chart.items)

    @property
    def chart_src(self) -> str:
        """The chart as a ``data:`` address (PNG) for the HTML report and the pages."""
        return "data:image/png;base64," + base64.b64encode(pair_chart(self.chart)).decode()


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
    #: The inwoners' experience and the bestuur's ambition per theme through the series.
    perspectives: tuple[PerspectiveTrendSection, ...] = ()

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


def _pair_figure(spec: PairSpec) -> Figure:
    items = [item for item in spec.items if item[1] is not None or item[2] is not None]
    figure = charts._new_figure(7.0, 1.4 + 0.32 * max(1, len(items)))
    axes = figure.add_axes((0.38, 0.8 / (1.4 + 0.32 * max(1, len(items))), 0.58,
                            0.32 * max(1, len(items)) / (1.4 + 0.32 * max(1, len(items)))))
    before, now = style(1), style(0)
    for y, (_label, previous, current) in enumerate(items):
        if previous is not None and current is not None:
            axes.plot([previous, current], [y, y], color=GRID_COLOUR, linewidth=2, zorder=1)
        if previous is not None:
            axes.plot([previous], [y], linestyle="none", marker="o", markersize=7,
                      markerfacecolor="white", markeredgecolor=before["color"],
                      markeredgewidth=1.5, zorder=2,
                      label=spec.previous if y == 0 or not any(
                          p is not None for _l, p, _c in items[:y]) else None)
        if current is not None:
            axes.plot([current], [y], linestyle="none", marker="s", markersize=7,
                      color=now["color"], zorder=3,
                      label=spec.current if y == 0 or not any(
                          c is not None for _l, _p, c in items[:y]) else None)
    axes.set_yticks(list(range(len(items))), [wrap_label(item[0], 40, 2) for item in items],
                    fontsize=7, color=TEXT_COLOUR)
    axes.set_ylim(len(items) - 0.5, -0.5)
    axes.set_xlim(0, 100)
    axes.set_xticks([0, 25, 50, 75, 100])
    axes.tick_params(axis="x", labelsize=8, colors=TEXT_COLOUR)
    axes.grid(axis="x", color=GRID_COLOUR, linewidth=0.5, alpha=0.6)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    if spec.x_label:
        axes.set_xlabel(spec.x_label, fontsize=8, color=TEXT_COLOUR)
    figure.suptitle(wrap_label(spec.title, 70, 2), fontsize=10, color=TEXT_COLOUR, x=0.02,
                    ha="left")
    if items:
        axes.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), fontsize=7, frameon=False,
                    ncol=2)
    return figure


def pair_chart(spec: PairSpec, fmt: str = "png", dpi: int = 110) -> bytes:
    """The paired dot chart (previous round hollow circle, this round filled square) as bytes."""
    return charts._to_bytes(_pair_figure(spec), fmt, dpi)


# --------------------------------------------------------------------------- the PDF chapter


def pdf_chapter(builder: Any, chapter: TrendChapter | None) -> list[Flowable]:
    """The chapter "Ontwikkeling sinds de vorige meting" for the PDF's main part (empty without
    a series): one table of every department's banks through the rounds, with the change and
    its compatibility share. The charts, the themes, the actions beside them and the
    perspectives follow in the appendix (:func:`pdf_appendix`), so that the main part stays short.

    ``builder`` is the PDF builder of :mod:`quickscan.reporting.pdf` (paragraphs, headings,
    tables and images in the report's style).
    """
    if chapter is None:
        return []
    from reportlab.platypus import CondPageBreak

    lang = builder.c.lang
    none = builder.c.t("labels.none")
    story: list[Flowable] = [CondPageBreak(builder.height * 0.4),
                             builder.heading(chapter.label("title"), 0),
                             builder.p(chapter.label("intro")),
                             builder.p(chapter.label("compatibility"), "Note")]
    header = [chapter.label("department"), chapter.label("bank"), *chapter.round_labels,
              chapter.label("delta"), chapter.label("share")]
    rows: list[list[Any]] = []
    for section in chapter.sections:
        if section.hidden:
            rows.append([section.department, chapter.label("no_result"),
                         *([""] * (len(chapter.round_labels) + 2))])
            continue
        for row in section.rows:
            if row.theme_id is None:
                rows.append(_row_cells(builder, row, none, lang, [section.department]))
    if rows:
        story.append(builder.grid_table(header, rows, numeric_from=2))
    story.append(builder.p(chapter.label("partial_note"), "Note"))
    story.append(builder.p(chapter.label("details"), "Note"))
    return story


def _row_cells(builder: Any, row: TrendRow, none: str, lang: str, first: list[str]
               ) -> list[Any]:
    return [*first,
            row.label if row.theme_id is None else f"– {row.label}",
            *[builder.num(score) for score in row.scores],
            (none if row.hidden else format_delta(row.delta, none, lang))
            + (" *" if row.partial and row.delta is not None else ""),
            format_share(row.compatibility)]


def pdf_appendix(builder: Any, chapter: TrendChapter | None) -> list[Flowable]:
    """The appendix of the trend chapter: per department a slope chart and its banks and themes
    (with the actions of the previous round's speerpunten beside them), then the perspectives."""
    if chapter is None:
        return []
    from reportlab.lib.units import cm
    from reportlab.platypus import CondPageBreak, PageBreak

    lang = builder.c.lang
    none = builder.c.t("labels.none")
    story: list[Flowable] = [PageBreak(), builder.heading(chapter.label("appendix_title"), 1)]
    for section in chapter.sections:
        story += [CondPageBreak(14 * cm), builder.heading(section.department, 2)]
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
            cells = _row_cells(builder, row, none, lang, [])
            if with_actions:
                cells.append("; ".join(f"{a.title} ({a.status})" for a in row.actions))
            rows.append(cells)
        story.append(builder.grid_table(header, rows))
    story += _pdf_perspectives(builder, chapter, none, lang)
    story.append(builder.p(chapter.label("partial_note"), "Note"))
    return story


def _pdf_perspectives(builder: Any, chapter: TrendChapter, none: str, lang: str
                      ) -> list[Flowable]:
    from reportlab.lib.units import cm
    from reportlab.platypus import CondPageBreak

    story: list[Flowable] = []
    for section in chapter.perspectives:
        story += [CondPageBreak(10 * cm), builder.heading(section.title, 2)]
        story += [builder.p(note, "Note") for note in section.notes]
        if section.has_figures:
            story.append(builder.image(pair_chart(section.chart), max_height=14 * cm))
            story.append(builder.p(section.alt, "Caption"))
        header = [chapter.label("theme"), *chapter.round_labels, chapter.label("delta"),
                  chapter.label("share")]
        rows = [[row.label,
                 *[none if score is None else builder.num(score) for score in row.scores],
                 (chapter.label("no_result") if row.hidden
                  else format_delta(row.delta, none, lang))
                 + (" *" if row.partial and row.delta is not None else ""),
                 format_share(row.compatibility)] for row in section.rows]
        if rows:
            story.append(builder.grid_table(header, rows))
    return story
