"""The whole-round PDF of a large round as a background job: start it, follow its progress,
download it when ready.

``GET /rondes/<id>/rapport/maken`` explains and offers the button (or, when a job for the
present results exists, goes to it); the POST queues the job
(:mod:`quickscan.services.report_jobs`) and sends the browser to its status page. The status
page works without JavaScript (a "Status vernieuwen" link); ``static/js/report-job.js`` polls
the JSON form of the same address and announces the stages in a live region. The results
pages' "Download als PDF" of a large round leads here.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.wrappers import Response

from quickscan.errors import register_domain_errors
from quickscan.extensions import db
from quickscan.models import Round
from quickscan.services import report_jobs, reports

bp = Blueprint("report_jobs", __name__)
register_domain_errors(bp)


@bp.before_request
@login_required
def require_login() -> None:
    """Every page needs a logged-in team member (as the results pages)."""
    return


def _lang() -> str:
    locale = get_locale()
    return str(locale.language) if locale else "nl"


def _round_or_404(round_id: int) -> Round:
    round_ = db.session.get(Round, round_id)
    if round_ is None:
        abort(404, description=_("Deze ronde bestaat niet."))
    return round_


def _job_or_404(round_: Round, job_id: str) -> report_jobs.JobStatus:
    status = report_jobs.job_status(job_id)
    if status is None or status.round_id != round_.id:
        abort(404, description=_("Deze rapporttaak bestaat niet (meer). Maak het rapport "
                                 "opnieuw."))
    return status


def stage_text(status: report_jobs.JobStatus) -> str:
    """What the job is doing, in Dutch."""
    if status.stage == "charts":
        return _("De grafieken worden gemaakt (%(done)d van %(total)d).",
                 done=status.charts_done, total=status.charts_total)
    texts = {
        "queued": _("Het rapport staat in de wachtrij."),
        "reading": _("De resultaten worden gelezen."),
        "layout": _("Het PDF-bestand wordt opgemaakt."),
        "done": _("Het rapport is klaar."),
        "failed": _("Het maken van het rapport is mislukt. Probeer het opnieuw; lukt het dan "
                    "nog niet, meld het dan aan de beheerder."),
    }
    return texts.get(status.stage, status.stage)


@bp.route("/rondes/<int:round_id>/rapport/maken", methods=["GET", "POST"])
def start(round_id: int) -> Response | str:
    """Start (POST) the round's PDF report as a job, or show the page that starts it
    (``?publicatie=1``: the accessible publication PDF)."""
    round_ = _round_or_404(round_id)
    lang = _lang()
    publication = (request.values.get("publicatie") == "1")
    if request.method == "POST":
        status = report_jobs.start_job(round_, lang, publication)
        return redirect(url_for("report_jobs.status", round_id=round_.id, job_id=status.id),
                        303)
    current = report_jobs.current_job(round_, lang, publication)
    if current is not None:
        return redirect(url_for("report_jobs.status", round_id=round_.id, job_id=current.id),
                        303)
    return render_template("report_jobs/start.html", round=round_,
                           departments=len(round_.departments), publication=publication)


@bp.get("/rondes/<int:round_id>/rapport/taak/<job_id>")
def status(round_id: int, job_id: str) -> Response | str:
    """The job's progress page; ``?formaat=json`` gives the same as JSON (for the script)."""
    round_ = _round_or_404(round_id)
    job = _job_or_404(round_, job_id)
    download = url_for("report_jobs.download", round_id=round_.id, job_id=job.id)
    if request.args.get("formaat") == "json":
        response = jsonify(stage=job.stage, percent=job.percent, text=stage_text(job),
                           ready=job.ready, failed=job.failed,
                           download=download if job.ready else None)
        response.headers["Cache-Control"] = "no-store"
        return response
    return render_template("report_jobs/status.html", round=round_, job=job,
                           text=stage_text(job), download=download,
                           publication=job.publication)


@bp.get("/rondes/<int:round_id>/rapport/taak/<job_id>/rapport.pdf")
def download(round_id: int, job_id: str) -> Response:
    """The finished job's PDF (saved in the instance folder, then sent)."""
    round_ = _round_or_404(round_id)
    job = _job_or_404(round_, job_id)
    data = report_jobs.job_pdf(job.id) if job.ready else None
    if data is None:
        abort(409, description=_("Het rapport is nog niet klaar. Volg de voortgang op de "
                                 "vorige pagina."))
    path = reports.save_report(data, round_, publication=job.publication)
    response = send_file(path, mimetype="application/pdf", as_attachment=True,
                         download_name=reports.report_filename(
                             round_, publication=job.publication))
    response.headers["Cache-Control"] = "private, no-store"
    return response
