"""The scoring engine: one test per rule of the formula in docs/scoring.md, plus Hypothesis
property tests. Pure: banks are built in memory, no app or database."""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quickscan.bank import DONT_KNOW, NOT_APPLICABLE, Bank, parse_bank
from quickscan.scoring import (
    FLAG_DISAGREEMENT,
    FLAG_KNOWLEDGE_GAP,
    FLAG_LOW_COVERAGE,
    AnswerValue,
    BankResult,
    DepartmentInput,
    DepartmentResult,
    Priority,
    QuestionResult,
    ResponseInput,
    RoundResult,
    ThemeResult,
    gap_of,
    level_points,
    priority_of,
    score_round,
)

DK = DONT_KNOW
NA = NOT_APPLICABLE

QuestionSpec = tuple[str, float, int]  # (name, weight, movisie step)
ThemeSpec = tuple[str, int, Sequence[QuestionSpec]]  # (theme id, target level, questions)


def make_bank(bank_id: str, themes: Sequence[ThemeSpec], *, routekaart: int | None = None) -> Bank:
    """Build a valid bank in memory (through the same validation as a YAML file)."""
    data: dict[str, Any] = {
        "id": bank_id, "version": "1.0.0", "title": bank_id.title(),
        "description": "Testbank.", "levensdomeinen": ["welzijn"],
        "changelog": [{"version": "1.0.0", "date": "2026-01-01", "changes": "Eerste versie."}],
        "themes": [],
    }
    for theme_id, target, questions in themes:
        theme: dict[str, Any] = {"id": theme_id, "title": theme_id, "description": "Thema.",
                                 "crpd": ["9"], "target": target, "questions": []}
        for name, weight, movisie in questions:
            tags: dict[str, Any] = {"crpd": ["9"], "levensdomein": ["welzijn"], "movisie": movisie}
            if routekaart is not None:
                tags["routekaart"] = [routekaart]
            theme["questions"].append({
                "id": f"{bank_id}.{theme_id}.{name}",
                "statement": f"Stelling {bank_id} {theme_id} {name}.",
                "help": {2: "twee", 3: "drie", 4: "vier"},
                "weight": weight,
                "next_step": f"Stap voor {name}.",
                "tags": tags,
            })
        data["themes"].append(theme)
    return parse_bank(data)


# A: theme t1 (target 3) with q1 (weight 1, Movisie 1) and q2 (weight 3, Movisie 6);
#    theme t2 (target 2) with q3 (weight 1, Movisie 6).
BANK_A = make_bank("a", [("t1", 3, [("q1", 1, 1), ("q2", 3, 6)]), ("t2", 2, [("q3", 1, 6)])])
# B: one theme with two questions of equal weight.
BANK_B = make_bank("b", [("t1", 3, [("q1", 1, 2), ("q2", 1, 2)])])
BANKS = (BANK_A, BANK_B)


def response(department: str, answers: Mapping[str, AnswerValue],
              importance: Mapping[tuple[str, str], int] | None = None,
              submitted: bool = True) -> ResponseInput:
    """A response with answers keyed by short ids like 'a.t1.q1'."""
    return ResponseInput(department, dict(answers), dict(importance or {}), submitted)


def score(responses: Sequence[ResponseInput],
          departments: Sequence[DepartmentInput] = (DepartmentInput("Wonen", ("a",)),),
          overrides: Mapping[tuple[str, str], int] | None = None) -> RoundResult:
    """Score the round with BANKS."""
    return score_round(BANKS, departments, responses, overrides)


def theme_of(result: RoundResult, department: str, bank: str, theme: str) -> ThemeResult:
    """One theme result."""
    found = result.department(department).bank(bank)
    assert found is not None
    return next(t for t in found.themes if t.theme_id == theme)


def question_of(result: RoundResult, department: str, question_id: str) -> QuestionResult:
    """One question result."""
    return next(q for t in result.department(department).themes() for q in t.questions
                if q.question_id == question_id)


