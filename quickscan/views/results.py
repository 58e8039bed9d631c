"""Results of a round: overview, drill-down, HTML and PDF reports, exports and charts.

Coordinator pages require a login; respondents see their own department's results at
``/r/<resume_token>/resultaten`` once they have submitted. Views validate the query string,
gather one report input through :mod:`quickscan.services.reports` (scored once through
:func:`quickscan.services.results.cached_score`) and hand it to the pure renderers; nothing
is computed here.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    g,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.routing import BuildError
from werkzeug.wrappers import Response as WerkzeugResponse

from quickscan import charts
from quickscan.extensions import db
from quickscan.models import KIND_MUNICIPALITY, Department, Round
from quickscan.models import Response as SurveyResponse
from quickscan.reporting.content import (
    COMMON_DIMENSION,
    MAX_COMPARED,
    Titles,
    build_report,
    comparison_chart,
    comparison_dimensions,
    comparison_small_chart,
    format_number,
    report_chart,
)
from quickscan.scoring import RoundResult
from quickscan.services import exports, report_jobs, reports
from quickscan.services import responses as response_service
from quickscan.services.results import cached_score, group_size, score_municipal
from quickscan.services.rounds import departments_of
from quickscan.views.args import parse_id
from quickscan.views.token_limits import known_response, token_limit

bp = Blueprint("results", __name__)

CHART_NAME_RE = re.compile(
    r"^(gemeente|heatmap|vergelijking|afdeling-(\d{1,9})|vergelijking-(\d{1,9}))$")
#: The hidden field the comparison form sends, so that a submitted form without any ticked
#: department is told apart from a first visit (which shows a default choice).
COMPARE_FIELD = "vergelijken"


def _lang() -> str:
    locale = get_locale()
    return str(locale.language) if locale else "nl"


def _round_or_404(round_id: int) -> Round:
    round_ = db.session.get(Round, round_id)
    if round_ is None:
        abort(404, description=_("Deze ronde bestaat niet."))
    return round_


def _department_or_404(round_: Round, department_id: int) -> Department:
    department = db.session.get(Department, department_id)
    if department is None or department.round_id != round_.id:
        abort(404, description=_("Deze afdeling bestaat niet in deze ronde."))
    return department


def _round_page_url(round_: Round) -> str | None:
    try:
        return url_for("coordinator.round_detail", round_id=round_.id)
    except BuildError:
        return None


def _int_arg(name: str) -> int | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    if (value := parse_id(raw)) is None:
        abort(400, description=_("Ongeldige waarde voor %(name)s.", name=name))
    return value


def hidden_ids(round_: Round, result: RoundResult) -> set[int]:
    """The ids of the round's departments below the minimum group size (no figures shown)."""
    hidden = {d.name for d in result.departments if d.hidden}
    return {d.id for d in round_.departments if d.name in hidden}


@dataclass(frozen=True)
class ComparisonChoice:
    """The departments and axes chosen in the comparison form.

    ``default`` is True on a first visit (no form sent: the first departments that have
    figures are shown); ``error`` says what was wrong with a sent choice (none ticked, too
    many)."""

    departments: list[Department]
    dimension: str
    error: str | None = None
    default: bool = False


def _comparison_selection(round_: Round, dimensions: dict[str, str],
                          hidden: set[int] | None = None) -> ComparisonChoice:
    """The departments and axes chosen in the comparison form (or the defaults: the first
    departments that have figures)."""
    by_id = {d.id: d for d in departments_of(round_)}
    raw = request.args.getlist("vergelijk")
    error = None
    default = False
    if raw:
        if any(parse_id(value) not in by_id for value in raw):
            abort(400, description=_("Kies alleen afdelingen uit de lijst."))
        chosen = list(dict.fromkeys(by_id[int(value)] for value in raw))
        if len(chosen) > MAX_COMPARED:
            error = _("U kunt maximaal %(max)d afdelingen tegelijk vergelijken. De eerste "
                      "%(max)d zijn getoond.", max=MAX_COMPARED)
            chosen = chosen[:MAX_COMPARED]
    elif request.args.get(COMPARE_FIELD):
        chosen = []
        error = _("Kies ten minste één afdeling om te vergelijken. U hebt geen afdeling "
                  "aangevinkt.")
    else:
        chosen = [d for d in departments_of(round_)
                  if d.id not in (hidden or set())][:MAX_COMPARED]
        default = True
    dimension = request.args.get("as", "") or next(iter(dimensions), COMMON_DIMENSION)
    if dimension not in dimensions:
        abort(400, description=_("Kies een vergelijking uit de lijst."))
    return ComparisonChoice(chosen, dimension, error, default)


