"""The trend of a round's series as the pages, the report and the exports show it.

:func:`trend_chapter` turns :func:`quickscan.services.series.round_trend` into the plain
:class:`~quickscan.reporting.trend.TrendChapter` the renderers take (titles of banks and
themes, Dutch texts through Flask-Babel, the previous round's LIA actions beside their
themes (:func:`previous_actions`), the inwoners' experience and the bestuur's ambition per
theme through the series (:func:`perspective_sections`));
:func:`comparison_rows` gives the export table (``comparison`` in the JSON export, the CSV and
XLSX sheets), with ``None`` figures where a group is under the minimum group size.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from quickscan.comparison import (
    Comparison,
    PerspectiveChange,
    compare_ambitions,
    compare_residents,
)
from quickscan.extensions import db
from quickscan.models import (
    KIND_BESTUUR,
    KIND_RESIDENTS,
    LiaAction,
    LiaCandidate,
    Round,
)
from quickscan.perspectives import (
    POINTS_PER_LEVEL,
    Ambition,
    ResidentValue,
    ThemeKey,
    ambition_figures,
    residents_theme_scores,
)
from quickscan.reporting.trend import (
    ActionStatus,
    PairSpec,
    PerspectiveTrendRow,
    PerspectiveTrendSection,
    SlopeSpec,
    TrendChapter,
    TrendRow,
    TrendSection,
    attach_actions,
    format_share,
)
from quickscan.residents import ResidentsBank
from quickscan.services import perspectives as perspective_service
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
        "theme": _("Thema"),
        "no_result": _("nog geen resultaat"),
        "department": _("Afdeling"),
        "bank": _("Vragenlijst"),
        "appendix_title": _("Ontwikkeling per afdeling en thema"),
        "details": _("De grafieken, de verandering per thema en de acties van de Lokale "
                     "Inclusie Agenda staan in de bijlage 'Ontwikkeling per afdeling en "
                     "thema'. Daar staan ook de perspectieven van inwoners en bestuur."),
    }


def _alt(department: str, rounds: Sequence[str], lines: Sequence[tuple[str, tuple[
        float | None, ...]]]) -> str:
    parts = []
    for label, values in lines:
        shown = " → ".join("–" if v is None else f"{v:.0f}" for v in values)
        parts.append(f"{label}: {shown}")
    return str(_("Scores van %(department)s per meting (%(rounds)s): %(lines)s.",
                 department=department, rounds=", ".join(rounds), lines="; ".join(parts)))


def trend_chapter(round_: Round, actions: Sequence[ActionStatus] | None = None
                  ) -> TrendChapter | None:
    """The trend of ``round_``'s series, or None when the round has no previous round.

    ``actions`` None: the LIA actions of the previous round (:func:`previous_actions`), shown
    beside the change of the themes they were meant to improve.
    """
    if series.previous_round(round_) is None:
        return None
    if actions is None:
        actions = previous_actions(round_)
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
        sections=tuple(sections), labels=text, split_or_merged=changed,
        perspectives=perspective_sections(round_, trend, labels))


# --------------------------------------------------------------------------- LIA actions


def previous_actions(round_: Round) -> tuple[ActionStatus, ...]:
    """The actions of the previous round's speerpunten, with their status, per theme.

    The agenda is made after a round's results (round N) and its actions are meant to improve
    the themes by the next measurement (round N+1): so the change shown in round N+1 is set
    beside round N's actions (see docs/lia.md). An action names its own themes; an action
    without themes stands beside its speerpunt's themes. A speerpunt that came from some
    departments' priorities is shown beside those departments only (by the continues
    mapping of the new round); one without departments beside every department.
    """
    previous = series.previous_round(round_)
    if previous is None:
        return ()
    continues = series.continues_map(round_, previous)
    rows = db.session.execute(
        select(LiaCandidate, LiaAction).join(LiaAction, LiaAction.candidate_id == LiaCandidate.id)
        .where(LiaCandidate.round_id == previous.id, LiaCandidate.chosen.is_(True),
               LiaCandidate.merged_into_id.is_(None))
        .order_by(LiaCandidate.position, LiaCandidate.id, LiaAction.id)).all()
    out: list[ActionStatus] = []
    for speerpunt, action in rows:
        themes = list(action.themes or speerpunt.themes or [])
        earlier = set(speerpunt.departments or [])
        departments: list[str | None] = ([new for new, olds in continues.items()
                                          if earlier & set(olds)] if earlier else [None])
        for key in themes:
            bank_id, _sep, theme_id = str(key).partition("/")
            for department in departments:
                out.append(ActionStatus(bank_id, theme_id, action.title,
                                        _status_label(action.status), department))
    return tuple(out)


def _status_label(status: str) -> str:
    """An action's status in the page's language (the stored value is the Dutch key)."""
    return {"gepland": _("gepland"), "bezig": _("bezig"), "gereed": _("gereed"),
            "gestopt": _("gestopt")}.get(status, status)


# --------------------------------------------------------------------------- perspectives


@dataclass(frozen=True)
class _Groups:
    """A round's inwoners and bestuur answers (None: the round has no such group)."""

    residents_bank: ResidentsBank | None
    residents: list[dict[str, ResidentValue]] | None
    residents_hidden: bool
    residents_figures: tuple[int, int]
    ambitions: list[dict[ThemeKey, Ambition]] | None
    bestuur_hidden: bool
    bestuur_figures: tuple[int, int]


