"""Charts that are ready: a round's charts are rendered once, in the background, whenever its
results change (a response submitted, the round closed or reopened).

:func:`results_changed` is the one call the places that change results make. It queues the
``render_round_charts`` task on the app's Huey queue (:mod:`quickscan.tasks`), coalescing a
burst of submissions into one job, and never fails the caller. The task renders every chart
the round report, the department reports and the results pages show, in every report
language, into the shared chart store (``<instance>/charts`` by default, see
:class:`quickscan.charts.ChartStore`): every app server and process on that folder then reads
the chart instead of drawing it, so a PDF or a results page is built "warm" even in a process
that never drew a chart. Without a consumer the job waits in the queue; a report asked for
before it ran renders its own charts (and stores them), exactly as before.

Configuration: ``CHART_STORE`` (a folder; default ``<instance>/charts``; ``none`` turns the
store off), ``CHART_PRERENDER`` (``auto``: on unless testing; ``1``/``0``),
``CHART_PRERENDER_DELAY`` (seconds to wait so that a burst of submissions renders once; 5),
``CHART_LANGUAGES`` (default ``nl,en``).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask, current_app

from quickscan import charts
from quickscan.extensions import db
from quickscan.models import Round
from quickscan.reporting import report_charts
from quickscan.reporting.content import (
    COMMON_DIMENSION,
    MAX_COMPARED,
    Titles,
    comparison_dimensions,
    comparison_small_chart,
    report_chart,
)

log = logging.getLogger("quickscan.chart_jobs")

TASK = "render_round_charts"
#: Charts no round's set lists (a comparison chosen on a results page, a report in another
#: language) are deleted this many seconds after they were last written.
UNLISTED_MAX_AGE = 7 * 24 * 3600


def _flag(value: object, default: bool) -> bool:
    if isinstance(value, str):
        if value.strip().lower() == "auto":
            return default
        return value.strip().lower() in ("1", "true", "yes", "ja", "on")
    return bool(value)


def configure(app: Flask) -> None:
    """Set the chart store the app's configuration asks for (called by the app factory)."""
    app.config.setdefault("CHART_STORE", "auto")
    app.config.setdefault("CHART_PRERENDER", "auto")
    app.config.setdefault("CHART_PRERENDER_DELAY", 5)
    app.config.setdefault("CHART_LANGUAGES", "nl,en")
    folder = str(app.config["CHART_STORE"] or "none")
    if folder.lower() == "auto":
        folder = "none" if app.testing else str(Path(app.instance_path) / "charts")
    if folder.lower() != "none":
        charts.set_store(charts.ChartStore(folder))


def enabled(app: Flask | None = None) -> bool:
    """True when results changes queue the rendering of the round's charts."""
    app = app or current_app
    return (_flag(app.config.get("CHART_PRERENDER", "auto"), not app.testing)
            and charts.get_store() is not None)


def _languages() -> list[str]:
    value = current_app.config.get("CHART_LANGUAGES", "nl,en")
    items = value.split(",") if isinstance(value, str) else list(value)
    return [item.strip() for item in items if item.strip()] or ["nl"]


def _pending_key(round_id: int) -> str:
    return f"charts-pending-{round_id}"


def results_changed(round_id: int) -> bool:
    """Queue the rendering of a round's charts after its results changed.

    Returns True when a job was queued (False: turned off, or one is already waiting). A
    failure to queue is logged, never raised: the change itself has already been saved.
    """
    if not enabled():
        return False
    from quickscan.tasks import get_huey

    try:
        huey = get_huey()
        render = current_app.extensions["quickscan.tasks"]["render_charts"]
        if huey.immediate:
            render(round_id)
            return True
        if not huey.put_if_empty(_pending_key(round_id), "1"):
            return False  # a job for this round is waiting and will see this change
        try:
            render.schedule((round_id,),
                            delay=int(current_app.config["CHART_PRERENDER_DELAY"]))
        except Exception:
            huey.delete(_pending_key(round_id))  # not queued: the next change tries again
            raise
    except Exception:  # never fail a submit over a chart
        log.exception("chart jobs: could not queue the charts of round %s", round_id)
        return False
    return True


def round_chart_specs(round_: Round) -> list[charts.ChartSpec]:
    """Every chart of the round the reports and results pages show, in every language (the
    comparison's small multiples as a first visit of the results page shows them)."""
    from quickscan.services.reports import report_content, report_input
    from quickscan.services.results import cached_score
    from quickscan.services.rounds import departments_of

    result = cached_score(round_)
    hidden = {d.name for d in result.departments if d.hidden}
    compared = [d.name for d in departments_of(round_) if d.name not in hidden][:MAX_COMPARED]
    specs: list[charts.ChartSpec] = []
    for lang in _languages():
        content = report_content(round_, lang, result=result, comments=False)
        specs += [chart.spec for chart in report_charts(content)]
        data = report_input(round_, lang, result=result, comments=False)
        for name in ("gemeente", "heatmap"):
            try:
                specs.append(report_chart(data, name).spec)
            except LookupError:
                continue
        dimension = next(iter(comparison_dimensions(data.banks, data.texts)), COMMON_DIMENSION)
        titles = Titles(data.banks)
        for department in compared:
            try:
                specs.append(comparison_small_chart(result, titles, data.texts, department,
                                                    dimension).spec)
            except (KeyError, StopIteration):
                continue
    return specs


def render_round_charts(round_id: int) -> dict[str, Any]:
    """The task: render every chart of the round into the chart store (drawing only those
    not stored yet) and forget the charts of its earlier results."""
    from quickscan.services.reports import chart_processes
    from quickscan.tasks import get_huey

    huey = get_huey()
    if not huey.immediate:
        huey.delete(_pending_key(round_id))  # a later change queues a new job
    round_ = db.session.get(Round, round_id)
    store = charts.get_store()
    if round_ is None or store is None:
        db.session.remove()
        return {"round": round_id, "charts": 0}
    try:
        specs = round_chart_specs(round_)
        before = charts.cache_info()["misses"]
        charts.render_many(specs, "png", processes=chart_processes())
        drawn = charts.cache_info()["misses"] - before
        removed = store.keep(f"round-{round_id}",
                             [(charts.chart_key(spec, "png"), "png") for spec in specs])
        removed += store.prune(UNLISTED_MAX_AGE)
    finally:
        db.session.remove()
    log.info("chart jobs: round %s: %d charts ready (%d drawn, %d stale removed)",
             round_id, len(specs), drawn, removed)
    return {"round": round_id, "charts": len(specs), "drawn": max(0, drawn),
            "removed": removed}