def bank_of(result: RoundResult, department: str, bank: str) -> BankResult:
    """One bank result."""
    found = result.department(department).bank(bank)
    assert found is not None
    return found


# --------------------------------------------------------------------------- points and means


@pytest.mark.parametrize("level", [0, 1, 2, 3, 4])
def test_a_level_is_worth_25_points_each(level: int) -> None:
    result = score([response("Wonen", {"a.t1.q1": level})])
    assert question_of(result, "Wonen", "a.t1.q1").score == 25.0 * level
    assert level_points(level) == 25.0 * level


@pytest.mark.parametrize("bad", [-1, 5])
def test_level_points_refuses_out_of_range(bad: int) -> None:
    with pytest.raises(ValueError):
        level_points(bad)


@pytest.mark.parametrize("bad", [5, 6, -1, "3", "weet niet", None])
def test_invalid_answer_values_are_refused(bad: Any) -> None:
    with pytest.raises(ValueError, match="a.t1.q1"):
        score([response("Wonen", {"a.t1.q1": bad})])


def test_dont_know_and_not_applicable_are_not_scored() -> None:
    result = score([response("Wonen", {"a.t1.q1": 4}), response("Wonen", {"a.t1.q1": DK}),
                    response("Wonen", {"a.t1.q1": NA})])
    question = question_of(result, "Wonen", "a.t1.q1")
    assert question.score == 100.0
    assert (question.answered, question.dont_know, question.not_applicable) == (1, 1, 1)
    assert question.counts == (0, 0, 0, 0, 1)


def test_question_score_is_the_mean_over_responses_that_gave_a_level() -> None:
    result = score([response("Wonen", {"a.t1.q1": v}) for v in (1, 2, 4)]
                   + [response("Wonen", {"a.t1.q2": 3})])  # no answer to q1 at all
    assert question_of(result, "Wonen", "a.t1.q1").score == pytest.approx(25 * 7 / 3)


def test_theme_score_is_weighted_mean_of_scored_questions() -> None:
    result = score([response("Wonen", {"a.t1.q1": 4, "a.t1.q2": 0})])
    # q1: 100 (weight 1), q2: 0 (weight 3) -> 25
    assert theme_of(result, "Wonen", "a", "t1").score == 25.0
    only_q1 = score([response("Wonen", {"a.t1.q1": 4, "a.t1.q2": DK})])
    assert theme_of(only_q1, "Wonen", "a", "t1").score == 100.0  # q2 unscored: left out


def test_bank_score_is_weighted_mean_over_all_scored_questions_of_the_bank() -> None:
    result = score([response("Wonen", {"a.t1.q1": 4, "a.t1.q2": 4, "a.t2.q3": 0})])
    # weights 1 + 3 at 100 and 1 at 0 -> 400/5 = 80 (not the mean of theme scores, 50)
    assert bank_of(result, "Wonen", "a").score == 80.0
    themes = [t.score for t in bank_of(result, "Wonen", "a").themes]
    assert themes == [100.0, 0.0]


def test_none_where_nothing_was_scored() -> None:
    result = score([response("Wonen", {"a.t1.q1": DK, "a.t1.q2": NA})])
    theme = theme_of(result, "Wonen", "a", "t1")
    assert (theme.score, theme.gap, theme.priority) == (None, None, None)
    bank = bank_of(result, "Wonen", "a")
    assert (bank.score, bank.gap) == (None, None)
    assert result.priorities == ()
    assert result.municipality.banks == {"a": None}
    empty = score([])
    assert bank_of(empty, "Wonen", "a").score is None
    assert question_of(empty, "Wonen", "a.t1.q1").sd is None


# --------------------------------------------------------------------------- targets and gaps


