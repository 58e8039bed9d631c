"""The perspectives chart and report chapter: plain data in, bytes or text out.

A grouped horizontal bar chart per theme: civil servants, inwoners and the bestuur's ambition
(0-100), each series with its own colour *and* hatch so it reads without colour; a missing
figure (a group under its minimum size) is drawn as no bar and named in the data table that
always accompanies the chart. :func:`chapter_html` and :func:`chapter_flowables` give the
chapter of the HTML and PDF reports from :class:`quickscan.reporting.model.PerspectivesInput`.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

COLOURS = ("#1f4e79", "#b85c00", "#3a7d44")
HATCHES = ("", "//", "..")


class _Row(Protocol):
    @property
    def bank_id(self) -> str: ...
    @property
    def theme_id(self) -> str: ...
    @property
    def civil_servants(self) -> float | None: ...
    @property
    def residents(self) -> float | None: ...
    @property
    def ambition(self) -> float | None: ...
    @property
    def blind_spot(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class PerspectiveChartRow:
    """One theme of the chart."""

    title: str
    civil_servants: float | None
    residents: float | None
    ambition: float | None
    blind_spot: bool


@dataclass(frozen=True, slots=True)
class PerspectiveChartInput:
    """Everything the chart draws; texts come translated from the caller."""

    rows: tuple[PerspectiveChartRow, ...]
    labels: tuple[str, str, str]
    title: str

    @classmethod
    def build(cls, rows: Sequence[_Row], titles: Mapping[tuple[str, str], str], *,
              labels: tuple[str, str, str], title: str) -> PerspectiveChartInput:
        """From the core's rows (or any rows with the same fields) and the theme titles."""
        return cls(rows=tuple(PerspectiveChartRow(
            title=titles.get((r.bank_id, r.theme_id), f"{r.bank_id}/{r.theme_id}"),
            civil_servants=r.civil_servants, residents=r.residents, ambition=r.ambition,
            blind_spot=r.blind_spot) for r in rows), labels=labels, title=title)


def perspective_chart(data: PerspectiveChartInput, dpi: int = 100) -> bytes:
    """The chart as PNG bytes (Figure and Agg canvas, never pyplot)."""
    count = max(1, len(data.rows))
    figure = Figure(figsize=(8, 1.0 + 0.45 * count))
    FigureCanvasAgg(figure)
    axes = figure.add_subplot(1, 1, 1)
    height = 0.26
    for index, label in enumerate(data.labels):
        values = [(r.civil_servants, r.residents, r.ambition)[index] for r in data.rows]
        positions = [row + (index - 1) * height for row in range(len(data.rows))]
        axes.barh(positions, [v or 0 for v in values], height=height, label=label,
                  color=COLOURS[index], hatch=HATCHES[index], edgecolor="white")
    axes.set_yticks(range(len(data.rows)))
    axes.set_yticklabels([("! " if r.blind_spot else "") + r.title[:40] for r in data.rows],
                         fontsize=8)
    axes.invert_yaxis()
    axes.set_xlim(0, 100)
    axes.set_xlabel("0-100")
    axes.set_title(data.title, fontsize=10)
    axes.legend(loc="lower right", fontsize=8)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None},
                   facecolor="white")
    return buffer.getvalue()


def _fmt(value: float | None, hidden: str) -> str:
    return hidden if value is None else f"{value:.0f}"


def chapter_flowables(data: Any, builder: Any) -> list[Any]:
    """The perspectives chapter as reportlab flowables, built with the PDF report's builder
    (its heading, paragraph and table helpers), so it looks like the other chapters."""
    from reportlab.platypus import Image, PageBreak

    texts = data.texts
    story: list[Any] = [PageBreak(), builder.heading(texts["title"], 0),
                        builder.p(texts["intro"])]
    story += [builder.p(note) for note in data.notes]
    if data.chart:
        width = builder.chart_width
        story.append(Image(io.BytesIO(data.chart), width=width,
                           height=width * (1.0 + 0.45 * max(1, len(data.rows))) / 8))
    rows = [[row.title, _fmt(row.civil_servants, texts["hidden"]),
             _fmt(row.residents, texts["hidden"]), _fmt(row.ambition, texts["hidden"]),
             _fmt(row.difference, texts["hidden"]), texts["blind_spot"] if row.blind_spot else ""]
            for row in data.rows]
    story.append(builder.grid_table(list(texts["columns"]), rows))
    commented = [row for row in data.rows if row.comments]
    if commented:
        story.append(builder.heading(texts["comments"], 1))
        for row in commented:
            story.append(builder.p(row.title + ": " + " · ".join(row.comments)))
    return story