def _priorities_caption(department: Department | None, bank_title: str | None) -> str:
    """The caption of the priority table, following its filters."""
    if department is not None and bank_title:
        return _("Prioriteiten van %(department)s in de vragenlijst %(bank)s",
                 department=department.name, bank=bank_title)
    if department is not None:
        return _("Prioriteiten van %(department)s", department=department.name)
    if bank_title:
        return _("Prioriteiten in de vragenlijst %(bank)s", bank=bank_title)
    return _("Prioriteiten in de gemeente")


#: The lower bounds of the colour bands of the heatmap table (band 1: below 25, ... band 4:
#: 75 and up); the number is always shown in the cell, the colour only supports it.
HEAT_BANDS = (25.0, 50.0, 75.0)


@bp.app_template_filter("heat_band")
def heat_band(value: float | None) -> int:
    """The colour band (1-4) of a score in the heatmap table; 0 for no score."""
    if value is None:
        return 0
    return 1 + sum(1 for bound in HEAT_BANDS if value >= bound)


@bp.app_template_filter("score")
def score_filter(value: float | None, digits: int = 1) -> str:
    """Format an engine number for display (decimal comma in Dutch, a dash for no score).

    A results page formats thousands of numbers: the request's language is looked up once."""
    lang = g.get("qs_score_lang")
    if lang is None:
        lang = g.qs_score_lang = _lang()
    return format_number(value, lang, digits)


@bp.get("/rondes/<int:round_id>/resultaten")
@login_required
def overview(round_id: int) -> tuple[str, int]:
    """The coordinator's results page for a round."""
    round_ = _round_or_404(round_id)
    data = reports.report_input(round_, _lang(), result=cached_score(round_), comments=False)
    content = build_report(data, comments=False)
    titles = Titles(data.banks)
    dimensions = comparison_dimensions(data.banks, data.texts)
    hidden = hidden_ids(round_, data.result)
    choice = _comparison_selection(round_, dimensions, hidden)
    chosen, dimension = choice.departments, choice.dimension
    names = [d.name for d in chosen]
    comparison = comparison_chart(data.result, titles, data.texts, names,
                                  dimension) if chosen else None
    shown = [d for d in chosen if d.id not in hidden]
    axes_query: dict[str, Any] = {"as": dimension}
    multiples = [
        (d, comparison_small_chart(data.result, titles, data.texts, d.name, dimension),
         url_for("results.chart", round_id=round_.id, name=f"vergelijking-{d.id}", ext="png",
                 **axes_query))
        for d in shown]
    department_id = _int_arg("afdeling")
    bank_id = request.args.get("bank", "").strip()
    departments = {d.id: d for d in departments_of(round_)}
    if department_id is not None and department_id not in departments:
        abort(400, description=_("Kies een afdeling uit de lijst."))
    if bank_id and bank_id not in titles.banks:
        abort(400, description=_("Kies een vragenlijst uit de lijst."))
    priorities = [row for row in content.priorities
                  if (department_id is None or row.department_id == department_id)
                  and (not bank_id or row.priority.bank == bank_id)]
    caption = _priorities_caption(
        departments.get(department_id) if department_id is not None else None,
        titles.bank(bank_id) if bank_id else None)
    comparison_query: dict[str, Any] = {"vergelijk": [d.id for d in chosen], "as": dimension}
    return render_template(
        "results/overview.html", round=round_, content=content, comparison=comparison,
        comparison_url=url_for("results.chart", round_id=round_.id, name="vergelijking",
                               ext="png", **comparison_query),
        multiples=multiples, comparison_default=choice.default,
        compare_field=COMPARE_FIELD,
        dimensions=dimensions, dimension=dimension, chosen_ids={d.id for d in chosen},
        comparison_error=choice.error, priorities=priorities,
        priorities_caption=caption, filter_department=department_id,
        filter_bank=bank_id, banks=titles.banks, round_url=_round_page_url(round_),
        max_compared=MAX_COMPARED, csv_tables=exports.TABLES,
        all_departments=sorted(departments_of(round_), key=lambda d: d.name.lower()),
        hidden_ids=hidden, hidden_names=set(content.hidden),
        min_group_size=group_size(round_),
    ), 422 if choice.error else 200


