"""The bank loader: every deliberately broken bank in tests/data/broken fails with its exact
message (through :func:`validate_paths` and through ``quickscan banks validate``), valid banks
load into frozen objects, snapshots round-trip, and the list/publish commands work."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import get_args

import pytest
import yaml
from click.testing import Result
from flask import Flask
from pydantic import ValidationError

from quickscan import create_app, frameworks
from quickscan.bank import (
    DONT_KNOW,
    NOT_APPLICABLE,
    Bank,
    BankError,
    Group,
    Levensdomein,
    Principle,
    Problem,
    bank_content,
    bank_from_snapshot,
    content_hash,
    load_bank_file,
    load_catalog,
    parse_bank,
    read_lock,
    validate_paths,
)

DATA = Path(__file__).resolve().parent / "data"
BROKEN = DATA / "broken"
VALID = DATA / "valid"

#: Every broken bank (a file, or a folder validated as a whole) and the exact lines it yields,
#: as (file relative to tests/data/broken, line, path, message).
EXPECTED: dict[str, list[tuple[str, int, str, str]]] = {
    "yaml_syntax.yaml": [
        ("yaml_syntax.yaml", 8, "(document)", "invalid YAML: expected ',' or ']', but got ':'")],
    "duplicate_key.yaml": [("duplicate_key.yaml", 5, "title", "duplicate key")],
    "duplicate_theme_id.yaml": [
        ("duplicate_theme_id.yaml", 31, "themes[1].id", "duplicate theme id 'toegang'")],
    "duplicate_question_id.yaml": [
        ("duplicate_question_id.yaml", 31, "themes[0].questions[1].id",
         "duplicate question id 'proef.toegang.loket'")],
    "duplicate_statement.yaml": [
        ("duplicate_statement.yaml", 32, "themes[0].questions[1].statement",
         "same statement as question 'proef.toegang.loket'")],
    "unknown_scale.yaml": [
        ("unknown_scale.yaml", 6, "scale", "unknown scale 'sterren' (known: volwassenheid)")],
    "target_out_of_range.yaml": [
        ("target_out_of_range.yaml", 17, "themes[0].target", "5 is out of range: must be at most 4")],
    "missing_statement.yaml": [
        ("missing_statement.yaml", 19, "themes[0].questions[0].statement",
         "required field is missing")],
    "missing_help.yaml": [
        ("missing_help.yaml", 19, "themes[0].questions[0].help", "required field is missing")],
    "missing_next_step.yaml": [
        ("missing_next_step.yaml", 19, "themes[0].questions[0].next_step",
         "required field is missing")],
    "empty_text.yaml": [("empty_text.yaml", 14, "themes[0].title", "must not be empty")],
    "empty_help_text.yaml": [
        ("empty_help_text.yaml", 23, "themes[0].questions[0].help.3", "must not be empty")],
    "weight_not_a_number.yaml": [
        ("weight_not_a_number.yaml", 25, "themes[0].questions[0].weight",
         "expected a number, got 'zwaar'")],
    "weight_zero.yaml": [
        ("weight_zero.yaml", 25, "themes[0].questions[0].weight",
         "0 is out of range: must be more than 0")],
    "themes_not_a_list.yaml": [
        ("themes_not_a_list.yaml", 12, "themes", "expected a list, got a mapping")],
    "no_themes.yaml": [("no_themes.yaml", 12, "themes", "must have at least 1 item(s)")],
    "common_not_boolean.yaml": [
        ("common_not_boolean.yaml", 7, "common", "expected true or false, got 'soms'")],
    "bad_date.yaml": [
        ("bad_date.yaml", 10, "changelog[0].date", "expected a date (YYYY-MM-DD), got 'gisteren'")],
    "bad_version.yaml": [
        ("bad_version.yaml", 3, "version",
         "'1.0' is not a semantic version (MAJOR.MINOR.PATCH)")],
    "version_mismatch": [
        ("version_mismatch/proef/1.0.0.yaml", 3, "version",
         "version 1.0.1 does not match file name 1.0.0.yaml")],
    "folder_mismatch": [
        ("folder_mismatch/wonen/1.0.0.yaml", 2, "id", "bank id 'proef' does not match folder 'wonen'")],
    "published_changed": [
        ("published_changed/proef/1.0.0.yaml", 3, "version",
         ("content changed under published version 1.0.0 (sha256 20a25e8d2aa0…, published "
          "e48499961c92…); publish the change as a new version"))],
    "unknown_field.yaml": [
        ("unknown_field.yaml", 25, "themes[0].questions[0].weging", "unknown field")],
    "sha256_field.yaml": [("sha256_field.yaml", 7, "sha256", "unknown field")],
    "unknown_crpd_article.yaml": [
        ("unknown_crpd_article.yaml", 28, "themes[0].questions[0].tags.crpd",
         "'51' is not a CRPD article number (1-50, e.g. '9' or '4.3')")],
    "unknown_levensdomein.yaml": [
        ("unknown_levensdomein.yaml", 7, "levensdomeinen[1]",
         ("'sport' is not one of 'onderwijs', 'thuis', 'werk_inkomen', 'vrije_tijd', 'vervoer' "
          "or 'welzijn'"))],
    "help_missing_level_3.yaml": [
        ("help_missing_level_3.yaml", 21, "themes[0].questions[0].help",
         "help must describe levels 2, 3 and 4; missing: 3")],
    "help_level_out_of_range.yaml": [
        ("help_level_out_of_range.yaml", 25, "themes[0].questions[0].help.5",
         "5 is out of range: must be at most 4")],
    "question_id_without_bank_prefix.yaml": [
        ("question_id_without_bank_prefix.yaml", 19, "themes[0].questions[0].id",
         "question id must start with 'proef.'")],
    "question_id_pattern.yaml": [
        ("question_id_pattern.yaml", 19, "themes[0].questions[0].id",
         "'ToegangLoket' must be '<bank>.<theme>.<name>' in lowercase letters, digits and '_'")],
    "replaces_itself.yaml": [
        ("replaces_itself.yaml", 26, "themes[0].questions[0].replaces",
         "a question cannot replace itself")],
    "replaces_unknown": [
        ("replaces_unknown/proef/1.1.0.yaml", 29, "themes[0].questions[0].replaces",
         "replaces unknown question 'proef.toegang.balie' (not in an earlier version of this bank)")],
    "no_changelog_entry.yaml": [
        ("no_changelog_entry.yaml", 8, "changelog", "no changelog entry for version 1.1.0")],
    "movisie_out_of_range.yaml": [
        ("movisie_out_of_range.yaml", 30, "themes[0].questions[0].tags.movisie",
         "8 is out of range: must be at most 7")],
    "duplicate_bank": [
        ("duplicate_bank/proef/kopie.yaml", 3, "version",
         f"bank proef 1.0.0 is defined twice (also in {BROKEN / 'duplicate_bank/proef/1.0.0.yaml'})")],
    "not_a_mapping.yaml": [
        ("not_a_mapping.yaml", 1, "(document)", "a bank must be a mapping of fields")],
    "empty_file.yaml": [("empty_file.yaml", 1, "(document)", "a bank must be a mapping of fields")],
}


def expected_lines(case: str) -> list[str]:
    """The exact output lines expected for one broken case."""
    return [str(Problem(str(BROKEN / file), line, path, message))
            for file, line, path, message in EXPECTED[case]]


@pytest.fixture(scope="module")
def cli_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """A bare app for the ``quickscan banks`` commands (they do not touch the database)."""
    tmp = tmp_path_factory.mktemp("cli")
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp / 'cli.db'}",
                      "SECRET_KEY": "test-secret", "QUESTIONS_DIR": str(VALID)})
    yield app


def run_cli(app: Flask, *args: str) -> Result:
    """Invoke ``quickscan <args>`` on the test app."""
    return app.test_cli_runner().invoke(args=list(args))


# --------------------------------------------------------------------------- broken banks


def test_every_broken_bank_has_an_expected_message() -> None:
    on_disk = {p.name for p in BROKEN.iterdir()}
    assert on_disk == set(EXPECTED)
    assert len(EXPECTED) >= 15


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_broken_bank_reports_exact_problem(case: str) -> None:
    problems = validate_paths([BROKEN / case])
    assert [str(p) for p in problems] == expected_lines(case)


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_cli_validate_fails_with_exact_lines(cli_app: Flask, case: str) -> None:
    result = run_cli(cli_app, "banks", "validate", str(BROKEN / case))
    assert result.exit_code == 1
    assert result.stdout.splitlines() == expected_lines(case)


def test_load_bank_file_raises_bank_error_with_every_problem() -> None:
    with pytest.raises(BankError) as caught:
        load_bank_file(BROKEN / "missing_help.yaml")
    assert [str(p) for p in caught.value.problems] == expected_lines("missing_help.yaml")
    assert str(caught.value) == expected_lines("missing_help.yaml")[0]


def test_several_problems_in_one_file_are_all_reported() -> None:
    text = (VALID / "proef" / "1.0.0.yaml").read_text(encoding="utf-8")
    text = text.replace("movisie: 6\n          routekaart: [9]", "movisie: 9\n          routekaart: [9]")
    text = text.replace("weight: 2", "weight: veel")
    with pytest.raises(BankError) as caught:
        parse_bank(yaml.safe_load(text), name="x.yaml")
    messages = sorted((p.path, p.message) for p in caught.value.problems)
    assert messages == [
        ("themes[0].questions[0].tags.movisie", "9 is out of range: must be at most 7"),
        ("themes[0].questions[1].weight", "expected a number, got 'veel'"),
    ]


def test_validate_whole_broken_folder_reports_every_case() -> None:
    problems = validate_paths([BROKEN])
    expected = sorted(line for case in EXPECTED for line in expected_lines(case)
                      if case not in ("replaces_unknown", "duplicate_bank"))
    # Without scales.yaml at the top the folder is checked file by file (no cross-file checks).
    assert sorted(str(p) for p in problems) == expected


def test_validate_missing_path() -> None:
    missing = DATA / "nope"
    assert [str(p) for p in validate_paths([missing])] == [
        f"{missing}:1: (document): no such file or folder"]


# --------------------------------------------------------------------------- valid banks


def test_cli_validate_valid_folder_exits_0(cli_app: Flask) -> None:
    result = run_cli(cli_app, "banks", "validate", str(VALID))
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "3 bank file(s) valid."


def test_valid_bank_loads_into_frozen_objects() -> None:
    bank = load_bank_file(VALID / "proef" / "1.0.0.yaml")
    assert isinstance(bank, Bank)
    assert (bank.id, bank.version, bank.title) == ("proef", "1.0.0", "Proefbank")
    assert [t.id for t in bank.themes] == ["toegang", "vervoer"]
    assert [t.target for t in bank.themes] == [3, 2]  # default 3, explicit 2
    question = bank.question("proef.toegang.oud_formulier")
    assert question.weight == 2.0
    assert bank.question("proef.toegang.loket").weight == 1.0  # default
    assert question.help[3] == "Alle formulieren zijn in B1-taal."
    assert bank.theme_of("proef.vervoer.haltes").id == "vervoer"
    assert bank.question("proef.vervoer.haltes").tags.groups == ("handicap",)
    assert bank.scale == "volwassenheid" and bank.common is False
    with pytest.raises(ValidationError):
        bank.title = "Anders"  # type: ignore[misc]
    with pytest.raises(ValidationError):
        bank.themes[0].target = 4  # type: ignore[misc]
    with pytest.raises(ValidationError):
        question.statement = "Anders"  # type: ignore[misc]
    with pytest.raises(TypeError):
        question.help[3] = "Anders"  # type: ignore[index]
    with pytest.raises(AttributeError):
        bank.themes.append(bank.themes[0])  # type: ignore[attr-defined]


def test_scale_labels() -> None:
    catalog = load_catalog(VALID)
    scale = catalog.scales["volwassenheid"]
    assert [scale.label(v) for v in range(5)] == [
        "Niet gestart", "Verkennend", "In ontwikkeling", "Structureel ingebed", "Geborgd en lerend"]
    assert scale.label(DONT_KNOW) == "Weet ik niet"
    assert scale.label(NOT_APPLICABLE) == "Niet van toepassing"


def test_snapshot_round_trip() -> None:
    path = VALID / "proef" / "1.1.0.yaml"
    bank = load_bank_file(path)
    content = bank_content(path)
    rebuilt = bank_from_snapshot(content)
    assert rebuilt == bank
    assert rebuilt.sha256 == bank.sha256 == content_hash(content)
    # The snapshot is plain JSON data (dates as text, help levels as text keys).
    assert content["changelog"][0]["date"] == "2026-03-01"
    assert set(content["themes"][0]["questions"][0]["help"]) == {"2", "3", "4"}


def test_content_hash_ignores_formatting_and_comments_but_not_content(tmp_path: Path) -> None:
    original = VALID / "proef" / "1.0.0.yaml"
    text = original.read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    reformatted = tmp_path / "proef" / "1.0.0.yaml"
    reformatted.parent.mkdir()
    reformatted.write_text("# another comment\n" + yaml.safe_dump(data, sort_keys=True, width=60,
                                                                  allow_unicode=True),
                           encoding="utf-8")
    assert load_bank_file(reformatted).sha256 == load_bank_file(original).sha256
    commented = text.replace("title: Proefbank", "title: Proefbank   # the name shown")
    assert content_hash(yaml.safe_load(commented)) == content_hash(data)
    changed = text.replace("Bushaltes zijn", "Alle bushaltes zijn")
    assert content_hash(yaml.safe_load(changed)) != content_hash(data)


def test_catalog_picks_the_newest_version() -> None:
    catalog = load_catalog(VALID)
    assert catalog.versions("proef") == ["1.0.0", "1.1.0"]
    assert catalog.latest("proef").version == "1.1.0"
    assert catalog.get("proef").version == "1.1.0"
    assert catalog.get("proef", "1.0.0").version == "1.0.0"
    assert [b.id for b in catalog.latest_banks()] == ["gedeeld", "proef"]  # common bank first
    common = catalog.common_bank()
    assert common is not None and common.id == "gedeeld"
    with pytest.raises(KeyError):
        catalog.latest("onbekend")


def test_catalog_orders_versions_numerically_and_prereleases_first(tmp_path: Path) -> None:
    root = tmp_path / "questions"
    shutil.copytree(VALID, root)
    source = (root / "proef" / "1.1.0.yaml").read_text(encoding="utf-8")
    for version in ("1.10.0", "1.2.0", "2.0.0-beta.1"):
        text = source.replace("version: 1.1.0", f"version: {version}").replace(
            "proef.toegang.oud_formulier", "proef.toegang.loket")
        text = text.replace("        replaces: proef.toegang.loket\n", "")
        (root / "proef" / f"{version}.yaml").write_text(text, encoding="utf-8")
    catalog = load_catalog(root)
    assert catalog.versions("proef") == ["1.0.0", "1.1.0", "1.2.0", "1.10.0", "2.0.0-beta.1"]
    (root / "proef" / "2.0.0.yaml").write_text(
        source.replace("version: 1.1.0", "version: 2.0.0").replace(
            "        replaces: proef.toegang.oud_formulier\n", ""), encoding="utf-8")
    assert load_catalog(root).latest("proef").version == "2.0.0"


def test_catalog_not_strict_leaves_invalid_files_out(tmp_path: Path) -> None:
    root = tmp_path / "questions"
    shutil.copytree(VALID, root)
    (root / "proef" / "1.2.0.yaml").write_text("id: proef\nversion: [", encoding="utf-8")
    with pytest.raises(BankError):
        load_catalog(root)
    catalog = load_catalog(root, strict=False)
    assert catalog.latest("proef").version == "1.1.0"


def test_cli_list(cli_app: Flask) -> None:
    result = run_cli(cli_app, "banks", "list", "--questions", str(VALID))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "gedeeld\t1.0.0\tGedeelde vragen\t1 thema's\t1 vragen",
        "proef\t1.0.0\tProefbank\t2 thema's\t3 vragen",
        "proef\t1.1.0\tProefbank\t2 thema's\t3 vragen",
    ]


def test_cli_list_refuses_invalid_folder(cli_app: Flask) -> None:
    result = run_cli(cli_app, "banks", "list", "--questions", str(BROKEN / "replaces_unknown"))
    assert result.exit_code == 1
    assert expected_lines("replaces_unknown")[0] in result.output


def test_cli_publish_records_hashes_and_refuses_changed_content(cli_app: Flask,
                                                                tmp_path: Path) -> None:
    root = tmp_path / "questions"
    shutil.copytree(VALID, root)
    result = run_cli(cli_app, "banks", "publish", "--questions", str(root))
    assert result.exit_code == 0, result.output
    lock = read_lock(root / "published.lock")
    assert lock == {
        "gedeeld": {"1.0.0": load_bank_file(root / "gedeeld" / "1.0.0.yaml").sha256},
        "proef": {"1.0.0": load_bank_file(root / "proef" / "1.0.0.yaml").sha256,
                  "1.1.0": load_bank_file(root / "proef" / "1.1.0.yaml").sha256},
    }
    assert "3 version(s) newly published." in result.stdout

    # Publishing again adds nothing; reformatting a published file is allowed.
    path = root / "proef" / "1.0.0.yaml"
    path.write_text("# reformatted\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    again = run_cli(cli_app, "banks", "publish", "--questions", str(root))
    assert again.exit_code == 0, again.output
    assert "0 version(s) newly published." in again.stdout
    assert read_lock(root / "published.lock") == lock

    # Changing the content of a published version is refused, by publish and by validate.
    path.write_text(path.read_text(encoding="utf-8").replace(
        "Bushaltes zijn toegankelijk", "Alle bushaltes zijn toegankelijk"), encoding="utf-8")
    changed = load_bank_file(path, lock={}).sha256
    line = (f"{path}:4: version: content changed under published version 1.0.0 "
            f"(sha256 {changed[:12]}…, published {lock['proef']['1.0.0'][:12]}…); "
            "publish the change as a new version")
    refused = run_cli(cli_app, "banks", "publish", "--questions", str(root))
    assert refused.exit_code == 1
    assert refused.stdout.splitlines() == [line]
    assert read_lock(root / "published.lock") == lock
    validated = run_cli(cli_app, "banks", "validate", str(root))
    assert validated.exit_code == 1
    assert validated.stdout.splitlines() == [line]
    single = run_cli(cli_app, "banks", "validate", str(path))
    assert single.stdout.splitlines() == [line]


def test_bank_vocabularies_match_the_frameworks() -> None:
    assert set(get_args(Levensdomein)) == set(frameworks.LEVENSDOMEINEN)
    assert set(get_args(Principle)) == set(frameworks.PRINCIPLES)
    assert set(get_args(Group)) == set(frameworks.GROUPS)
    assert frameworks.dimension_labels("movisie")["7"] == frameworks.MOVISIE_STEPS[7]
    assert set(frameworks.dimension_labels("levensdomein")) == set(frameworks.LEVENSDOMEINEN)
    with pytest.raises(KeyError):
        frameworks.dimension_labels("onbekend")


def test_malformed_lock_file_is_reported(tmp_path: Path) -> None:
    lock = tmp_path / "published.lock"
    lock.write_text("- proef\n", encoding="utf-8")
    with pytest.raises(BankError) as caught:
        read_lock(lock)
    assert [str(p) for p in caught.value.problems] == [
        f"{lock}:1: (document): expected a mapping of bank id to version to sha256"]