def test_theme_target_is_25_times_target_level_and_can_be_overridden() -> None:
    result = score([response("Wonen", {"a.t1.q1": 1})])
    assert theme_of(result, "Wonen", "a", "t1").target == 75.0  # target 3
    assert theme_of(result, "Wonen", "a", "t2").target == 50.0  # target 2
    overridden = score([response("Wonen", {"a.t1.q1": 1})], overrides={("a", "t2"): 4})
    assert theme_of(overridden, "Wonen", "a", "t2").target == 100.0
    assert theme_of(overridden, "Wonen", "a", "t1").target == 75.0
    assert bank_of(overridden, "Wonen", "a").target == 87.5


def test_default_target_level_is_3() -> None:
    data = make_bank("c", [("t", 3, [("q", 1, 1)])]).model_dump(mode="json", exclude={"sha256"})
    del data["themes"][0]["target"]
    bank = parse_bank(data)
    assert bank.themes[0].target == 3
    result = score_round([bank], [DepartmentInput("X", ("c",))], [ResponseInput("X", {"c.t.q": 0})])
    assert theme_of(result, "X", "c", "t").target == 75.0


def test_bank_target_is_mean_of_theme_targets() -> None:
    result = score([response("Wonen", {"a.t1.q1": 2})])
    assert bank_of(result, "Wonen", "a").target == 62.5  # (75 + 50) / 2


def test_gap_is_target_minus_score_never_below_zero() -> None:
    result = score([response("Wonen", {"a.t1.q1": 1, "a.t1.q2": 1, "a.t2.q3": 4})])
    assert theme_of(result, "Wonen", "a", "t1").gap == 50.0  # 75 - 25
    assert theme_of(result, "Wonen", "a", "t2").gap == 0.0  # 50 - 100 -> 0
    assert bank_of(result, "Wonen", "a").gap == 62.5 - 40.0  # bank score (25*4 + 100)/5 = 40
    assert gap_of(75.0, 80.0) == 0.0
    assert gap_of(75.0, None) is None


def test_rounding_noise_of_a_weighted_mean_is_not_a_gap() -> None:
    bank = make_bank("w", [("t", 3, [("x", 0.1, 1), ("y", 0.2, 1)])])
    result = score_round([bank], [DepartmentInput("X", ("w",))],
                         [ResponseInput("X", {"w.t.x": 3, "w.t.y": 3})])
    theme = theme_of(result, "X", "w", "t")
    assert theme.score == pytest.approx(75.0)
    assert theme.gap == 0.0
    assert result.priorities == ()


# --------------------------------------------------------------------------- importance, priority


def test_importance_defaults_to_3_and_is_the_mean_rating() -> None:
    result = score([response("Wonen", {"a.t1.q1": 0}, {("a", "t1"): 5}),
                    response("Wonen", {"a.t1.q1": 0}, {("a", "t1"): 4}),
                    response("Wonen", {"a.t1.q1": 0})])
    assert theme_of(result, "Wonen", "a", "t1").importance == 4.5
    assert theme_of(result, "Wonen", "a", "t2").importance == 3.0


@pytest.mark.parametrize("bad", [0, 6, "4", None])
def test_invalid_importance_ratings_are_refused(bad: Any) -> None:
    with pytest.raises(ValueError, match="importance"):
        score([response("Wonen", {"a.t1.q1": 0}, {("a", "t1"): bad})])


def test_priority_is_gap_times_importance_over_5() -> None:
    result = score([response("Wonen", {"a.t1.q1": 1, "a.t1.q2": 1}, {("a", "t1"): 4})])
    theme = theme_of(result, "Wonen", "a", "t1")
    assert theme.gap == 50.0
    assert theme.priority == 40.0  # 50 * 4 / 5
    assert priority_of(50.0, 4.0) == 40.0
    assert result.priorities[0].priority == 40.0


