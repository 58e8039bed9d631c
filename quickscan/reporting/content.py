"""The report's content model, shared by the PDF report, the HTML report and the results pages.

Everything a reader sees is assembled here from one frozen
:class:`~quickscan.reporting.model.ReportInput` (gathered by
:mod:`quickscan.services.reports`): the scoring engine's
:class:`~quickscan.scoring.RoundResult` (no formula is recomputed: every score, target, gap,
importance, priority and flag is the engine's own number) plus titles from the pinned bank
snapshots, the comments and the texts from ``reports/<lang>.yaml``. The renderers only lay
this model out. Nothing here reads the database or the Flask app.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from quickscan import frameworks
from quickscan.bank import Bank, Scale
from quickscan.charts import HeatmapSpec, RadarSpec, Series
from quickscan.reporting.model import DepartmentInfo, ReportInput
from quickscan.reporting.summary import Summary, build_summary
from quickscan.reporting.texts import DEFAULT_LANGUAGE, format_date, format_number, text
from quickscan.reporting.trend import TrendChapter
from quickscan.scoring import DepartmentResult, Priority, RoundResult, ThemeResult

__all__ = ["DEFAULT_LANGUAGE", "format_date", "format_number", "text"]
#: The comparison axes besides the common bank's themes (tag dimensions of the engine).
COMMON_DIMENSION = "gemeenschappelijk"
MAX_COMPARED = 6


# --------------------------------------------------------------------------- the model


@dataclass(frozen=True)
class Flag:
    """A signal on a theme, with its Dutch label and explanation."""

    key: str
    label: str
    explanation: str


@dataclass(frozen=True)
class BankInfo:
    """A bank version pinned to the round."""

    id: str
    title: str
    version: str
    sha256: str
    common: bool
    #: ``kern`` (only the core questions were asked) or ``volledig``; empty when unknown.
    scope: str = ""


@dataclass(frozen=True)
class ThemeRow:
    """A theme's result in one department, with titles."""

    department: str
    department_id: int
    bank_id: str
    bank_title: str
    theme_id: str
    theme_title: str
    result: ThemeResult
    flags: tuple[Flag, ...]


@dataclass(frozen=True)
class BankRow:
    """A bank's result in one department, with its title."""

    bank_id: str
    title: str
    score: float | None
    target: float
    gap: float | None


@dataclass(frozen=True)
class PriorityRow:
    """A line of the prioritised list, with titles."""

    priority: Priority
    department_id: int
    bank_title: str
    theme_title: str


@dataclass(frozen=True)
class QuestionRow:
    """A question's result in one department: distribution over the levels and comments."""

    id: str
    statement: str
    score: float | None
    counts: tuple[int, int, int, int, int]
    dont_know: int
    not_applicable: int
    sd: float | None
    comments: tuple[str, ...]


@dataclass(frozen=True)
class ThemeDetail:
    """A theme with its questions (drill-down)."""

    row: ThemeRow
    questions: tuple[QuestionRow, ...]


@dataclass(frozen=True)
class CommentRow:
    """A respondent's comment on a question, without anything that identifies the respondent."""

    bank_title: str
    theme_title: str
    question_id: str
    statement: str
    text: str


@dataclass(frozen=True)
class Chart:
    """A chart and its text equivalent: alt text, caption and a data table."""

    name: str
    spec: RadarSpec | HeatmapSpec
    alt: str
    caption: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, tuple[float | None, ...]], ...]


@dataclass(frozen=True)
class DepartmentSection:
    """Everything the report shows about one department."""

    id: int
    name: str
    started: int
    submitted: int
    banks: tuple[BankRow, ...]
    themes: tuple[ThemeRow, ...]
    top_gaps: tuple[PriorityRow, ...]
    comments: tuple[CommentRow, ...]
    radar: Chart
    details: tuple[ThemeDetail, ...] = ()
    #: Fewer than the minimum group size submitted: only the counts may be shown.
    hidden: bool = False


@dataclass(frozen=True)
class OverallRow:
    """The municipality mean of one bank."""

    bank_id: str
    title: str
    score: float | None
    target: float | None
    departments_with_score: int


