"""The comparison of two rounds (quickscan/comparison.py): the rules of docs/scoring.md
"Comparing two rounds", and the page's comparison example recomputed from the page itself."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from quickscan.bank import Bank, parse_bank
from quickscan.comparison import (
    compare_rounds,
    hidden_by_sources,
    match_questions,
    remap_responses,
)
from quickscan.scoring import DepartmentInput, ResponseInput, score_round

DOC = Path(__file__).resolve().parent.parent / "docs" / "scoring.md"
FENCE = re.compile(r"```yaml\n(# comparison-example: (\w+)\n.*?)```", re.DOTALL)


def doc_blocks() -> dict[str, Any]:
    blocks = {name: yaml.safe_load(body) for body, name in FENCE.findall(DOC.read_text("utf-8"))}
    assert set(blocks) == {"input", "expected"}
    return blocks


def make_bank(version: str, themes: dict[str, dict[str, float]],
              replaces: dict[str, list[str]] | None = None, bank_id: str = "voorbeeld") -> Bank:
    replaces = replaces or {}
    return parse_bank({
        "id": bank_id, "version": version, "title": "Voorbeeld", "description": "Voorbeeld.",
        "levensdomeinen": ["welzijn"],
        "changelog": [{"version": version, "date": "2026-01-01", "changes": "Versie."}],
        "themes": [{
            "id": theme_id, "title": theme_id.title(), "description": "Voorbeeld.",
            "crpd": ["9"],
            "questions": [{
                "id": f"{bank_id}.{theme_id}.{key}", "statement": f"Stelling {key}.",
                "help": {2: "twee", 3: "drie", 4: "vier"}, "weight": weight,
                "next_step": "Volgende stap.",
                "tags": {"crpd": ["9"], "levensdomein": ["welzijn"], "movisie": 1},
                **({"replaces": [_full(bank_id, themes_of_old, r) for r in replaces[key]]}
                   if key in replaces else {}),
            } for key, weight in questions.items()],
        } for theme_id, questions in themes.items()],
    })


themes_of_old: dict[str, str] = {}


def _full(bank_id: str, owner: dict[str, str], key: str) -> str:
    return f"{bank_id}.{owner[key]}.{key}"


def _responses(bank: Bank, department: str, rows: list[dict[str, Any]]) -> list[ResponseInput]:
    ids = {q.id.rsplit(".", 1)[1]: q.id for q in bank.questions}
    return [ResponseInput(department, {ids[key]: value for key, value in row.items()})
            for row in rows]


@pytest.fixture(scope="module")
def example() -> tuple[Any, dict[str, Any]]:
    blocks = doc_blocks()
    given = blocks["input"]
    themes_of_old.clear()
    themes_of_old.update({key: theme for theme, qs in given["previous"]["themes"].items()
                          for key in qs})
    old = make_bank(str(given["previous"]["version"]), given["previous"]["themes"])
    new = make_bank(str(given["current"]["version"]), given["current"]["themes"],
                    given["current"]["replaces"])
    departments = [DepartmentInput("Publiekszaken", ("voorbeeld",))]
    before = score_round([old], departments,
                         _responses(old, "Publiekszaken", given["previous"]["responses"]))
    now = score_round([new], departments,
                      _responses(new, "Publiekszaken", given["current"]["responses"]))
    return compare_rounds([old], before, [new], now, departments), blocks["expected"], now


def _check(change: Any, expected: dict[str, Any]) -> None:
    for key in ("score", "previous_score", "delta"):
        value = getattr(change, key)
        assert (None if value is None else round(value, 2)) == expected[key], key
    assert change.comparable_questions == expected["comparable_questions"]
    assert change.questions == expected["questions"]
    assert change.partial is expected["partial"]


def test_doc_example_question_statuses(example):
    comparison, expected, _now = example
    got = {m.question_id.rsplit(".", 1)[1]: m.status for m in comparison.questions}
    assert got == expected["questions"]
    assert round(comparison.compatibility, 4) == expected["compatibility"]


def test_doc_example_themes_and_bank(example):
    comparison, expected, now = example
    for theme_id, want in expected["themes"].items():
        _check(comparison.theme("Publiekszaken", "voorbeeld", theme_id), want)
    (bank,) = comparison.banks
    _check(bank, expected["bank"])
    (department,) = comparison.departments
    assert department.delta == bank.delta and department.compatibility == bank.compatibility
    for theme_id, score in expected["own_theme_score"].items():
        own = next(t for t in now.departments[0].themes() if t.theme_id == theme_id)
        assert round(own.score, 2) == score


def _simple(version: str, keys: dict[str, float], replaces=None) -> Bank:
    themes_of_old.clear()
    themes_of_old.update({key: "t" for key in ("a", "b", "c", "d")})
    return make_bank(version, {"t": keys}, replaces)


def test_same_set_and_weights_on_both_sides():
    """A pair scored only in one round is left out on both sides; the new weight counts."""
    old = _simple("1.0.0", {"a": 1, "b": 1})
    new = _simple("2.0.0", {"a": 3, "b": 1})
    departments = [DepartmentInput("D", ("voorbeeld",))]
    before = score_round([old], departments, [
        ResponseInput("D", {"voorbeeld.t.a": 0, "voorbeeld.t.b": "dont_know"})])
    now = score_round([new], departments, [
        ResponseInput("D", {"voorbeeld.t.a": 4, "voorbeeld.t.b": 0})])
    (change,) = compare_rounds([old], before, [new], now, departments).themes
    assert (change.score, change.previous_score, change.delta) == (100.0, 0.0, 100.0)
    assert change.comparable_questions == 2 and not change.partial


def test_weights_are_the_new_ones():
    old = _simple("1.0.0", {"a": 1, "b": 1})
    new = _simple("2.0.0", {"a": 3, "b": 1})
    departments = [DepartmentInput("D", ("voorbeeld",))]
    before = score_round([old], departments, [
        ResponseInput("D", {"voorbeeld.t.a": 0, "voorbeeld.t.b": 4})])
    now = score_round([new], departments, [
        ResponseInput("D", {"voorbeeld.t.a": 4, "voorbeeld.t.b": 0})])
    (change,) = compare_rounds([old], before, [new], now, departments).themes
    assert change.previous_score == pytest.approx((0 * 3 + 100 * 1) / 4)
    assert change.score == pytest.approx((100 * 3 + 0 * 1) / 4)


def test_hidden_side_hides_the_change():
    old = _simple("1.0.0", {"a": 1})
    departments = [DepartmentInput("D", ("voorbeeld",))]
    before = score_round([old], departments, [ResponseInput("D", {"voorbeeld.t.a": 1})],
                         min_group_size=2)
    now = score_round([old], departments, [ResponseInput("D", {"voorbeeld.t.a": 3})] * 2,
                      min_group_size=2)
    comparison = compare_rounds([old], before, [old], now, departments)
    (change,) = comparison.themes
    assert change.hidden and change.delta is None and change.score is None
    assert change.comparable_questions == 1 and change.questions == 1
    # the other way round: visible before, hidden now
    comparison = compare_rounds([old], now, [old], before, departments)
    assert comparison.themes[0].hidden
    # forced hidden by the sources of a pooled group
    comparison = compare_rounds([old], now, [old], now, departments, hidden_before={"D"})
    assert comparison.departments[0].hidden


def test_remap_pools_and_splits():
    responses = [ResponseInput("A", {"q": 1}), ResponseInput("B", {"q": 2}),
                 ResponseInput("C", {"q": 3})]
    remapped = remap_responses(responses, {"AB": ("A", "B"), "C1": ("C",), "C2": ("C",)})
    assert sorted((r.department, r.answers["q"]) for r in remapped) == [
        ("AB", 1), ("AB", 2), ("C1", 3), ("C2", 3)]
    assert hidden_by_sources({"AB": ("A", "B"), "C1": ("C",), "N": ()},
                             {"A": 5, "B": 2, "C": 3}, 3) == {"AB", "N"}
    assert hidden_by_sources({"AB": ("A", "B")}, {"A": 1}, 1) == frozenset()


def test_removed_and_new_bank():
    old = _simple("1.0.0", {"a": 1, "b": 1})
    new = _simple("2.0.0", {"a": 1, "c": 1})
    matches, diffs = match_questions([old], [new])
    assert {m.question_id: m.status for m in matches} == {
        "voorbeeld.t.a": "kept", "voorbeeld.t.c": "new"}
    assert diffs[0].removed == ("voorbeeld.t.b",)
    matches, diffs = match_questions([], [new])
    assert {m.status for m in matches} == {"new"} and diffs == ()
