"""Invitations by e-mail: addresses per department, texts with a preview, sending, the send
log, the test message; and the respondent's personal link ``/p/<token>``.

Coordinator pages need a login. Refused input re-renders the page with a Dutch message
(422 for input to correct, 409 when the state forbids it) and writes nothing.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response as WerkzeugResponse

from quickscan.errors import register_domain_errors
from quickscan.models import (
    LINK_PERSONAL,
    MAIL_INVITATION,
    MAIL_REMINDER,
    Department,
    Round,
)
from quickscan.services import invitations as service
from quickscan.services import mail as mail_service
from quickscan.services import responses as response_service
from quickscan.services import rounds as round_service
from quickscan.services.errors import Conflict, DomainError, NotFound
from quickscan.services.uow import discard
from quickscan.views.token_limits import token_limit

bp = Blueprint("invitations", __name__)

Page = WerkzeugResponse | str | tuple[str, int]
TEXT_FIELDS = ("invitation_subject", "invitation_body", "reminder_subject", "reminder_body")


@bp.after_request
def no_store(response: WerkzeugResponse) -> WerkzeugResponse:
    """Addresses and personal links are never kept in a cache."""
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.app_template_global("response_rates")
def _response_rates(round_: Round) -> list[service.Rate]:
    return service.response_rates(round_)


@bp.app_template_global("mail_configured")
def _mail_configured() -> bool:
    return mail_service.is_configured()


def _status(exc: DomainError) -> int:
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, Conflict):
        return 409
    return 422


def _round_or_404(round_id: int) -> Round:
    round_ = round_service.get_round(round_id)
    if round_ is None:
        abort(404)
    return round_


def _department_or_404(round_: Round, department_id: int) -> Department:
    department = round_service.get_department(round_, department_id)
    if department is None:
        abort(404)
    return department


def _page(round_: Round, status: int = 200, *, error: str | None = None,
          error_department: int | None = None, pasted: str = "", texts: Any = None,
          preview_kind: str | None = None, preview_personal: bool = False,
          test_address: str | None = None) -> tuple[str, int]:
    discard()
    stored = service.settings_for(round_)
    # A plain copy: what was typed (a preview, a refused save) is shown, never written.
    settings = SimpleNamespace(**{key: getattr(stored, key) for key in (
        *TEXT_FIELDS, "language", "reminder_days_before")})
    if texts is not None:
        for key in TEXT_FIELDS:
            value = texts.get(key)
            if isinstance(value, str):
                setattr(settings, key, value)
        if texts.get("language") in service.LANGUAGES:
            settings.language = texts["language"]
        settings.reminder_days_before = texts.get("reminder_days_before") or None
    preview = None
    if preview_kind is not None:
        try:
            preview = service.preview(round_, settings, preview_kind, preview_personal)
        except DomainError:
            preview = None
    departments = [{"department": department, "invitees": service.invitees(department)}
                   for department in round_.departments]
    candidates, reason = service.reminder_candidates(round_)
    discard()
    return render_template(
        "invitations/index.html", round=round_, departments=departments, settings=settings,
        mail=mail_service.describe(), log=service.send_log(round_), error=error,
        error_department=error_department, pasted=pasted, preview=preview,
        preview_kind=preview_kind, reminder_count=len(candidates), reminder_reason=reason,
        kind_label=service.kind_label, max_reminders=service.MAX_REMINDERS,
        min_days=service.MIN_DAYS_BETWEEN, max_invitees=service.MAX_INVITEES,
        test_address=test_address if test_address is not None else getattr(
            current_user, "email", ""),
        rates=service.response_rates(round_)), status


def _back(round_: Round, anchor: str | None = None) -> WerkzeugResponse:
    return redirect(url_for("invitations.index", round_id=round_.id, _anchor=anchor), 303)


@bp.get("/rondes/<int:round_id>/uitnodigingen")
@login_required
def index(round_id: int) -> Page:
    """The invitations page of a round."""
    return _page(_round_or_404(round_id))


@bp.post("/rondes/<int:round_id>/afdelingen/<int:department_id>/adressen")
@login_required
def add_addresses(round_id: int, department_id: int) -> Page:
    """Add pasted or uploaded addresses to a department."""
    round_ = _round_or_404(round_id)
    department = _department_or_404(round_, department_id)
    pasted = request.form.get("addresses", "")
    upload = request.files.get("file")
    try:
        text = pasted
        if upload is not None and upload.filename:
            text = (pasted + "\n" if pasted.strip() else "") + service.decode_upload(
                upload.read())
        result = service.add_invitees(department, text, request.form.get("link", ""))
    except DomainError as exc:
        return _page(round_, _status(exc), error=exc.message, error_department=department.id,
                     pasted=pasted)
    message = _("%(count)d adressen toegevoegd aan %(name)s.", count=result.added,
                name=department.name)
    if result.duplicates:
        message += " " + _("%(count)d dubbele adressen overgeslagen.", count=result.duplicates)
    if result.already:
        message += " " + _("%(count)d adressen stonden er al.", count=result.already)
    flash(message, "success")
    return _back(round_, f"adressen-{department.id}")


@bp.post("/rondes/<int:round_id>/afdelingen/<int:department_id>/adressen/verwijderen")
@login_required
def remove_address(round_id: int, department_id: int) -> Page:
    """Remove one address from a department's list."""
    round_ = _round_or_404(round_id)
    department = _department_or_404(round_, department_id)
    invitee_id = request.form.get("invitee", "")
    if not invitee_id.isdigit() or len(invitee_id) > 18:
        abort(400, description=_("Onbekend adres."))
    try:
        service.remove_invitee(department, int(invitee_id))
    except DomainError as exc:
        return _page(round_, _status(exc), error=exc.message, error_department=department.id)
    flash(_("Het adres is verwijderd."), "success")
    return _back(round_, f"adressen-{department.id}")