@dataclass(frozen=True)
class ReportContent:
    """The whole report: the same model for the PDF and the HTML report."""

    texts: Mapping[str, Any]
    lang: str
    round_id: int
    round_name: str
    municipality: str
    status: str
    deadline: datetime.date | None
    date: datetime.date
    banks: tuple[BankInfo, ...]
    started: int
    submitted: int
    department_count: int
    overall: tuple[OverallRow, ...]
    priorities: tuple[PriorityRow, ...]
    top_priorities: tuple[PriorityRow, ...]
    flagged: tuple[ThemeRow, ...]
    departments: tuple[DepartmentSection, ...]
    municipality_radar: Chart | None
    heatmap: Chart | None
    scale: Scale | None
    department_report: DepartmentSection | None = None
    flag_legend: tuple[Flag, ...] = field(default_factory=tuple)
    #: The logo named in the report texts (PNG or JPEG bytes), if any.
    logo: bytes | None = None
    #: The perspectives chapter (``reporting.model.PerspectivesInput``): municipality-wide in a
    #: round report, the department's own in a department report.
    perspectives: Any = None
    #: The municipal group's section ("Gemeentebrede feiten"), apart from the departments.
    municipal: DepartmentSection | None = None
    #: The written summary for bestuurders (None when not asked for).
    summary: Summary | None = None
    #: The round's minimum group size k.
    min_group_size: int = 1
    #: Departments hidden by k (round report: all of them; department report: the one).
    hidden: tuple[str, ...] = ()
    #: The trend of the round's series (None: no previous round, or a department report).
    trend: TrendChapter | None = None

    @property
    def provisional(self) -> bool:
        """True while the round is open: every page says the results are provisional."""
        return self.status == "open"

    @property
    def locale(self) -> str:
        """The locale dates are written in (``pdf_language`` of the texts: nl-NL, en-GB)."""
        return date_locale(self.texts, self.lang)

    @property
    def date_text(self) -> str:
        """The report date written out ("30 november 2026")."""
        return format_date(self.date, self.locale)

    @property
    def deadline_text(self) -> str:
        """The round's closing date written out, or an empty text."""
        return format_date(self.deadline, self.locale)

    @property
    def hidden_text(self) -> str:
        """What a hidden department shows instead of figures."""
        return self.t("labels.hidden", k=self.min_group_size)

    @property
    def provisional_text(self) -> str:
        """The sentence that marks a report on an open round as provisional."""
        deadline = (self.t("labels.provisional_deadline", deadline=self.deadline_text)
                    if self.deadline else "")
        return self.t("labels.provisional_note", deadline=deadline)

    def bank_number(self, bank_id: str) -> int:
        """The number of a bank in the matrix legend (1-based, in the order of the overview:
        the banks the departments answer, so a municipal bank does not leave a gap)."""
        ids = [row.bank_id for row in self.overall] or [bank.id for bank in self.banks]
        if bank_id not in ids:
            ids = ids + [bank.id for bank in self.banks if bank.id not in ids]
        return ids.index(bank_id) + 1

    def t(self, dotted: str, **values: object) -> str:
        """A report text by dotted key, placeholders filled in."""
        return text(self.texts, dotted, **values)

    def num(self, value: float | None, digits: int = 1) -> str:
        """A number formatted for this report's language."""
        return format_number(value, self.lang, digits, self.t("labels.none"))

    def version_label(self, bank: BankInfo) -> str:
        """A bank's version with the scope the round asked it in: ``2.0.0, kern``."""
        if not bank.scope:
            return bank.version
        return f"{bank.version}, {self.t('labels.scope_' + bank.scope)}"


# --------------------------------------------------------------------------- building


def date_locale(texts: Mapping[str, Any], lang: str) -> str:
    """The Babel locale for dates: the texts' ``pdf_language`` (``en-GB`` -> ``en_GB``)."""
    return str(texts.get("pdf_language") or lang).replace("-", "_")


