"""Whole-round PDF reports of large rounds, built as background jobs with a progress page.

A round with more departments than ``REPORT_DIRECT_MAX_DEPARTMENTS`` (default 10) gets its
PDF and its publication PDF through a job instead of one long request: :func:`start_job` queues the ``build_report``
task on the app's Huey queue (:mod:`quickscan.tasks`) and returns an unguessable job id; the
task (:func:`run_job`) records its progress (reading the data, drawing the charts batch by
batch, laying out the PDF) and finally the PDF itself in the queue's key-value storage, which
every app server and worker shares (the SQLite file in the instance folder, or Redis). A job
for the same round, language and results is reused, so a second coordinator asking for the same
report gets the finished one at once. Small rounds keep their direct download.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import current_app

from quickscan import charts
from quickscan.extensions import db
from quickscan.models import Round
from quickscan.reporting import report_charts

log = logging.getLogger("quickscan.report_jobs")

TASK = "build_report"
#: Charts drawn per progress step.
CHART_BATCH = 8
#: The stages of a job, in order (the view shows a Dutch text for each).
STAGES = ("queued", "reading", "charts", "layout", "done", "failed")


@dataclass(frozen=True)
class JobStatus:
    """Where a report job is: its stage, a percentage and, when done, the file name."""

    id: str
    round_id: int
    lang: str
    stage: str
    percent: int
    version: str
    created: float
    charts_done: int = 0
    charts_total: int = 0
    #: The accessible publication PDF (PDF/UA-1, WeasyPrint) instead of the designed one.
    publication: bool = False

    @property
    def ready(self) -> bool:
        """True when the PDF can be downloaded."""
        return self.stage == "done"

    @property
    def failed(self) -> bool:
        """True when the job failed (a new one can be started)."""
        return self.stage == "failed"

    @property
    def finished(self) -> bool:
        """True when the job will not change any more."""
        return self.ready or self.failed


def direct_download(round_: Round) -> bool:
    """True when the round is small enough for its PDF to be sent in the request itself."""
    limit = int(current_app.config.get("REPORT_DIRECT_MAX_DEPARTMENTS", 10))
    return len(round_.departments) <= limit


def _huey() -> Any:
    from quickscan.tasks import get_huey

    return get_huey()


def _status_key(job_id: str) -> str:
    return f"report-job-{job_id}"


def _pdf_key(job_id: str) -> str:
    return f"report-pdf-{job_id}"


def _latest_key(round_id: int, lang: str, publication: bool = False) -> str:
    return f"report-latest-{round_id}-{lang}{'-publicatie' if publication else ''}"


def _version(round_: Round, lang: str) -> str:
    from quickscan.services.results import results_version

    return hashlib.sha256(repr((results_version(round_), round_.name, round_.status,
                                lang)).encode("utf-8")).hexdigest()[:16]


def _save(status: JobStatus) -> None:
    _huey().put(_status_key(status.id), status.__dict__.copy())


def job_status(job_id: str) -> JobStatus | None:
    """The status of a job, or None for an unknown (or removed) job id."""
    if not job_id or len(job_id) > 64:
        return None
    data = _huey().get(_status_key(job_id), peek=True)
    return JobStatus(**data) if isinstance(data, dict) else None


def job_pdf(job_id: str) -> bytes | None:
    """The finished job's PDF, or None."""
    data = _huey().get(_pdf_key(job_id), peek=True)
    return data if isinstance(data, bytes) else None


def current_job(round_: Round, lang: str, publication: bool = False) -> JobStatus | None:
    """The job for the round's present results in ``lang`` that has not failed, if any."""
    latest = _huey().get(_latest_key(round_.id, lang, publication), peek=True)
    if not isinstance(latest, str):
        return None
    status = job_status(latest)
    if status is None or status.failed or status.version != _version(round_, lang):
        return None
    return status


def _forget(job_id: str) -> None:
    huey = _huey()
    huey.delete(_pdf_key(job_id))
    huey.delete(_status_key(job_id))


def start_job(round_: Round, lang: str, publication: bool = False) -> JobStatus:
    """Queue the round's PDF report in ``lang`` (or return the job already made for the same
    results); the previous job of the round, language and kind is removed."""
    existing = current_job(round_, lang, publication)
    if existing is not None:
        return existing
    huey = _huey()
    previous = huey.get(_latest_key(round_.id, lang, publication), peek=True)
    if isinstance(previous, str):
        _forget(previous)
    status = JobStatus(id=secrets.token_urlsafe(24), round_id=round_.id, lang=lang,
                       stage="queued", percent=0, version=_version(round_, lang),
                       created=time.time(), publication=publication)
    _save(status)
    huey.put(_latest_key(round_.id, lang, publication), status.id)
    current_app.extensions["quickscan.tasks"]["build_report"](status.id)
    return job_status(status.id) or status


def _update(status: JobStatus, **changes: Any) -> JobStatus:
    data = status.__dict__.copy()
    data.update(changes)
    updated = JobStatus(**data)
    _save(updated)
    return updated


def build(round_: Round, lang: str, progress: Callable[[str, int, int, int], None],
          publication: bool = False) -> bytes:
    """The round's PDF report (or its publication PDF), calling ``progress(stage, percent,
    charts_done, charts_total)`` as it goes: the charts are drawn (or read from the chart
    store) in batches first, so the layout finds them all ready."""
    from quickscan.services.reports import (
        chart_processes,
        render_pdf,
        render_publication,
        report_content,
    )
    from quickscan.services.results import cached_score

    progress("reading", 5, 0, 0)
    content = report_content(round_, lang, result=cached_score(round_))
    specs = [chart.spec for chart in report_charts(content)]
    total = len(specs)
    progress("charts", 10, 0, total)
    for start in range(0, total, CHART_BATCH):
        charts.render_many(specs[start:start + CHART_BATCH], "png",
                           processes=chart_processes())
        done = min(total, start + CHART_BATCH)
        progress("charts", 10 + int(60 * done / max(1, total)), done, total)
    progress("layout", 75, total, total)
    return render_publication(content) if publication else render_pdf(content)


def run_job(job_id: str) -> dict[str, Any]:
    """The task: build the job's PDF, recording progress, and store it for the download."""
    status = job_status(job_id)
    if status is None:
        return {"job": job_id, "stage": "gone"}
    try:
        round_ = db.session.get(Round, status.round_id)
        if round_ is None:
            raise LookupError(f"round {status.round_id} no longer exists")

        def progress(stage: str, percent: int, done: int, total: int) -> None:
            nonlocal status
            assert status is not None
            status = _update(status, stage=stage, percent=percent, charts_done=done,
                             charts_total=total)

        data = build(round_, status.lang, progress, status.publication)
        _huey().put(_pdf_key(job_id), data)
        status = _update(status, stage="done", percent=100)
    except Exception:
        log.exception("report job %s of round %s failed", job_id[:6], status.round_id)
        status = _update(status, stage="failed")
    finally:
        db.session.remove()
    return {"job": job_id[:6], "stage": status.stage}