def test_priorities_list_only_gaps_and_are_ordered_with_all_tie_breakers() -> None:
    departments = [DepartmentInput("Zorg", ("a", "b")), DepartmentInput("Afval", ("a", "b")),
                   DepartmentInput("Wonen", ("b",))]
    responses = [
        # Zorg: a.t1 gap 50 (importance 3 -> priority 30); a.t2 at target; b.t1 gap 75 imp 2 -> 30
        response("Zorg", {"a.t1.q1": 1, "a.t1.q2": 1, "a.t2.q3": 2, "b.t1.q1": 0, "b.t1.q2": 0},
                 {("b", "t1"): 2}),
        # Afval: the same answers and ratings as Zorg -> ties broken by department name
        response("Afval", {"a.t1.q1": 1, "a.t1.q2": 1, "a.t2.q3": 2, "b.t1.q1": 0, "b.t1.q2": 0},
                 {("b", "t1"): 2}),
        # Wonen: b.t1 gap 50, importance 5 -> priority 50 (first)
        response("Wonen", {"b.t1.q1": 1, "b.t1.q2": 1}, {("b", "t1"): 5}),
    ]
    result = score(responses, departments)
    order = [(p.rank, p.department, p.bank, p.theme, p.gap, p.priority)
             for p in result.priorities]
    assert order == [
        (1, "Wonen", "b", "t1", 50.0, 50.0),
        # priority 30 each: gap 75 before gap 50, then department name, then bank id
        (2, "Afval", "b", "t1", 75.0, 30.0),
        (3, "Zorg", "b", "t1", 75.0, 30.0),
        (4, "Afval", "a", "t1", 50.0, 30.0),
        (5, "Zorg", "a", "t1", 50.0, 30.0),
    ]


def test_priority_tie_breaks_on_bank_id_then_theme_id() -> None:
    bank_c = make_bank("c", [("z", 3, [("q", 1, 1)]), ("m", 3, [("q", 1, 1)])])
    bank_d = make_bank("d", [("a", 3, [("q", 1, 1)])])
    result = score_round([bank_d, bank_c], [DepartmentInput("X", ("d", "c"))],
                         [ResponseInput("X", {"c.z.q": 1, "c.m.q": 1, "d.a.q": 1})])
    assert [(p.bank, p.theme) for p in result.priorities] == [("c", "m"), ("c", "z"), ("d", "a")]


def test_priority_carries_score_target_and_the_next_step_of_the_weakest_question() -> None:
    result = score([response("Wonen", {"a.t1.q1": 2, "a.t1.q2": 1})])
    first = result.priorities[0]
    assert isinstance(first, Priority)
    assert (first.score, first.target, first.importance) == (31.25, 75.0, 3.0)
    assert first.action == "Stap voor q2."


# --------------------------------------------------------------------------- responses


def test_drafts_are_not_scored_but_count_as_started() -> None:
    result = score([response("Wonen", {"a.t1.q1": 4}),
                    response("Wonen", {"a.t1.q1": 0}, {("a", "t1"): 1}, submitted=False)])
    department = result.department("Wonen")
    assert (department.respondents_started, department.respondents_submitted) == (2, 1)
    assert question_of(result, "Wonen", "a.t1.q1").score == 100.0
    assert theme_of(result, "Wonen", "a", "t1").importance == 3.0  # draft rating ignored


def test_answers_outside_the_department_banks_and_unknown_departments_are_ignored() -> None:
    result = score([response("Wonen", {"b.t1.q1": 0, "a.t1.q1": 4, "x.y.z": 1}),
                    response("Onbekend", {"a.t1.q1": 0})])
    assert question_of(result, "Wonen", "a.t1.q1").score == 100.0
    assert result.department("Wonen").bank("b") is None
    with pytest.raises(KeyError):
        result.department("Onbekend")


# --------------------------------------------------------------------------- municipality


def test_municipality_means_only_over_departments_that_answered() -> None:
    departments = [DepartmentInput("Wonen", ("a", "b")), DepartmentInput("Zorg", ("a",)),
                   DepartmentInput("Stil", ("a",)), DepartmentInput("Werk", ("b",))]
    result = score([
        response("Wonen", {"a.t1.q1": 4, "a.t1.q2": 4, "a.t2.q3": 4, "b.t1.q1": 2}),
        response("Zorg", {"a.t1.q1": 2, "a.t1.q2": 2, "a.t2.q3": 2}),
        response("Stil", {"a.t1.q1": 0}, submitted=False),  # only a draft: did not answer
        response("Werk", {"b.t1.q1": DK}),  # answered only "weet ik niet": no score
    ], departments)
    assert bank_of(result, "Stil", "a").score is None
    assert result.municipality.banks == {"a": 75.0, "b": 50.0}  # (100 + 50) / 2; only Wonen
    assert result.municipality.themes[("a", "t2")] == 75.0
    assert result.municipality.themes[("b", "t1")] == 50.0


