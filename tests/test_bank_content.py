"""Completeness of the real question banks in questions/: valid, complete texts, unique ids and
statements, 3-6 themes per bank and 3-6 questions per theme, and every framework covered."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from flask import Flask

from quickscan import create_app
from quickscan.bank import Bank, Catalog, load_catalog, validate_paths
from quickscan.coverage import coverage
from quickscan.residents import is_residents_file

QUESTIONS = Path(__file__).resolve().parent.parent / "questions"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    """Every bank version in questions/, loaded strictly (a broken file fails here)."""
    return load_catalog(QUESTIONS)


@pytest.fixture(scope="module")
def latest(catalog: Catalog) -> list[Bank]:
    """The newest version of every bank."""
    return catalog.latest_banks()


def _normalised(text: str) -> str:
    return " ".join(text.lower().split())


def test_every_bank_file_is_valid() -> None:
    assert [str(p) for p in validate_paths([QUESTIONS])] == []


def test_there_is_exactly_one_common_bank_bestuur(catalog: Catalog) -> None:
    common = {bank.id for bank in catalog.latest_banks() if bank.common}
    assert common == {"bestuur"}


def test_enough_banks(latest: list[Bank]) -> None:
    assert len(latest) >= 10, f"only {len(latest)} banks: {[b.id for b in latest]}"


def test_no_empty_help_text_or_next_step(catalog: Catalog) -> None:
    empty = [f"{bank.id} {bank.version} {q.id}"
             for bank in catalog for q in bank.questions
             if not all(q.next_step_for(level).strip() for level in (0, 2, 3)) or any(not text.strip() for text in q.help.values())
             or not all(level in q.help for level in (2, 3, 4))]
    assert empty == []


def test_no_duplicate_statement_across_banks(latest: list[Bank]) -> None:
    statements = Counter(_normalised(q.statement) for bank in latest for q in bank.questions)
    assert [s for s, n in statements.items() if n > 1] == []


def test_question_ids_unique_across_all_banks(catalog: Catalog) -> None:
    owners: dict[str, set[str]] = {}
    for bank in catalog:
        for question in bank.questions:
            owners.setdefault(question.id, set()).add(bank.id)
    assert {qid: banks for qid, banks in owners.items() if len(banks) > 1} == {}
    for bank in catalog:
        ids = [q.id for q in bank.questions]
        assert len(ids) == len(set(ids)), bank.id


def test_new_question_ids_start_with_bank_and_theme(catalog: Catalog, latest: list[Bank]) -> None:
    # A question keeps its id when a later version moves it to another theme.
    older = {q.id for bank in catalog for q in bank.questions
             if bank.version != catalog.latest(bank.id).version}
    wrong = [q.id for bank in latest for theme in bank.themes for q in theme.questions
             if not q.id.startswith(f"{bank.id}.{theme.id}.") and q.id not in older]
    assert wrong == []


# Civil-servant banks only: residents banks (kind: residents) are checked in
# tests/test_perspectives_core.py.
@pytest.mark.parametrize("bank_id", sorted(
    p.name for p in QUESTIONS.iterdir() if p.is_dir()
    and not any(is_residents_file(f) for f in p.glob("*.yaml"))))
def test_bank_shape(catalog: Catalog, bank_id: str) -> None:
    bank = catalog.latest(bank_id)
    assert 3 <= len(bank.themes) <= 6, f"{bank_id}: {len(bank.themes)} themes"
    for theme in bank.themes:
        assert 3 <= len(theme.questions) <= 6, (
            f"{bank_id}.{theme.id}: {len(theme.questions)} questions")


def test_coverage_is_complete(latest: list[Bank]) -> None:
    report = coverage(latest)
    assert list(report.missing) == []


def test_cli_coverage_exits_0(tmp_path: Path) -> None:
    app: Flask = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}",
                             "SECRET_KEY": "test-secret", "QUESTIONS_DIR": str(QUESTIONS)})
    result = app.test_cli_runner().invoke(args=["banks", "coverage"])
    assert result.exit_code == 0, result.output
    assert "Everything required is covered." in result.stdout
    validate = app.test_cli_runner().invoke(args=["banks", "validate"])
    assert validate.exit_code == 0, validate.output


# --------------------------------------------------------------------------- 2.0.0 content rules


def _version_2_banks(catalog: Catalog) -> list[Bank]:
    return [bank for bank in catalog if bank.version.split(".")[0] == "2"]


def test_every_2_0_0_bank_follows_format_2(catalog: Catalog) -> None:
    banks = _version_2_banks(catalog)
    assert len(banks) >= 15, [b.id for b in banks]
    assert [b.id for b in banks if b.format != 2] == []
    for bank in banks:
        for question in bank.questions:
            assert sorted(question.help) == [0, 1, 2, 3, 4], question.id
            assert question.evidence and question.next_steps, question.id


def test_every_2_0_0_bank_reads_at_b1(catalog: Catalog) -> None:
    from quickscan.readability import MAX_WORDS, MIN_SCORE, readability

    failing = []
    for bank in _version_2_banks(catalog):
        result = readability(bank.id, bank.version, [(q.id, q.statement) for q in bank.questions])
        if result.score is None or result.score < MIN_SCORE or result.max_words > MAX_WORDS:
            failing.append((bank.id, result.score, result.max_words))
    assert failing == []


def test_kern_quickscan_is_at_most_24_questions(catalog: Catalog) -> None:
    banks = _version_2_banks(catalog)
    common = next(b for b in banks if b.common)
    domain = sorted((b for b in banks if not b.common and not b.municipal),
                    key=lambda b: -len(b.core_questions))
    largest = len(common.core_questions) + sum(len(b.core_questions) for b in domain[:2])
    assert largest <= 24
    for bank in banks:
        assert {t.id for t in bank.themes} == {t.id for t in bank.core_only().themes}, bank.id


def test_one_municipal_bank_answered_once(catalog: Catalog) -> None:
    assert [b.id for b in catalog.latest_banks() if b.municipal] == ["gemeente"]


def test_group_tags_cover_inclusion_in_the_broad_sense(latest: list[Bank]) -> None:
    from quickscan import frameworks

    tags = Counter(group for bank in latest for q in bank.questions for group in q.tags.groups)
    assert set(tags) == set(frameworks.GROUPS)
    # No group may be left to a handful of items: every group has at least 10.
    assert min(tags.values()) >= 10, tags
