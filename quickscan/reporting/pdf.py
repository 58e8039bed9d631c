"""The PDF report: reportlab platypus, A4, one stylesheet, a story, bytes out.

Laid out from the shared :class:`~quickscan.reporting.content.ReportContent`. Built in the
style of pretix's reportlab renderer: a :class:`BaseDocTemplate` with page templates whose
callbacks draw the running header and footer, and a two-pass numbered canvas that writes
"Pagina X van Y" once the page count is known. Every heading becomes a PDF outline bookmark;
title, subject, author and language (``/Lang``) are set; DejaVu Sans (shipped with matplotlib)
is embedded so Dutch diacritics print.

All text that is not our own markup goes through :func:`xml.sax.saxutils.escape` before it
reaches a :class:`Paragraph`, so a comment such as ``<b>``, ``&`` or ``<font name="x">`` prints
literally and never breaks the build.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import matplotlib
from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, PropertySet, StyleSheet1
from reportlab.lib.units import cm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas as rl_canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    Image,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from quickscan import charts
from quickscan.charts import RadarSpec
from quickscan.reporting.content import (
    Chart,
    DepartmentSection,
    PriorityRow,
    ReportContent,
)

FONT = "DejaVuSans"
#: Rows per table for long lists (priorities, comments).
CHUNK = 20
FONT_BOLD = "DejaVuSans-Bold"
_fonts_registered = False


def register_fonts() -> None:
    """Register DejaVu Sans (regular, bold, oblique) from matplotlib's bundled fonts, once."""
    global _fonts_registered
    if _fonts_registered:
        return
    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    faces = {FONT: "DejaVuSans.ttf", FONT_BOLD: "DejaVuSans-Bold.ttf",
             "DejaVuSans-Oblique": "DejaVuSans-Oblique.ttf",
             "DejaVuSans-BoldOblique": "DejaVuSans-BoldOblique.ttf"}
    for name, filename in faces.items():
        pdfmetrics.registerFont(TTFont(name, str(folder / filename)))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD,
                                  italic="DejaVuSans-Oblique",
                                  boldItalic="DejaVuSans-BoldOblique")
    _fonts_registered = True


def esc(value: object) -> str:
    """Escape any text for reportlab's Paragraph markup (``<``, ``>``, ``&``)."""
    return escape(str(value))


def stylesheet(content: ReportContent) -> StyleSheet1:
    """The report's one stylesheet, coloured and sized from ``reports/<lang>.yaml``."""
    register_fonts()
    colours = content.texts.get("colours", {})
    size = float(content.texts.get("layout", {}).get("base_font_size", 10))
    primary = colors.HexColor(colours.get("primary", "#00567A"))
    sheet = StyleSheet1()
    sheet.add(ParagraphStyle("Body", fontName=FONT, fontSize=size, leading=size * 1.4,
                             spaceAfter=size * 0.6))
    sheet.add(ParagraphStyle("Small", parent=sheet["Body"], fontSize=size * 0.8,
                             leading=size * 1.05, spaceAfter=0))
    sheet.add(ParagraphStyle("Cell", parent=sheet["Small"]))
    sheet.add(ParagraphStyle("HeaderCell", parent=sheet["Small"], fontName=FONT_BOLD,
                             fontSize=size * 0.75,
                             textColor=colors.HexColor(colours.get("table_header_text",
                                                                   "#FFFFFF"))))
    sheet.add(ParagraphStyle("Caption", parent=sheet["Small"], fontName=FONT_BOLD,
                             spaceBefore=4, spaceAfter=4))
    sheet.add(ParagraphStyle("H1", parent=sheet["Body"], fontName=FONT_BOLD,
                             fontSize=size * 1.8, leading=size * 2.2, textColor=primary,
                             spaceBefore=size, spaceAfter=size * 0.8))
    sheet.add(ParagraphStyle("H2", parent=sheet["H1"], fontSize=size * 1.4,
                             leading=size * 1.8, spaceBefore=size * 1.2))
    sheet.add(ParagraphStyle("H3", parent=sheet["H1"], fontSize=size * 1.15,
                             leading=size * 1.5, spaceBefore=size * 0.8, spaceAfter=size * 0.4))
    sheet.add(ParagraphStyle("CoverTitle", parent=sheet["H1"], fontSize=size * 2.8,
                             leading=size * 3.4, spaceBefore=0, alignment=TA_CENTER))
    sheet.add(ParagraphStyle("CoverSub", parent=sheet["Body"], fontSize=size * 1.5,
                             leading=size * 2.0, alignment=TA_CENTER))
    sheet.add(ParagraphStyle("Bullet", parent=sheet["Body"], leftIndent=14, bulletIndent=2,
                             spaceAfter=size * 0.3))
    return sheet


