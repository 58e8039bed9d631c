"""Benchmark of the results and reports: scoring, charts, the PDF and the results pages.

Builds a synthetic round in a temporary SQLite database: 40 departments, every bank in
``questions/`` (each department answers the common bank plus two domain banks, round robin),
10 submitted respondents per department. Times, each the best of a few runs:

* scoring the round from the database (``services.results.score``);
* gathering the frozen report input (``services.reports.report_input``, scores given) and
  building the content model from it (``reporting.build_report``, pure);
* the background job that renders a round's charts into the shared chart store when its
  results change (``services.chart_jobs.render_round_charts``, store emptied first);
* rendering every chart of the round report, from nothing (no cache, no store);
* the whole-round PDF and one department's PDF: cold (a fresh process: the in-process chart
  cache emptied, the charts ready in the chart store as the job left them), warm (charts in
  the in-process cache) and with charts never rendered (no cache, no store: the fallback);
* the publication PDF (WeasyPrint, PDF/UA-1) of the whole round: time and peak memory;
* as the limit, a bare reportlab document with the same number of pages, tables and images
  (the same PNG bytes, plain-string tables, no content model, no chart rendering);
* the peak memory of building the whole-round PDF (tracemalloc) and the process max RSS;
* the results pages of that round through the app's test client (overview, drill-down,
  HTML report) and one chart through the chart endpoint (its scoring is cached per results
  version, so the charts of a page share one scoring).

``--quick`` (CI) uses 8 departments and 3 respondents each. ``--write`` puts the figures into
``docs/benchmarks.md`` under "## Report (bench_report.py)".
"""

from __future__ import annotations

import argparse
import io
import os
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HEADING = "## Report (bench_report.py)"
NOTES = (
    "Where the time goes and what was chosen: a matplotlib radar costs 0.06–0.1 s to draw "
    "(mostly glyph rendering and PNG encoding), so the charts are made ready: when a round's "
    "results change (a response submitted, the round closed or reopened) one call, "
    "`chart_jobs.results_changed(round_id)`, queues a job on the Huey queue (coalescing a "
    "burst of submissions into one job) that renders every chart the reports and results "
    "pages show, in both languages, into the chart store (`<instance>/charts`, files keyed "
    "by the SHA-256 of each chart's inputs, so a new results version simply has new keys and "
    "the job deletes the old set). Every process and app server on that folder reads them "
    "instead of drawing them; with the embedded default the queue's consumer is a thread "
    "inside `quickscan run`, and a report asked for before the job ran draws its own charts "
    "(the \"never rendered\" row) and stores them. A round with more than "
    "`REPORT_DIRECT_MAX_DEPARTMENTS` (10) departments gets its whole-round PDF as a "
    "background job with a progress page (`/rondes/<id>/rapport/maken`); smaller rounds "
    "keep the direct download; the publication PDF (WeasyPrint, the slowest of all for "
    "a large round) goes through the same job. With the charts ready, the cold PDF's own "
    "cost was reportlab's image handling (every PNG decoded, its alpha split off into a "
    "soft mask, both hashed and compressed again) and its paragraphs (thousands of table "
    "cells parsed as markup and line-broken). Now the charts are opaque RGB PNGs and the PDF "
    "embeds their compressed rows unchanged (`reporting.pdf.PngImage`: Flate with the PNG "
    "predictors), and a table cell of plain text that fits its column on one line is a "
    "plain string in the cell font instead of a Paragraph (the layout test measures both "
    "kinds). The bare document keeps reportlab's own `Image` and plain-string tables. "
    "Results pages: Jinja rendering of the large tables is most of their time; the report "
    "page writes its numeric cells without a macro call each and the score filter looks the "
    "language up once per request. Wall times vary with the load of the shared 2-core "
    "machine; the CPU column much less.")
VALUES = ("0", "1", "2", "3", "4", "dont_know", "not_applicable")


#: The best CPU time (``time.process_time``: this process only) of every measure taken with
#: :func:`best_of`, by the name given; on a machine shared with other work the wall time
#: varies with the load, the CPU time much less.
CPU: dict[str, float] = {}


