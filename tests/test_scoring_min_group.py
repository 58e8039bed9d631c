"""Minimum group size in the scoring engine: a department under k has counts but no figures,
and its answers never reach the municipality figures (no recovery by subtraction)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quickscan.scoring import DepartmentInput, ResponseInput, score_round
from tests.test_scoring import BANK_A, BANKS

DEPARTMENTS = (DepartmentInput("Wonen", ("a",)), DepartmentInput("Zorg", ("a",)))


def _responses(wonen: list[int], zorg: list[int]) -> list[ResponseInput]:
    out = [ResponseInput("Wonen", {"a.t1.q1": v, "a.t1.q2": v, "a.t2.q3": v}) for v in wonen]
    out += [ResponseInput("Zorg", {"a.t1.q1": v, "a.t1.q2": v, "a.t2.q3": v}) for v in zorg]
    out.append(ResponseInput("Zorg", {"a.t1.q1": 4}, submitted=False))
    return out


def test_department_under_k_is_hidden_but_counted() -> None:
    result = score_round(BANKS, DEPARTMENTS, _responses([1, 2, 3], [4, 4]), min_group_size=3)
    zorg = result.department("Zorg")
    assert zorg.hidden
    assert (zorg.respondents_started, zorg.respondents_submitted) == (3, 2)
    assert zorg.banks == () and zorg.dimensions == {} and zorg.themes() == ()
    assert all(p.department == "Wonen" for p in result.priorities)
    wonen = result.department("Wonen")
    assert not wonen.hidden
    # Municipality = Wonen alone: Zorg's two answers of 4 must not move it.
    assert result.municipality.banks["a"] == wonen.bank("a").score  # type: ignore[union-attr]
    assert result.municipality.themes[("a", "t1")] == pytest.approx(50.0)


def test_k_of_one_hides_nothing_and_k_below_one_is_refused() -> None:
    result = score_round(BANKS, DEPARTMENTS, _responses([1], []))
    assert not any(d.hidden for d in result.departments)
    with pytest.raises(ValueError):
        score_round(BANKS, DEPARTMENTS, [], min_group_size=0)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 10), st.lists(st.integers(0, 4), max_size=12),
       st.lists(st.integers(0, 4), max_size=12))
def test_hidden_answers_never_change_visible_figures(k: int, wonen: list[int],
                                                      zorg: list[int]) -> None:
    with_zorg = score_round([BANK_A], DEPARTMENTS, _responses(wonen, zorg), min_group_size=k)
    without = score_round([BANK_A], DEPARTMENTS, _responses(wonen, []), min_group_size=k)
    if len(zorg) < k:
        assert with_zorg.municipality == without.municipality
        assert with_zorg.priorities == without.priorities
    for department in with_zorg.departments:
        assert department.hidden == (k > 1 and department.respondents_submitted < k)
