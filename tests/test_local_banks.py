"""Local banks ("eigen vragen"): stored in the instance folder, published with a hash, pinned
to a round and scored exactly like the shipped banks."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from flask import Flask

from quickscan.bank import LOCK_FILE, read_lock
from quickscan.models import Answer, Response
from quickscan.services import group_size, local_banks
from quickscan.services import rounds as round_service
from quickscan.services.banks import catalog, reload_catalog, round_bank_map
from quickscan.services.errors import Conflict
from quickscan.services.results import score

LIBRARY = Path(__file__).resolve().parent / "data" / "xlsx"


@pytest.fixture
def local(app: Flask) -> Iterator[Path]:
    """The test's own, empty local-banks folder (the ``app`` fixture makes one per test)."""
    yield Path(app.config["LOCAL_QUESTIONS_DIR"])


def _import_valid() -> local_banks.LocalVersion:
    return local_banks.import_xlsx((LIBRARY / "valid.xlsx").read_bytes(), "valid.xlsx")


def test_invalid_file_stores_nothing(local: Path) -> None:
    with pytest.raises(local_banks.LocalBankProblems) as caught:
        local_banks.import_xlsx((LIBRARY / "empty_statement.xlsx").read_bytes(), "x.xlsx")
    assert caught.value.problems == ("vragen!C3: statement: must not be empty",)
    assert not list(local.rglob("*.yaml"))
    assert local_banks.versions() == []


def test_draft_is_not_in_the_catalogue_until_published(local: Path) -> None:
    draft = _import_valid()
    assert draft.status == local_banks.DRAFT
    assert draft.bank.local is True
    assert ("armoede", "1.0.0") not in catalog().banks
    published = local_banks.publish("armoede", "1.0.0")
    assert published.published
    assert read_lock(local / LOCK_FILE) == {"armoede": {"1.0.0": draft.bank.sha256}}
    assert catalog().banks[("armoede", "1.0.0")].sha256 == draft.bank.sha256
    assert catalog().banks[("armoede", "1.0.0")].local
    with pytest.raises(Conflict):
        local_banks.publish("armoede", "1.0.0")
    with pytest.raises(local_banks.LocalBankProblems) as caught:
        _import_valid()  # the same version again: published versions never change
    assert caught.value.problems[0].startswith("bank!B3: version: version 1.0.0 is already")


def test_tampered_published_file_leaves_the_catalogue(local: Path) -> None:
    _import_valid()
    local_banks.publish("armoede", "1.0.0")
    path = local / "armoede" / "1.0.0.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("Armoede in onze", "Anders"),
                    encoding="utf-8")
    reload_catalog()
    assert ("armoede", "1.0.0") not in catalog().banks


def test_local_id_may_not_clash_with_a_shipped_bank(local: Path) -> None:
    content = local_banks.content_of(catalog().latest("wonen"))
    with pytest.raises(local_banks.LocalBankProblems) as caught:
        local_banks.save_draft(content)
    assert any("is the id of a shipped bank" in p for p in caught.value.problems)


def test_editing_a_published_bank_makes_a_new_draft_version(local: Path) -> None:
    _import_valid()
    local_banks.publish("armoede", "1.0.0")
    draft = local_banks.editable("armoede", "1.0.0")
    assert draft.bank.version == "1.1.0" and draft.status == local_banks.DRAFT
    assert draft.bank.changelog[0].version == "1.1.0"
    assert local_banks.editable("armoede", "1.0.0").bank.version == "1.1.0"
    # A meaning change: a new id that replaces the old one (which must exist earlier).
    content = local_banks.content_of(draft.bank)
    question = content["themes"][0]["questions"][0]
    question["replaces"] = question["id"]
    question["id"] = "armoede.toegang.aanvraag_digitaal"
    question["statement"] = "Een aanvraag kan ook digitaal met DigiD en met hulp."
    saved = local_banks.save_draft(content)
    assert saved.bank.questions[0].replaced_ids == ("armoede.toegang.aanvraag",)
    question["replaces"] = "armoede.toegang.bestaat_niet"
    with pytest.raises(local_banks.LocalBankProblems) as caught:
        local_banks.save_draft(content)
    assert caught.value.problems == (
        ("themes[0].questions[0].replaces: replaces unknown question "
        "'armoede.toegang.bestaat_niet' (not in an earlier version of this bank)"),)