class Heading(Paragraph):
    """A heading paragraph that also becomes a PDF outline entry."""

    def __init__(self, title: str, style: PropertySet, level: int, key: str) -> None:
        super().__init__(esc(title), style)
        self.outline_title = title
        self.outline_level = level
        self.outline_key = key


class NumberedCanvas(rl_canvas.Canvas):
    """A canvas that remembers every page and writes "Pagina X van Y" when the total is known."""

    page_label = "Pagina {page} van {pages}"
    footer_font = FONT

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._saved_page_states: list[dict[str, Any]] = []

    def showPage(self) -> None:
        """Keep the page's state instead of emitting it straight away."""
        self._saved_page_states.append(dict(self.__dict__))
        self._startPage()  # type: ignore[attr-defined]  # private, not in the stubs

    def save(self) -> None:
        """Emit every page with its page number and the total."""
        total = len(self._saved_page_states)
        for state in self._saved_page_states:
            self.__dict__.update(state)
            self._draw_page_number(total)
            super().showPage()
        super().save()

    def _draw_page_number(self, total: int) -> None:
        width, _ = self._pagesize  # type: ignore[attr-defined]  # private, not in the stubs
        self.saveState()
        self.setFont(self.footer_font, 8)
        self.setFillColor(colors.HexColor("#3d3d3d"))
        label = self.page_label.replace("{page}", str(self.getPageNumber())).replace(
            "{pages}", str(total))
        self.drawRightString(width - 2 * cm, 1.2 * cm, label)
        self.restoreState()


def _canvas_maker(label: str) -> Callable[..., NumberedCanvas]:
    class _Canvas(NumberedCanvas):
        page_label = label

    return _Canvas


class ReportDocument(BaseDocTemplate):
    """A4 document with a cover and body page template; headings become bookmarks."""

    def __init__(self, buffer: io.BytesIO, content: ReportContent, title: str,
                 subject: str) -> None:
        margin = float(content.texts.get("layout", {}).get("margin_cm", 2.0)) * cm
        super().__init__(
            buffer, pagesize=A4, leftMargin=margin, rightMargin=margin, topMargin=margin,
            bottomMargin=margin, title=title, subject=subject,
            author=str(content.texts.get("author", "Quickscan Inclusieve Gemeente")),
            creator="Quickscan Inclusieve Gemeente", lang=content.texts.get("pdf_language",
                                                                            "nl-NL"),
            keywords=["inclusie", "Lokale Inclusie Agenda", content.municipality])
        self.header_text = title
        frame = Frame(self.leftMargin, self.bottomMargin, self.width, self.height, id="body")
        self.addPageTemplates([
            PageTemplate(id="cover", frames=[frame], onPage=self._on_cover),
            PageTemplate(id="body", frames=[frame], onPage=self._on_page),
        ])
        self._outline_open = False

    def _on_cover(self, canvas: rl_canvas.Canvas, doc: BaseDocTemplate) -> None:
        canvas.saveState()
        canvas.setFillColor(colors.HexColor("#00567A"))
        canvas.rect(0, A4[1] - 1.2 * cm, A4[0], 1.2 * cm, stroke=0, fill=1)
        canvas.restoreState()

    def _on_page(self, canvas: rl_canvas.Canvas, doc: BaseDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 8)
        canvas.setFillColor(colors.HexColor("#3d3d3d"))
        canvas.drawString(self.leftMargin, A4[1] - 1.2 * cm, self.header_text[:110])
        canvas.setStrokeColor(colors.HexColor("#8a8a8a"))
        canvas.line(self.leftMargin, A4[1] - 1.35 * cm, A4[0] - self.rightMargin,
                    A4[1] - 1.35 * cm)
        canvas.restoreState()

    def afterFlowable(self, flowable: Flowable) -> None:
        """Register every heading as a bookmark and an outline entry."""
        if isinstance(flowable, Heading):
            canvas = self.canv
            canvas.bookmarkPage(flowable.outline_key)
            canvas.addOutlineEntry(flowable.outline_title, flowable.outline_key,
                                   level=flowable.outline_level, closed=flowable.outline_level > 0)
            if not self._outline_open:
                canvas.showOutline()
                self._outline_open = True