def best_of(runs: int, func: Callable[[], object], name: str = "") -> tuple[float, object]:
    """Best wall time of ``runs`` calls, and the last result (the best CPU time into
    :data:`CPU` under ``name``)."""
    times, cpu = [], []
    result = None
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = func()
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    if name:
        CPU[name] = min(cpu)
    return min(times), result


def build_round(departments: int, respondents: int, seed: int = 1) -> int:
    """Create the synthetic round with bulk inserts; returns its id."""
    from sqlalchemy import insert

    from quickscan.bank import bank_content, content_hash
    from quickscan.extensions import db
    from quickscan.models import (
        Answer,
        Department,
        ImportanceRating,
        Response,
        Round,
        RoundBank,
    )
    from quickscan.services.banks import catalog
    from quickscan.services.tokens import hash_token

    cat = catalog()
    banks = cat.latest_banks()
    common = [b for b in banks if b.common]
    domain = [b for b in banks if not b.common]
    round_ = Round(name="Benchmark", municipality="Gemeente Benchmark", target_overrides={})
    for position, bank in enumerate(banks):
        content = bank_content(cat.paths[bank.key])
        round_.banks.append(RoundBank(bank_id=bank.id, version=bank.version,
                                      sha256=content_hash(content), content=content,
                                      position=position))
    db.session.add(round_)
    rng = random.Random(seed)
    models = []
    for index in range(departments):
        chosen = [domain[(2 * index + k) % len(domain)] for k in range(min(2, len(domain)))]
        bank_ids = [b.id for b in common] + [b.id for b in chosen]
        department = Department(name=f"Afdeling {index + 1:02d} – beleid & uitvoering",
                                bank_ids=bank_ids)
        round_.departments.append(department)
        models.append((department, common + chosen))
    db.session.flush()
    answers, ratings = [], []
    for department, dept_banks in models:
        for r in range(respondents):
            response = Response(department_id=department.id,
                                resume_token_hash=hash_token(f"{department.id}-{r}-{seed}"),
                                status="submitted")
            db.session.add(response)
            db.session.flush()
            for bank in dept_banks:
                for theme in bank.themes:
                    ratings.append({"response_id": response.id, "bank_id": bank.id,
                                    "theme_id": theme.id, "value": rng.randint(1, 5)})
                    for question in theme.questions:
                        answers.append({"response_id": response.id, "question_id": question.id,
                                        "value": rng.choices(VALUES, (1, 2, 3, 3, 1, 1, .5))[0]})
    db.session.execute(insert(Answer), answers)
    db.session.execute(insert(ImportanceRating), ratings)
    db.session.commit()
    return round_.id


