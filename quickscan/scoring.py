"""The scoring engine: submitted answers -> scores, gaps, priorities and flags.

Pure Python, no framework imports; the formula is the contract documented in
``docs/scoring.md``:

* only submitted responses count; a level ``v`` (0-4) is worth ``25·v`` points; "weet ik niet"
  and "niet van toepassing" are not scored;
* question score in a department = mean points over the responses that gave it a level;
* theme score = weighted mean (question weights) of the scored questions; bank score = weighted
  mean over all scored questions of the bank; ``None`` where nothing was scored;
* theme target = 25 × the theme's target level (a round may override it); bank target = mean of
  its theme targets; gap = max(0, target − score);
* theme importance = mean of the respondents' ratings (1-5), 3 when none;
  priority = gap × importance / 5;
* priorities: every (department, theme) with gap > 0, by priority, then gap (both descending),
  then department name, bank id, theme id;
* municipality: per bank, the mean of the department scores of departments that answered it;
  cross-cutting dimensions (Movisie step, routekaart step, LIA principle, levensdomein) from the
  question tags;
* flags per theme: knowledge gap, disagreement, low coverage (thresholds below);
* minimum group size k: a department with fewer than k submitted responses is *hidden*: it keeps
  its counts of started and submitted responses, but no figure derived from its answers (no
  scores, gaps, priorities or question results), and its answers do not count in the
  municipality figures, so they cannot be worked out by subtraction either.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, Literal

from quickscan.bank import DONT_KNOW, NOT_APPLICABLE, Bank, Question

POINTS_PER_LEVEL: Final = 25.0
DEFAULT_IMPORTANCE: Final = 3.0
KNOWLEDGE_GAP_SHARE: Final = 0.30
DISAGREEMENT_SD: Final = 1.0
DISAGREEMENT_MIN_RESPONDENTS: Final = 3
LOW_COVERAGE_SHARE: Final = 0.5

FLAG_KNOWLEDGE_GAP: Final = "knowledge_gap"
FLAG_DISAGREEMENT: Final = "disagreement"
FLAG_LOW_COVERAGE: Final = "low_coverage"

AnswerValue = int | Literal["dont_know", "not_applicable"]
ThemeKey = tuple[str, str]

_DK: Final = 5
_NA: Final = 6
#: Tally slot of every valid answer value: levels 0-4, then "weet ik niet" and "n.v.t.".
_SLOT: Final[dict[object, int]] = {0: 0, 1: 1, 2: 2, 3: 3, 4: 4, DONT_KNOW: _DK, NOT_APPLICABLE: _NA}
_RATINGS: Final = frozenset((1, 2, 3, 4, 5))
#: A gap smaller than this is rounding noise of the weighted means, not a gap.
GAP_TOLERANCE: Final = 1e-9


@dataclass(frozen=True, slots=True)
class ResponseInput:
    """One respondent's answers, as the engine needs them."""

    department: str
    answers: Mapping[str, AnswerValue]
    importance: Mapping[ThemeKey, int] = field(default_factory=dict)
    submitted: bool = True


@dataclass(frozen=True, slots=True)
class DepartmentInput:
    """A department and the ids of the banks it answers."""

    name: str
    bank_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class QuestionResult:
    """A question's result in one department."""

    question_id: str
    score: float | None
    counts: tuple[int, int, int, int, int]
    dont_know: int
    not_applicable: int
    sd: float | None

    @property
    def answered(self) -> int:
        """Number of responses that gave this question a level."""
        return sum(self.counts)


@dataclass(frozen=True, slots=True)
class ThemeResult:
    """A theme's result in one department."""

    bank_id: str
    theme_id: str
    score: float | None
    target: float
    gap: float | None
    importance: float
    priority: float | None
    answered: int
    dont_know: int
    not_applicable: int
    flags: tuple[str, ...]
    action: str
    questions: tuple[QuestionResult, ...]


@dataclass(frozen=True, slots=True)
class BankResult:
    """A bank's result in one department."""

    bank_id: str
    score: float | None
    target: float
    gap: float | None
    themes: tuple[ThemeResult, ...]


