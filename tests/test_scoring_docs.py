"""docs/scoring.md's worked example is recomputed by the engine: the input and the expected
result are read from the page itself, so the documentation cannot drift from the code."""

from __future__ import annotations

import re
from itertools import takewhile
from pathlib import Path
from typing import Any

import pytest
import yaml

from quickscan.bank import Bank, parse_bank
from quickscan.scoring import (
    DepartmentInput,
    ResponseInput,
    RoundResult,
    ThemeResult,
    score_round,
)

DOC = Path(__file__).resolve().parent.parent / "docs" / "scoring.md"
FENCE = re.compile(r"```yaml\n(# worked-example: (\w+)\n.*?)```", re.DOTALL)


def doc_blocks() -> dict[str, Any]:
    """The ``# worked-example: <name>`` YAML blocks of docs/scoring.md, parsed."""
    blocks = {name: yaml.safe_load(body) for body, name in FENCE.findall(DOC.read_text("utf-8"))}
    assert set(blocks) == {"input", "expected"}
    return blocks


def build_bank(spec: dict[str, Any]) -> Bank:
    """Expand the compact bank of the example into a full, validated bank."""
    themes = []
    for theme in spec["themes"]:
        themes.append({
            "id": theme["id"], "title": theme["id"].title(), "description": "Voorbeeld.",
            "crpd": ["9"], "target": theme["target"],
            "questions": [{
                "id": q["id"], "statement": f"Stelling {q['id']}.",
                "help": {2: "twee", 3: "drie", 4: "vier"}, "weight": q["weight"],
                "next_step": f"Volgende stap voor {q['id']}.",
                "tags": {"crpd": ["9"], "levensdomein": ["welzijn"], "movisie": q["movisie"]},
            } for q in theme["questions"]],
        })
    return parse_bank({
        "id": spec["id"], "version": "1.0.0", "title": "Voorbeeld", "description": "Voorbeeld.",
        "levensdomeinen": ["welzijn"],
        "changelog": [{"version": "1.0.0", "date": "2026-01-01", "changes": "Eerste versie."}],
        "themes": themes,
    })


@pytest.fixture(scope="module")
def example() -> tuple[RoundResult, dict[str, Any], Bank]:
    """The example scored by the engine, with the expected block and the bank."""
    blocks = doc_blocks()
    given = blocks["input"]
    bank = build_bank(given["bank"])
    by_short = {q.id.rsplit(".", 1)[1]: q.id for q in bank.questions}
    responses = [
        ResponseInput(
            department=given["department"],
            answers={by_short[short]: value for short, value in r["answers"].items()},
            importance={(bank.id, theme): rating for theme, rating in r["importance"].items()},
            submitted=r["submitted"],
        )
        for r in given["responses"]
    ]
    result = score_round([bank], [DepartmentInput(given["department"], (bank.id,))], responses)
    return result, blocks["expected"], bank


def _theme(result: RoundResult, theme_id: str) -> ThemeResult:
    return next(t for t in result.departments[0].themes() if t.theme_id == theme_id)


def test_example_respondents(example: tuple[RoundResult, dict[str, Any], Bank]) -> None:
    result, expected, _ = example
    department = result.departments[0]
    assert department.respondents_started == expected["respondents_started"]
    assert department.respondents_submitted == expected["respondents_submitted"]


def test_example_question_scores(example: tuple[RoundResult, dict[str, Any], Bank]) -> None:
    result, expected, _ = example
    scores = {q.question_id.rsplit(".", 1)[1]: q.score
              for t in result.departments[0].themes() for q in t.questions}
    assert {k: round(v, 2) if v is not None else None for k, v in scores.items()} == (
        expected["questions"])


def test_example_themes(example: tuple[RoundResult, dict[str, Any], Bank]) -> None:
    result, expected, _ = example
    for theme_id, want in expected["themes"].items():
        theme = _theme(result, theme_id)
        got = {"score": theme.score, "target": theme.target, "gap": theme.gap,
               "importance": theme.importance, "priority": theme.priority}
        assert {k: round(v, 2) for k, v in got.items() if v is not None} == {
            k: v for k, v in want.items() if k != "flags"}, theme_id
        assert list(theme.flags) == want["flags"], theme_id


def test_example_bank_priorities_municipality(
        example: tuple[RoundResult, dict[str, Any], Bank]) -> None:
    result, expected, bank = example
    bank_result = result.departments[0].bank(bank.id)
    assert bank_result is not None and bank_result.score is not None
    assert bank_result.gap is not None
    assert {"score": round(bank_result.score, 2), "target": bank_result.target,
            "gap": round(bank_result.gap, 2)} == expected["bank"]
    assert [p.theme for p in result.priorities] == expected["priorities"]
    assert {k: round(v, 2) for k, v in result.municipality.banks.items() if v is not None} == (
        expected["municipality"])
    movisie = result.departments[0].dimensions["movisie"]
    assert {k: round(v, 2) for k, v in movisie.items() if v is not None} == expected["movisie"]


def test_example_priority_table_in_the_doc(
        example: tuple[RoundResult, dict[str, Any], Bank]) -> None:
    """The human-readable table of the example shows the same figures."""
    result, _, _ = example
    text = DOC.read_text("utf-8")
    section = text[text.index("| rank | theme |"):]
    table = takewhile(lambda line: line.startswith("|"), section.splitlines()[2:])
    rows = [line.strip("|").split("|") for line in table]
    shown = [[cell.strip() for cell in row] for row in rows]
    computed = [[str(p.rank), p.theme, f"{p.score:.2f}".rstrip("0").rstrip("."),
                 f"{p.target:g}", f"{p.gap:.2f}", f"{p.importance:g}", f"{p.priority:.2f}",
                 ", ".join(_theme(result, p.theme).flags)]
                for p in result.priorities]
    assert shown == computed