@bp.post("/rondes/<int:round_id>/uitnodigingen/teksten")
@login_required
def save_texts(round_id: int) -> Page:
    """Save the texts, or show a preview of them without saving."""
    round_ = _round_or_404(round_id)
    form = {key: request.form.get(key, "") for key in TEXT_FIELDS}
    form["language"] = request.form.get("language", "nl")
    form["reminder_days_before"] = request.form.get("reminder_days_before", "")
    action = request.form.get("action", "save")
    if action == "reset":
        try:
            service.reset_texts(round_, form["language"])
        except DomainError as exc:
            return _page(round_, _status(exc), error=exc.message)
        flash(_("De standaardteksten staan weer klaar."), "success")
        return _back(round_, "teksten")
    if action.startswith("preview"):
        kind = MAIL_REMINDER if action.endswith("reminder") else MAIL_INVITATION
        try:
            service.check_texts(form["language"], dict(form), form["reminder_days_before"])
        except DomainError as exc:
            return _page(round_, _status(exc), error=exc.message, texts=form)
        return _page(round_, texts=form, preview_kind=kind,
                     preview_personal=request.form.get("preview_link") == LINK_PERSONAL)
    try:
        service.save_settings(round_, form["language"], dict(form),
                              form["reminder_days_before"])
    except DomainError as exc:
        return _page(round_, _status(exc), error=exc.message, texts=form)
    flash(_("De teksten zijn opgeslagen."), "success")
    return _back(round_, "teksten")


def _queued(round_: Round, batch_id: int, what: str) -> WerkzeugResponse:
    from quickscan import tasks

    tasks.enqueue_batch(batch_id)
    flash(what, "success")
    return _back(round_, "verzendlog")