def bare_document(pages: int, tables: int, images: list[bytes]) -> bytes:
    """A plain reportlab document with the same number of pages, tables and images."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import cm
    from reportlab.platypus import Image, PageBreak, Paragraph, SimpleDocTemplate, Table

    from quickscan.reporting.pdf import _png_size, binary_streams

    story: list[object] = []
    per_page_tables = max(1, -(-tables // pages))
    placed_tables = placed_images = 0
    body = getSampleStyleSheet()["BodyText"]
    for page in range(pages):
        story.append(Paragraph(f"Pagina {page + 1}", body))
        if placed_images < len(images):
            data = images[placed_images]
            width, height = _png_size(data)
            draw_height = min(12 * cm, 15 * cm * height / width)
            story.append(Image(io.BytesIO(data), width=draw_height * width / height,
                               height=draw_height))
            placed_images += 1
        for _ in range(per_page_tables):
            if placed_tables < tables:
                story.append(Table([[f"cel {r}.{c}" for c in range(6)] for r in range(4)]))
                placed_tables += 1
        if page < pages - 1:
            story.append(PageBreak())
    buffer = io.BytesIO()
    with binary_streams():  # the same stream settings as the report
        SimpleDocTemplate(buffer, pagesize=A4).build(story)
    return buffer.getvalue()


def run(departments: int, respondents: int, runs: int,
        publication_pdf: bool = True) -> dict[str, object]:
    """Build the round and measure everything; returns the figures."""
    from flask_login import login_user  # noqa: F401  (the app must import cleanly)

    from quickscan import charts, create_app, reporting
    from quickscan.extensions import db
    from quickscan.models import Department, Round, User
    from quickscan.reporting.content import build_report
    from quickscan.reporting.pdf import build_pdf
    from quickscan.services import chart_jobs
    from quickscan.services.reports import report_input
    from quickscan.services.results import score

    folder = Path(tempfile.mkdtemp(prefix="bench_report_"))
    # The chart store in the benchmark's own folder (the app's default: <instance>/charts).
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{folder / 'bench.db'}",
                      "SECRET_KEY": "bench", "CHART_STORE": str(folder / "charts"),
                      "HUEY_URL": f"sqlite:///{folder / 'huey.db'}"})
    app.instance_path = str(folder)
    figures: dict[str, object] = {"departments": departments, "respondents": respondents,
                                  "load_before": os.getloadavg()}
    with app.app_context():
        db.create_all()
        start = time.perf_counter()
        round_id = build_round(departments, respondents)
        figures["build_s"] = time.perf_counter() - start
        round_ = db.session.get(Round, round_id)
        assert round_ is not None
        figures["banks"] = len(round_.banks)
        score(round_)  # warm the bank catalog and snapshot caches
        figures["score_s"], result = best_of(runs, lambda: score(round_))
        data = report_input(round_, result=result)
        figures["input_s"], _ = best_of(runs, lambda: report_input(round_, result=result))
        content = build_report(data)
        figures["content_s"], _ = best_of(runs, lambda: build_report(data))

        def cold_charts() -> int:
            charts.clear_cache()
            charts.set_store(None)
            try:
                return reporting.render_charts(content)
            finally:
                charts.set_store(store)

        store = charts.get_store()
        assert store is not None, "the benchmark app has a chart store"
        figures["charts_s"], count = best_of(max(1, runs - 1), cold_charts)
        figures["charts"] = count

        def prerender() -> dict[str, object]:
            # What the queue's worker does after a submit, close or reopen.
            shutil.rmtree(store.folder, ignore_errors=True)
            charts.clear_cache()
            return chart_jobs.render_round_charts(round_id)

        figures["job_s"], job = best_of(1, prerender)
        figures["job_charts"] = job["charts"]  # type: ignore[index]
        round_ = db.session.get(Round, round_id)  # the job ended its own session

        def unrendered_pdf() -> bytes:
            charts.clear_cache()
            charts.set_store(None)
            try:
                return build_pdf(build_report(report_input(round_)))
            finally:
                charts.set_store(store)

        figures["pdf_unrendered_s"], _ = best_of(1, unrendered_pdf)

        def cold_pdf() -> bytes:
            charts.clear_cache()
            return build_pdf(build_report(report_input(round_)))

        figures["pdf_cold_s"], data = best_of(runs, cold_pdf, "pdf_cold")
        stats: dict[str, int] = {}
        figures["pdf_warm_s"], data = best_of(
            runs, lambda: build_pdf(build_report(report_input(round_)), stats), "pdf_warm")
        figures.update(pages=stats["pages"], tables=stats["tables"], images=stats["images"],
                       pdf_bytes=len(data))
        images = [charts.render(chart.spec, "png") for chart in reporting.report_charts(content)]
        figures["bare_s"], _ = best_of(
            runs, lambda: bare_document(stats["pages"], stats["tables"], images), "bare")
        department = db.session.get(Department, round_.departments[0].id)

        def department_pdf(cold: bool) -> bytes:
            if cold:
                charts.clear_cache()
            return build_pdf(build_report(report_input(round_, department=department),
                                          department_id=department.id))

        figures["dept_cold_s"], _ = best_of(runs, lambda: department_pdf(True), "dept_cold")
        figures["dept_warm_s"], _ = best_of(runs, lambda: department_pdf(False), "dept_warm")

        def department_pdf_scored() -> bytes:
            # As the view does: the round's scoring from the per-version score cache.
            charts.clear_cache()
            return build_pdf(build_report(report_input(round_, department=department,
                                                       result=result),
                                          department_id=department.id))

        figures["dept_scored_s"], _ = best_of(runs, department_pdf_scored, "dept_scored")

        charts.clear_cache()
        tracemalloc.start()
        build_pdf(build_report(report_input(round_)))
        figures["peak_mb"] = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()

        from quickscan.services.reports import render_publication, report_content

        if publication_pdf:
            tracemalloc.start()
            start, start_cpu = time.perf_counter(), time.process_time()
            publication = render_publication(report_content(round_))
            figures["pub_s"] = time.perf_counter() - start
            CPU["pub"] = time.process_time() - start_cpu
            figures["pub_peak_mb"] = tracemalloc.get_traced_memory()[1] / 1e6
            tracemalloc.stop()
            figures["pub_bytes"] = len(publication)
            figures["pub_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

        user = User(email="bench@example.org")
        user.set_password("bench-password-123")
        db.session.add(user)
        db.session.commit()
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True
        pages = {
            "overview": f"/rondes/{round_id}/resultaten",
            "drill-down": f"/rondes/{round_id}/resultaten/afdeling/{department.id}",
            "html report": f"/rondes/{round_id}/rapport",
            # A department radar through the chart endpoint, its image already cached:
            # what is left is the request, the report input and the (cached) scoring.
            "chart (cached image)": f"/rondes/{round_id}/grafiek/afdeling-{department.id}.png",
        }
        page_times, page_cpu = {}, {}
        for name, url in pages.items():
            assert client.get(url).status_code == 200, url
            samples, cpu = [], []
            for _ in range(max(5, runs + 4)):
                start, start_cpu = time.perf_counter(), time.process_time()
                response = client.get(url)
                samples.append(time.perf_counter() - start)
                cpu.append(time.process_time() - start_cpu)
                assert response.status_code == 200
            page_times[name] = statistics.median(samples)
            page_cpu[name] = statistics.median(cpu)
        figures["page_times"] = page_times
        figures["page_cpu"] = page_cpu
    figures["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    figures["load_after"] = os.getloadavg()
    figures["cpu"] = dict(CPU)
    shutil.rmtree(folder, ignore_errors=True)
    return figures


def report(figures: dict[str, object], quick: bool) -> str:
    """The figures as the Markdown section of docs/benchmarks.md."""
    f = figures
    ratio_cold = f["pdf_cold_s"] / f["bare_s"]  # type: ignore[operator]
    ratio_warm = f["pdf_warm_s"] / f["bare_s"]  # type: ignore[operator]
    pages: dict[str, float] = f["page_times"]  # type: ignore[assignment]
    load_before: tuple[float, float, float] = f["load_before"]  # type: ignore[assignment]
    load_after: tuple[float, float, float] = f["load_after"]  # type: ignore[assignment]
    ratio_unrendered = f["pdf_unrendered_s"] / f["bare_s"]  # type: ignore[operator]
    cpu: dict[str, float] = f["cpu"]  # type: ignore[assignment]
    page_cpu: dict[str, float] = f["page_cpu"]  # type: ignore[assignment]
    cpu_cold, cpu_warm = cpu["pdf_cold"] / cpu["bare"], cpu["pdf_warm"] / cpu["bare"]
    lines = [
        HEADING,
        "",
        (f"`python bench/bench_report.py{' --quick' if quick else ''}`: a synthetic round of "
         f"**{f['departments']} departments**, all {f['banks']} banks in `questions/` (each "
         f"department answers the common bank and two domain banks), **{f['respondents']} "
         f"submitted respondents each**, in SQLite, in one run beside the bare reportlab "
         f"document. Best of several runs; page times are medians. \"Cold\" is a fresh "
         f"process: its in-process chart cache is empty and the charts are read from the "
         f"shared chart store, where the background job put them when the results last "
         f"changed; \"warm\" has them in the in-process cache; \"charts never rendered\" has "
         f"neither (the fallback when no job ran). CPU is `time.process_time()` of the "
         f"benchmark's process (its best run; for pages the median), which varies far less "
         f"than the wall time when other work shares the cores. Load average of the shared 2-core machine "
         f"(1/5/15 min): {load_before[0]:.1f}/{load_before[1]:.1f}/{load_before[2]:.1f} "
         f"before, {load_after[0]:.1f}/{load_after[1]:.1f}/{load_after[2]:.1f} after."),
        "",
        "| measure | wall | CPU | goal |",
        "|---|---|---|---|",
        f"| scoring the round from the database | {f['score_s']:.3f} s | | |",
        (f"| report input (`services.reports.report_input`, scores given) | "
         f"{f['input_s']:.3f} s | | |"),
        (f"| content model from the input (`build_report`, pure) | {f['content_s']:.3f} s "
         f"| | |"),
        (f"| background job after a results change: {f['job_charts']} charts (reports and "
         f"results pages, nl and en) into the store | {f['job_s']:.2f} s | | off the request |"),
        f"| all {f['charts']} report charts, never rendered | {f['charts_s']:.2f} s | | |",
        (f"| whole-round PDF ({f['pages']} pages, {f['tables']} tables, {f['images']} images,"
         f" {f['pdf_bytes'] / 1e6:.1f} MB), cold | **{f['pdf_cold_s']:.2f} s** | "
         f"{cpu['pdf_cold']:.2f} s | |"),
        f"| whole-round PDF, warm | **{f['pdf_warm_s']:.2f} s** | {cpu['pdf_warm']:.2f} s | |",
        (f"| whole-round PDF, charts never rendered (fallback) | {f['pdf_unrendered_s']:.2f} s"
         f" | | |"),
        (f"| bare reportlab document, same pages/tables/images (the limit) | "
         f"{f['bare_s']:.2f} s | {cpu['bare']:.2f} s | |"),
        (f"| ratio PDF / bare document | cold **{ratio_cold:.2f} ×**, warm {ratio_warm:.2f} ×,"
         f" never rendered {ratio_unrendered:.2f} × | cold **{cpu_cold:.2f} ×**, warm "
         f"{cpu_warm:.2f} × | cold ≤ 1.5 × |"),
        (f"| one department's PDF, cold | **{f['dept_cold_s']:.2f} s** | "
         f"{cpu['dept_cold']:.2f} s | < 0.3 s |"),
        f"| one department's PDF, warm | {f['dept_warm_s']:.2f} s | {cpu['dept_warm']:.2f} s | |",
        (f"| one department's PDF, cold, the round's scoring cached (as the view) | "
         f"**{f['dept_scored_s']:.2f} s** | {cpu['dept_scored']:.2f} s | < 0.3 s |"),
        (f"| peak memory, whole-round PDF (tracemalloc) | **{f['peak_mb']:.0f} MB** | | "
         f"< 500 MB |"),
    ]
    if "pub_s" in f:
        lines += [
            (f"| publication PDF (WeasyPrint, PDF/UA-1) of the whole round, "
             f"{f['pub_bytes'] / 1e6:.1f} MB | **{f['pub_s']:.1f} s** | {cpu['pub']:.1f} s | "
             f"reported |"),
            (f"| peak memory, publication PDF (tracemalloc; process max RSS after it) | "
             f"**{f['pub_peak_mb']:.0f} MB** ({f['pub_rss_mb']:.0f} MB) | | reported |"),
        ]
    lines.append(f"| process max RSS (everything above) | {f['max_rss_mb']:.0f} MB | | |")
    for name, seconds in pages.items():
        lines.append(f"| results page: {name} (median) | **{seconds * 1000:.0f} ms** | "
                     f"{page_cpu[name] * 1000:.0f} ms | < 150 ms |")
    lines += ["", NOTES, ""]
    return "\n".join(lines)


def write_section(text: str, path: Path) -> None:
    """Replace (or add) this benchmark's section in docs/benchmarks.md, leaving others alone."""
    current = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n\n"
    if HEADING in current:
        start = current.index(HEADING)
        rest = current[start + len(HEADING):]
        following = rest.find("\n## ")
        end = start + len(HEADING) + following + 1 if following >= 0 else len(current)
        current = current[:start] + text + ("\n" + current[end:] if following >= 0 else "")
    else:
        current = current.rstrip("\n") + "\n\n" + text
    path.write_text(current.rstrip("\n") + "\n", encoding="utf-8")


def main() -> None:
    """Run the benchmark and print (and optionally write) the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="8 departments × 3 respondents")
    parser.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-publication", action="store_true",
                        help="leave out the publication PDF (WeasyPrint: minutes on a large round)")
    args = parser.parse_args()
    departments, respondents = (8, 3) if args.quick else (40, 10)
    figures = run(departments, respondents, 2 if args.quick else args.runs,
                  publication_pdf=not args.no_publication)
    text = report(figures, args.quick)
    print(text)
    if args.write:
        write_section(text, ROOT / "docs" / "benchmarks.md")


if __name__ == "__main__":
    main()