def test_local_bank_is_pinned_and_scored_like_a_shipped_bank(local: Path) -> None:
    draft = _import_valid()
    local_banks.publish("armoede", "1.0.0")
    round_ = round_service.create_round(
        "Ronde", "Gemeente", banks={"armoede": None},
        departments=[("Sociaal domein", ["armoede"])], secret_key="k")
    group_size.set_min_group_size(round_, 1)  # one respondent: k = 1 shows its figures
    pinned = next(rb for rb in round_.banks if rb.bank_id == "armoede")
    assert (pinned.version, pinned.sha256) == ("1.0.0", draft.bank.sha256)
    assert round_bank_map(round_)["armoede"].local
    department = round_.departments[0]
    response = Response(department_id=department.id, resume_token_hash="x" * 64,
                        status="submitted")
    from quickscan.extensions import db

    db.session.add(response)
    db.session.flush()
    for question in draft.bank.questions:
        db.session.add(Answer(response_id=response.id, question_id=question.id, value="2"))
    db.session.commit()
    result = score(round_)
    themes = [t for d in result.departments for t in d.themes() if t.bank_id == "armoede"]
    assert themes and themes[0].score == 50.0  # level 2 = 50 points


def test_yaml_download_loads_back_to_the_same_bank(local: Path) -> None:
    draft = _import_valid()
    data = yaml.safe_load(local_banks.yaml_text(draft.bank))
    assert data["local"] is True
    from quickscan.bank import parse_bank

    assert parse_bank(data, scales=catalog().scales).sha256 == draft.bank.sha256


def test_cli_import_export_publish(app: Flask, local: Path, tmp_path: Path) -> None:
    runner = app.test_cli_runner()
    bad = runner.invoke(args=["banks", "import-xlsx", str(LIBRARY / "duplicate_id.xlsx")])
    assert bad.exit_code == 1
    assert "vragen!B3: id: duplicate question id 'armoede.toegang.aanvraag'" in bad.output
    assert not list(local.rglob("*.yaml"))
    good = runner.invoke(args=["banks", "import-xlsx", str(LIBRARY / "valid.xlsx")])
    assert good.exit_code == 0, good.output
    published = runner.invoke(args=["banks", "publish-local", "armoede", "1.0.0"])
    assert published.exit_code == 0, published.output
    out = tmp_path / "out.xlsx"
    exported = runner.invoke(args=["banks", "export-xlsx", "armoede", "1.0.0", "--out",
                                   str(out)])
    assert exported.exit_code == 0, exported.output
    from quickscan.bank_xlsx import read_bank_xlsx

    back = read_bank_xlsx(out.read_bytes(), filename="out.xlsx", scales=catalog().scales)
    assert back.bank == catalog().banks[("armoede", "1.0.0")]
    shipped = runner.invoke(args=["banks", "export-xlsx", "wonen", "2.0.0", "--out",
                                  str(tmp_path / "w.xlsx")])
    assert shipped.exit_code == 0, shipped.output
    listed = runner.invoke(args=["banks", "local"])
    assert "armoede\t1.0.0\tpublished" in listed.output


FORMULA = '=HYPERLINK("http://evil.example","klik")'


