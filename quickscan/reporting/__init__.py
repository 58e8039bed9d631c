"""Reports of a round: the shared content model, the PDF and the HTML report.

``build_report`` (in :mod:`quickscan.reporting.content`) assembles what a report says from the
scoring engine's result; :mod:`quickscan.reporting.pdf` lays it out as a PDF and the
``templates/report/`` templates as an accessible web page. Generated files go to the instance
folder (``instance/reports/``), never into the repository.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from pathlib import Path

from flask import current_app

from quickscan import charts
from quickscan.models import Department, Round
from quickscan.reporting.content import Chart, ReportContent, build_report
from quickscan.scoring import RoundResult
from quickscan.services.results import score


def report_charts(content: ReportContent) -> Iterator[Chart]:
    """Every chart a report contains, in the order the PDF shows them."""
    if content.municipality_radar is not None:
        yield content.municipality_radar
    if content.heatmap is not None:
        yield content.heatmap
    for section in content.departments:
        yield section.radar


def render_charts(content: ReportContent, progress: Callable[[Chart], None] | None = None
                  ) -> int:
    """Render (and cache) every chart of a report, in parallel; returns how many there are."""
    all_charts = list(report_charts(content))
    charts.render_many([chart.spec for chart in all_charts], "png",
                       processes=chart_processes())
    for chart in all_charts:
        if progress is not None:
            progress(chart)
    return len(all_charts)


def chart_processes() -> int | None:
    """Worker processes for rendering a report's charts (config ``CHART_PROCESSES``).

    ``None`` (the default) uses every core; 1 renders in the calling process.
    """
    from flask import has_app_context

    if has_app_context() and current_app.config.get("CHART_PROCESSES") is not None:
        return int(current_app.config["CHART_PROCESSES"])
    return None


def pdf_report(round_: Round, department: Department | None = None, lang: str = "nl",
               result: RoundResult | None = None) -> bytes:
    """The PDF report of a round, or of one of its departments, as bytes."""
    from quickscan.reporting.pdf import build_pdf

    content = build_report(round_, result or score(round_), lang, department=department)
    return build_pdf(content)


def reports_folder() -> Path:
    """The folder generated reports are written to: ``<instance>/reports``."""
    folder = Path(current_app.instance_path) / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _slug(value: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-")[:60] or "rapport"


def report_filename(round_: Round, department: Department | None = None) -> str:
    """A download file name such as ``quickscan-ronde-3-sociaal-domein.pdf``."""
    name = f"quickscan-ronde-{round_.id}"
    if department is not None:
        name += f"-{_slug(department.name)}"
    return name + ".pdf"


def save_report(data: bytes, round_: Round, department: Department | None = None) -> Path:
    """Write a generated report into the instance folder and return its path.

    The name carries a hash of the content; older versions of the same report are removed,
    so the folder holds one file per round report and department report.
    """
    digest = hashlib.sha256(data).hexdigest()[:12]
    stem = report_filename(round_, department).removesuffix(".pdf")
    folder = reports_folder()
    path = folder / f"{stem}-{digest}.pdf"
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
    pattern = re.compile(re.escape(stem) + r"-[0-9a-f]{12}\.pdf")
    for old in folder.glob(f"{stem}-*.pdf"):
        if old != path and pattern.fullmatch(old.name):
            old.unlink(missing_ok=True)
    return path
