"""Perspectives side by side: civil servants, inwoners and the bestuur, theme by theme.

Part of the domain core: plain typed data in, plain typed data out (no framework, no database).

* **civil servants**: a theme's score (0-100) from the scoring engine, per department and as the
  mean over the departments that are shown (a department under the minimum group size k is left
  out of the mean, so it cannot be worked out by subtraction);
* **inwoners**: the experience score (0-100) of the residents' statements that mirror the theme,
  ``25 × (rating − 1)`` averaged over every rating given (:mod:`quickscan.residents`);
* **bestuur**: the median ambition level (0-4) for the end of the LIA period, shown as points
  (``25 × level``), and the mean importance (1-5);
* **difference** = civil servants − inwoners; a **blinde vlek** ("blind spot") is a difference of
  at least :data:`BLIND_SPOT_POINTS` (25 points, one step of either scale): the town hall rates
  itself that much higher than inwoners experience it.

Every group has its own minimum size: below it, every figure derived from the group is None
(inwoners: :data:`DEFAULT_RESIDENTS_MIN_GROUP_SIZE` = 5 by default; bestuur and departments: the
round's k). See docs/scoring.md.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Literal

from quickscan.residents import DONT_KNOW, ResidentsBank, rating_points

#: A difference (civil servants − inwoners) of at least this many points is a blind spot.
BLIND_SPOT_POINTS: Final = 25.0
#: The default minimum group size of the inwoners group.
DEFAULT_RESIDENTS_MIN_GROUP_SIZE: Final = 5
#: Points per ambition level (0-4), as the maturity scale scores a level.
POINTS_PER_LEVEL: Final = 25.0
TARGET_BANKS: Final = "banks"
TARGET_OVERRIDES: Final = "overrides"
TARGET_BESTUUR: Final = "bestuur"
TARGET_SOURCES: Final = (TARGET_BANKS, TARGET_OVERRIDES, TARGET_BESTUUR)
TargetSource = Literal["banks", "overrides", "bestuur"]
ThemeKey = tuple[str, str]
ResidentValue = int | str


@dataclass(frozen=True, slots=True)
class CivilServantTheme:
    """One department's score (0-100) on one theme; ``hidden`` when under k."""

    department: str
    bank_id: str
    theme_id: str
    score: float | None
    hidden: bool = False


@dataclass(frozen=True, slots=True)
class Ambition:
    """One bestuur respondent's ambition for a theme: level 0-4 and importance 1-5."""

    level: int | None
    importance: int | None = None


@dataclass(frozen=True, slots=True)
class PerspectiveRow:
    """The three perspectives on one theme, municipality-wide (``department`` None) or for
    one department. Every figure is on the 0-100 scale; None where a group is under its
    minimum size or gave no rating."""

    bank_id: str
    theme_id: str
    department: str | None
    civil_servants: float | None
    residents: float | None
    ambition: float | None
    ambition_level: float | None
    importance: float | None
    difference: float | None
    blind_spot: bool


@dataclass(frozen=True, slots=True)
class GroupFigures:
    """A group's submitted count against its minimum size."""

    kind: str
    name: str
    submitted: int
    min_size: int

    @property
    def hidden(self) -> bool:
        """True when the group has fewer submitted responses than its minimum size."""
        return self.submitted < self.min_size


@dataclass(frozen=True, slots=True)
class Perspectives:
    """The perspectives of a round: every row, and the groups behind them."""

    rows: tuple[PerspectiveRow, ...]
    residents: GroupFigures | None
    bestuur: GroupFigures | None
    target_source: str

    def municipality_rows(self) -> tuple[PerspectiveRow, ...]:
        """The municipality-wide rows (one per theme)."""
        return tuple(row for row in self.rows if row.department is None)

    def blind_spots(self) -> tuple[PerspectiveRow, ...]:
        """The municipality-wide rows flagged as blind spots, largest difference first."""
        return tuple(sorted((r for r in self.municipality_rows() if r.blind_spot),
                            key=lambda r: -(r.difference or 0.0)))


# --------------------------------------------------------------------------- figures


def _mean(values: Iterable[float]) -> float | None:
    items = list(values)
    return sum(items) / len(items) if items else None


def residents_theme_scores(bank: ResidentsBank,
                           responses: Sequence[Mapping[str, ResidentValue]]
                           ) -> dict[ThemeKey, float | None]:
    """Per mirrored theme: the mean points of every rating of a statement that mirrors it.

    "Weet ik niet" and unanswered statements are left out; None when nobody rated.
    """
    out: dict[ThemeKey, float | None] = {}
    for bank_id, theme_id in bank.mirrored_themes():
        ids = [s.id for s in bank.statements_for(bank_id, theme_id)]
        out[(bank_id, theme_id)] = _mean(
            rating_points(value) for response in responses for sid in ids
            if isinstance(value := response.get(sid), int))
    return out


def statement_scores(bank: ResidentsBank, responses: Sequence[Mapping[str, ResidentValue]]
                     ) -> dict[str, tuple[float | None, int, int]]:
    """Per statement: (mean points, ratings given, "weet ik niet" answers)."""
    out = {}
    for statement in bank.statements:
        values = [r.get(statement.id) for r in responses]
        ratings = [v for v in values if isinstance(v, int)]
        out[statement.id] = (_mean(rating_points(v) for v in ratings), len(ratings),
                             sum(1 for v in values if v == DONT_KNOW))
    return out