@bp.get("/rondes/<int:round_id>/resultaten/afdeling/<int:department_id>")
@login_required
def department(round_id: int, department_id: int) -> str:
    """Drill-down of one department, down to every question (never a name).

    Below the minimum group size k the page says so in words and shows only the counts: no
    figure, chart or comment of that department is read into the page.
    """
    round_ = _round_or_404(round_id)
    model = _department_or_404(round_, department_id)
    result = cached_score(round_)
    hidden = model.id in hidden_ids(round_, result)
    content = reports.report_content(round_, _lang(), department=model, detail=not hidden,
                                     comments=not hidden, result=result)
    section = content.department_report
    return render_template("results/department.html", round=round_, content=content,
                           section=section, scale=content.scale, hidden=hidden,
                           min_group_size=group_size(round_),
                           round_url=_round_page_url(round_))


@bp.get("/rondes/<int:round_id>/rapport")
@login_required
def report(round_id: int) -> str:
    """The HTML report: the PDF's content as an accessible web page with print styles."""
    round_ = _round_or_404(round_id)
    content = reports.report_content(round_, _lang(), result=cached_score(round_))
    return render_template("report/report.html", round=round_, content=content,
                           round_url=_round_page_url(round_))


def _send_pdf(data: bytes, round_: Round, department: Department | None,
              publication: bool = False) -> Response:
    path = reports.save_report(data, round_, department, publication)
    response = send_file(path, mimetype="application/pdf", as_attachment=True,
                         download_name=reports.report_filename(round_, department, publication))
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/rondes/<int:round_id>/rapport.pdf")
@login_required
def report_pdf(round_id: int) -> WerkzeugResponse:
    """The round's PDF report (saved in the instance folder, then sent)."""
    round_ = _round_or_404(round_id)
    if not report_jobs.direct_download(round_):  # large: a background job with progress
        return redirect(url_for("report_jobs.start", round_id=round_.id), 303)
    return _send_pdf(reports.pdf_report(round_, lang=_lang(), result=cached_score(round_)),
                     round_, None)


@bp.get("/rondes/<int:round_id>/rapport-publicatie.pdf")
@login_required
def report_publication_pdf(round_id: int) -> WerkzeugResponse:
    """The round's accessible publication PDF (PDF/UA-1, from the HTML report)."""
    round_ = _round_or_404(round_id)
    if not report_jobs.direct_download(round_):  # large: a background job with progress
        return redirect(url_for("report_jobs.start", round_id=round_.id, publicatie=1), 303)
    return _send_pdf(reports.publication_report(round_, lang=_lang(),
                                                result=cached_score(round_)),
                     round_, None, publication=True)


@bp.get("/rondes/<int:round_id>/afdelingen/<int:department_id>/rapport.pdf")
@login_required
def department_pdf(round_id: int, department_id: int) -> Response:
    """One department's PDF report."""
    round_ = _round_or_404(round_id)
    model = _department_or_404(round_, department_id)
    return _send_pdf(reports.pdf_report(round_, model, lang=_lang(), result=cached_score(round_)),
                     round_, model)


@bp.get("/rondes/<int:round_id>/afdelingen/<int:department_id>/rapport-publicatie.pdf")
@login_required
def department_publication_pdf(round_id: int, department_id: int) -> Response:
    """One department's accessible publication PDF (PDF/UA-1)."""
    round_ = _round_or_404(round_id)
    model = _department_or_404(round_, department_id)
    return _send_pdf(reports.publication_report(round_, model, lang=_lang(),
                                                result=cached_score(round_)),
                     round_, model, publication=True)


#: The role that may download the JSON backup (response-level data).
BACKUP_ROLE = "beheerder"


def _require_backup_role() -> None:
    """The JSON backup holds response-level data: the beheerder's only.

    With team roles (``User.has_role``) anyone else gets a 403; an installation without roles
    has only the logged-in coordinator, who is its beheerder.
    """
    has_role = getattr(current_user, "has_role", None)
    if has_role is not None and not has_role(BACKUP_ROLE):
        abort(403, description=_("Alleen een beheerder kan de back-up met de antwoorden per "
                                 "respondent downloaden."))


