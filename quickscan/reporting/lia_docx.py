"""The draft Lokale Inclusie Agenda as an editable DOCX (python-docx; Word and LibreOffice).

Plain data in (:class:`LiaDocInput`), bytes out. Accessible as an editable document should be:
headings in Word's own heading styles (so the navigation pane and a table of contents work),
tables with a header row that repeats on every page, alternative text on the chart, and the
document's language set (``nl-NL`` for the Dutch texts) on the core properties and on the
default run style. Texts come from the ``lia`` section of ``reports/<lang>.yaml``.
"""

from __future__ import annotations

import datetime
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from matplotlib.figure import Figure

from quickscan.reporting.summary import Summary


@dataclass(frozen=True)
class CandidateLine:
    """A candidate's votes."""

    title: str
    online: int
    zaal: int
    papier: int
    total: int
    chosen: bool


@dataclass(frozen=True)
class ActionLine:
    """One action of a speerpunt."""

    title: str
    owner: str
    deadline: str
    status: str
    themes: str


@dataclass(frozen=True)
class SpeerpuntSection:
    """A speerpunt: its rationale, the figures behind it and its actions."""

    title: str
    description: str
    figures: tuple[str, ...]
    choice_reason: str
    actions: tuple[ActionLine, ...]


@dataclass(frozen=True)
class PerspectiveLine:
    """A theme seen from the groups, municipality-wide: the figures of the perspectives page
    (0-100; None where a group is under its minimum size)."""

    theme: str
    civil_servants: float | None
    residents: float | None
    ambition: float | None
    difference: float | None = None
    blind_spot: bool = False


@dataclass(frozen=True)
class RoleLine:
    """The votes of one "ik stem als" role (``""``: not said); ``hidden`` under k."""

    role: str
    online: int
    zaal: int
    papier: int
    total: int
    hidden: bool = False


@dataclass(frozen=True)
class LiaDocInput:
    """Everything the document shows, as plain data."""

    municipality: str
    round_name: str
    texts: Mapping[str, Any]
    language: str
    date: datetime.date
    summary: Summary | None
    candidates: tuple[CandidateLine, ...]
    votes_per_voter: int
    online_ballots: int
    votes: Mapping[str, int]
    choice_note: str
    speerpunten: tuple[SpeerpuntSection, ...]
    perspectives: tuple[PerspectiveLine, ...] = field(default_factory=tuple)
    roles: tuple[RoleLine, ...] = field(default_factory=tuple)
    min_group_size: int = 1


def _t(texts: Mapping[str, Any], key: str, **values: object) -> str:
    node: Any = texts["lia"]
    for part in key.split("."):
        node = node[part]
    return str(node).format(**values) if values else str(node)


def _set_language(document: Any, language: str) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    document.core_properties.language = language
    styles = document.styles.element
    defaults = styles.find(qn("w:docDefaults"))
    rpr_default = defaults.find(qn("w:rPrDefault")) if defaults is not None else None
    rpr = rpr_default.find(qn("w:rPr")) if rpr_default is not None else None
    if rpr is None:
        return
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), language)
    lang.set(qn("w:eastAsia"), language)
    lang.set(qn("w:bidi"), language)