def test_dimensions_per_movisie_step() -> None:
    departments = [DepartmentInput("Wonen", ("a",)), DepartmentInput("Zorg", ("a", "b"))]
    result = score([
        # Wonen: Movisie 1 = q1 (100); Movisie 6 = q2 (0, weight 3) and q3 (100) -> 25
        response("Wonen", {"a.t1.q1": 4, "a.t1.q2": 0, "a.t2.q3": 4}),
        # Zorg: Movisie 1 = 50; Movisie 6 = q2 50 (w3), q3 unscored -> 50; Movisie 2 = b (25)
        response("Zorg", {"a.t1.q1": 2, "a.t1.q2": 2, "a.t2.q3": NA, "b.t1.q1": 1, "b.t1.q2": 1}),
    ], departments)
    assert dict(result.department("Wonen").dimensions["movisie"]) == {"1": 100.0, "6": 25.0}
    assert dict(result.department("Zorg").dimensions["movisie"]) == {
        "1": 50.0, "2": 25.0, "6": 50.0}
    assert dict(result.municipality.dimensions["movisie"]) == {"1": 75.0, "2": 25.0, "6": 37.5}
    assert dict(result.department("Wonen").dimensions["levensdomein"]) == {"welzijn": 40.0}


def test_dimensions_cover_routekaart_and_principles_tags() -> None:
    bank = make_bank("r", [("t", 3, [("q", 1, 5)])], routekaart=2)
    result = score_round([bank], [DepartmentInput("X", ("r",))], [ResponseInput("X", {"r.t.q": 3})])
    dimensions = result.department("X").dimensions
    assert dict(dimensions["routekaart"]) == {"2": 75.0}
    assert dict(dimensions["movisie"]) == {"5": 75.0}


# --------------------------------------------------------------------------- flags


def _flags(answers: Sequence[Mapping[str, AnswerValue]]) -> tuple[str, ...]:
    result = score([response("Wonen", a) for a in answers])
    return theme_of(result, "Wonen", "a", "t2").flags


def test_knowledge_gap_at_30_percent_of_non_na_answers() -> None:
    # t2 has one question; 3 "weet ik niet" of 10 non-n.v.t. answers = 30% -> flagged
    answers: list[Mapping[str, AnswerValue]] = [{"a.t2.q3": DK}] * 3 + [{"a.t2.q3": 3}] * 7
    assert FLAG_KNOWLEDGE_GAP in _flags(answers + [{"a.t2.q3": NA}] * 5)
    # 2 of 10 = 20% -> not flagged, however many n.v.t. answers there are
    fewer: list[Mapping[str, AnswerValue]] = [{"a.t2.q3": DK}] * 2 + [{"a.t2.q3": 3}] * 8
    assert FLAG_KNOWLEDGE_GAP not in _flags(fewer + [{"a.t2.q3": NA}] * 20)
    # 3 of 11 = 27% -> not flagged
    assert FLAG_KNOWLEDGE_GAP not in _flags(answers + [{"a.t2.q3": 3}])


