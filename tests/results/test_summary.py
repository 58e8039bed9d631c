"""The bestuurlijke samenvatting, written from hand-made results (no app, no database)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from quickscan.reporting.model import freeze
from quickscan.reporting.summary import Summary, build_summary
from quickscan.scoring import (
    FLAG_DISAGREEMENT,
    FLAG_KNOWLEDGE_GAP,
    BankResult,
    DepartmentResult,
    MunicipalityResult,
    Priority,
    RoundResult,
    ThemeResult,
)

ROOT = Path(__file__).resolve().parents[2]
BANKS = {"wonen_x": "Wonen en leven", "werk_x": "Werk en inkomen"}
THEMES = {("wonen_x", "huur_id"): "Betaalbare huur", ("wonen_x", "aanpas_id"): "Aanpasbare woningen",
          ("werk_x", "baan_id"): "Banen voor iedereen", ("werk_x", "loket_id"): "Toegankelijk loket"}


def texts(lang: str = "nl"):
    return freeze(yaml.safe_load((ROOT / "reports" / f"{lang}.yaml").read_text(encoding="utf-8")))


def theme(bank: str, theme_id: str, score: float | None, target: float = 75.0,
          importance: float = 3.0, flags: tuple[str, ...] = ()) -> ThemeResult:
    gap = None if score is None else max(0.0, target - score)
    priority = None if gap is None else gap * importance / 5
    return ThemeResult(bank, theme_id, score, target, gap, importance, priority, 3, 0, 0, flags,
                       f"Actie voor {THEMES[(bank, theme_id)]}", ())


def department(name: str, themes: list[ThemeResult], submitted: int = 4, started: int = 5,
               hidden: bool = False) -> DepartmentResult:
    if hidden:
        return DepartmentResult(name, started, submitted, (), {}, hidden=True)
    banks = []
    for bank in dict.fromkeys(t.bank_id for t in themes):
        mine = tuple(t for t in themes if t.bank_id == bank)
        scores = [t.score for t in mine if t.score is not None]
        score = sum(scores) / len(scores) if scores else None
        banks.append(BankResult(bank, score, 75.0, None if score is None else max(0, 75 - score),
                                mine))
    return DepartmentResult(name, started, submitted, tuple(banks), {})


def round_result(departments: list[DepartmentResult]) -> RoundResult:
    lines = sorted(((d.name, t) for d in departments for t in d.themes() if t.gap),
                   key=lambda item: -(item[1].priority or 0))
    priorities = tuple(
        Priority(rank, name, t.bank_id, t.theme_id, t.score, t.target, t.gap or 0.0,
                 t.importance, t.priority or 0.0, t.action)
        for rank, (name, t) in enumerate(lines, start=1))
    banks: dict[str, list[float]] = {}
    for d in departments:
        for b in d.banks:
            if b.score is not None:
                banks.setdefault(b.bank_id, []).append(b.score)
    municipality = MunicipalityResult({k: sum(v) / len(v) for k, v in banks.items()}, {}, {})
    return RoundResult(tuple(departments), priorities, municipality)


def summarise(result: RoundResult, lang: str = "nl", **options) -> Summary:
    options.setdefault("status", "closed")
    return build_summary(result, texts(lang), lang=lang, bank_titles=BANKS, theme_titles=THEMES,
                         **options)


@pytest.fixture
def result() -> RoundResult:
    return round_result([
        department("Wijkteam", [theme("wonen_x", "huur_id", 10.0, importance=5),
                                theme("wonen_x", "aanpas_id", 20.0, importance=5),
                                theme("werk_x", "baan_id", 30.0, importance=5)]),
        department("Loket", [theme("werk_x", "loket_id", 90.0,
                                   flags=(FLAG_KNOWLEDGE_GAP, FLAG_DISAGREEMENT)),
                             theme("werk_x", "baan_id", 60.0, importance=2)], submitted=3),
        department("Beleid", [theme("wonen_x", "huur_id", 50.0,
                                    flags=(FLAG_KNOWLEDGE_GAP,)),
                              theme("wonen_x", "aanpas_id", 80.0)]),
    ])


def test_the_five_blocks_in_reading_order(result) -> None:
    summary = summarise(result)
    assert summary.title == "Bestuurlijke samenvatting"
    assert [b.key for b in summary.blocks] == ["response", "priorities", "strengths", "signals",
                                               "next"]
    response = summary.block("response").paragraphs
    assert response[0] == ("11 van de 15 begonnen vragenlijsten zijn ingevuld en ingediend, "
                           "verdeeld over 3 afdelingen.")


def test_priorities_in_words_with_titles_and_at_most_two_per_department(result) -> None:
    block = summarise(result).block("priorities")
    # Wijkteam has three gaps with the highest priorities; only two of them are named.
    assert len(block.items) == 4
    assert block.items[0] == ("Betaalbare huur (Wonen en leven) bij Wijkteam: score 10,0, "
                              "doel 75,0. Eerste stap: Actie voor Betaalbare huur.")
    assert sum("bij Wijkteam" in item for item in block.items) == 2
    assert not any("Banen voor iedereen (Werk en inkomen) bij Wijkteam" in i for i in block.items)
    assert "Deze vier thema's" in block.paragraphs[0] and "alle 5" in block.paragraphs[0]
    text = summarise(result).plain_text()
    for internal in ("huur_id", "wonen_x", "werk_x", "max(0"):
        assert internal not in text


def test_three_to_five_priorities(result) -> None:
    many = round_result([department(f"Afdeling {n}", [
        theme("wonen_x", "huur_id", 10.0 + n), theme("wonen_x", "aanpas_id", 20.0 + n),
        theme("werk_x", "baan_id", 30.0 + n)]) for n in range(4)])
    assert len(summarise(many).block("priorities").items) == 5
    one = round_result([department("Solo", [theme("wonen_x", "huur_id", 10.0),
                                             theme("wonen_x", "aanpas_id", 20.0),
                                             theme("werk_x", "baan_id", 30.0),
                                             theme("werk_x", "loket_id", 40.0)])])
    # With a single department the two-per-department rule would leave two: topped up to three.
    assert len(summarise(one).block("priorities").items) == 3


def test_strengths_name_the_highest_scores_and_whether_the_target_is_reached(result) -> None:
    block = summarise(result).block("strengths")
    assert block.items[0] == ("Toegankelijk loket bij Loket (Werk en inkomen): score 90,0, "
                              "het doel (75,0) is gehaald")
    assert block.items[1].startswith("Aanpasbare woningen bij Beleid")
    assert block.items[2] == ("Banen voor iedereen bij Loket (Werk en inkomen): score 60,0, "
                              "het doel is 75,0")


def test_knowledge_gaps_and_disagreement(result) -> None:
    signals = summarise(result).block("signals").paragraphs
    assert signals[0].startswith("Bij twee thema's koos 30% of meer van de antwoorden 'weet ik niet'")
    assert "Toegankelijk loket bij Loket en Betaalbare huur bij Beleid" in signals[0]
    assert signals[1].startswith("Bij één thema lopen de antwoorden sterk uiteen")
    steps = summarise(result).block("next").items
    assert any("kennislacune" in step for step in steps)
    assert any("verschil van mening" in step for step in steps)


def test_no_signals_and_no_priorities() -> None:
    calm = round_result([department("Top", [theme("wonen_x", "huur_id", 90.0),
                                            theme("werk_x", "baan_id", 80.0)])])
    summary = summarise(calm)
    assert summary.block("priorities").paragraphs == (
        "Alle thema's met een score halen hun doel: er zijn geen verbeterpunten.",)
    assert summary.block("signals").paragraphs[0].startswith("Er zijn geen thema's met een")
    assert not any("verbeterkansen" in step for step in summary.block("next").items)


def test_hidden_departments_are_named_with_k_and_never_scored(result) -> None:
    hidden = round_result(list(result.departments) + [department("Klein team", [], submitted=2,
                                                                 started=2, hidden=True)])
    summary = summarise(hidden, min_group_size=3)
    response = summary.block("response").paragraphs
    assert response[0].startswith("13 van de 17 begonnen vragenlijsten")
    assert ("Van de afdeling Klein team tonen we nog geen uitkomsten: daar zijn minder dan 3 "
            "vragenlijsten ingevuld.") in response[1]
    for key in ("priorities", "strengths", "signals"):
        block = summary.block(key)
        assert "Klein team" not in " ".join(block.paragraphs + block.items)
    assert any("Klein team" in step and "minstens 3" in step
               for step in summary.block("next").items)
    only = summarise(hidden, min_group_size=3, department="Klein team")
    assert only.block("response").paragraphs[1].startswith(
        "Nog geen resultaat: minder dan 3 ingevulde vragenlijsten")
    assert only.block("priorities").paragraphs == (
        "Alle thema's met een score halen hun doel: er zijn geen verbeterpunten.",)


def test_an_open_round_is_provisional(result) -> None:
    open_ = summarise(result, status="open", deadline="28 december 2026")
    assert ("De ronde is nog open tot 28 december 2026: de uitkomsten zijn voorlopig en kunnen "
            "nog veranderen.") in open_.block("response").paragraphs
    assert any("28 december 2026" in step for step in open_.block("next").items)
    closed = summarise(result, status="closed")
    assert "voorlopig" not in closed.plain_text()


def test_a_department_summary_is_about_that_department(result) -> None:
    summary = summarise(result, department="Wijkteam")
    assert summary.block("response").paragraphs[0] == (
        "In de afdeling Wijkteam zijn 4 van de 5 begonnen vragenlijsten ingevuld en ingediend.")
    items = summary.block("priorities").items
    assert len(items) == 3 and items[0].startswith("Betaalbare huur (Wonen en leven): score 10,0")
    assert "Loket" not in summary.plain_text() and "Beleid" not in summary.plain_text()
    with pytest.raises(LookupError):
        summarise(result, department="Onbekend")


def test_english_texts(result) -> None:
    summary = summarise(result, lang="en", status="open", deadline="28 December 2026")
    assert summary.title == "Summary for decision makers"
    assert summary.block("priorities").items[0] == (
        "Betaalbare huur (Wonen en leven) at Wijkteam: score 10.0, target 75.0. "
        "First step: Actie voor Betaalbare huur.")
    assert "The round is open until 28 December 2026" in summary.plain_text()


def test_long_signal_lists_name_three_and_count_the_rest() -> None:
    flagged = round_result([department(f"Team {n}", [
        theme("wonen_x", "huur_id", 40.0, flags=(FLAG_KNOWLEDGE_GAP,))]) for n in range(5)])
    signals = summarise(flagged).block("signals").paragraphs[0]
    assert signals.startswith("Bij vijf thema's koos 30% of meer")
    assert signals.endswith("Betaalbare huur bij Team 2 en twee andere.")
    # The response's counts stay in digits.
    assert summarise(flagged).block("response").paragraphs[0].endswith(
        "verdeeld over 5 afdelingen.")