# --------------------------------------------------------------------------- building blocks


class _Builder:
    """Builds the story for one report."""

    def __init__(self, content: ReportContent) -> None:
        self.c = content
        self.s = stylesheet(content)
        self.colours = content.texts.get("colours", {})
        layout = content.texts.get("layout", {})
        margin = float(layout.get("margin_cm", 2.0)) * cm
        self.width = A4[0] - 2 * margin
        self.height = A4[1] - 2 * margin
        self.chart_width = min(self.width, float(layout.get("chart_width_cm", 15)) * cm)
        self.keys = 0

    # --- small helpers
    def p(self, value: object, style: str = "Body") -> Paragraph:
        return Paragraph(esc(value), self.s[style])

    def heading(self, title: str, level: int) -> Heading:
        self.keys += 1
        style = ("H1", "H2", "H3")[min(level, 2)]
        return Heading(title, self.s[style], level, f"s{self.keys}")

    def num(self, value: float | None) -> str:
        return self.c.num(value)

    def table(self, header: Sequence[str], rows: Sequence[Sequence[object]],
              widths: Sequence[float] | None = None, numeric_from: int = 1) -> Table:
        """A table with a repeated header row; text cells wrap, numbers align right."""
        data: list[list[object]] = [[Paragraph(esc(h), self.s["HeaderCell"]) for h in header]]
        for row in rows:
            data.append([cell if isinstance(cell, Flowable)
                         else (str(cell) if index >= numeric_from and _is_short(cell)
                               else Paragraph(esc(cell), self.s["Cell"]))
                         for index, cell in enumerate(row)])
        if widths is not None:
            widths = fit_widths(header, widths, self.s["HeaderCell"].fontSize)
        table = Table(data, colWidths=widths, repeatRows=1, hAlign="LEFT")
        grid = colors.HexColor(self.colours.get("table_grid", "#8A8A8A"))
        commands = self._table_commands(numeric_from, grid) + [
            ("LINEBELOW", (0, 0), (-1, -1), 0.25, grid),
            ("LEFTPADDING", (0, 0), (-1, -1), 4),
            ("RIGHTPADDING", (0, 0), (-1, -1), 4),
        ]
        stripe = colors.HexColor(self.colours.get("table_stripe", "#F2F4F5"))
        for index in range(2, len(data), 2):
            commands.append(("BACKGROUND", (0, index), (-1, index), stripe))
        table.setStyle(TableStyle(commands))
        return table

    def _table_commands(self, first_number: int, grid: colors.Color) -> list[tuple[Any, ...]]:
        """The style every report table shares: header band, font, numbers right, a frame."""
        return [
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor(self.colours.get("primary",
                                                                             "#00567A"))),
            ("FONTNAME", (0, 1), (-1, -1), FONT),
            ("FONTSIZE", (0, 1), (-1, -1), 8),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("ALIGN", (first_number, 1), (-1, -1), "RIGHT"),
            ("BOX", (0, 0), (-1, -1), 0.5, grid),
            ("TOPPADDING", (0, 0), (-1, -1), 2),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ]

    def image(self, data: bytes, max_height: float | None = None) -> Image:
        width, height = _png_size(data)
        draw_width = self.chart_width
        draw_height = draw_width * height / width
        limit = max_height or self.height * 0.8
        if draw_height > limit:
            draw_width *= limit / draw_height
            draw_height = limit
        return Image(io.BytesIO(data), width=draw_width, height=draw_height)

    def chart(self, chart: Chart, max_height: float | None = None) -> list[Flowable]:
        """A chart image with its caption and, beside it in reading order, its data table."""
        png = charts.render(chart.spec, "png")
        rows = [[label] + [self.num(v) for v in values] for label, values in chart.rows]
        first = self.width * (0.4 if len(chart.header) <= 4 else 0.28)
        rest = (self.width - first) / max(1, len(chart.header) - 1)
        return [
            self.image(png, max_height),
            self.p(chart.caption, "Caption"),
            self.table(chart.header, rows, [first] + [rest] * (len(chart.header) - 1)),
            Spacer(1, 8),
        ]

    def priorities(self, rows: Sequence[PriorityRow], with_department: bool = True
                   ) -> list[Flowable]:
        """The prioritised gaps in tables of :data:`CHUNK` lines (splitting one long table
        with spans over many pages is quadratic in reportlab)."""
        return [self._priorities(rows[start:start + CHUNK], with_department)
                for start in range(0, len(rows), CHUNK)]

    def _priorities(self, rows: Sequence[PriorityRow], with_department: bool) -> Table:
        """The prioritised gaps: a line of figures, with the next step on a line below it."""
        c = self.c
        header = [c.t("labels.rank")]
        if with_department:
            header.append(c.t("labels.department"))
        header += [c.t("labels.theme"), c.t("labels.score"), c.t("labels.target"),
                   c.t("labels.gap"), c.t("labels.importance"), c.t("labels.priority")]
        data: list[list[object]] = [[Paragraph(esc(h), self.s["HeaderCell"]) for h in header]]
        first_number = 3 if with_department else 2
        for row in rows:
            p = row.priority
            line: list[object] = [str(p.rank)]
            if with_department:
                line.append(Paragraph(esc(p.department), self.s["Cell"]))
            line += [Paragraph(esc(f"{row.theme_title} ({row.bank_title})"), self.s["Cell"]),
                     self.num(p.score), self.num(p.target), self.num(p.gap),
                     self.num(p.importance), self.num(p.priority)]
            data.append(line)
            data.append([Paragraph(f"<b>{esc(c.t('labels.next_step'))}:</b> {esc(p.action)}",
                                   self.s["Cell"])] + [""] * (len(header) - 1))
        widths = ([0.05, 0.17, 0.33] if with_department else [0.05, 0.5]) + [0.09] * 5
        table = Table(data, colWidths=fit_widths(header, [self.width * w for w in widths],
                                                 self.s["HeaderCell"].fontSize),
                      repeatRows=1, hAlign="LEFT")
        grid = colors.HexColor(self.colours.get("table_grid", "#8A8A8A"))
        commands = self._table_commands(first_number, grid)
        stripe = colors.HexColor(self.colours.get("table_stripe", "#F2F4F5"))
        for index in range(len(rows)):
            top, below = 1 + 2 * index, 2 + 2 * index
            commands.append(("SPAN", (0, below), (-1, below)))
            commands.append(("LINEBELOW", (0, below), (-1, below), 0.25, grid))
            if index % 2:
                commands.append(("BACKGROUND", (0, top), (-1, below), stripe))
        table.setStyle(TableStyle(commands))
        return table

    # --- sections
    def cover(self, subtitle: str) -> list[Flowable]:
        c = self.c
        story: list[Flowable] = [Spacer(1, 2 * cm)]
        if c.logo:
            story += [Image(io.BytesIO(c.logo), width=5 * cm, height=2.5 * cm,
                            kind="proportional"),
                      Spacer(1, 1 * cm)]
        story += [
            self.p(c.t("titles.cover"), "CoverTitle"),
            self.p(c.municipality, "CoverSub"),
            self.p(subtitle, "CoverSub"),
            Spacer(1, 1.5 * cm),
        ]
        info = [
            [c.t("labels.municipality"), c.municipality],
            [c.t("labels.round"), c.round_name],
            [c.t("labels.date"), c.date.isoformat()],
            [c.t("labels.status"), c.t("labels.status_open") if c.status == "open"
             else c.t("labels.status_closed")],
        ]
        if c.deadline:
            info.append([c.t("labels.deadline"), c.deadline.isoformat()])
        story.append(self.table([c.t("labels.round"), ""], info,
                                [self.width * 0.3, self.width * 0.7], numeric_from=99))
        story.append(Spacer(1, 0.8 * cm))
        story.append(self.table(
            [c.t("labels.bank"), c.t("labels.version")],
            [[f"{b.title} ({b.id})", b.version] for b in c.banks],
            [self.width * 0.75, self.width * 0.25]))
        story += [NextPageTemplate("body"), PageBreak()]
        return story

    def intro(self) -> list[Flowable]:
        c = self.c
        return [self.heading(c.t("titles.intro"), 0),
                self.p(c.t("intro", municipality=c.municipality))]

    def summary(self) -> list[Flowable]:
        c = self.c
        story: list[Flowable] = [
            self.heading(c.t("titles.summary"), 0),
            self.p(c.t("labels.response_summary", submitted=c.submitted, started=c.started,
                       departments=c.department_count)),
        ]
        if c.department_report is None and c.overall:
            story.append(self.p(c.t("labels.overall")))
            story.append(self.table(
                [c.t("labels.bank"), c.t("labels.mean"), c.t("labels.target"),
                 c.t("labels.departments_with_score")],
                [[row.title, self.num(row.score), self.num(row.target),
                  str(row.departments_with_score)] for row in c.overall],
                [self.width * 0.46, self.width * 0.18, self.width * 0.14, self.width * 0.22]))
        story.append(self.heading(c.t("titles.priorities"), 1))
        if c.top_priorities:
            story += self.priorities(c.top_priorities, c.department_report is None)
        else:
            story.append(self.p(c.t("labels.no_priorities")))
        return story

    def charts_section(self) -> list[Flowable]:
        c = self.c
        story: list[Flowable] = [PageBreak(), self.heading(c.t("titles.charts"), 0)]
        if c.municipality_radar is not None:
            story.append(self.heading(c.municipality_radar.caption, 1))
            story += self.chart(c.municipality_radar, self.height * 0.55)
        if c.heatmap is not None:
            story += [PageBreak(), self.heading(c.t("titles.heatmap"), 1)]
            story += self.chart(c.heatmap, self.height * 0.85)
        return story

    def all_priorities(self) -> list[Flowable]:
        c = self.c
        story: list[Flowable] = [PageBreak(), self.heading(c.t("titles.priorities"), 0)]
        limit = int(c.texts.get("layout", {}).get("report_priorities", 0) or 0)
        shown = c.priorities[:limit] if limit else c.priorities
        if len(shown) < len(c.priorities):
            story.append(self.p(c.t("labels.priorities_truncated", shown=len(shown),
                                    total=len(c.priorities))))
        if shown:
            story += self.priorities(shown)
        else:
            story.append(self.p(c.t("labels.no_priorities")))
        return story

    def department(self, section: DepartmentSection, level: int) -> list[Flowable]:
        c = self.c
        story: list[Flowable] = [
            self.heading(c.t("titles.department", department=section.name), level),
            self.p(f"{c.t('labels.respondents')}: {c.t('labels.submitted').lower()} "
                   f"{section.submitted}, {c.t('labels.started').lower()} {section.started}"),
        ]
        if section.banks:
            story.append(self.table(
                [c.t("labels.bank"), c.t("labels.score"), c.t("labels.target"),
                 c.t("labels.gap")],
                [[b.title, self.num(b.score), self.num(b.target), self.num(b.gap)]
                 for b in section.banks],
                [self.width * 0.55, self.width * 0.15, self.width * 0.15, self.width * 0.15]))
            story.append(Spacer(1, 6))
        if section.submitted == 0:
            story.append(self.p(c.t("labels.no_responses")))
        story += self.chart(section.radar, self.height * 0.5)
        theme_rows = []
        numbered = isinstance(section.radar.spec, RadarSpec) and section.radar.spec.numbered
        for number, row in enumerate(section.themes, start=1):
            r = row.result
            label = f"{row.theme_title} ({row.bank_title})"
            theme_rows.append([f"{number}. {label}" if numbered else label, self.num(r.score),
                               self.num(r.target), self.num(r.gap), self.num(r.importance),
                               self.num(r.priority), ", ".join(f.label for f in row.flags)])
        story.append(self.table(
            [c.t("labels.theme"), c.t("labels.score"), c.t("labels.target"), c.t("labels.gap"),
             c.t("labels.importance"), c.t("labels.priority"), c.t("labels.flags")],
            theme_rows, [self.width * x for x in (0.3, 0.09, 0.09, 0.09, 0.09, 0.09, 0.25)]))
        story.append(self.heading(c.t("titles.priorities"), level + 1))
        if section.top_gaps:
            story += self.priorities(section.top_gaps, with_department=False)
        else:
            story.append(self.p(c.t("labels.no_priorities")))
        story.append(self.heading(c.t("titles.comments"), level + 1))
        for start in range(0, len(section.comments), CHUNK):
            story.append(self.table(
                [c.t("labels.question"), c.t("labels.comment")],
                [[f"{row.theme_title}: {row.statement}", row.text]
                 for row in section.comments[start:start + CHUNK]],
                [self.width * 0.4, self.width * 0.6], numeric_from=99))
        if not section.comments:
            story.append(self.p(c.t("labels.no_comments")))
        for detail in section.details:
            story.append(CondPageBreak(4 * cm))
            story.append(self.heading(f"{detail.row.theme_title} ({detail.row.bank_title})",
                                      level + 1))
            scale = c.scale
            level_labels = [scale.label(v) if scale else str(v) for v in range(5)]
            story.append(self.table(
                [c.t("labels.question"), c.t("labels.score")] + [
                    f"{v} {level_labels[v]}" for v in range(5)] + [
                    c.t("labels.dont_know"), c.t("labels.not_applicable"), c.t("labels.spread")],
                [[q.statement, self.num(q.score)] + [str(n) for n in q.counts]
                 + [str(q.dont_know), str(q.not_applicable), self.num(q.sd, )]
                 for q in detail.questions],
                [self.width * 0.3, self.width * 0.07] + [self.width * 0.063] * 5
                + [self.width * 0.07, self.width * 0.07, self.width * 0.075]))
        return story

    def departments(self) -> list[Flowable]:
        c = self.c
        story: list[Flowable] = [PageBreak(), self.heading(c.t("titles.departments"), 0)]
        for index, section in enumerate(c.departments):
            if index:
                story.append(PageBreak())
            story += self.department(section, 1)
        return story

    def method(self) -> list[Flowable]:
        c = self.c
        story: list[Flowable] = [PageBreak(), self.heading(c.t("titles.method"), 0),
                                 self.heading(c.t("method.title_scale"), 1),
                                 self.p(c.t("method.scale_intro"))]
        if c.scale is not None:
            story.append(self.table(
                [c.t("labels.level"), c.t("labels.score"), c.t("labels.comment")],
                [[f"{level.value} – {level.label}", str(level.value * 25), level.description]
                 for level in c.scale.levels]
                + [[option.label, c.t("labels.no_score"), option.description]
                   for option in c.scale.outside],
                [self.width * 0.28, self.width * 0.14, self.width * 0.58], numeric_from=1))
        story.append(self.heading(c.t("method.title_formula"), 1))
        for line in c.texts.get("method", {}).get("formula", []):
            story.append(Paragraph(esc(line), self.s["Bullet"], bulletText="•"))
        story.append(self.heading(c.t("labels.flags"), 1))
        for flag in c.flag_legend:
            story.append(Paragraph(f"<b>{esc(flag.label)}</b>: {esc(flag.explanation)}",
                                   self.s["Bullet"], bulletText="•"))
        story.append(self.heading(c.t("method.title_banks"), 1))
        story.append(self.p(c.t("method.banks_intro")))
        story.append(self.table(
            [c.t("labels.bank"), c.t("labels.version"), c.t("labels.sha256")],
            [[f"{b.title} ({b.id})", b.version, Paragraph(esc(b.sha256), self.s["Cell"])]
             for b in c.banks],
            [self.width * 0.4, self.width * 0.12, self.width * 0.48], numeric_from=99))
        return story