def _table(document: Any, caption: str, headers: Sequence[str],
           rows: Sequence[Sequence[object]]) -> Any:
    """A captioned table whose first row is a header row repeated on every page."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    document.add_paragraph(caption, style="Caption")
    table = document.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    header = table.rows[0]
    for cell, text in zip(header.cells, headers, strict=True):
        cell.text = ""
        run = cell.paragraphs[0].add_run(str(text))
        run.bold = True
    trpr = header._tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    trpr.append(repeat)
    for values in rows:
        cells = table.add_row().cells
        for cell, value in zip(cells, values, strict=True):
            cell.text = "" if value is None else str(value)
    return table


def _chart(candidates: Sequence[CandidateLine]) -> bytes:
    height = max(2.0, 0.45 * len(candidates) + 1.0)
    figure = Figure(figsize=(6.5, height))
    axes = figure.subplots()
    labels = [c.title if len(c.title) <= 40 else c.title[:39] + "…" for c in candidates]
    positions = list(range(len(candidates)))[::-1]
    left = [0] * len(candidates)
    for origin, colour, hatch in (("online", "#00567A", ""), ("zaal", "#D55E00", "//"),
                                  ("papier", "#6A6A6A", "..")):
        values = [getattr(c, origin) for c in candidates]
        axes.barh(positions, values, left=left, color=colour, hatch=hatch, label=origin,
                  edgecolor="white")
        left = [a + b for a, b in zip(left, values, strict=True)]
    axes.set_yticks(positions, labels)
    axes.legend(loc="lower right")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=120)
    return buffer.getvalue()


def _picture(document: Any, data: bytes, alt: str) -> None:
    from docx.shared import Cm

    document.add_picture(io.BytesIO(data), width=Cm(15))
    inline = document.inline_shapes[-1]._inline
    inline.docPr.set("descr", alt)
    inline.docPr.set("title", alt)


def perspectives_section(document: Any, data: LiaDocInput) -> None:
    """The perspectives chapter: per theme the figures of the perspectives page (civil
    servants, inwoners, the bestuur's ambition, the difference, blind spots), or that none were
    measured. Figures are whole numbers as on the page; a group under its minimum size shows
    "geen resultaat"."""
    from quickscan.perspectives import BLIND_SPOT_POINTS

    texts = data.texts
    document.add_heading(_t(texts, "perspectives_title"), level=1)
    if not data.perspectives:
        document.add_paragraph(_t(texts, "perspectives_none"))
        return
    document.add_paragraph(_t(texts, "perspectives_intro", points=int(BLIND_SPOT_POINTS)))
    hidden = _t(texts, "perspectives_hidden")

    def fmt(value: float | None) -> str:
        return hidden if value is None else f"{value:.0f}"

    _table(document, _t(texts, "perspectives_caption"),
           [_t(texts, f"headers.{key}") for key in (
               "theme", "civil_servants", "residents", "ambition", "difference",
               "blind_spot")],
           [[p.theme, fmt(p.civil_servants), fmt(p.residents), fmt(p.ambition),
             fmt(p.difference), _t(texts, "headers.blind_spot") if p.blind_spot else ""]
            for p in data.perspectives])


def build_docx(data: LiaDocInput) -> bytes:
    """The draft agenda as DOCX bytes."""
    from docx import Document

    texts = data.texts
    names = {"municipality": data.municipality, "round": data.round_name}
    document = Document()
    _set_language(document, data.language)
    document.core_properties.title = _t(texts, "title", **names)
    document.core_properties.subject = _t(texts, "subtitle", **names)
    document.add_heading(_t(texts, "title", **names), level=0)
    document.add_paragraph(f"{_t(texts, 'subtitle', **names)} – {data.date.isoformat()}")

    document.add_heading(_t(texts, "intro_title"), level=1)
    for paragraph in texts["lia"]["intro"]:
        document.add_paragraph(str(paragraph).format(**names))

    document.add_heading(_t(texts, "summary_title"), level=1)
    if data.summary is not None:
        for block in data.summary.blocks:
            document.add_heading(block.title, level=2)
            for paragraph in block.paragraphs:
                document.add_paragraph(paragraph)
            for item in block.items:
                document.add_paragraph(item, style="List Bullet")

    perspectives_section(document, data)

    document.add_heading(_t(texts, "choice_title"), level=1)
    document.add_paragraph(_t(
        texts, "choice_intro", votes=data.votes_per_voter, ballots=data.online_ballots,
        total=data.votes.get("total", 0), online=data.votes.get("online", 0),
        zaal=data.votes.get("zaal", 0), papier=data.votes.get("papier", 0)))
    document.add_paragraph(data.choice_note or _t(texts, "choice_top"))
    headers = texts["lia"]["headers"]
    if data.candidates:
        _table(document, _t(texts, "votes_caption"),
               [headers[k] for k in ("candidate", "online", "zaal", "papier", "total",
                                     "chosen")],
               [[c.title, c.online, c.zaal, c.papier, c.total,
                 _t(texts, "word_yes") if c.chosen else _t(texts, "word_no")]
                for c in data.candidates])
        if data.votes.get("total", 0):
            _picture(document, _chart(data.candidates), _t(texts, "votes_chart_alt"))
    if data.roles:
        words = texts["lia"]["roles"]
        hidden = _t(texts, "roles_hidden", k=data.min_group_size)
        _table(document, _t(texts, "roles_caption"),
               [headers[k] for k in ("role", "online", "zaal", "papier", "total")],
               [[str(words.get(r.role or "none", r.role)),
                 *([hidden, "", "", ""] if r.hidden else [r.online, r.zaal, r.papier, r.total])]
                for r in data.roles])

    document.add_heading(_t(texts, "speerpunten_title"), level=1)
    if not data.speerpunten:
        document.add_paragraph(_t(texts, "no_speerpunten"))
    for speerpunt in data.speerpunten:
        document.add_heading(speerpunt.title, level=2)
        document.add_heading(_t(texts, "rationale"), level=3)
        for line in speerpunt.description.splitlines():
            if line.strip():
                document.add_paragraph(line)
        if speerpunt.figures:
            document.add_paragraph(_t(texts, "figures"))
            for line in speerpunt.figures:
                document.add_paragraph(line, style="List Bullet")
        if speerpunt.choice_reason:
            document.add_paragraph(_t(texts, "choice_reason", reason=speerpunt.choice_reason))
        if speerpunt.actions:
            _table(document, _t(texts, "actions_caption", speerpunt=speerpunt.title),
                   [headers[k] for k in ("action", "owner", "deadline", "status", "themes")],
                   [[a.title, a.owner, a.deadline, a.status, a.themes]
                    for a in speerpunt.actions])
        else:
            document.add_paragraph(_t(texts, "no_actions"))
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