class Titles:
    """Bank and theme titles of a round's pinned banks."""

    def __init__(self, banks: Sequence[Bank]) -> None:
        self.banks = {bank.id: bank for bank in banks}
        self.themes = {(bank.id, theme.id): theme.title for bank in banks for theme in bank.themes}
        self.questions = {q.id: q for bank in banks for q in bank.questions}

    def bank(self, bank_id: str) -> str:
        """A bank's title (its id when unknown)."""
        bank = self.banks.get(bank_id)
        return bank.title if bank else bank_id

    def theme(self, bank_id: str, theme_id: str) -> str:
        """A theme's title (its id when unknown)."""
        return self.themes.get((bank_id, theme_id), theme_id)


def flags_of(texts: Mapping[str, Any], keys: Sequence[str]) -> tuple[Flag, ...]:
    """The engine's flag keys with their labels and explanations."""
    out = []
    for key in keys:
        entry = texts.get("flags", {}).get(key, {})
        out.append(Flag(key, str(entry.get("label", key)), str(entry.get("explanation", ""))))
    return tuple(out)


def flag_legend(texts: Mapping[str, Any]) -> tuple[Flag, ...]:
    """Every flag the engine can raise, explained."""
    return flags_of(texts, list(texts.get("flags", {})))


def theme_rows(result: DepartmentResult, department_id: int, titles: Titles,
               texts: Mapping[str, Any]) -> tuple[ThemeRow, ...]:
    """A department's theme results with titles and explained flags."""
    return tuple(
        ThemeRow(result.name, department_id, theme.bank_id, titles.bank(theme.bank_id),
                 theme.theme_id, titles.theme(theme.bank_id, theme.theme_id), theme,
                 flags_of(texts, theme.flags))
        for theme in result.themes())


def priority_rows(priorities: Sequence[Priority], ids: Mapping[str, int],
                  titles: Titles) -> tuple[PriorityRow, ...]:
    """Priorities with bank and theme titles."""
    return tuple(PriorityRow(p, ids.get(p.department, 0), titles.bank(p.bank),
                             titles.theme(p.bank, p.theme)) for p in priorities)


#: Radars with more axes than this number their axes and the rows of their data table.
NUMBERED_AXES_FROM = 8


def department_chart(result: DepartmentResult, round_result: RoundResult, titles: Titles,
                     texts: Mapping[str, Any]) -> Chart:
    """The department radar: per theme its score, target and the municipality mean."""
    themes = result.themes()
    axes = tuple(titles.theme(t.bank_id, t.theme_id) for t in themes)
    score = tuple(t.score for t in themes)
    target = tuple(t.target for t in themes)
    mean = tuple(round_result.municipality.themes.get((t.bank_id, t.theme_id)) for t in themes)
    labels = (text(texts, "labels.score"), text(texts, "labels.target"),
              text(texts, "labels.mean"))
    numbered = len(axes) > NUMBERED_AXES_FROM
    spec = RadarSpec(
        title=text(texts, "charts.department_radar", department=result.name), axes=axes,
        series=(Series(labels[0], score, fill=True), Series(labels[1], target),
                Series(labels[2], mean)), numbered=numbered)
    names = tuple(f"{n}. {axis}" for n, axis in enumerate(axes, start=1)) if numbered else axes
    rows = tuple((axis, (s, g, m)) for axis, s, g, m in zip(names, score, target, mean))
    return Chart("afdeling", spec, text(texts, "charts.department_radar_alt",
                                        department=result.name),
                 spec.title, (text(texts, "labels.theme"),) + labels, rows)


def municipality_chart(round_result: RoundResult, titles: Titles, texts: Mapping[str, Any],
                       municipality: str) -> Chart:
    """The municipality radar over the banks: the mean score and the target per bank."""
    overall = overall_rows(round_result, titles)
    axes = tuple(row.title for row in overall)
    score = tuple(row.score for row in overall)
    target = tuple(row.target for row in overall)
    labels = (text(texts, "labels.mean"), text(texts, "labels.target"))
    spec = RadarSpec(title=text(texts, "charts.municipality_radar", municipality=municipality),
                     axes=axes, series=(Series(labels[0], score, fill=True),
                                        Series(labels[1], target)))
    rows = tuple((axis, (s, g)) for axis, s, g in zip(axes, score, target))
    return Chart("gemeente", spec, text(texts, "charts.municipality_radar_alt"), spec.title,
                 (text(texts, "labels.bank"),) + labels, rows)