@dataclass(frozen=True, slots=True)
class DepartmentResult:
    """Everything scored for one department."""

    name: str
    respondents_started: int
    respondents_submitted: int
    banks: tuple[BankResult, ...]
    dimensions: Mapping[str, Mapping[str, float | None]]
    hidden: bool = False

    def bank(self, bank_id: str) -> BankResult | None:
        """Return this department's result for a bank, or None when it does not answer it."""
        for bank in self.banks:
            if bank.bank_id == bank_id:
                return bank
        return None

    def themes(self) -> tuple[ThemeResult, ...]:
        """All theme results of the department, bank by bank."""
        return tuple(theme for bank in self.banks for theme in bank.themes)


@dataclass(frozen=True, slots=True)
class Priority:
    """One line of the prioritised list of gaps."""

    rank: int
    department: str
    bank: str
    theme: str
    score: float | None
    target: float
    gap: float
    importance: float
    priority: float
    action: str


@dataclass(frozen=True, slots=True)
class MunicipalityResult:
    """Municipality-wide means over the departments that answered."""

    banks: Mapping[str, float | None]
    themes: Mapping[ThemeKey, float | None]
    dimensions: Mapping[str, Mapping[str, float | None]]


@dataclass(frozen=True, slots=True)
class RoundResult:
    """The scored round: per department, priorities and municipality means."""

    departments: tuple[DepartmentResult, ...]
    priorities: tuple[Priority, ...]
    municipality: MunicipalityResult

    def department(self, name: str) -> DepartmentResult:
        """Return one department's result (KeyError when unknown)."""
        for department in self.departments:
            if department.name == name:
                return department
        raise KeyError(name)


def level_points(level: int) -> float:
    """Return the points a level (0-4) is worth."""
    if not 0 <= level <= 4:
        raise ValueError(f"level {level} is outside 0-4")
    return POINTS_PER_LEVEL * level


def priority_of(gap: float, importance: float) -> float:
    """Priority = gap × importance / 5."""
    return gap * importance / 5.0


def gap_of(target: float, score: float | None) -> float | None:
    """Gap = max(0, target − score); None where there is no score.

    A difference below :data:`GAP_TOLERANCE` (floating-point noise of a weighted mean that is
    exactly on target) counts as no gap.
    """
    if score is None:
        return None
    gap = target - score
    return gap if gap > GAP_TOLERANCE else 0.0


def weighted_mean(pairs: Iterable[tuple[float | None, float]]) -> float | None:
    """Weighted mean of (value, weight) pairs, ignoring None values; None when nothing is left."""
    total = 0.0
    weights = 0.0
    for value, weight in pairs:
        if value is not None:
            total += value * weight
            weights += weight
    return total / weights if weights else None


def mean(values: Iterable[float | None]) -> float | None:
    """Plain mean ignoring None values; None when nothing is left."""
    kept = [v for v in values if v is not None]
    return sum(kept) / len(kept) if kept else None


def _question_result(question_id: str, tally: list[int]) -> QuestionResult:
    counts = (tally[0], tally[1], tally[2], tally[3], tally[4])
    n = sum(counts)
    score: float | None = None
    sd: float | None = None
    if n:
        total = counts[1] + 2 * counts[2] + 3 * counts[3] + 4 * counts[4]
        mean_level = total / n
        score = POINTS_PER_LEVEL * mean_level
        if n >= 2:
            squares = counts[1] + 4 * counts[2] + 9 * counts[3] + 16 * counts[4]
            variance = max(0.0, (squares - n * mean_level * mean_level) / (n - 1))
            sd = math.sqrt(variance)
    return QuestionResult(question_id, score, counts, tally[_DK], tally[_NA], sd)