def _groups(round_: Round) -> _Groups:
    service = perspective_service
    residents = service.group(round_, KIND_RESIDENTS)
    bestuur = service.group(round_, KIND_BESTUUR)
    bank = service.residents_bank(round_) if residents is not None else None
    answers = (service._resident_answers(residents)
               if residents is not None and bank is not None else None)
    ambitions = service._ambitions(bestuur) if bestuur is not None else None
    residents_k = service.min_size(residents) if residents is not None else 1
    bestuur_k = service.min_size(bestuur) if bestuur is not None else 1
    return _Groups(
        residents_bank=bank, residents=answers,
        residents_hidden=answers is None or len(answers) < residents_k,
        residents_figures=(len(answers or ()), residents_k),
        ambitions=ambitions,
        bestuur_hidden=ambitions is None or len(ambitions) < bestuur_k,
        bestuur_figures=(len(ambitions or ()), bestuur_k))


def _residents_scores(groups: _Groups) -> dict[ThemeKey, float | None]:
    if groups.residents_hidden or groups.residents_bank is None:
        return {}
    return residents_theme_scores(groups.residents_bank, groups.residents or [])


def _ambition_scores(groups: _Groups) -> dict[ThemeKey, float | None]:
    if groups.bestuur_hidden:
        return {}
    return {key: None if level is None else POINTS_PER_LEVEL * level
            for key, (level, _importance) in ambition_figures(groups.ambitions or []).items()}


def perspective_changes(round_: Round, comparison: Comparison | None = None,
                        groups: tuple[_Groups, _Groups] | None = None
                        ) -> tuple[PerspectiveChange, ...]:
    """The change of the inwoners' experience and the bestuur's ambition per theme since the
    previous round (empty without a previous round or without the groups in this round)."""
    previous = series.previous_round(round_)
    if previous is None:
        return ()
    if comparison is None:
        comparison = series.compare_with_previous(round_, previous)
    before, now = groups if groups is not None else (_groups(previous), _groups(round_))
    themes = [(bank.id, theme.id) for bank in round_banks(round_) for theme in bank.themes]
    out: list[PerspectiveChange] = []
    if now.residents is not None and now.residents_bank is not None:
        # Only the themes this round measures (as the perspectives page shows them).
        out += [change for change in compare_residents(
            before.residents_bank, before.residents or [],
            before.residents is None or before.residents_hidden,
            now.residents_bank, now.residents, now.residents_hidden)
            if (change.bank_id, change.theme_id) in themes]
    if now.ambitions is not None:
        counts: dict[ThemeKey, tuple[int, int]] = {}
        for match in comparison.questions:
            key = (match.bank_id, match.theme_id)
            comparable, questions = counts.get(key, (0, 0))
            counts[key] = (comparable + match.comparable, questions + 1)
        previous_themes = [(bank.id, theme.id) for bank in round_banks(previous)
                           for theme in bank.themes]
        out += compare_ambitions(before.ambitions or [],
                                 before.ambitions is None or before.bestuur_hidden,
                                 now.ambitions, now.bestuur_hidden, themes, previous_themes,
                                 counts)
    return tuple(out)