def heatmap_chart(round_result: RoundResult, titles: Titles, texts: Mapping[str, Any]) -> Chart:
    """The heatmap of departments × banks (bank scores), with the same numbers as a table."""
    bank_ids = [row.bank_id for row in overall_rows(round_result, titles)]
    rows = []
    for department in round_result.departments:
        values = []
        for bank_id in bank_ids:
            bank = department.bank(bank_id)
            values.append(bank.score if bank else None)
        rows.append((department.name, tuple(values)))
    columns = tuple(titles.bank(b) for b in bank_ids)
    spec = HeatmapSpec(title=text(texts, "charts.heatmap"), rows=tuple(r[0] for r in rows),
                       columns=columns, values=tuple(r[1] for r in rows),
                       empty_label=text(texts, "labels.none"),
                       colorbar_label=text(texts, "labels.score"))
    return Chart("heatmap", spec, text(texts, "charts.heatmap_alt"), spec.title,
                 (text(texts, "labels.department"),) + columns, tuple(rows))


def comparison_dimensions(banks: Sequence[Bank], texts: Mapping[str, Any]) -> dict[str, str]:
    """The axes a comparison can use: the common bank's themes and the tag dimensions."""
    out: dict[str, str] = {}
    if any(bank.common for bank in banks):
        out[COMMON_DIMENSION] = text(texts, "charts.common_themes")
    names = texts.get("dimensions") or {}
    out.update({key: str(names.get(key, label)) for key, label in frameworks.DIMENSIONS.items()})
    return out


@dataclass(frozen=True)
class ComparisonAxes:
    """The axes of a comparison: per axis its key, a short code (drawn on a small radar), the
    label for the data table (numbered with that code) and the full label."""

    title: str
    keys: tuple[str, ...]
    codes: tuple[str, ...]
    rows: tuple[str, ...]
    labels: tuple[str, ...]
    department_value: Any
    mean: tuple[float | None, ...]


def comparison_axes(round_result: RoundResult, titles: Titles, texts: Mapping[str, Any],
                    dimension: str) -> ComparisonAxes:
    """The shared axes of a comparison (common themes or a tag dimension), with the
    municipality mean on every axis."""
    dimensions = comparison_dimensions(list(titles.banks.values()), texts)
    axis_title = dimensions.get(dimension, dimension)
    keys: list[tuple[str, str]]
    if dimension == COMMON_DIMENSION:
        common = next(bank for bank in titles.banks.values() if bank.common)
        keys = [(theme.id, theme.title) for theme in common.themes]

        def value(result: DepartmentResult, key: str) -> float | None:
            bank = result.bank(common.id)
            if bank is None:
                return None
            return next((t.score for t in bank.themes if t.theme_id == key), None)

        mean = tuple(round_result.municipality.themes.get((common.id, key)) for key, _ in keys)
    else:
        labels = frameworks.dimension_labels(dimension)
        present = {key for result in round_result.departments
                   for key in result.dimensions.get(dimension, {})}
        keys = [(key, f"{key}. {label}" if key.isdigit() else label)
                for key, label in labels.items() if key in present]

        def value(result: DepartmentResult, key: str) -> float | None:
            return result.dimensions.get(dimension, {}).get(key)

        means = round_result.municipality.dimensions.get(dimension, {})
        mean = tuple(means.get(key) for key, _ in keys)
    codes = tuple(key if key.isdigit() else str(n) for n, (key, _) in enumerate(keys, start=1))
    rows = tuple(label if key.isdigit() else f"{code}. {label}"
                 for (key, label), code in zip(keys, codes))
    return ComparisonAxes(axis_title, tuple(k for k, _ in keys), codes, rows,
                          tuple(label for _, label in keys), value, mean)