@bp.get("/rondes/<int:round_id>/export.<fmt>")
@login_required
def export(round_id: int, fmt: str) -> Response:
    """The JSON backup (beheerder only), a CSV table
    (``?tabel=scores|prioriteiten|antwoorden|belang|opmerkingen|gemeente|vergelijking|
    perspectieven``) or the XLSX
    workbook, with column headers in the request's language."""
    round_ = _round_or_404(round_id)
    if fmt not in exports.MIME_TYPES:
        abort(404, description=_("Dit exportformaat bestaat niet."))
    if fmt == "json":
        _require_backup_role()
    names = {name: key for key, name in exports.TABLES.items()}
    table = names.get(request.args.get("tabel", "scores"))
    if table is None:
        abort(400, description=_("Deze tabel bestaat niet. Kies scores, prioriteiten, "
                                 "antwoorden, belang, opmerkingen of gemeente."))
    data = exports.export(round_, fmt, table, labels=exports.export_labels())
    response = Response(data, mimetype=exports.MIME_TYPES[fmt].split(";")[0])
    if fmt == "csv":
        response.headers["Content-Type"] = exports.MIME_TYPES["csv"]
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{exports.export_filename(round_, fmt, table)}"')
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/rondes/<int:round_id>/grafiek/<name>.<ext>")
@login_required
def chart(round_id: int, name: str, ext: str) -> Response:
    """A chart as PNG or SVG: gemeente, heatmap, afdeling-<id>, vergelijking
    (?vergelijk=&as=) or vergelijking-<id> (one department's small multiple, ?as=)."""
    round_ = _round_or_404(round_id)
    match = CHART_NAME_RE.match(name)
    if match is None or ext not in charts.FORMATS:
        abort(404, description=_("Deze grafiek bestaat niet."))
    department_id = None
    if match.group(2) or match.group(3):
        department_id = _department_or_404(round_,
                                           int(match.group(2) or match.group(3))).id
    # One scoring of the round serves every chart of a page (cached until answers change).
    data = reports.report_input(round_, _lang(), result=cached_score(round_), comments=False)
    hidden = hidden_ids(round_, data.result)
    if department_id in hidden:
        abort(404, description=_("Nog geen resultaat: minder dan %(k)d ingevulde "
                                 "vragenlijsten.", k=group_size(round_)))
    if name == "vergelijking":
        dimensions = comparison_dimensions(data.banks, data.texts)
        choice = _comparison_selection(round_, dimensions, hidden)
        spec = report_chart(data, name, compared=[d.id for d in choice.departments],
                            dimension=choice.dimension).spec
    elif match.group(3):
        dimensions = comparison_dimensions(data.banks, data.texts)
        dimension = request.args.get("as", "") or next(iter(dimensions), COMMON_DIMENSION)
        if dimension not in dimensions:
            abort(400, description=_("Kies een vergelijking uit de lijst."))
        spec = report_chart(data, "vergelijking-afdeling", department_id=department_id,
                            dimension=dimension).spec
    else:
        spec = report_chart(data, "afdeling" if department_id else name,
                            department_id=department_id).spec
    image = charts.render(spec, ext)
    response = Response(image, mimetype=charts.MIME_TYPES[ext])
    response.headers["Cache-Control"] = "private, max-age=300"
    response.headers["Content-Disposition"] = f'inline; filename="{name}.{ext}"'
    return response


def _respondent_response(resume_token: str) -> SurveyResponse:
    response = known_response(resume_token)
    if response is None:
        abort(404, description=_("Deze link werkt niet. Controleer de link die u hebt "
                                 "gekregen."))
    return response


@bp.get("/r/<resume_token>/resultaten")
@token_limit
def respondent(resume_token: str) -> str:
    """A respondent's view of their own department's results, after submitting.

    Only for a submitted response with at least one answered question, and only once the
    department reaches the minimum group size k; otherwise a page says why, with the counts.
    """
    response = _respondent_response(resume_token)
    if not response.is_submitted:
        abort(403, description=_("U ziet de resultaten van uw afdeling nadat u uw antwoorden "
                                 "hebt ingediend."))
    department = response.department
    round_ = department.round
    # The municipal group is scored apart from the departments (facts, k = 1).
    municipal = score_municipal(round_) if department.kind == KIND_MUNICIPALITY else None
    result = municipal if municipal is not None else cached_score(round_)
    own = result.department(department.name)
    answered = response_service.answered_count(response)
    if own.hidden or answered == 0:
        return render_template("results/respondent_waiting.html", round=round_,
                               department=department, result=own, answered=answered,
                               min_group_size=group_size(round_), resume_token=resume_token)
    content = reports.report_content(round_, _lang(), department=department, comments=False,
                                     result=result)
    section = content.department_report
    assert section is not None
    image = base64.b64encode(charts.render(section.radar.spec, "png")).decode("ascii")
    return render_template("results/respondent.html", round=round_, content=content,
                           section=section, image=f"data:image/png;base64,{image}")
