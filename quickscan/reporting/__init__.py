"""Reports of a round: the shared content model, the PDF and the HTML report.

Pure renderers: :func:`~quickscan.reporting.content.build_report` assembles what a report says
from one frozen :class:`~quickscan.reporting.model.ReportInput`;
:mod:`quickscan.reporting.pdf` lays it out as a PDF and the ``templates/report/`` templates as
an accessible web page. This package imports neither Flask nor SQLAlchemy nor the models nor
the services: :mod:`quickscan.services.reports` gathers the input and saves the files.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from quickscan import charts
from quickscan.reporting.content import Chart, ReportContent, build_report
from quickscan.reporting.model import ReportInput

__all__ = ["Chart", "ReportContent", "ReportInput", "build_report", "render_charts",
           "report_charts"]


def report_charts(content: ReportContent) -> Iterator[Chart]:
    """Every chart the PDF shows, in its order: the municipality radar (the summary's overview
    chart) and the radar of every department with figures. The departments × banks heatmap is
    a table in the PDF, so it is not rendered for it."""
    if content.municipality_radar is not None and content.overall:
        yield content.municipality_radar
    for section in content.departments:
        if not section.hidden and section.submitted:
            yield section.radar
    if content.municipal is not None:
        yield content.municipal.radar


def render_charts(content: ReportContent, progress: Callable[[Chart], None] | None = None,
                  processes: int | None = None) -> int:
    """Render (and cache) every chart of a report, in parallel; returns how many there are.

    ``processes`` is the number of worker processes (``None``: one per core; 1 renders in the
    calling process).
    """
    all_charts = list(report_charts(content))
    charts.render_many([chart.spec for chart in all_charts], "png", processes=processes)
    for chart in all_charts:
        if progress is not None:
            progress(chart)
    return len(all_charts)