def test_disagreement_needs_sd_at_least_1_and_3_respondents() -> None:
    # levels 1, 3, 3: sample sd = 1.1547 -> flagged
    assert statistics.stdev([1, 3, 3]) >= 1.0
    assert FLAG_DISAGREEMENT in _flags([{"a.t2.q3": v} for v in (1, 3, 3)])
    # levels 1, 3: sd 1.41 but only 2 respondents -> not flagged
    assert FLAG_DISAGREEMENT not in _flags([{"a.t2.q3": v} for v in (1, 3)])
    # levels 2, 3, 3: sd 0.577 -> not flagged
    assert FLAG_DISAGREEMENT not in _flags([{"a.t2.q3": v} for v in (2, 3, 3)])
    # levels 2, 3, 4: sd exactly 1.0 -> flagged
    assert FLAG_DISAGREEMENT in _flags([{"a.t2.q3": v} for v in (2, 3, 4)])


def test_question_sd_is_the_sample_standard_deviation_of_levels() -> None:
    result = score([response("Wonen", {"a.t1.q1": v}) for v in (0, 1, 4, 4)])
    sd = question_of(result, "Wonen", "a.t1.q1").sd
    assert sd is not None and math.isclose(sd, statistics.stdev([0, 1, 4, 4]))


def test_disagreement_is_the_weighted_mean_sd_of_the_theme_questions() -> None:
    # t1: q1 (weight 1) levels 0, 4, 4 (sd 2.31); q2 (weight 3) all 2 (sd 0): mean 0.577 -> no
    answers = [{"a.t1.q1": 0, "a.t1.q2": 2}, {"a.t1.q1": 4, "a.t1.q2": 2},
               {"a.t1.q1": 4, "a.t1.q2": 2}]
    result = score([response("Wonen", a) for a in answers])
    assert FLAG_DISAGREEMENT not in theme_of(result, "Wonen", "a", "t1").flags
    # with q2 at 0, 2, 4 (sd 2.0) it is flagged
    answers = [{"a.t1.q1": 0, "a.t1.q2": 0}, {"a.t1.q1": 4, "a.t1.q2": 2},
               {"a.t1.q1": 4, "a.t1.q2": 4}]
    result = score([response("Wonen", a) for a in answers])
    assert FLAG_DISAGREEMENT in theme_of(result, "Wonen", "a", "t1").flags


def test_low_coverage_below_half_of_possible_answers() -> None:
    # 4 respondents x 1 question: 2 levels = 50% -> not low
    assert FLAG_LOW_COVERAGE not in _flags([{"a.t2.q3": 3}] * 2 + [{"a.t2.q3": NA}] * 2)
    # 1 level of 4 possible (the rest n.v.t. or unanswered) -> low
    assert FLAG_LOW_COVERAGE in _flags([{"a.t2.q3": 3}, {"a.t2.q3": NA}, {}, {}])
    # nobody submitted -> low
    assert FLAG_LOW_COVERAGE in theme_of(score([]), "Wonen", "a", "t2").flags


def test_no_flags_on_a_clear_consensus() -> None:
    assert _flags([{"a.t2.q3": 3}] * 4) == ()


# --------------------------------------------------------------------------- properties

ALL_BANK_IDS = ("a", "b")
QUESTION_IDS = tuple(q.id for bank in BANKS for q in bank.questions)
DEPARTMENTS = (DepartmentInput("Wonen", ("a",)), DepartmentInput("Zorg", ("a", "b")),
               DepartmentInput("Werk", ("b",)))
THEME_KEYS = tuple((bank.id, theme.id) for bank in BANKS for theme in bank.themes)

answer_values = st.sampled_from([0, 1, 2, 3, 4, DK, NA])
responses_strategy = st.lists(
    st.builds(
        ResponseInput,
        department=st.sampled_from([d.name for d in DEPARTMENTS]),
        answers=st.dictionaries(st.sampled_from(QUESTION_IDS), answer_values),
        importance=st.dictionaries(st.sampled_from(THEME_KEYS), st.integers(1, 5)),
        submitted=st.booleans(),
    ),
    max_size=12,
)