def _theme_flags(questions: Sequence[tuple[Question, QuestionResult]], respondents: int) -> tuple[
        str, ...]:
    flags: list[str] = []
    levels = sum(r.answered for _, r in questions)
    dont_know = sum(r.dont_know for _, r in questions)
    if levels + dont_know and dont_know / (levels + dont_know) >= KNOWLEDGE_GAP_SHARE:
        flags.append(FLAG_KNOWLEDGE_GAP)
    spread = weighted_mean(
        (r.sd, q.weight) for q, r in questions
        if r.sd is not None and r.answered >= DISAGREEMENT_MIN_RESPONDENTS)
    if spread is not None and spread >= DISAGREEMENT_SD:
        flags.append(FLAG_DISAGREEMENT)
    possible = respondents * len(questions)
    if not possible or levels / possible < LOW_COVERAGE_SHARE:
        flags.append(FLAG_LOW_COVERAGE)
    return tuple(flags)


def _action(questions: Sequence[tuple[Question, QuestionResult]]) -> str:
    """The suggested next step: that of the lowest-scoring question (heavier weight first)."""
    scored = [(r.score, -q.weight, index, q) for index, (q, r) in enumerate(questions)
              if r.score is not None]
    if not scored:
        return questions[0][0].next_step_for(None)
    lowest = min(scored, key=lambda item: (item[0], item[1], item[2]))
    return lowest[3].next_step_for(lowest[0] / POINTS_PER_LEVEL)


def _dimension_keys(question: Question) -> dict[str, tuple[str, ...]]:
    tags = question.tags
    return {
        "movisie": (str(tags.movisie),),
        "routekaart": tuple(str(step) for step in tags.routekaart),
        "principles": tuple(tags.principles),
        "levensdomein": tuple(tags.levensdomein),
    }


def score_round(
    banks: Sequence[Bank],
    departments: Sequence[DepartmentInput],
    responses: Iterable[ResponseInput],
    target_overrides: Mapping[ThemeKey, int] | None = None,
    min_group_size: int = 1,
) -> RoundResult:
    """Score a round. Answers to questions outside a department's banks are ignored.

    With ``min_group_size`` k > 1, a department with fewer than k submitted responses is hidden
    (see the module docstring): it has no figures and does not count in the municipality
    figures. With k = 1 nothing is hidden (a department without submissions has empty figures).
    """
    if min_group_size < 1:
        raise ValueError(f"min_group_size {min_group_size} must be at least 1")
    overrides = target_overrides or {}
    by_id = {bank.id: bank for bank in banks}
    tallies: dict[str, dict[str, list[int]]] = {}
    importance: dict[str, dict[ThemeKey, list[int]]] = {}
    started: dict[str, int] = {}
    submitted: dict[str, int] = {}
    for department in departments:
        tallies[department.name] = {
            q.id: [0, 0, 0, 0, 0, 0, 0]
            for bank_id in department.bank_ids if bank_id in by_id
            for q in by_id[bank_id].questions}
        importance[department.name] = {}
        started[department.name] = 0
        submitted[department.name] = 0

    for response in responses:
        name = response.department
        if name not in tallies:
            continue
        started[name] += 1
        if not response.submitted:
            continue
        submitted[name] += 1
        tally = tallies[name]
        for question_id, value in response.answers.items():
            counts = tally.get(question_id)
            if counts is None:
                continue
            index = _SLOT.get(value)
            if index is None:
                raise ValueError(f"answer {value!r} to {question_id} is not a level 0-4, "
                                 f"'{DONT_KNOW}' or '{NOT_APPLICABLE}'")
            counts[index] += 1
        ratings = importance[name]
        for key, rating in response.importance.items():
            if rating not in _RATINGS:
                raise ValueError(f"importance {rating!r} for {key} is not a rating 1-5")
            total = ratings.setdefault(key, [0, 0])
            total[0] += rating
            total[1] += 1

    results = tuple(
        _score_department(department, by_id, tallies[department.name],
                          importance[department.name], started[department.name],
                          submitted[department.name], overrides)
        if submitted[department.name] >= min_group_size or min_group_size == 1
        else DepartmentResult(department.name, started[department.name],
                              submitted[department.name], (), {}, hidden=True)
        for department in departments)
    return RoundResult(results, _prioritise(results), _municipality(results))


