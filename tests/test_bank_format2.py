"""Bank format 2 (the 2.x banks): help for all levels, evidence, next steps per level band,
core questions, ``replaces`` lists; ``quickscan banks diff`` and ``quickscan banks readability``."""

from __future__ import annotations

import copy
import math
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from flask import Flask

from quickscan import create_app
from quickscan.bank import BankError, load_bank_file, load_catalog
from quickscan.bank_diff import diff_banks
from quickscan.readability import flesch_douma, readability, sentences, syllables, words

VALID = Path(__file__).resolve().parent / "data" / "valid"


def _question(qid: str, statement: str, *, core: bool = True, **extra: Any) -> dict[str, Any]:
    question: dict[str, Any] = {
        "id": qid,
        "core": core,
        "statement": statement,
        "help": {level: f"Niveau {level} voor {qid}." for level in range(5)},
        "evidence": "Een verslag of een besluit.",
        "next_steps": {"levels_0_1": "Begin met een verkenning.",
                       "level_2": "Maak het vast werk, samen met ervaringsdeskundigen.",
                       "level_3": "Meet elk jaar en verbeter."},
        "tags": {"crpd": ["9"], "levensdomein": ["welzijn"], "movisie": 6},
    }
    question.update(extra)
    return question


def format2_bank() -> dict[str, Any]:
    """A valid format-2 version of the test bank ``proef`` (1.0.0 lives in tests/data/valid)."""
    return {
        "id": "proef", "version": "2.0.0", "format": 2, "title": "Proefbank",
        "description": "Een kleine bank.", "levensdomeinen": ["welzijn", "vervoer"],
        "changelog": [{"version": "2.0.0", "date": "2026-11-30", "changes": "Korter."}],
        "themes": [
            {"id": "toegang", "title": "Toegang", "description": "Hulp vinden.", "crpd": ["9"],
             "questions": [
                 _question("proef.toegang.loket", "Het loket is open op vijf dagen."),
                 _question("proef.toegang.folder", "Onze folder is in eenvoudige taal.",
                           core=False, replaces="proef.toegang.oud_formulier"),
             ]},
            {"id": "vervoer", "title": "Vervoer", "description": "Reizen.", "crpd": ["20"],
             "questions": [
                 _question("proef.vervoer.haltes_lijst", "Wij hebben een lijst van alle haltes.",
                           replaces="proef.vervoer.haltes"),
                 _question("proef.vervoer.haltes_plan", "Wij hebben een plan voor de haltes.",
                           core=False, replaces="proef.vervoer.haltes"),
                 _question("proef.vervoer.nieuw", "Wij vragen reizigers elk jaar om hun mening.",
                           core=False),
             ]},
        ],
    }


def write_bank(root: Path, data: dict[str, Any]) -> Path:
    path = root / "proef" / f"{data['version']}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture()
def questions(tmp_path: Path) -> Path:
    root = tmp_path / "questions"
    shutil.copytree(VALID, root)
    return root


def test_valid_format2_bank_loads(questions: Path) -> None:
    bank = load_bank_file(write_bank(questions, format2_bank()))
    assert bank.format == 2
    assert [q.id for q in bank.core_questions] == ["proef.toegang.loket",
                                                   "proef.vervoer.haltes_lijst"]
    question = bank.question("proef.toegang.loket")
    assert sorted(question.help) == [0, 1, 2, 3, 4]
    assert question.next_step_for(None) == "Begin met een verkenning."
    assert question.next_step_for(1.9) == "Begin met een verkenning."
    assert question.next_step_for(2.0) == "Maak het vast werk, samen met ervaringsdeskundigen."
    assert question.next_step_for(3.4) == "Meet elk jaar en verbeter."


def test_format1_questions_keep_one_next_step() -> None:
    bank = load_bank_file(VALID / "proef" / "1.0.0.yaml")
    question = bank.questions[0]
    assert question.next_step_for(3.5) == question.next_step
    assert bank.core_questions == bank.questions  # no core marked: every question counts


def _problems(questions: Path, data: dict[str, Any]) -> list[str]:
    path = write_bank(questions, data)
    with pytest.raises(BankError) as caught:
        load_bank_file(path)
    return [f"{p.path}: {p.message}" for p in caught.value.problems]