def all_scores(result: RoundResult) -> dict[tuple[str, ...], float | None]:
    """Every score in a result, keyed by where it sits."""
    out: dict[tuple[str, ...], float | None] = {}
    for department in result.departments:
        for bank in department.banks:
            out[(department.name, bank.bank_id)] = bank.score
            for theme in bank.themes:
                out[(department.name, bank.bank_id, theme.theme_id)] = theme.score
                for question in theme.questions:
                    out[(department.name, question.question_id)] = question.score
        for dimension, values in department.dimensions.items():
            for key, value in values.items():
                out[(department.name, "dim", dimension, key)] = value
    for bank_id, value in result.municipality.banks.items():
        out[("municipality", bank_id)] = value
    for (bank_id, theme_id), value in result.municipality.themes.items():
        out[("municipality", bank_id, theme_id)] = value
    return out


def score_all(responses: Sequence[ResponseInput]) -> RoundResult:
    """Score the property-test round."""
    return score_round(BANKS, DEPARTMENTS, responses)


def _departments(result: RoundResult) -> list[DepartmentResult]:
    return list(result.departments)


@settings(max_examples=200, deadline=None)
@given(responses_strategy, st.dictionaries(st.sampled_from(THEME_KEYS), st.integers(0, 4)))
def test_scores_stay_in_0_100_and_gaps_are_never_negative(
        responses: list[ResponseInput], overrides: dict[tuple[str, str], int]) -> None:
    result = score_round(BANKS, DEPARTMENTS, responses, overrides)
    for value in all_scores(result).values():
        assert value is None or -1e-9 <= value <= 100.0 + 1e-9
    for department in _departments(result):
        for bank in department.banks:
            assert bank.gap is None or bank.gap >= 0
            for theme in bank.themes:
                assert theme.gap is None or theme.gap >= 0
                assert theme.priority is None or 0 <= theme.priority <= 100
                assert theme.importance >= 1 and theme.importance <= 5  # ratings are 1-5
    assert all(p.gap > 0 for p in result.priorities)
    assert [p.rank for p in result.priorities] == list(range(1, len(result.priorities) + 1))


@settings(max_examples=200, deadline=None)
@given(responses_strategy, st.data())
def test_raising_one_answer_never_lowers_a_score(responses: list[ResponseInput],
                                                 data: st.DataObject) -> None:
    raisable = [(i, qid) for i, r in enumerate(responses) for qid, v in r.answers.items()
                if isinstance(v, int) and v < 4]
    if not raisable:
        return
    index, question_id = data.draw(st.sampled_from(raisable))
    before = all_scores(score_all(responses))
    changed = list(responses)
    old = changed[index]
    value = old.answers[question_id]
    assert isinstance(value, int)
    changed[index] = ResponseInput(old.department, {**old.answers, question_id: value + 1},
                                   old.importance, old.submitted)
    after = all_scores(score_all(changed))
    assert before.keys() == after.keys()
    for key, value_before in before.items():
        value_after = after[key]
        if value_before is not None:
            assert value_after is not None and value_after >= value_before - 1e-9, key


@settings(max_examples=200, deadline=None)
@given(responses_strategy, st.randoms(use_true_random=False))
def test_order_of_responses_never_matters(responses: list[ResponseInput], rnd: Any) -> None:
    shuffled = list(responses)
    rnd.shuffle(shuffled)
    assert score_all(shuffled) == score_all(responses)


@settings(max_examples=200, deadline=None)
@given(responses_strategy, st.lists(st.sampled_from(QUESTION_IDS), min_size=1),
       st.sampled_from([d.name for d in DEPARTMENTS]))
def test_adding_dont_know_never_changes_a_score(responses: list[ResponseInput],
                                                question_ids: list[str], department: str) -> None:
    before = all_scores(score_all(responses))
    # a new respondent who answers "weet ik niet" ...
    extra = ResponseInput(department, {qid: DK for qid in question_ids})
    assert all_scores(score_all([*responses, extra])) == before
    # ... and existing respondents who add "weet ik niet" to questions they skipped
    filled = [ResponseInput(r.department, {**{qid: DK for qid in question_ids}, **r.answers},
                            r.importance, r.submitted) for r in responses]
    assert all_scores(score_all(filled)) == before