def median_level(levels: Iterable[int | None]) -> float | None:
    """The median of the ambition levels given (None when none was given)."""
    given = [level for level in levels if level is not None]
    return float(statistics.median(given)) if given else None


def target_level(median: float) -> int:
    """A median ambition as a whole target level: halves round up (2.5 → 3)."""
    return min(4, max(0, math.floor(median + 0.5)))


def ambition_figures(ambitions: Sequence[Mapping[ThemeKey, Ambition]]
                     ) -> dict[ThemeKey, tuple[float | None, float | None]]:
    """Per theme: (median ambition level, mean importance) over the bestuur respondents."""
    keys: dict[ThemeKey, None] = {}
    for response in ambitions:
        for key in response:
            keys.setdefault(key, None)
    out = {}
    for key in keys:
        given = [response[key] for response in ambitions if key in response]
        out[key] = (median_level(a.level for a in given),
                    _mean(float(a.importance) for a in given if a.importance is not None))
    return out


def bestuur_targets(ambitions: Sequence[Mapping[ThemeKey, Ambition]], min_size: int
                    ) -> dict[ThemeKey, int]:
    """Target levels from the bestuur's median ambition; empty when the group is under k."""
    if len(ambitions) < min_size:
        return {}
    return {key: target_level(median) for key, (median, _imp) in
            ambition_figures(ambitions).items() if median is not None}


def difference_of(civil_servants: float | None, residents: float | None) -> float | None:
    """Civil servants − inwoners, or None when either is missing."""
    if civil_servants is None or residents is None:
        return None
    return civil_servants - residents


def is_blind_spot(difference: float | None) -> bool:
    """True when the town hall rates itself at least 25 points above the inwoners."""
    return difference is not None and difference >= BLIND_SPOT_POINTS - 1e-9


def _row(bank_id: str, theme_id: str, department: str | None, civil: float | None,
         residents: float | None, ambition: tuple[float | None, float | None]) -> PerspectiveRow:
    level, importance = ambition
    difference = difference_of(civil, residents)
    return PerspectiveRow(
        bank_id=bank_id, theme_id=theme_id, department=department, civil_servants=civil,
        residents=residents, ambition=None if level is None else POINTS_PER_LEVEL * level,
        ambition_level=level, importance=importance, difference=difference,
        blind_spot=is_blind_spot(difference))


def compare(themes: Sequence[ThemeKey], civil: Sequence[CivilServantTheme], *,
            residents_bank: ResidentsBank | None = None,
            residents: Sequence[Mapping[str, ResidentValue]] = (),
            residents_min_size: int = DEFAULT_RESIDENTS_MIN_GROUP_SIZE,
            ambitions: Sequence[Mapping[ThemeKey, Ambition]] | None = None,
            bestuur_min_size: int = 3, target_source: str = TARGET_BANKS,
            residents_name: str = "Inwoners", bestuur_name: str = "Bestuur"
            ) -> Perspectives:
    """Put the perspectives side by side for every theme of the round (in ``themes`` order).

    ``residents`` is None-free: one mapping of statement id to rating (1-5 or "dont_know") per
    submitted resident; ``ambitions`` one mapping per submitted bestuur respondent (None: the
    round has no bestuur group). Figures of a group under its minimum size are None.
    """
    if residents_min_size < 1 or bestuur_min_size < 1:
        raise ValueError("a minimum group size is at least 1")
    residents_group = None
    resident_scores: dict[ThemeKey, float | None] = {}
    if residents_bank is not None:
        residents_group = GroupFigures("residents", residents_name, len(residents),
                                       residents_min_size)
        if not residents_group.hidden:
            resident_scores = residents_theme_scores(residents_bank, residents)
    bestuur_group = None
    ambition: dict[ThemeKey, tuple[float | None, float | None]] = {}
    if ambitions is not None:
        bestuur_group = GroupFigures("bestuur", bestuur_name, len(ambitions), bestuur_min_size)
        if not bestuur_group.hidden:
            ambition = ambition_figures(ambitions)
    by_theme: dict[ThemeKey, list[CivilServantTheme]] = {}
    for item in civil:
        by_theme.setdefault((item.bank_id, item.theme_id), []).append(item)
    rows: list[PerspectiveRow] = []
    for key in themes:
        shown = [c for c in by_theme.get(key, []) if not c.hidden]
        mean = _mean(c.score for c in shown if c.score is not None)
        rows.append(_row(*key, None, mean, resident_scores.get(key), ambition.get(key,
                                                                                 (None, None))))
    for key in themes:
        for item in sorted(by_theme.get(key, []), key=lambda c: c.department):
            rows.append(_row(*key, item.department, None if item.hidden else item.score,
                             resident_scores.get(key), ambition.get(key, (None, None))))
    return Perspectives(rows=tuple(rows), residents=residents_group, bestuur=bestuur_group,
                        target_source=target_source)
