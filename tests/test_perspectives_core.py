"""The easy-read residents bank and the pure perspectives core (no app, no database)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from quickscan.bank import BankError, load_catalog, validate_paths
from quickscan.perspectives import (
    BLIND_SPOT_POINTS,
    Ambition,
    CivilServantTheme,
    bestuur_targets,
    compare,
    target_level,
)
from quickscan.readability import flesch_douma
from quickscan.residents import (
    load_experience_scales,
    rating_points,
    resident_score,
)

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = ROOT / "questions"
DOC = ROOT / "docs" / "scoring.md"
FENCE = re.compile(r"```yaml\n# perspectives-example: (\w+)\n(.*?)```", re.DOTALL)


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(QUESTIONS)


def test_residents_bank_loads_and_covers_every_levensdomein(catalog):
    bank = catalog.latest_residents()
    assert bank.id == "inwoners" and 12 <= len(bank.statements) <= 18
    domains = {d for s in bank.statements for d in s.levensdomein}
    assert domains == {"onderwijs", "thuis", "werk_inkomen", "vrije_tijd", "vervoer", "welzijn"}
    for statement in bank.statements:
        assert statement.statement.startswith("Ik ")
        assert len(statement.statement.split()) <= 10
        for mirror in statement.mirrors:
            bank_id, _, theme_id = mirror.partition("/")
            assert theme_id in [t.id for t in catalog.latest(bank_id).themes]
    score = flesch_douma([s.statement for s in bank.statements])
    assert score is not None and score >= 80


def test_residents_bank_is_published_and_pictograms_ship(catalog):
    lock = yaml.safe_load((QUESTIONS / "published.lock").read_text())
    bank = catalog.latest_residents()
    assert lock["inwoners"][bank.version] == bank.sha256
    for statement in bank.statements:
        assert statement.pictogram_alt
        svg = (ROOT / "quickscan/static/pictograms" / f"{statement.pictogram}.svg").read_text()
        assert f"<title>{statement.pictogram_alt}</title>" in svg


def test_experience_scale():
    scales = load_experience_scales(QUESTIONS / "scales.yaml")
    scale = scales["ervaring"]
    assert scale.label(1) == "Klopt helemaal niet" and scale.label(5) == "Klopt helemaal"
    assert scale.label("dont_know") == "Weet ik niet"


@pytest.fixture
def questions_copy(tmp_path):
    target = tmp_path / "questions"
    shutil.copytree(QUESTIONS, target)
    return target


def edit(path: Path, old: str, new: str) -> int:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return text[:text.index(old)].count("\n") + 1


def test_unknown_mirror_is_reported_with_file_and_line(questions_copy):
    lock = questions_copy / "published.lock"
    data = yaml.safe_load(lock.read_text())
    del data["inwoners"]
    lock.write_text(yaml.safe_dump(data))
    path = questions_copy / "inwoners" / "1.0.0.yaml"
    line = edit(path, "mirrors: [informatie/taal]", "mirrors: [informatie/gebarentaal]")
    problems = [str(p) for p in validate_paths([questions_copy])]
    assert any(p.startswith(f"{path}:{line}: statements[0].mirrors[0]:")
               and "no theme 'gebarentaal'" in p for p in problems), problems


def test_easy_read_rules_are_enforced(questions_copy):
    path = questions_copy / "inwoners" / "1.0.0.yaml"
    edit(path, "version: 1.0.0\n", "version: 1.1.0\n")
    edit(path, "  - version: 1.0.0", "  - version: 1.1.0")
    path.rename(path.with_name("1.1.0.yaml"))
    path = path.with_name("1.1.0.yaml")
    line = edit(path, "statement: Ik kan de brieven van de gemeente goed lezen.",
                "statement: De brieven die de gemeente aan inwoners stuurt zijn goed te lezen "
                "en te begrijpen. Echt.")
    problems = [str(p) for p in validate_paths([path])]
    assert any(f":{line}: statements[0].statement: 16 words" in p for p in problems), problems
    assert any("one sentence per statement" in p for p in problems)
    assert any("starts with 'Ik '" in p for p in problems)


def test_levensdomein_coverage_and_published_lock(questions_copy):
    path = questions_copy / "inwoners" / "1.0.0.yaml"
    edit(path, "levensdomein: [onderwijs]", "levensdomein: [welzijn]")
    edit(path, "levensdomein: [welzijn, onderwijs, thuis,", "levensdomein: [welzijn, thuis,")
    with pytest.raises(BankError) as info:
        load_catalog(questions_copy)
    assert "no statement covers levensdomein onderwijs" in str(info.value)


def test_published_version_is_locked(questions_copy):
    path = questions_copy / "inwoners" / "1.0.0.yaml"
    edit(path, "Ik voel me veilig in mijn gemeente.", "Ik voel me veilig in mijn wijk.")
    with pytest.raises(BankError) as info:
        load_catalog(questions_copy)
    assert f"{path}:6: version: content changed under published version 1.0.0" in str(info.value)


def test_rating_points_and_resident_score():
    assert [rating_points(r) for r in (1, 2, 3, 4, 5)] == [0, 25, 50, 75, 100]
    with pytest.raises(ValueError):
        rating_points(0)
    assert resident_score([5, "dont_know", 3]) == 75.0
    assert resident_score(["dont_know"]) is None


def _doc_blocks():
    return {name: yaml.safe_load(body) for name, body in FENCE.findall(DOC.read_text("utf-8"))}


def test_docs_worked_example_is_recomputed(catalog):
    blocks = _doc_blocks()
    given, expected = blocks["input"], blocks["expected"]
    civil = [CivilServantTheme(c["department"], "informatie", "taal", c["score"], c["hidden"])
             for c in given["civil_servants"]]
    bank = catalog.latest_residents()
    # Only the two statements of the example mirror informatie/taal in the example bank.
    example_bank = bank.model_copy(update={"statements": tuple(
        s.model_copy(update={"mirrors": ("informatie/taal",)}) if s.id in (
            "inwoners.brieven", "inwoners.website") else s
        for s in bank.statements if s.id in ("inwoners.brieven", "inwoners.website"))})
    ambitions = [{("informatie", "taal"): Ambition(a["level"], a["importance"])}
                 for a in given["bestuur"]]
    result = compare([("informatie", "taal")], civil, residents_bank=example_bank,
                     residents=given["residents"], residents_min_size=5,
                     ambitions=ambitions, bestuur_min_size=3)
    row = result.municipality_rows()[0]
    assert row.civil_servants == pytest.approx(expected["civil_servants"])
    assert row.residents == pytest.approx(expected["residents"])
    assert row.difference == pytest.approx(expected["difference"])
    assert row.blind_spot is expected["blind_spot"]
    assert row.ambition == pytest.approx(expected["ambition"])
    assert round(row.importance, 2) == expected["importance"]
    assert bestuur_targets(ambitions, 3)[("informatie", "taal")] == expected["bestuur_target"]
    # The hidden department keeps no figure of its own either.
    hidden = [r for r in result.rows if r.department == "Klein team"]
    assert hidden[0].civil_servants is None


def test_minimum_group_size_hides_each_group(catalog):
    bank = catalog.latest_residents()
    civil = [CivilServantTheme("A", "informatie", "taal", 80.0)]
    residents = [{"inwoners.brieven": 2}] * 4
    ambitions = [{("informatie", "taal"): Ambition(4, 5)}] * 2
    result = compare([("informatie", "taal")], civil, residents_bank=bank,
                     residents=residents, residents_min_size=5, ambitions=ambitions,
                     bestuur_min_size=3)
    row = result.municipality_rows()[0]
    assert row.civil_servants == 80.0
    assert row.residents is None and row.ambition is None and row.difference is None
    assert result.residents.hidden and result.bestuur.hidden
    assert not row.blind_spot
    assert bestuur_targets(ambitions, 3) == {}
    shown = compare([("informatie", "taal")], civil, residents_bank=bank,
                    residents=residents + [{"inwoners.brieven": 2}], residents_min_size=5)
    assert shown.municipality_rows()[0].residents == 25.0


def test_blind_spot_threshold(catalog):
    bank = catalog.latest_residents()
    residents = [{"inwoners.brieven": 3}] * 5  # 50 points
    for civil_score, flagged in ((50 + BLIND_SPOT_POINTS, True), (74.0, False), (40.0, False)):
        result = compare([("informatie", "taal")],
                         [CivilServantTheme("A", "informatie", "taal", civil_score)],
                         residents_bank=bank, residents=residents)
        assert result.municipality_rows()[0].blind_spot is flagged
    assert target_level(2.5) == 3 and target_level(2.0) == 2 and target_level(3.5) == 4


def test_residents_replaces_names_a_statement_of_an_earlier_version(questions_copy):
    old = questions_copy / "inwoners" / "1.0.0.yaml"
    path = old.with_name("1.1.0.yaml")
    path.write_text(old.read_text(encoding="utf-8"), encoding="utf-8")
    edit(path, "version: 1.0.0\n", "version: 1.1.0\n")
    edit(path, "  - version: 1.0.0", "  - version: 1.1.0")
    edit(path, "  - id: inwoners.brieven\n", "  - id: inwoners.brieven_nieuw\n"
         "    replaces: inwoners.brieven\n")
    line = edit(path, "  - id: inwoners.website\n", "  - id: inwoners.website_nieuw\n") + 1
    edit(path, "  - id: inwoners.website_nieuw\n", "  - id: inwoners.website_nieuw\n"
         "    replaces: inwoners.bestaat_niet\n")
    problems = [str(p) for p in validate_paths([questions_copy])]
    assert any(p.startswith(f"{path}:{line}: statements[1].replaces:")
               and "replaces unknown statement 'inwoners.bestaat_niet'" in p
               for p in problems), problems
    assert not any("inwoners.brieven'" in p for p in problems), problems


def test_latest_residents_is_the_newest_version_of_the_bank_asked_for(questions_copy):
    old = questions_copy / "inwoners" / "1.0.0.yaml"
    path = old.with_name("1.1.0.yaml")
    path.write_text(old.read_text(encoding="utf-8"), encoding="utf-8")
    edit(path, "version: 1.0.0\n", "version: 1.1.0\n")
    edit(path, "  - version: 1.0.0", "  - version: 1.1.0")
    catalog = load_catalog(questions_copy)
    assert catalog.latest_residents().version == "1.1.0"
    assert catalog.latest_residents("inwoners").version == "1.1.0"
    assert catalog.latest_residents("geen_bank") is None