@bp.post("/rondes/<int:round_id>/uitnodigingen/versturen")
@login_required
def send_invitations(round_id: int) -> Page:
    """Queue the invitations of every address not invited yet."""
    round_ = _round_or_404(round_id)
    try:
        mail_service.check_configured()
        mail_service.probe()  # an unreachable server: say so now, and queue nothing
        batch = service.queue_invitations(round_)
    except DomainError as exc:
        return _page(round_, _status(exc), error=exc.message)
    return _queued(round_, batch.id, _("%(count)d uitnodigingen worden verstuurd.",
                                       count=len(batch.messages)))


@bp.post("/rondes/<int:round_id>/uitnodigingen/herinneren")
@login_required
def send_reminders(round_id: int) -> Page:
    """Queue a reminder for everyone who may get one now."""
    round_ = _round_or_404(round_id)
    try:
        service.reminder_check(round_)
        mail_service.probe()
        batch = service.queue_reminders(round_)
    except DomainError as exc:
        return _page(round_, _status(exc), error=exc.message)
    return _queued(round_, batch.id, _("%(count)d herinneringen worden verstuurd.",
                                       count=len(batch.messages)))


@bp.post("/rondes/<int:round_id>/uitnodigingen/opnieuw")
@login_required
def retry(round_id: int) -> Page:
    """Send a batch's failed messages again (uncertain ones never)."""
    round_ = _round_or_404(round_id)
    from quickscan.extensions import db
    from quickscan.models import MailBatch

    batch_id = request.form.get("batch", "")
    batch = db.session.get(MailBatch, int(batch_id)) if batch_id.isdigit() and len(
        batch_id) < 18 else None
    if batch is None or batch.round_id != round_.id:
        return _page(round_, 404, error=_("Deze verzending bestaat niet."))
    try:
        count = service.retry_batch(batch)
    except DomainError as exc:
        return _page(round_, _status(exc), error=exc.message)
    return _queued(round_, batch.id, _("%(count)d berichten worden opnieuw verstuurd.",
                                       count=count))


@bp.post("/rondes/<int:round_id>/uitnodigingen/testbericht")
@login_required
def test_message(round_id: int) -> Page:
    """Send a test message at once, to check the mail settings."""
    round_ = _round_or_404(round_id)
    address = request.form.get("address", "")
    try:
        mail_service.send_now([mail_service.test_message(address)])
    except DomainError as exc:
        return _page(round_, _status(exc), error=exc.message, test_address=address)
    flash(_("Het testbericht is verstuurd naar %(address)s.", address=address.strip()),
          "success")
    return _back(round_, "mailserver")


# --------------------------------------------------------------------------- personal links


@bp.get("/p/<token>")
@token_limit
def personal_intro(token: str) -> tuple[str, int] | str:
    """A personal link: the department's intro page; starting is anonymous."""
    link = service.find_personal_link(token)
    if link is None:
        raise response_service.NotFoundError()
    department = link.invitee.department
    banks = response_service.department_banks(department)
    scale = response_service.scale_for(banks[0]) if banks else None
    return render_template(
        "survey/intro.html", token=token, department=department, round=department.round,
        banks=banks, scale=scale, questions=response_service.question_count(department),
        themes=len(response_service.department_steps(department)),
        minutes=response_service.estimated_minutes(department),
        min_group_size=department.round.min_group_size, continue_url=None,
        start_url=url_for("invitations.personal_start", token=token), personal=True)


@bp.post("/p/<token>/start")
@token_limit
def personal_start(token: str) -> WerkzeugResponse:
    """Start an anonymous response of the invitee's department."""
    _response, resume_token = service.start_personal_response(token)
    return redirect(url_for("survey.resume", resume_token=resume_token), 303)


# Unknown personal links, closed rounds and other domain errors: the app's one error-page system.
register_domain_errors(bp)


def record_submission(resume_token: str) -> None:
    """Called after a submit: mark the invitee behind a personal response (flag only)."""
    try:
        service.note_submission(resume_token)
    except Exception:  # never fail a submission over the invitation flag
        current_app.logger.exception("invitations: could not record a submission")


__all__ = ["bp", "record_submission"]