def comparison_chart(round_result: RoundResult, titles: Titles, texts: Mapping[str, Any],
                     names: Sequence[str], dimension: str) -> Chart:
    """Up to six departments overlaid on shared axes (common themes or a tag dimension).

    Its data table (one numbered row per axis, a column per department and the municipality
    mean) is also the table of the small multiples (:func:`comparison_small_charts`)."""
    departments = [round_result.department(name) for name in names[:MAX_COMPARED]]
    axes = comparison_axes(round_result, titles, texts, dimension)
    series = tuple(Series(result.name, tuple(axes.department_value(result, key)
                                             for key in axes.keys))
                   for result in departments)
    spec = RadarSpec(title=text(texts, "charts.comparison_radar", axes=axes.title),
                     axes=axes.labels, series=series,
                     legend_title=text(texts, "labels.departments"))
    rows = tuple((label, tuple(s.values[index] for s in series) + (axes.mean[index],))
                 for index, label in enumerate(axes.rows))
    alt = text(texts, "charts.comparison_radar_alt", count=len(departments),
               departments=", ".join(d.name for d in departments), axes=axes.title)
    header = ((axes.title,) + tuple(d.name for d in departments)
              + (text(texts, "labels.mean"),))
    return Chart("vergelijking", spec, alt, spec.title, header, rows)


def comparison_small_chart(round_result: RoundResult, titles: Titles,
                           texts: Mapping[str, Any], name: str, dimension: str) -> Chart:
    """One small multiple of a comparison: a department's scores on the shared axes with the
    municipality mean as the reference line; axes carry the codes of the table's rows."""
    result = round_result.department(name)
    axes = comparison_axes(round_result, titles, texts, dimension)
    score = tuple(axes.department_value(result, key) for key in axes.keys)
    labels = (text(texts, "labels.score"), text(texts, "labels.mean"))
    spec = RadarSpec(title=text(texts, "charts.comparison_small", department=result.name,
                                axes=axes.title), axes=axes.codes,
                     series=(Series(labels[0], score, fill=True), Series(labels[1], axes.mean)),
                     small=True)
    rows = tuple((label, (s, m)) for label, s, m in zip(axes.rows, score, axes.mean))
    alt = text(texts, "charts.comparison_small_alt", department=result.name, axes=axes.title)
    return Chart("vergelijking", spec, alt, spec.title, (axes.title,) + labels, rows)


def comparison_small_charts(round_result: RoundResult, titles: Titles,
                            texts: Mapping[str, Any], names: Sequence[str],
                            dimension: str) -> tuple[Chart, ...]:
    """The small multiples of a comparison: one small radar per chosen department."""
    return tuple(comparison_small_chart(round_result, titles, texts, name, dimension)
                 for name in names[:MAX_COMPARED])


def overall_rows(round_result: RoundResult, titles: Titles) -> tuple[OverallRow, ...]:
    """The municipality mean per bank (engine numbers), in round order, with the bank target."""
    rows = []
    for bank_id, title in ((b, titles.bank(b)) for b in titles.banks):
        scores = [d.bank(bank_id) for d in round_result.departments]
        answered = [b for b in scores if b is not None]
        if not answered:
            continue
        rows.append(OverallRow(bank_id, title, round_result.municipality.banks.get(bank_id),
                               answered[0].target,
                               sum(1 for b in answered if b.score is not None)))
    return tuple(rows)


def _comment_rows(comments: Sequence[tuple[str, str]], titles: Titles) -> tuple[CommentRow, ...]:
    order = {qid: index for index, qid in enumerate(titles.questions)}
    rows = []
    for question_id, comment in sorted(comments, key=lambda c: (order.get(c[0], 1 << 30), c[1])):
        question = titles.questions.get(question_id)
        bank_id, theme_id = (question_id.split(".") + ["", ""])[:2]
        rows.append(CommentRow(titles.bank(bank_id), titles.theme(bank_id, theme_id),
                               question_id, question.statement if question else question_id,
                               comment))
    return tuple(rows)