def test_format2_rules_are_enforced_with_their_location(questions: Path) -> None:
    data = format2_bank()
    first = data["themes"][0]["questions"][0]
    first["statement"] = " ".join(["woord"] * 21)
    del first["help"][0]
    del first["evidence"]
    second = data["themes"][0]["questions"][1]
    del second["next_steps"]
    second["next_step"] = "Eén stap."
    assert _problems(questions, data) == [
        "themes[0].questions[0].statement: 21 words; a statement has at most 20",
        "themes[0].questions[0].help: help must describe all five levels 0-4; missing: 0",
        "themes[0].questions[0]: required field 'evidence' is missing (format 2)",
        "themes[0].questions[1]: required field 'next_steps' is missing (format 2)",
        "themes[0].questions[1].next_step: use 'next_steps' per level band in format 2",
    ]


def test_core_set_must_cover_every_theme_and_stay_small(questions: Path) -> None:
    data = format2_bank()
    for question in data["themes"][1]["questions"]:
        question["core"] = False
    assert _problems(questions, data) == [
        "themes[1].id: theme 'vervoer' has no core question (every theme needs at least one)"]
    data = format2_bank()
    extra = data["themes"][0]["questions"]
    for index in range(8):
        extra.append(_question(f"proef.toegang.extra_{index}", f"Wij doen ding nummer {index}."))
    assert _problems(questions, data) == [
        "themes: 10 core questions; a bank may mark at most 8"]
    data = format2_bank()
    for theme in data["themes"]:
        for question in theme["questions"]:
            question["core"] = False
    assert "themes: format 2 banks mark their core questions with 'core: true'" in _problems(
        questions, data)


def test_replaces_a_list_and_unknown_ids_are_refused(questions: Path) -> None:
    data = format2_bank()
    data["themes"][1]["questions"][2]["replaces"] = ["proef.toegang.bestaat_niet"]
    write_bank(questions, data)
    with pytest.raises(BankError) as caught:
        load_catalog(questions)
    assert [p.message for p in caught.value.problems] == [
        ("replaces unknown question 'proef.toegang.bestaat_niet' "
         "(not in an earlier version of this bank)")]


def test_diff_sorts_every_question(questions: Path) -> None:
    data = format2_bank()
    merged = copy.deepcopy(data["themes"][1]["questions"][2])
    merged.update(id="proef.vervoer.samen", statement="Wij tellen de klachten over reizen.",
                  replaces=["proef.toegang.informatie", "proef.vervoer.oud"], core=False)
    data["themes"][1]["questions"].append(merged)
    old = copy.deepcopy(format2_bank())
    old.update(version="1.5.0")
    old["changelog"] = [{"version": "1.5.0", "date": "2026-06-01", "changes": "Tussenversie."}]
    old["themes"][0]["questions"] = [
        _question("proef.toegang.loket", "Het loket is open op vijf dagen."),
        _question("proef.toegang.oud_formulier", "Het formulier is kort."),
        _question("proef.toegang.informatie", "De informatie is helder."),
        _question("proef.toegang.weg", "Deze vraag verdwijnt."),
    ]
    old["themes"][1]["questions"] = [_question("proef.vervoer.haltes", "De haltes zijn goed."),
                                     _question("proef.vervoer.oud", "Het vervoer is goed.")]
    old_bank = load_bank_file(write_bank(questions, old))
    new_bank = load_bank_file(write_bank(questions, data))
    result = diff_banks(old_bank, new_bank)
    assert result.kept == ("proef.toegang.loket",)
    assert result.replaced == (("proef.toegang.oud_formulier", "proef.toegang.folder"),)
    assert result.split == (("proef.vervoer.haltes",
                             ("proef.vervoer.haltes_lijst", "proef.vervoer.haltes_plan")),)
    assert result.merged == ((("proef.toegang.informatie", "proef.vervoer.oud"),
                              "proef.vervoer.samen"),)
    assert result.removed == ("proef.toegang.weg",)
    assert result.new == ("proef.vervoer.nieuw",)
    assert result.comparable == {"proef.toegang.loket": "proef.toegang.loket",
                                 "proef.toegang.folder": "proef.toegang.oud_formulier"}


