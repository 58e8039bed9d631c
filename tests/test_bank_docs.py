"""docs/question-banks.md stays true: its full example is a valid bank, its renaming example
validates as a next version, and its vocabularies and scale match the code and scales.yaml."""

from __future__ import annotations

import re
import shutil
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from quickscan import frameworks
from quickscan.bank import load_bank_file, load_catalog, load_scales, validate_paths

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "question-banks.md"
GLOSSARY = ROOT / "docs" / "glossary.md"


def _text() -> str:
    return DOC.read_text(encoding="utf-8")


def example_block() -> str:
    """The full example bank: the yaml block that starts with its file name."""
    blocks = re.findall(r"```yaml\n(# questions/wonen/1\.0\.0\.yaml\n.*?)```", _text(), re.DOTALL)
    assert len(blocks) == 1
    return str(blocks[0])


def renaming_snippet() -> dict[str, Any]:
    """The question of the renaming example under "Versioning rules"."""
    section = _text()[_text().index("## Versioning rules"):]
    block = re.search(r"```yaml\n(.*?)```", section, re.DOTALL)
    assert block is not None
    items = yaml.safe_load(textwrap.dedent(block.group(1)))
    assert isinstance(items, list) and len(items) == 1
    return dict(items[0])


@pytest.fixture
def questions(tmp_path: Path) -> Path:
    """A questions folder with the real scale and the example bank from the doc."""
    root = tmp_path / "questions"
    (root / "wonen").mkdir(parents=True)
    shutil.copy(ROOT / "questions" / "scales.yaml", root / "scales.yaml")
    (root / "wonen" / "1.0.0.yaml").write_text(example_block(), encoding="utf-8")
    return root


def test_full_example_is_a_valid_bank(questions: Path) -> None:
    assert [str(p) for p in validate_paths([questions])] == []
    bank = load_bank_file(questions / "wonen" / "1.0.0.yaml")
    assert (bank.id, bank.version, bank.title, bank.common) == ("wonen", "1.0.0", "Wonen", False)
    first, second = bank.themes[0].questions
    assert first.weight == 2.0 and second.weight == 1.0
    assert set(first.help) == {0, 2, 3, 4}
    assert first.tags.groups == ("handicap", "leeftijd")


def test_renaming_example_validates_as_the_next_version(questions: Path) -> None:
    data = yaml.safe_load(example_block())
    snippet = renaming_snippet()
    assert snippet["replaces"] == data["themes"][0]["questions"][0]["id"]
    data["version"] = "1.1.0"
    data["changelog"].insert(0, {"version": "1.1.0", "date": "2026-12-01",
                                 "changes": "Vraag over levensloopbestendige woningen verruimd."})
    data["themes"][0]["questions"][0].update(snippet)
    (questions / "wonen" / "1.1.0.yaml").write_text(yaml.safe_dump(data, allow_unicode=True),
                                                    encoding="utf-8")
    assert [str(p) for p in validate_paths([questions])] == []
    assert load_catalog(questions).latest("wonen").version == "1.1.0"


def test_vocabularies_match_the_frameworks() -> None:
    text = " ".join(_text().split())
    for article in frameworks.CRPD_ARTICLES:
        assert re.search(rf"\b{re.escape(article)}\b", text), article
    for key in (*frameworks.LEVENSDOMEINEN, *frameworks.PRINCIPLES, *frameworks.GROUPS):
        assert f"`{key}`" in text, key
    for number, label in frameworks.MOVISIE_STEPS.items():
        assert f"{number} {label}" in text, label
    for number, label in frameworks.ROUTEKAART_STEPS.items():
        assert f"{number} {label}" in text, label


def test_scale_table_matches_scales_yaml() -> None:
    scale = load_scales(ROOT / "questions" / "scales.yaml")["volwassenheid"]
    rows = re.findall(r"^\| (\d) \| ([^|]+) \| (\d+) \|", _text(), re.MULTILINE)
    assert [(int(v), label.strip(), int(points)) for v, label, points in rows] == [
        (level.value, level.label, 25 * level.value) for level in scale.levels]
    for option in scale.outside:
        assert f"| — | {option.label} | not scored |" in _text()


def test_coverage_matrix_section_exists() -> None:
    assert "\n## Coverage matrix\n" in _text()


def test_glossary_explains_the_unavoidable_terms() -> None:
    text = GLOSSARY.read_text(encoding="utf-8")
    terms = re.findall(r"^\*\*(.+?)\*\*", text, re.MULTILINE)
    assert len(terms) >= 30
    for term in ("Lokale Inclusie Agenda", "VN-Verdrag Handicap", "Wmo", "Participatiewet",
                 "Jeugdwet", "Ervaringsdeskundige", "Adviesraad sociaal domein", "Beleidsdomein",
                 "Levensdomein", "Routekaart", "Toegankelijkheidsverklaring", "B1-taalniveau",
                 "Easy-read", "Social return", "Banenafspraak", "Beschut werk",
                 "Loonkostensubsidie", "Jobcoach", "Pgb", "Cliëntondersteuning", "Mantelzorg",
                 "GGD", "Doelgroepenvervoer", "Minimaregeling", "Schuldhulpverlening",
                 "Licht verstandelijke beperking", "Prestatieafspraken", "Levensloopbestendig",
                 "Redelijke aanpassing", "Inclusief beleid"):
        assert any(t.startswith(term) for t in terms), term
    assert terms == sorted(terms, key=str.casefold), "keep the glossary in alphabetical order"


def test_coverage_matrix_in_docs_is_current():
    """docs/question-banks.md shows the matrix `quickscan banks coverage --markdown` prints today."""
    from quickscan.bank import load_catalog
    from quickscan.coverage import coverage, render_matrix

    root = Path(__file__).resolve().parent.parent
    doc = (root / "docs" / "question-banks.md").read_text(encoding="utf-8")
    marker = "<!-- coverage matrix: generated by quickscan banks coverage --markdown -->"
    shown = doc.split(marker, 1)[1].split("\n## ", 1)[0].strip()
    report = coverage(load_catalog(root / "questions").latest_banks())
    assert shown == render_matrix(report, markdown=True).strip()