def _present(kind: str, groups: _Groups) -> bool:
    return (groups.residents if kind == "residents" else groups.ambitions) is not None


def perspective_sections(round_: Round, trend: series.Trend, labels: Sequence[str]
                         ) -> tuple[PerspectiveTrendSection, ...]:
    """The inwoners' and the bestuur's sections of the chapter (only for groups this round
    has): per theme the figure of each round of the series, the change and its share."""
    if trend.comparison is None:
        return ()
    chain = series.series(round_)
    groups = [_groups(r) for r in chain]
    changes = perspective_changes(round_, trend.comparison, (groups[-2], groups[-1]))
    titles = {(bank.id, theme.id): theme.title for bank in round_banks(round_)
              for theme in bank.themes}
    sections: list[PerspectiveTrendSection] = []
    for kind, title, scores_of in (
            ("residents", _("Inwoners: ervaring per thema"), _residents_scores),
            ("ambition", _("Bestuur: ambitie per thema"), _ambition_scores)):
        if not _present(kind, groups[-1]):
            continue
        per_round = [scores_of(g) for g in groups]
        rows = []
        for change in (c for c in changes if c.kind == kind):
            key = (change.bank_id, change.theme_id)
            scores = tuple(figures.get(key) for figures in per_round)
            if kind == "ambition" and all(v is None for v in scores) and not change.hidden:
                continue  # a theme the bestuur gave no ambition for in any round
            rows.append(PerspectiveTrendRow(
                kind=kind, bank_id=change.bank_id, theme_id=change.theme_id,
                label=titles.get(key, change.theme_id), scores=scores, delta=change.delta,
                comparable_questions=change.comparable_questions, questions=change.questions,
                hidden=change.hidden))
        notes = []
        group_name = _("Inwoners") if kind == "residents" else _("Bestuur")
        for label, g in zip(labels, groups, strict=True):
            hidden = g.residents_hidden if kind == "residents" else g.bestuur_hidden
            absent = not _present(kind, g)
            submitted, k = g.residents_figures if kind == "residents" else g.bestuur_figures
            if absent:
                notes.append(_("%(group)s: in %(round)s niet gemeten.", group=group_name,
                               round=label))
            elif hidden:
                notes.append(_("%(group)s: nog geen resultaat in %(round)s: minder dan %(k)d "
                               "ingevulde vragenlijsten (%(n)d ingevuld).", group=group_name,
                               round=label, k=k, n=submitted))
        items = tuple((row.label, row.scores[-2], row.scores[-1]) for row in rows)
        shown = "; ".join(
            f"{row.label}: " + " → ".join("–" if v is None else f"{v:.0f}" for v in row.scores)
            for row in rows if any(v is not None for v in row.scores))
        alt = _("%(title)s per meting (%(rounds)s): %(lines)s.", title=title,
                rounds=", ".join(labels), lines=shown or _("nog geen resultaat"))
        sections.append(PerspectiveTrendSection(
            kind=kind, title=title,
            caption=_("%(title)s: scores per meting en verandering", title=title),
            chart=PairSpec(title, labels[-2], labels[-1], items, _("Score (0-100)")),
            alt=alt, rows=tuple(rows), notes=tuple(notes)))
    return tuple(sections)


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
