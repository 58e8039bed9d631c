"""The series of rounds: "Volgende meting" (the next measurement) and "Ontwikkeling" (trend).

``/rondes/<id>/volgende-meting`` (coordinator) creates the next round of a round's series
through :func:`quickscan.services.series.next_round`: the departments again (renamed, merged or
split: each row says which earlier departments it continues), the banks at their newest
versions unless another is chosen, the same minimum group size. ``/rondes/<id>/ontwikkeling``
(lezer and up) shows the score of every department, bank and theme per round of the series
with the change since the previous round and its compatibility share
(:mod:`quickscan.services.trend`), as slope charts with their data tables.
"""

from __future__ import annotations

import base64
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import DateField, StringField
from wtforms.validators import DataRequired, Length, Optional

from quickscan import links
from quickscan.errors import register_domain_errors
from quickscan.extensions import db
from quickscan.models import Round
from quickscan.reporting.trend import format_delta, format_share, slope_chart
from quickscan.services import rounds as round_service
from quickscan.services import series, trend
from quickscan.services.banks import catalog as bank_catalog
from quickscan.services.errors import Conflict, NeedsCorrection

bp = Blueprint("series", __name__)
register_domain_errors(bp)

#: Empty rows the form offers for a new or split department.
EXTRA_ROWS = 2
#: At most this many department rows are read from a form.
MAX_ROWS = 200

Page = Response | str | tuple[str, int]


class NextRoundForm(FlaskForm):
    """The next round's name and deadline; departments and banks are read separately."""

    name = StringField(_l("Naam van de nieuwe ronde"), validators=[
        DataRequired(_l("Vul de naam van de ronde in.")),
        Length(max=round_service.NAME_MAX_LENGTH,
               message=_l("Hoogstens %(max)d tekens.", max=round_service.NAME_MAX_LENGTH))])
    deadline = DateField(_l("Deadline"), validators=[Optional()],
                         format="%Y-%m-%d")


def _round_or_404(round_id: int) -> Round:
    round_ = db.session.get(Round, round_id)
    if round_ is None:
        abort(404)
    return round_


def _rows(previous: Round) -> list[dict[str, Any]]:
    """The department rows as the form shows them (posted values win; a post without any
    row repeats every department under its own name)."""
    if request.method == "POST":
        rows = []
        for index in range(MAX_ROWS):
            if f"dept-{index}-name" not in request.form:
                break
            rows.append({"name": request.form.get(f"dept-{index}-name", ""),
                         "continues": request.form.getlist(f"dept-{index}-continues")})
        return rows
    return ([{"name": d.name, "continues": [d.name]} for d in previous.departments]
            + [{"name": "", "continues": []} for _i in range(EXTRA_ROWS)])


def _plans(previous: Round, rows: list[dict[str, Any]]) -> list[series.DepartmentPlan]:
    own = {d.name: d for d in previous.departments}
    plans = []
    for row in rows:
        name = str(row["name"]).strip()
        continued = [str(c) for c in row["continues"]]
        if not name:
            if continued:
                raise round_service.RoundInputError(
                    _("Vul de naam in van elke afdeling die een eerdere afdeling voortzet."))
            continue
        banks = tuple(dict.fromkeys(b for c in continued if c in own
                                    for b in own[c].bank_ids or ()))
        kind = next((own[c].kind for c in continued if c in own), None)
        plans.append(series.DepartmentPlan(name, banks, tuple(continued),
                                           *([kind] if kind else [])))
    if not plans:
        raise round_service.RoundInputError(_("Geef de nieuwe ronde minstens één afdeling."))
    return plans


def _bank_choices(previous: Round) -> list[dict[str, Any]]:
    catalog = bank_catalog()
    choices = []
    for row in previous.banks:
        versions = list(reversed(catalog.versions(row.bank_id)))
        if not versions:
            continue
        chosen = request.form.get(f"version-{row.bank_id}", versions[0])
        choices.append({"id": row.bank_id, "title": catalog.latest(row.bank_id).title,
                        "previous": row.version, "versions": versions,
                        "selected": chosen if chosen in versions else versions[0]})
    return choices


@bp.route("/rondes/<int:round_id>/volgende-meting", methods=["GET", "POST"])
def next_round(round_id: int) -> Page:
    """The form for the next measurement of a round, and creating it."""
    previous = _round_or_404(round_id)
    form = NextRoundForm()
    rows = _rows(previous)
    banks = _bank_choices(previous)
    error = None
    if request.method == "GET" and not form.name.data:
        form.name.data = _("%(name)s – volgende meting", name=previous.name)[:200]
    if request.method == "POST" and form.validate_on_submit():
        try:
            new = series.next_round(
                previous, form.name.data or "", secret_key=links.secret_key(),
                departments=_plans(previous, rows) if rows else None,
                banks={str(b["id"]): str(b["selected"]) for b in banks},
                deadline=form.deadline.data)
        except (NeedsCorrection, Conflict) as exc:
            error = exc.message
        else:
            flash(_("De volgende meting %(name)s is aangemaakt, met nieuwe links voor elke "
                    "afdeling.", name=new.name), "success")
            return redirect(url_for("coordinator.round_detail", round_id=new.id), 303)
    status = 422 if request.method == "POST" else 200
    return render_template("series/next_round.html", form=form, previous=previous, rows=rows,
                           banks=banks, earlier=[d.name for d in previous.departments],
                           error=error), status


@bp.get("/rondes/<int:round_id>/ontwikkeling")
def development(round_id: int) -> Page:
    """The trend of a round's series: charts with data tables, change and compatibility."""
    round_ = _round_or_404(round_id)
    chapter = trend.trend_chapter(round_)
    charts = {}
    if chapter is not None:
        for section in chapter.sections:
            if not section.hidden:
                charts[section.department] = "data:image/png;base64," + base64.b64encode(
                    slope_chart(section.chart)).decode("ascii")
    return render_template("series/development.html", round=round_, chapter=chapter,
                           charts=charts, format_delta=format_delta,
                           format_share=format_share,
                           rounds=series.series(round_))