def department_section(result: DepartmentResult, department: DepartmentInfo,
                       round_result: RoundResult, titles: Titles, texts: Mapping[str, Any],
                       comments: Sequence[tuple[str, str]], *, detail: bool = False,
                       top_gaps: int = 5) -> DepartmentSection:
    """One department's section: bank scores, themes, top gaps, comments and its radar."""
    ids = {department.name: department.id}
    gaps = priority_rows([p for p in round_result.priorities if p.department == result.name],
                         ids, titles)
    themes = theme_rows(result, department.id, titles, texts)
    comment_rows = _comment_rows(comments, titles)
    details: tuple[ThemeDetail, ...] = ()
    if detail:
        by_question: dict[str, list[str]] = defaultdict(list)
        for row in comment_rows:
            by_question[row.question_id].append(row.text)
        details = tuple(
            ThemeDetail(row, tuple(
                QuestionRow(q.question_id, titles.questions[q.question_id].statement
                            if q.question_id in titles.questions else q.question_id,
                            q.score, q.counts, q.dont_know, q.not_applicable, q.sd,
                            tuple(by_question.get(q.question_id, ())))
                for q in row.result.questions))
            for row in themes)
    return DepartmentSection(
        id=department.id, name=result.name, started=result.respondents_started,
        submitted=result.respondents_submitted,
        banks=tuple(BankRow(b.bank_id, titles.bank(b.bank_id), b.score, b.target, b.gap)
                    for b in result.banks),
        themes=themes, top_gaps=gaps[:top_gaps], comments=comment_rows,
        radar=department_chart(result, round_result, titles, texts), details=details,
        hidden=result.hidden)


def bank_infos(banks: Sequence[Bank], scopes: Mapping[str, str] | None = None
               ) -> tuple[BankInfo, ...]:
    """The round's pinned bank versions with their hashes, titles and scope."""
    scopes = scopes or {}
    return tuple(BankInfo(bank.id, bank.title, bank.version, bank.sha256, bank.common,
                          scopes.get(bank.id, ""))
                 for bank in banks)


def municipal_section(data: ReportInput, titles: Titles,
                      comments: Mapping[int, Sequence[tuple[str, str]]]) -> DepartmentSection | None:
    """The section of the round's municipal group (facts of the whole municipality), or None."""
    if data.municipal is None or not data.municipal_groups:
        return None
    info = data.municipal_groups[0]
    result = next((r for r in data.municipal.departments if r.name == info.name), None)
    if result is None:
        return None
    return department_section(result, info, data.municipal, titles, data.texts,
                              comments.get(info.id, []), detail=True)


def municipal_input(data: ReportInput) -> ReportInput:
    """The input as the municipal group's own report sees it: the group is the only
    "department", with its own scoring (the departments' results are not part of it)."""
    assert data.municipal is not None
    return replace(data, departments=data.municipal_groups, result=data.municipal,
                   municipal=None, municipal_groups=())


def _is_municipal(data: ReportInput, department_id: int | None) -> bool:
    return (department_id is not None and data.municipal is not None
            and data.department(department_id) is None
            and any(d.id == department_id for d in data.municipal_groups))


