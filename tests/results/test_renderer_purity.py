"""The renderers (``quickscan.reporting``, ``quickscan.charts``) work from plain data alone.

In a fresh interpreter they are imported, fed a hand-made frozen ``ReportInput`` (banks from
``questions/``, a scoring from the pure engine, texts from ``reports/nl.yaml``) and asked for
a report, a PDF and a chart; no web or database framework, model or service may get loaded.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = ("flask", "flask_babel", "flask_sqlalchemy", "sqlalchemy", "quickscan.models",
             "quickscan.extensions", "quickscan.services")

SCRIPT = """
import datetime, sys
from pathlib import Path
import yaml
import quickscan.reporting, quickscan.reporting.pdf, quickscan.reporting.content, quickscan.charts
from quickscan import charts
from quickscan.bank import load_catalog
from quickscan.reporting import build_report
from quickscan.reporting.content import report_chart
from quickscan.reporting.model import (CommentInput, DepartmentInfo, ReportInput, RoundHeader,
                                       freeze)
from quickscan.reporting.pdf import build_pdf
from quickscan.scoring import DepartmentInput, ResponseInput, score_round

catalog = load_catalog(Path("questions"), strict=False)
common = catalog.common_bank()
banks = (common,)
answers = {q.id: index % 5 for index, q in enumerate(common.questions)}
result = score_round(banks, [DepartmentInput("Zuid <b>", (common.id,))],
                     [ResponseInput("Zuid <b>", answers)])
texts = freeze(yaml.safe_load(Path("reports/nl.yaml").read_text(encoding="utf-8")))
question = common.questions[0].id
data = ReportInput(
    round=RoundHeader(7, "Ronde & co", "Gemeente Puur", "open", None),
    departments=(DepartmentInfo(3, "Zuid <b>", (common.id,)),), banks=banks,
    scale=next(iter(catalog.scales.values())), result=result,
    comments=(CommentInput(3, question, "Plain-data opmerking"),), texts=texts, lang="nl",
    date=datetime.date(2026, 1, 2))
content = build_report(data, department_id=3)
assert content.department_report.comments[0].text == "Plain-data opmerking"
assert content.date == datetime.date(2026, 1, 2)
pdf = build_pdf(content, processes=1)
assert pdf.startswith(b"%PDF"), pdf[:10]
png = charts.render(report_chart(data, "heatmap").spec, "png")
assert png.startswith(b"\\x89PNG")
print(",".join(m for m in FORBIDDEN if m in sys.modules))
"""


def test_renderers_load_and_render_without_framework_models_or_services() -> None:
    code = f"FORBIDDEN = {FORBIDDEN!r}\n" + SCRIPT
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""


def test_importing_the_renderers_loads_no_framework() -> None:
    code = ("import sys, quickscan.reporting, quickscan.reporting.pdf, "
            "quickscan.reporting.content, quickscan.reporting.model, quickscan.charts\n"
            f"print(','.join(m for m in {FORBIDDEN!r} if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, check=True)
    assert done.stdout.strip() == ""