def test_exports_mark_local_banks_and_keep_formulas_inert(local: Path) -> None:
    import csv
    import io
    import json

    from openpyxl import load_workbook

    from quickscan.extensions import db
    from quickscan.services import exports

    draft = _import_valid()
    content = local_banks.content_of(draft.bank)
    content["version"] = "1.0.1"
    content["changelog"].insert(0, {"version": "1.0.1", "date": "2026-12-01",
                                    "changes": "Titel."})
    content["themes"][0]["title"] = FORMULA
    local_banks.save_draft(content)
    local_banks.publish("armoede", "1.0.1")
    round_ = round_service.create_round(
        "Ronde", "Gemeente", banks={"armoede": "1.0.1"},
        departments=[("Sociaal domein", ["armoede"])], secret_key="k")
    group_size.set_min_group_size(round_, 1)  # one respondent: k = 1 shows its figures
    from quickscan.models import utcnow

    response = Response(department_id=round_.departments[0].id, resume_token_hash="y" * 64,
                        status="submitted", submitted_at=utcnow())
    db.session.add(response)
    db.session.flush()
    for question in draft.bank.questions:
        db.session.add(Answer(response_id=response.id, question_id=question.id, value="3"))
    db.session.commit()
    text = exports.to_csv(round_, "scores").decode("utf-8-sig")
    column_of = {label: column for column, label in exports.export_labels().headers.items()}
    rows = [{column_of[label]: value for label, value in row.items()}
            for row in csv.DictReader(io.StringIO(text), delimiter=";")]  # headers are labels
    mine = [row for row in rows if row["bank"] == "armoede"]
    assert mine and mine[0]["bank_title"] == "Armoede in onze gemeente (eigen vragen)"
    assert mine[0]["theme_title"] == "'" + FORMULA
    sheet_cells = [cell for sheet in load_workbook(io.BytesIO(exports.to_xlsx(round_)))
                   for row in sheet.iter_rows() for cell in row]
    assert not any(cell.data_type == "f" for cell in sheet_cells)
    document = json.loads(exports.to_json(round_))
    pinned = next(bank for bank in document["round"]["banks"] if bank["id"] == "armoede")
    assert pinned["content"]["local"] is True
    assert pinned["content"]["themes"][0]["title"] == FORMULA  # the snapshot stays exact


def _coordinator_client(app: Flask):  # type: ignore[no-untyped-def]
    from quickscan.services.accounts import create_user
    from tests.results.conftest import login

    client = app.test_client()
    login(client, create_user("coordinator@gemeente.example", "een-lang-wachtwoord",
                              "coordinator"))
    return client


def _csrf(client) -> str:  # type: ignore[no-untyped-def]
    from flask import g

    from tests.rounds_helpers import CSRF_RE

    g.pop("csrf_token", None)
    match = CSRF_RE.search(client.get("/eigen-vragen").get_data(as_text=True))
    assert match
    return match.group(1)


@pytest.mark.parametrize(("name", "status", "expected"), [
    ("macro.xlsm", 422, "a macro-enabled workbook (.xlsm) is refused"),
    ("macro_renamed.xlsx", 422, "the file holds macros"),
    ("formula_cell.xlsx", 422, "vragen!C2: statement: formules zijn niet toegestaan"),
    ("missing_sheet.xlsx", 422, "themas!A1: (sheet): sheet &#39;themas&#39; is missing"),
    ("oversized.xlsx", 413, ""),
])
def test_web_upload_refuses_and_stores_nothing(app: Flask, local: Path, name: str,
                                               status: int, expected: str) -> None:
    import io

    client = _coordinator_client(app)
    response = client.post("/eigen-vragen/upload", data={
        "csrf_token": _csrf(client),
        "file": (io.BytesIO((LIBRARY / name).read_bytes()), name)},
        content_type="multipart/form-data")
    assert response.status_code == status
    assert expected in response.get_data(as_text=True)
    assert not list(local.rglob("*.yaml"))


def test_web_yaml_download_and_publish(app: Flask, local: Path) -> None:
    _import_valid()
    client = _coordinator_client(app)
    page = client.get("/eigen-vragen/armoede/1.0.0")
    assert page.status_code == 200 and "Concept" in page.get_data(as_text=True)
    published = client.post("/eigen-vragen/armoede/1.0.0/publiceren",
                            data={"csrf_token": _csrf(client)})
    assert published.status_code == 303
    download = client.get("/eigen-vragen/armoede/1.0.0/download.yaml")
    assert download.status_code == 200
    assert "attachment" in download.headers["Content-Disposition"]
    assert yaml.safe_load(download.data)["id"] == "armoede"
    assert client.get("/eigen-vragen/armoede/1.0.0/download.pdf").status_code == 404