def build_report(data: ReportInput, *, department_id: int | None = None,
                 detail: bool | None = None, comments: bool = True,
                 sections: bool = True) -> ReportContent:
    """Assemble the report of a round (or of one department when ``department_id`` is given).

    ``detail`` adds the per-question tables (default: only in a department report);
    ``comments=False`` leaves the comments out and ``sections=False`` the department sections
    (for pages that do not show them).
    """
    if _is_municipal(data, department_id):
        return build_report(municipal_input(data), department_id=department_id, detail=detail,
                            comments=comments, sections=sections)
    texts = data.texts
    round_result = data.result
    layout = texts.get("layout", {})
    titles = Titles(data.banks)
    models = {d.name: d for d in data.departments}
    ids = {name: d.id for name, d in models.items()}
    chosen = data.department(department_id) if department_id is not None else None
    if department_id is not None and chosen is None:
        raise LookupError(f"department {department_id} is not part of round {data.round.id}")
    selected = [r for r in round_result.departments if r.name in models
                and (chosen is None or r.name == chosen.name)]
    detail = chosen is not None if detail is None else detail
    found: dict[int, list[tuple[str, str]]] = defaultdict(list)
    if comments and sections:
        for comment in data.comments:
            found[comment.department_id].append((comment.question_id, comment.text))
    built = tuple(
        department_section(r, models[r.name], round_result, titles, texts,
                           found.get(models[r.name].id, []), detail=detail,
                           top_gaps=int(layout.get("department_top_gaps", 5)))
        for r in selected) if sections else ()
    priorities = priority_rows(
        [p for p in round_result.priorities if chosen is None
         or p.department == chosen.name], ids, titles)
    flagged = tuple(row for section in built for row in section.themes if row.flags)
    whole = chosen is None
    header = data.round
    summary = build_summary(
        round_result, texts, lang=data.lang, bank_titles={b: titles.bank(b) for b in titles.banks},
        theme_titles=titles.themes, min_group_size=data.min_group_size, status=header.status,
        deadline=format_date(header.deadline, date_locale(texts, data.lang)),
        department=None if chosen is None else chosen.name)
    return ReportContent(
        texts=texts, lang=data.lang, round_id=header.id, round_name=header.name,
        municipality=header.municipality, status=header.status, deadline=header.deadline,
        date=data.date, banks=bank_infos(data.banks, data.scopes),
        started=sum(r.respondents_started for r in selected),
        submitted=sum(r.respondents_submitted for r in selected),
        department_count=len(selected),
        overall=overall_rows(round_result, titles),
        priorities=priorities,
        top_priorities=priorities[:int(layout.get("top_priorities", 10))],
        flagged=flagged, departments=built,
        municipality_radar=municipality_chart(round_result, titles, texts, header.municipality)
        if whole else None,
        heatmap=heatmap_chart(round_result, titles, texts) if whole else None,
        scale=data.scale,
        department_report=None if whole else (built[0] if built else None),
        flag_legend=flag_legend(texts),
        logo=data.logo,
        summary=summary,
        min_group_size=data.min_group_size,
        hidden=tuple(r.name for r in selected if r.hidden),
        municipal=municipal_section(data, titles, found) if whole and sections else None,
        trend=data.trend if whole else None,
        perspectives=data.perspectives if whole else data.department_perspectives.get(
            chosen.id if chosen is not None else -1),
    )


def report_chart(data: ReportInput, name: str, *, department_id: int | None = None,
                 compared: Sequence[int] = (), dimension: str = COMMON_DIMENSION) -> Chart:
    """One chart of a round without building the whole report (the chart endpoint).

    ``name`` is ``gemeente``, ``heatmap``, ``afdeling`` (with ``department_id``),
    ``vergelijking`` (the departments ``compared`` on ``dimension``) or
    ``vergelijking-afdeling`` (the small multiple of ``department_id`` on ``dimension``). Raises
    :class:`LookupError` for an unknown name or department.
    """
    if name == "afdeling" and _is_municipal(data, department_id):
        data = municipal_input(data)
    titles = Titles(data.banks)
    result = data.result
    if name == "gemeente":
        return municipality_chart(result, titles, data.texts, data.round.municipality)
    if name == "heatmap":
        return heatmap_chart(result, titles, data.texts)
    if name == "afdeling":
        department = data.department(department_id) if department_id is not None else None
        if department is None:
            raise LookupError(f"department {department_id} is not part of round {data.round.id}")
        return department_chart(result.department(department.name), result, titles,
                                data.texts)
    if name == "vergelijking":
        names = [d.name for d in (data.department(i) for i in compared) if d is not None]
        return comparison_chart(result, titles, data.texts, names, dimension)
    if name == "vergelijking-afdeling":
        department = data.department(department_id) if department_id is not None else None
        if department is None:
            raise LookupError(f"department {department_id} is not part of round {data.round.id}")
        return comparison_small_chart(result, titles, data.texts, department.name, dimension)
    raise LookupError(f"unknown chart {name!r}")