def test_syllables_words_and_sentences() -> None:
    assert [syllables(w) for w in ("gemeente", "ideeën", "tijd", "inclusie", "b1", "ruïne")] == [
        3, 3, 1, 3, 1, 3]
    assert words("Wij werken - samen, met 3 partners.") == [
        "Wij", "werken", "samen", "met", "3", "partners"]
    assert sentences("Eén zin. Nog een zin! En een vraag?") == 3
    assert sentences("Zonder punt") == 1


def test_flesch_douma_by_hand() -> None:
    # "De bus is laat." 4 words, 4 syllables, 1 sentence; "Wij bellen de klant." 4 words,
    # 5 syllables (wij, bel-len, de, klant), 1 sentence. Together: 8 words, 9 syllables, 2 sentences.
    expected = 206.84 - 0.77 * (100 * 9 / 8) - 0.93 * (8 / 2)
    assert flesch_douma(["De bus is laat.", "Wij bellen de klant."]) == pytest.approx(expected)
    assert flesch_douma([]) is None
    result = readability("proef", "2.0.0", [("a.b.c", "De bus is laat."),
                                            ("a.b.d", " ".join(["woord"] * 22))])
    assert result.max_words == 22
    assert [(s.question_id, s.words) for s in result.long_statements] == [("a.b.d", 22)]
    assert not result.passes()


@pytest.fixture()
def cli_app(questions: Path) -> Iterator[Flask]:
    app = create_app({"TESTING": True, "DATABASE_URL": "sqlite://", "SECRET_KEY": "test",
                      "QUESTIONS_DIR": str(questions)})
    yield app


def test_cli_readability_and_diff(cli_app: Flask, questions: Path) -> None:
    write_bank(questions, format2_bank())
    runner = cli_app.test_cli_runner()
    result = runner.invoke(args=["banks", "readability"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "bank\tversion\tstatements\tflesch_douma\twords_mean\twords_max\tover_20"
    row = next(line for line in lines if line.startswith("proef\t2.0.0\t"))
    bank = load_bank_file(questions / "proef" / "2.0.0.yaml")
    score = flesch_douma(q.statement for q in bank.questions)
    assert row.split("\t")[3] == f"{score:.1f}"
    checked = runner.invoke(args=["banks", "readability", "--check"])
    assert checked.exit_code == (0 if score is not None and score >= 60 else 1)
    diff = runner.invoke(args=["banks", "diff", "proef", "1.1.0", "2.0.0"])
    assert diff.exit_code == 0, diff.output
    assert "split (1)\n  proef.vervoer.haltes -> proef.vervoer.haltes_lijst, " \
           "proef.vervoer.haltes_plan" in diff.output
    assert "kept (1)\n  proef.toegang.loket" in diff.output
    unknown = runner.invoke(args=["banks", "diff", "proef", "1.1.0", "9.0.0"])
    assert unknown.exit_code == 1


def test_core_only_keeps_the_core_questions_of_every_theme(questions: Path) -> None:
    bank = load_bank_file(write_bank(questions, format2_bank()))
    kern = bank.core_only()
    assert [q.id for q in kern.questions] == [q.id for q in bank.core_questions]
    assert [t.id for t in kern.themes] == [t.id for t in bank.themes]
    assert (kern.id, kern.version, kern.sha256) == (bank.id, bank.version, bank.sha256)
    old = load_bank_file(VALID / "proef" / "1.0.0.yaml")
    assert old.core_only() is old


def test_estimate_follows_the_documented_formula(questions: Path) -> None:
    from quickscan.estimate import estimate_minutes, words_to_read

    bank = load_bank_file(write_bank(questions, format2_bank()))
    labels = ["Niet gestart", "Verkennend"]
    expected_words = 3 + sum(len(words(t.title)) + len(words(t.description))
                             + sum(len(words(q.statement)) for q in t.questions)
                             for t in bank.themes)
    assert words_to_read([bank], labels) == expected_words
    minutes = expected_words / 150 + 5 * 20 / 60 + 2 * 15 / 60
    assert estimate_minutes([bank], labels) == math.ceil(minutes)
    assert estimate_minutes([bank.core_only()], labels) < estimate_minutes([bank], labels)