def fit_widths(header: Sequence[str], widths: Sequence[float], font_size: float) -> list[float]:
    """Widen columns whose header words would be broken mid-word; the widest column pays."""
    out = list(widths)
    for index, label in enumerate(header):
        words = str(label).split() or [""]
        need = max(pdfmetrics.stringWidth(word, FONT_BOLD, font_size) for word in words) + 16
        if out[index] < need:
            widest = max(range(len(out)), key=lambda i: out[i])
            if widest != index:
                out[widest] -= need - out[index]
                out[index] = need
    return out


def _is_short(cell: object) -> bool:
    return isinstance(cell, (int, float)) or (isinstance(cell, str) and len(cell) <= 12)


def _png_size(data: bytes) -> tuple[int, int]:
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG image")
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def document_title(content: ReportContent) -> str:
    """The PDF's document title."""
    if content.department_report is not None:
        return content.t("titles.department_document", department=content.department_report.name,
                         municipality=content.municipality)
    return content.t("titles.document", municipality=content.municipality)


def build_pdf(content: ReportContent, stats: dict[str, int] | None = None, *,
              processes: int | None = None) -> bytes:
    """Render the report to PDF bytes (a round report, or a department report).

    ``stats``, when given, receives the number of pages, tables and images (for the benchmark);
    ``processes`` is the number of chart worker processes (``None``: one per core).
    """
    from quickscan.reporting import render_charts

    # Every chart at once, spread over the cores, into the cache.
    render_charts(content, processes=processes)
    builder = _Builder(content)
    section = content.department_report
    if section is None:
        subtitle = content.t("titles.cover_subtitle", round=content.round_name)
    else:
        subtitle = content.t("titles.department_cover_subtitle", department=section.name,
                             round=content.round_name)
    story: list[Flowable] = builder.cover(subtitle)
    story += builder.intro()
    story += builder.summary()
    if section is None:
        story += builder.charts_section()
        story += builder.all_priorities()
        story += builder.departments()
    else:
        story += [PageBreak()] + builder.department(section, 0)
    story += builder.method()
    buffer = io.BytesIO()
    title = document_title(content)
    document = ReportDocument(buffer, content, title,
                              content.t("titles.subject", round=content.round_name))
    label = str(content.texts.get("labels", {}).get("page", "Pagina {page} van {pages}"))
    with binary_streams():
        _build(document, story, label, stats)
    return buffer.getvalue()


@contextmanager
def binary_streams() -> Iterator[None]:
    """Write image streams as binary instead of ASCII85 (reportlab's pure-Python encoder is
    the slowest step of a report with many charts; binary PDF streams are standard)."""
    previous = rl_config.useA85
    rl_config.useA85 = 0
    try:
        yield
    finally:
        rl_config.useA85 = previous


def _build(document: ReportDocument, story: list[Flowable], label: str,
           stats: dict[str, int] | None) -> None:
    tables = sum(1 for f in story if isinstance(f, Table))
    images = sum(1 for f in story if isinstance(f, Image))
    document.build(story, canvasmaker=_canvas_maker(label))
    if stats is not None:
        stats.update(pages=document.page, tables=tables, images=images)