def _score_department(
    department: DepartmentInput,
    by_id: Mapping[str, Bank],
    tally: Mapping[str, list[int]],
    ratings: Mapping[ThemeKey, list[int]],
    started: int,
    submitted: int,
    overrides: Mapping[ThemeKey, int],
) -> DepartmentResult:
    bank_results: list[BankResult] = []
    dimension_pairs: dict[str, dict[str, list[tuple[float | None, float]]]] = {}
    for bank_id in department.bank_ids:
        bank = by_id.get(bank_id)
        if bank is None:
            continue
        theme_results: list[ThemeResult] = []
        bank_pairs: list[tuple[float | None, float]] = []
        for theme in bank.themes:
            pairs = [(q, _question_result(q.id, tally[q.id])) for q in theme.questions]
            for question, result in pairs:
                bank_pairs.append((result.score, question.weight))
                for dimension, keys in _dimension_keys(question).items():
                    for key in keys:
                        dimension_pairs.setdefault(dimension, {}).setdefault(key, []).append(
                            (result.score, question.weight))
            score = weighted_mean((r.score, q.weight) for q, r in pairs)
            level = overrides.get((bank.id, theme.id), theme.target)
            target = POINTS_PER_LEVEL * level
            gap = gap_of(target, score)
            rating = ratings.get((bank.id, theme.id))
            weight = rating[0] / rating[1] if rating and rating[1] else DEFAULT_IMPORTANCE
            theme_results.append(ThemeResult(
                bank_id=bank.id,
                theme_id=theme.id,
                score=score,
                target=target,
                gap=gap,
                importance=weight,
                priority=None if gap is None else priority_of(gap, weight),
                answered=sum(r.answered for _, r in pairs),
                dont_know=sum(r.dont_know for _, r in pairs),
                not_applicable=sum(r.not_applicable for _, r in pairs),
                flags=_theme_flags(pairs, submitted),
                action=_action(pairs),
                questions=tuple(r for _, r in pairs),
            ))
        bank_score = weighted_mean(bank_pairs)
        bank_target = sum(t.target for t in theme_results) / len(theme_results)
        bank_results.append(BankResult(bank.id, bank_score, bank_target,
                                       gap_of(bank_target, bank_score), tuple(theme_results)))
    dimensions = {dimension: {key: weighted_mean(pairs) for key, pairs in sorted(keys.items())}
                  for dimension, keys in dimension_pairs.items()}
    return DepartmentResult(department.name, started, submitted, tuple(bank_results), dimensions)


def _prioritise(departments: Sequence[DepartmentResult]) -> tuple[Priority, ...]:
    candidates = [
        (department.name, theme)
        for department in departments
        for theme in department.themes()
        if theme.gap is not None and theme.gap > 0 and theme.priority is not None
    ]
    candidates.sort(key=lambda item: (-(item[1].priority or 0.0), -(item[1].gap or 0.0),
                                      item[0], item[1].bank_id, item[1].theme_id))
    return tuple(
        Priority(rank=rank, department=name, bank=theme.bank_id, theme=theme.theme_id,
                 score=theme.score, target=theme.target, gap=theme.gap or 0.0,
                 importance=theme.importance, priority=theme.priority or 0.0,
                 action=theme.action)
        for rank, (name, theme) in enumerate(candidates, start=1))


def _municipality(departments: Sequence[DepartmentResult]) -> MunicipalityResult:
    bank_scores: dict[str, list[float | None]] = {}
    theme_scores: dict[ThemeKey, list[float | None]] = {}
    dimension_scores: dict[str, dict[str, list[float | None]]] = {}
    for department in departments:
        for bank in department.banks:
            bank_scores.setdefault(bank.bank_id, []).append(bank.score)
            for theme in bank.themes:
                theme_scores.setdefault((theme.bank_id, theme.theme_id), []).append(theme.score)
        for dimension, values in department.dimensions.items():
            for key, value in values.items():
                dimension_scores.setdefault(dimension, {}).setdefault(key, []).append(value)
    return MunicipalityResult(
        banks={bank_id: mean(values) for bank_id, values in bank_scores.items()},
        themes={key: mean(values) for key, values in theme_scores.items()},
        dimensions={dimension: {key: mean(values) for key, values in keys.items()}
                    for dimension, keys in dimension_scores.items()},
    )
