"""The *bestuurlijke samenvatting*: the results of a round written out in words.

Generated from the scoring engine's :class:`~quickscan.scoring.RoundResult` (never a number of
its own: every figure is the engine's) with sentence templates from the ``summary`` section of
``reports/<lang>.yaml``. Five blocks, in the order a bestuurder reads them: the response, the
largest priorities, the strongest themes, knowledge gaps and disagreement, and what to do next.
Departments hidden by the minimum group size contribute their counts only.

Pure: plain data in, frozen data out; unit-tested on hand-made results.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from quickscan.reporting.texts import format_number, join_words, plural, text
from quickscan.scoring import (
    FLAG_DISAGREEMENT,
    FLAG_KNOWLEDGE_GAP,
    Priority,
    RoundResult,
    ThemeResult,
)

T = TypeVar("T")

#: How many priorities and strong themes the summary names, and how many per department.
MAX_PRIORITIES = 5
MIN_PRIORITIES = 3
MAX_STRENGTHS = 3
PER_DEPARTMENT = 2
#: How many themes a signal sentence names before "en n andere".
NAMED_SIGNALS = 3


@dataclass(frozen=True)
class SummaryBlock:
    """One block of the summary: a heading, paragraphs and (optionally) a list."""

    key: str
    title: str
    paragraphs: tuple[str, ...]
    items: tuple[str, ...] = ()


@dataclass(frozen=True)
class Summary:
    """The written summary: its title and blocks."""

    title: str
    blocks: tuple[SummaryBlock, ...]

    def block(self, key: str) -> SummaryBlock:
        """The block with this key (KeyError when absent)."""
        for block in self.blocks:
            if block.key == key:
                return block
        raise KeyError(key)

    def plain_text(self) -> str:
        """Every sentence of the summary, for tests and search."""
        parts = [self.title]
        for block in self.blocks:
            parts += [block.title, *block.paragraphs, *block.items]
        return "\n".join(parts)


@dataclass(frozen=True)
class _Theme:
    department: str
    theme: ThemeResult


def build_summary(result: RoundResult, texts: Mapping[str, Any], *, lang: str,
                  bank_titles: Mapping[str, str],
                  theme_titles: Mapping[tuple[str, str], str],
                  min_group_size: int = 1, status: str = "closed", deadline: str = "",
                  department: str | None = None) -> Summary:
    """The summary of a round, or of one department (``department``: its name).

    ``bank_titles`` and ``theme_titles`` give the titles shown instead of ids; ``deadline`` is
    the round's closing date already written out; ``status`` ``"open"`` adds that the results
    are provisional.
    """
    writer = _Writer(result, texts, lang, bank_titles, theme_titles, min_group_size, status,
                     deadline, department)
    return Summary(writer.t("summary.title"), (
        writer.response(), writer.priorities(), writer.strengths(), writer.signals(),
        writer.next_steps()))


class _Writer:
    def __init__(self, result: RoundResult, texts: Mapping[str, Any], lang: str,
                 bank_titles: Mapping[str, str], theme_titles: Mapping[tuple[str, str], str],
                 k: int, status: str, deadline: str, department: str | None) -> None:
        self.texts = texts
        self.lang = lang
        self.bank_titles = bank_titles
        self.theme_titles = theme_titles
        self.k = k
        self.status = status
        self.deadline = deadline
        self.department = department
        chosen = [d for d in result.departments if department is None or d.name == department]
        if department is not None and not chosen:
            raise LookupError(f"department {department!r} is not part of the result")
        self.departments = chosen
        self.visible = [d for d in chosen if not d.hidden]
        self.hidden = [d for d in chosen if d.hidden]
        self.all_priorities = [p for p in result.priorities
                           if department is None or p.department == department]
        self.themes = [_Theme(d.name, theme) for d in self.visible for theme in d.themes()]
        self.municipality = result.municipality
        self.chosen_priorities = self._choose_priorities()
        self.flagged = {key: [t for t in self.themes if key in t.theme.flags]
                        for key in (FLAG_KNOWLEDGE_GAP, FLAG_DISAGREEMENT)}

    # --- helpers
    def t(self, key: str, **values: object) -> str:
        return text(self.texts, key, **values)

    def num(self, value: float | None) -> str:
        return format_number(value, self.lang, 1, text(self.texts, "labels.none"))

    def theme_title(self, bank_id: str, theme_id: str) -> str:
        return self.theme_titles.get((bank_id, theme_id), theme_id)

    def bank_title(self, bank_id: str) -> str:
        return self.bank_titles.get(bank_id, bank_id)

    def named(self, theme: _Theme) -> str:
        title = self.theme_title(theme.theme.bank_id, theme.theme.theme_id)
        if self.department is not None:
            return title
        return self.t("summary.theme_at", theme=title, department=theme.department)

    def listed(self, themes: Sequence[_Theme]) -> str:
        names = [self.named(theme) for theme in themes[:NAMED_SIGNALS]]
        rest = len(themes) - len(names)
        if rest > 0:
            names.append(plural(self.texts, "summary.more", rest))
        return join_words(names, self.t("summary.and"))

    def _spread(self, items: Sequence[T], department: Callable[[T], str], limit: int) -> list[T]:
        """The first ``limit`` items, at most :data:`PER_DEPARTMENT` of one department (in a
        round report; a department report takes the first ``limit``)."""
        chosen: list[T] = []
        per_department: Counter[str] = Counter()
        for item in items:
            if self.department is None and per_department[department(item)] >= PER_DEPARTMENT:
                continue
            chosen.append(item)
            per_department[department(item)] += 1
            if len(chosen) == limit:
                break
        return chosen

    def _choose_priorities(self) -> list[Priority]:
        """The three to five largest priorities, at most two per department (round report)."""
        chosen = self._spread(self.all_priorities, lambda p: p.department, MAX_PRIORITIES)
        if len(chosen) < MIN_PRIORITIES:
            extra = [p for p in self.all_priorities if p not in chosen]
            chosen += extra[:MIN_PRIORITIES - len(chosen)]
            chosen.sort(key=lambda p: p.rank)
        return chosen

    # --- blocks
    def response(self) -> SummaryBlock:
        submitted = sum(d.respondents_submitted for d in self.departments)
        started = sum(d.respondents_started for d in self.departments)
        paragraphs = []
        if self.department is None:
            paragraphs.append(plural(self.texts, "summary.response", len(self.departments),
                                     submitted=submitted, started=started,
                                     departments=len(self.departments)))
        else:
            paragraphs.append(self.t("summary.response_department", department=self.department,
                                     submitted=submitted, started=started))
        if self.hidden:
            names = join_words([d.name for d in self.hidden], self.t("summary.and"))
            key = "summary.hidden_department" if self.department else "summary.hidden"
            paragraphs.append(plural(self.texts, key, len(self.hidden), departments=names,
                                     k=self.k))
        elif submitted == 0:
            paragraphs.append(self.t("summary.response_none"))
        overall = self._overall()
        if overall is not None:
            paragraphs.append(overall)
        if self.status == "open":
            paragraphs.append(self.t("summary.provisional", deadline=self.deadline)
                              if self.deadline else self.t("summary.provisional_no_deadline"))
        return SummaryBlock("response", self.t("summary.response_title"), tuple(paragraphs))

    def _overall(self) -> str | None:
        if self.department is None:
            scores = [v for v in self.municipality.banks.values() if v is not None]
            targets = [b.target for d in self.visible for b in d.banks if b.score is not None]
            if not scores or not targets:
                return None
            return self.t("summary.overall", score=self.num(sum(scores) / len(scores)),
                          target=self.num(sum(targets) / len(targets)),
                          banks=len(scores))
        banks = [b for d in self.visible for b in d.banks if b.score is not None]
        if not banks:
            return None
        score = sum(b.score for b in banks if b.score is not None) / len(banks)
        return self.t("summary.overall_department", score=self.num(score),
                      target=self.num(sum(b.target for b in banks) / len(banks)),
                      banks=len(banks))

    def priorities(self) -> SummaryBlock:
        title = self.t("summary.priorities_title")
        if not self.chosen_priorities:
            return SummaryBlock("priorities", title, (self.t("summary.no_priorities"),))
        key = "summary.priority_item_department" if self.department else "summary.priority_item"
        items = tuple(
            self.t(key, theme=self.theme_title(p.bank, p.theme), bank=self.bank_title(p.bank),
                   department=p.department, score=self.num(p.score), target=self.num(p.target),
                   action=p.action.rstrip(".") + ".")
            for p in self.chosen_priorities)
        intro_key = "summary.priorities_intro" if self.department is None \
            else "summary.priorities_intro_department"
        paragraphs = [plural(self.texts, intro_key, len(items), total=len(self.all_priorities))]
        return SummaryBlock("priorities", title, tuple(paragraphs), items)

    def strengths(self) -> SummaryBlock:
        title = self.t("summary.strengths_title")
        scored = sorted((t for t in self.themes if t.theme.score is not None),
                        key=lambda t: (-(t.theme.score or 0.0), t.theme.gap or 0.0,
                                       t.department, t.theme.bank_id, t.theme.theme_id))
        chosen = self._spread(scored, lambda t: t.department, MAX_STRENGTHS)
        if not chosen:
            return SummaryBlock("strengths", title, (self.t("summary.no_strengths"),))
        items = []
        for theme in chosen:
            result = theme.theme
            reached = not result.gap
            items.append(self.t("summary.strength_item", theme=self.named(theme),
                                bank=self.bank_title(result.bank_id),
                                score=self.num(result.score), target=self.num(result.target),
                                reached=self.t("summary.reached" if reached
                                               else "summary.not_reached",
                                               target=self.num(result.target))))
        return SummaryBlock("strengths", title, (self.t("summary.strengths_intro"),),
                            tuple(items))

    def signals(self) -> SummaryBlock:
        paragraphs = []
        gaps = self.flagged[FLAG_KNOWLEDGE_GAP]
        split = self.flagged[FLAG_DISAGREEMENT]
        if gaps:
            paragraphs.append(plural(self.texts, "summary.knowledge_gaps", len(gaps),
                                     themes=self.listed(gaps)))
        if split:
            paragraphs.append(plural(self.texts, "summary.disagreement", len(split),
                                     themes=self.listed(split)))
        if not paragraphs:
            paragraphs.append(self.t("summary.no_signals") if self.themes
                              else self.t("summary.no_signals_yet"))
        return SummaryBlock("signals", self.t("summary.signals_title"), tuple(paragraphs))

    def next_steps(self) -> SummaryBlock:
        items = []
        if self.chosen_priorities:
            items.append(self.t("summary.next_priorities"))
        if self.flagged[FLAG_KNOWLEDGE_GAP]:
            items.append(self.t("summary.next_knowledge"))
        if self.flagged[FLAG_DISAGREEMENT]:
            items.append(self.t("summary.next_disagreement"))
        if self.hidden:
            items.append(self.t("summary.next_hidden", departments=join_words(
                [d.name for d in self.hidden], self.t("summary.and")), k=self.k))
        if self.status == "open":
            items.append(self.t("summary.next_open", deadline=self.deadline)
                         if self.deadline else self.t("summary.next_open_no_deadline"))
        items.append(self.t("summary.next_repeat"))
        return SummaryBlock("next", self.t("summary.next_title"), (), tuple(items))
