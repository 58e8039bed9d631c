"""The respondent survey: intro, start, one page per theme, review, submit, thank-you.

Open to anyone holding a department's invitation link; no account. The invitation token
(``/s/<token>``) says which department a respondent answers for; starting creates a response
reached by its own resume token (``/r/<resume_token>``). Every page derives the department
from the response, so a respondent only ever sees their own department.

Views are thin: they validate the posted form (built at runtime in
:mod:`quickscan.forms.survey`), call :mod:`quickscan.services.responses` and redirect. Unknown
tokens are rate-limited per IP address; requests with a known token never count, so a whole
department behind one office address is never limited. Refusals are the app's Dutch error pages
(:func:`quickscan.errors.render_error`) in the survey's layout; a save refused because the
response was submitted or the round closed meanwhile shows the page's answers again, so the
respondent can copy them.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from werkzeug.wrappers import Response as WerkzeugResponse

from quickscan.errors import (
    kept_headers,
    register_domain_errors,
    render_error,
    status_for,
)
from quickscan.forms.survey import (
    ACTIONS,
    IMPORTANCE_LABELS,
    StepForm,
    answer_choices,
    importance_choices,
    make_step_form,
    repeated_fields,
    unknown_fields,
)
from quickscan.models import Response
from quickscan.services import responses as service
from quickscan.services.banks import expected_minutes
from quickscan.services.errors import Conflict
from quickscan.services.responses import (
    InvalidAnswerError,
    InvalidImportanceError,
    MalformedFormError,
    NotFoundError,
    NothingAnsweredError,
    Step,
)
from quickscan.services.results import group_size
from quickscan.views.token_limits import known_invitation, known_response, token_limit

bp = Blueprint("survey", __name__)
LAYOUT = "survey/_layout.html"
#: The cookie that remembers, per invitation link, the draft this browser started; its path is
#: the invitation's own path, so it is only sent back to that link's pages.
RESUME_COOKIE = "quickscan_verder"
RESUME_COOKIE_DAYS = 90
register_domain_errors(bp, layout=LAYOUT)


# --------------------------------------------------------------------------- rate limiting


@bp.after_request
def no_store(response: WerkzeugResponse) -> WerkzeugResponse:
    """Survey pages carry personal links and answers: never keep them in a cache."""
    response.headers["Cache-Control"] = "no-store"
    return response


# --------------------------------------------------------------------------- errors


@bp.errorhandler(CSRFError)
def csrf_error(error: CSRFError) -> WerkzeugResponse:
    """A form without a valid CSRF token: refused with 400, nothing written."""
    return render_error(400, _("Het formulier mist een geldige beveiligingscode. Er is niets "
                               "opgeslagen. Ga terug, laad de pagina opnieuw en probeer het "
                               "nog eens."), layout=LAYOUT)


@bp.errorhandler(RateLimitExceeded)
def rate_limited(error: RateLimitExceeded) -> WerkzeugResponse:
    """Too many unknown links from one address."""
    return render_error(429, _("Er zijn vanaf dit adres te veel onbekende links geprobeerd. "
                               "Wacht een minuut en probeer het dan opnieuw."),
                        kept_headers(error), layout=LAYOUT)


# --------------------------------------------------------------------------- helpers


def _response_or_404(resume_token: str) -> Response:
    response = known_response(resume_token)
    if response is None:
        raise NotFoundError()
    return response


def _survey_context(response: Response) -> dict[str, Any]:
    """What every page of a started survey shows."""
    return {
        "response": response,
        "department": response.department,
        "round": response.department.round,
        "read_only": response.is_submitted or not response.department.round.is_open,
    }


def _resume_token() -> str:
    return str((request.view_args or {})["resume_token"])


def _redirect(endpoint: str, **values: Any) -> WerkzeugResponse:
    return redirect(url_for(endpoint, **values), code=303)


def _render_step(response: Response, step: Step, form: StepForm,
                 status: int = 200) -> tuple[str, int]:
    all_steps = service.steps(response)
    scale = service.scale_for(step.bank)
    answers, comments, importance_by_theme = _stored(response)
    importance = importance_by_theme.get((step.bank.id, step.theme.id))
    labels = dict(answer_choices(scale))
    return render_template(
        "survey/step.html", step=step, total=len(all_steps), form=form, scale=scale,
        answers=answers, comments=comments, importance=importance, answer_labels=labels,
        importance_labels=IMPORTANCE_LABELS, resume_token=_resume_token(),
        **_survey_context(response)), status


# --------------------------------------------------------------------------- intro and start


@bp.get("/s/<token>")
@token_limit
def intro(token: str) -> tuple[str, int] | str:
    """What the quickscan is, how long it takes, who sees the answers, and the scale."""
    invitation = known_invitation(token)
    if invitation is None:
        raise service.link_error(token)
    department = invitation.department
    banks = service.department_banks(department)
    scale = service.scale_for(banks[0]) if banks else None
    remembered = request.cookies.get(RESUME_COOKIE)
    draft = service.resumable_draft(invitation, remembered)
    return render_template(
        "survey/intro.html", token=token, department=department, round=department.round,
        banks=banks, scale=scale, questions=service.question_count(department),
        themes=len(service.department_steps(department)),
        minutes=expected_minutes(banks, scale),
        min_group_size=group_size(department.round),
        continue_url=url_for("survey.step_page", resume_token=remembered,
                             step=service.first_open_step(draft)) if draft else None)


@bp.post("/s/<token>/start")
@token_limit
def start(token: str) -> WerkzeugResponse:
    """Start a response and show the personal resume link.

    The browser remembers the new resume token for this invitation (a cookie on the
    invitation's path), so opening the invitation link again offers "Verder waar u was".
    """
    _, resume_token = service.start_response(token)
    response = _redirect("survey.resume", resume_token=resume_token)
    response.set_cookie(RESUME_COOKIE, resume_token, max_age=RESUME_COOKIE_DAYS * 24 * 3600,
                        path=url_for("survey.intro", token=token), httponly=True,
                        samesite="Lax")
    return response


# --------------------------------------------------------------------------- started survey


@bp.get("/r/<resume_token>")
@token_limit
def resume(resume_token: str) -> str:
    """The personal resume link to keep, the progress so far, and a way to go on."""
    response = _response_or_404(resume_token)
    progress = service.progress(response)
    return render_template(
        "survey/resume.html", progress=progress, resume_token=resume_token,
        resume_url=url_for("survey.resume", resume_token=resume_token, _external=True),
        next_step=service.first_open_step(response),
        answered=sum(p.answered for p in progress), total=sum(p.total for p in progress),
        **_survey_context(response))


@bp.route("/r/<resume_token>/stap/<int:step>", methods=["GET", "POST"])
@token_limit
def step_page(resume_token: str, step: int) -> tuple[str, int] | WerkzeugResponse:
    """One theme: its questions, comments and importance; saves and moves on."""
    response = _response_or_404(resume_token)
    current = service.get_step(response, step)
    form_class = make_step_form(current, service.scale_for(current.bank))
    if request.method == "GET":
        return _render_step(response, current, _form_from_database(response, current,
                                                                    form_class))
    formdata = request.form
    form = form_class(formdata=formdata)
    try:
        service.check_writable(response)
        if unknown_fields(formdata, current):
            raise service.UnknownQuestionError()
        action = formdata.get("action", "save")
        if action not in ACTIONS or repeated_fields(formdata, ["action", "importance"]):
            raise MalformedFormError()
        if not form.validate():
            if form["importance"].errors:
                raise InvalidImportanceError()
            if form.forged_errors():
                raise InvalidAnswerError()
            return _render_step(response, current, form, status=422)
        service.save_page(response, step, form.answers(), form.comments(),
                          form.importance_value())
    except Conflict as error:
        return _unsaved_page(error, current, form)
    if action == "next":
        if step < len(service.steps(response)):
            return _redirect("survey.step_page", resume_token=resume_token, step=step + 1)
        return _redirect("survey.review", resume_token=resume_token)
    if action == "previous" and step > 1:
        return _redirect("survey.step_page", resume_token=resume_token, step=step - 1)
    flash(_("Uw antwoorden zijn opgeslagen."), "success")
    return _redirect("survey.step_page", resume_token=resume_token, step=step)


def _unsaved_page(error: Conflict, step: Step, form: StepForm) -> WerkzeugResponse:
    """The refusal of a save (submitted or closed meanwhile) with the page's answers in it.

    Nothing was saved; the answers, comments and importance the respondent sent are shown
    as text, so they can be copied (only values of the form's own choices are shown).
    """
    labels = dict(answer_choices(service.scale_for(step.bank)))
    sent_answers = form.answers()
    sent_comments = form.comments()
    rows = [{"question": question, "answer": labels.get(sent_answers.get(question.id, "")),
             "comment": sent_comments.get(question.id, "")}
            for question in step.theme.questions]
    importance_raw = request.form.get("importance", "")
    importance = dict(importance_choices()).get(importance_raw)
    return render_error(status_for(error), error.message, layout=LAYOUT,
                        template="survey/unsaved.html", step=step, rows=rows,
                        importance=importance)


def _stored(response: Response) -> tuple[dict[str, str], dict[str, str],
                                         dict[tuple[str, str], int]]:
    """The response's saved answers, comments and importance ratings, read once per request."""
    key = f"quickscan.stored:{response.id}"
    if key not in request.environ:
        request.environ[key] = (service.answers_of(response), service.comments_of(response),
                                service.importance_of(response))
    stored: tuple[dict[str, str], dict[str, str], dict[tuple[str, str], int]]
    stored = request.environ[key]
    return stored


def _form_from_database(response: Response, step: Step, form_class: type[StepForm]) -> StepForm:
    answers, comments, importance_by_theme = _stored(response)
    importance = importance_by_theme.get((step.bank.id, step.theme.id))
    data: dict[str, Any] = {}
    for question in step.theme.questions:
        data["q-" + question.id] = answers.get(question.id)
        data["c-" + question.id] = comments.get(question.id, "")
    data["importance"] = str(importance) if importance is not None else None
    return form_class(formdata=None, data=data)


def _review_page(response: Response, resume_token: str, error: str | None = None,
                 status: int = 200) -> tuple[str, int]:
    progress = service.progress(response)
    return render_template(
        "survey/review.html", progress=progress, resume_token=resume_token,
        unanswered=sum(p.total - p.answered for p in progress),
        total=sum(p.total for p in progress), error=error,
        **_survey_context(response)), status


@bp.get("/r/<resume_token>/overzicht")
@token_limit
def review(resume_token: str) -> tuple[str, int]:
    """The review page: unanswered questions, linked, and the submit button."""
    return _review_page(_response_or_404(resume_token), resume_token)


@bp.post("/r/<resume_token>/indienen")
@token_limit
def submit(resume_token: str) -> WerkzeugResponse | tuple[str, int]:
    """Submit the response; it is read-only afterwards. Without any answer: 422, the review
    page again with the reason, nothing written."""
    response = _response_or_404(resume_token)
    try:
        service.submit(response)
    except NothingAnsweredError as error:
        return _review_page(response, resume_token, error.message, 422)
    from quickscan.views.invitations import record_submission

    record_submission(resume_token)  # a personal link: flag its invitee, nothing more
    return _redirect("survey.thanks", resume_token=resume_token)


@bp.get("/r/<resume_token>/bedankt")
@token_limit
def thanks(resume_token: str) -> str | WerkzeugResponse:
    """The thank-you page (only once the response is submitted)."""
    response = _response_or_404(resume_token)
    if not response.is_submitted:
        return _redirect("survey.review", resume_token=resume_token)
    results_url = (url_for("results.respondent", resume_token=resume_token)
                   if "results.respondent" in current_app.view_functions else None)
    return render_template("survey/thanks.html", resume_token=resume_token,
                           results_url=results_url, **_survey_context(response))

