"""Charts that are ready and reports of large rounds as background jobs.

The chart store shares rendered charts between processes; a change of a round's results
queues the rendering of its charts (on submit, close and reopen); a large round's PDF is a job
with a progress page and a download."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
from flask import Flask

from quickscan import charts
from quickscan.charts import RadarSpec, Series
from quickscan.extensions import db
from quickscan.models import Response
from quickscan.services import chart_jobs, report_jobs, responses, rounds
from quickscan.tasks import get_huey
from tests.results.conftest import build_round

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _spec(value: float) -> RadarSpec:
    return RadarSpec(title="Test", axes=("a", "b", "c"),
                     series=(Series("gemeente", (value, 50.0, 70.0)),))


@pytest.fixture
def store(tmp_path) -> Iterator[charts.ChartStore]:
    previous = charts.get_store()
    store = charts.ChartStore(tmp_path / "charts")
    charts.set_store(store)
    charts.clear_cache()
    yield store
    charts.set_store(previous)
    charts.clear_cache()


@pytest.fixture
def immediate(app: Flask) -> Iterator[Flask]:
    """Tasks run at once, in the caller (Huey's immediate mode), with the chart prerender on."""
    huey = get_huey(app)
    previous = app.config.get("CHART_PRERENDER")
    huey.immediate = True
    app.config["CHART_PRERENDER"] = True
    yield app
    huey.immediate = False
    app.config["CHART_PRERENDER"] = previous


def test_store_shares_charts_between_processes(store):
    png = charts.render(_spec(20.0))
    key = charts.chart_key(_spec(20.0), "png")
    assert store.get(key, "png") == png
    # A fresh process (an empty in-process cache) reads the chart instead of drawing it.
    charts.clear_cache()
    assert charts.render(_spec(20.0)) == png
    info = charts.store_info()
    assert info["stored"] == 1 and info["misses"] == 0
    charts.clear_cache()
    assert charts.render_many([_spec(20.0), _spec(30.0)], processes=1)[0] == png
    assert charts.store_info()["stored"] == 1 and charts.cache_info()["misses"] == 1


def test_store_keep_removes_the_charts_of_earlier_results(store):
    old, new = charts.chart_key(_spec(10.0), "png"), charts.chart_key(_spec(90.0), "png")
    charts.render(_spec(10.0))
    charts.render(_spec(90.0))
    assert store.keep("round-1", [(old, "png")]) == 0
    assert store.keep("round-2", [(old, "png"), (new, "png")]) == 0
    # round-1 moves on to new results: its old chart stays while round-2 still uses it.
    assert store.keep("round-1", [(new, "png")]) == 0
    assert store.get(old, "png") is not None
    assert store.keep("round-2", [(new, "png")]) == 1
    assert store.get(old, "png") is None and store.get(new, "png") is not None


def test_store_prunes_old_charts_no_set_lists(store):
    listed, unlisted = charts.chart_key(_spec(10.0), "png"), charts.chart_key(_spec(90.0), "png")
    charts.render(_spec(10.0))
    charts.render(_spec(90.0))
    store.keep("round-1", [(listed, "png")])
    assert store.prune(3600) == 0  # just written
    assert store.prune(3600, now=time.time() + 7200) == 1
    assert store.get(listed, "png") is not None and store.get(unlisted, "png") is None


def test_results_change_renders_the_rounds_charts_into_the_store(app, store, immediate):
    built = build_round(respondents=2, drafts=1)
    round_ = built.round
    from quickscan.services import group_size

    group_size.set_min_group_size(round_, 1)  # two respondents a department: all have charts
    assert chart_jobs.results_changed(round_.id)
    specs = chart_jobs.round_chart_specs(round_)
    assert len(specs) >= 5
    stored = {charts.chart_key(spec, "png") for spec in specs}
    assert all(store.get(key, "png") is not None for key in stored)

    # Every place that changes results queues the job: submit, close, reopen.
    calls: list[int] = []
    real = chart_jobs.results_changed

    def spy(round_id: int) -> bool:
        calls.append(round_id)
        return real(round_id)

    chart_jobs.results_changed = spy  # type: ignore[assignment]
    try:
        draft = db.session.scalars(db.select(Response).where(
            Response.department_id == built.departments[0].id,
            Response.status == "draft")).first()
        responses.submit(draft)
        rounds.close_round(round_)
        rounds.reopen_round(round_)
    finally:
        chart_jobs.results_changed = real  # type: ignore[assignment]
    assert calls == [round_.id] * 3
    # The submission changed the charts: the new ones are stored, the old ones removed.
    new = {charts.chart_key(spec, "png") for spec in chart_jobs.round_chart_specs(round_)}
    assert new != stored
    assert all(store.get(key, "png") is not None for key in new)
    assert any(store.get(key, "png") is None for key in stored - new)
    # A PDF built in a "fresh process" now draws no chart at all.
    from quickscan.services.reports import pdf_report

    charts.clear_cache()
    assert pdf_report(round_).startswith(b"%PDF")
    assert charts.cache_info()["misses"] == 0 and charts.store_info()["stored"] > 0


def test_prerender_is_coalesced_and_never_fails_the_caller(app, store):
    huey = get_huey(app)
    app.config["CHART_PRERENDER"] = True
    try:
        built = build_round(respondents=1, drafts=0)
        queued = len(huey.pending()) + huey.scheduled_count()
        assert chart_jobs.results_changed(built.round.id) is True
        assert chart_jobs.results_changed(built.round.id) is False  # one job is waiting
        assert huey.scheduled_count() + len(huey.pending()) == queued + 1
        chart_jobs.render_round_charts(built.round.id)  # the worker runs it
        assert chart_jobs.results_changed(built.round.id) is True  # a new change: a new job
    finally:
        app.config["CHART_PRERENDER"] = "auto"
        huey.flush()


def _csrf(client) -> str:
    match = CSRF_RE.search(client.get("/rondes").get_data(as_text=True))
    assert match is not None
    return match.group(1)


def test_large_round_pdf_is_a_background_job(app, coordinator_client, immediate):
    client = coordinator_client
    built = build_round(respondents=2, drafts=0)
    round_id = built.round.id
    app.config["REPORT_DIRECT_MAX_DEPARTMENTS"] = 2
    try:
        response = client.get(f"/rondes/{round_id}/rapport.pdf")
        assert response.status_code == 303
        assert response.headers["Location"].endswith(f"/rondes/{round_id}/rapport/maken")
        page = client.get(f"/rondes/{round_id}/rapport/maken")
        html = page.get_data(as_text=True)
        assert page.status_code == 200 and "Deze ronde heeft 3 afdelingen." in html
        # Starting needs a CSRF token.
        assert client.post(f"/rondes/{round_id}/rapport/maken").status_code == 400
        started = client.post(f"/rondes/{round_id}/rapport/maken",
                              data={"csrf_token": _csrf(client)})
        assert started.status_code == 303
        status_url = started.headers["Location"]
        job_id = status_url.rsplit("/", 1)[1]
        status = client.get(status_url)
        html = status.get_data(as_text=True)
        assert status.status_code == 200
        assert 'role="status"' in html and "Het rapport is klaar." in html
        assert '<progress id="rapport-voortgang" max="100" value="100">' in html
        data = client.get(status_url + "?formaat=json").get_json()
        assert data["ready"] is True and data["percent"] == 100
        pdf = client.get(data["download"])
        assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
        assert pdf.data.startswith(b"%PDF")
        # The same results: the finished job is reused (the start page goes to it).
        again = client.get(f"/rondes/{round_id}/rapport/maken")
        assert again.status_code == 303 and again.headers["Location"].endswith(job_id)
        # The publication PDF of a large round is a job of its own.
        response = client.get(f"/rondes/{round_id}/rapport-publicatie.pdf")
        assert response.status_code == 303
        assert response.headers["Location"].endswith(f"/rondes/{round_id}/rapport/maken"
                                                      "?publicatie=1")
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        assert 'name="publicatie" value="1"' in page
        started = client.post(f"/rondes/{round_id}/rapport/maken",
                              data={"csrf_token": _csrf(client), "publicatie": "1"})
        publication_url = started.headers["Location"]
        assert publication_url.rsplit("/", 1)[1] != job_id
        ready = client.get(publication_url + "?formaat=json").get_json()
        assert ready["ready"] is True
        publication = client.get(ready["download"])
        assert publication.status_code == 200 and publication.data.startswith(b"%PDF")
        assert "-publicatie.pdf" in publication.headers["Content-Disposition"]
        assert publication.data != pdf.data
        # An unknown job, or a job of another round: 404.
        assert client.get(f"/rondes/{round_id}/rapport/taak/onbekend").status_code == 404
        other = build_round(name="Andere ronde", respondents=1, drafts=0).round.id
        assert client.get(f"/rondes/{other}/rapport/taak/{job_id}").status_code == 404
    finally:
        app.config["REPORT_DIRECT_MAX_DEPARTMENTS"] = 10


def test_progress_is_recorded_and_an_unfinished_job_has_no_download(app, coordinator_client,
                                                                   immediate):
    built = build_round(respondents=1, drafts=0)
    seen: list[tuple[str, int]] = []
    data = report_jobs.build(built.round, "nl",
                             lambda stage, percent, done, total: seen.append((stage, percent)))
    assert data.startswith(b"%PDF")
    stages = [stage for stage, _ in seen]
    assert stages[0] == "reading" and stages[-1] == "layout" and "charts" in stages
    assert [p for _, p in seen] == sorted(p for _, p in seen)
    queued = report_jobs.JobStatus(id="wachtend-0123456789", round_id=built.round.id, lang="nl",
                                   stage="queued", percent=0, version="x", created=0.0)
    report_jobs._save(queued)
    page = coordinator_client.get(f"/rondes/{built.round.id}/rapport/taak/{queued.id}")
    html = page.get_data(as_text=True)
    assert "Het rapport staat in de wachtrij." in html and "Status vernieuwen" in html
    assert 'id="rapport-download" hidden' in html
    assert coordinator_client.get(
        f"/rondes/{built.round.id}/rapport/taak/{queued.id}/rapport.pdf").status_code == 409


def test_small_round_keeps_the_direct_download(coordinator_client):
    built = build_round(respondents=1, drafts=0)
    response = coordinator_client.get(f"/rondes/{built.round.id}/rapport.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
