"""The Lokale Inclusie Agenda pages (docs/lia.md).

Coordinator pages under ``/rondes/<id>/agenda`` (the overview and the exports are open to a
lezer, read-only); the projector view for the werkconferentie; and three pages without login:
the public vote (``/s/<vote token>/stem``: one ballot per browser, a signed cookie holding a
ballot token whose hash is stored when the ballot is cast; the inwoners survey's honeypot
field, no CAPTCHA), a department's own actions
(``/s/<invitation token>/acties``) and the published progress page (``/agenda/<id>``). Tokens
sit in ``/s/<token>`` paths so the access log masks them. Views are thin: the service
refuses bad input before anything is written; refusals a coordinator can correct are shown on
the page (422, 409), forged values get the error page.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeSerializer
from werkzeug.wrappers import Response

from quickscan import links
from quickscan.errors import register_domain_errors
from quickscan.extensions import limiter
from quickscan.models import (
    LIA_VOTE_OPEN,
    ROLE_COORDINATOR,
    Round,
)
from quickscan.services import lia as service
from quickscan.services import rounds as round_service
from quickscan.services.errors import NeedsCorrection
from quickscan.services.group_size import min_group_size
from quickscan.views.perspectives import role_label
from quickscan.views.public_forms import HONEYPOT, honeypot_filled, submit
from quickscan.views.token_limits import known_invitation, link_key, token_limit

bp = Blueprint("lia", __name__)
register_domain_errors(bp)

BALLOT_COOKIE = "qs_stem"
BALLOT_SALT = "lia-ballot"
Page = Response | str | tuple[str, int]


def _round_or_404(round_id: int) -> Round:
    round_ = round_service.get_round(round_id)
    if round_ is None:
        abort(404)
    return round_


def _status_words() -> dict[str, str]:
    return {"gepland": _("gepland"), "bezig": _("bezig"), "gereed": _("gereed"),
            "gestopt": _("gestopt")}


def _role_words() -> dict[str, str]:
    """The "ik stem als" choices: the roles and words of the inwoners survey."""
    return {role: role_label(role) for role in service.VOTER_ROLES}


def _page(round_: Round, error: str | None = None, status: int = 200) -> Page:
    plan = service.plan_or_default(round_)
    department_links = []
    for department in round_.departments:
        token = links.invitation_token(department)
        if department.kind == "department" and token:
            department_links.append((department, url_for("lia.department_actions",
                                                         token=token, _external=True)))
    vote_url = None
    if plan.vote_salt and current_user.has_role(ROLE_COORDINATOR):
        vote_url = url_for("lia.vote", token=service.vote_token(plan, links.secret_key()),
                           _external=True)
    body = render_template(
        "lia/index.html", round=round_, plan=plan, error=error,
        can_edit=current_user.has_role(ROLE_COORDINATOR),
        priorities=service.priorities(round_)[:30], titles=service.theme_titles(round_),
        candidates=service.candidates(round_),
        merged=[c for c in service.candidates(round_, include_merged=True) if c.merged_into_id],
        results=service.results(round_), figures=service.vote_figures(round_),
        speerpunten=[(s, service.actions(s)) for s in service.speerpunten(round_)],
        owners=[d.name for d in round_.departments if d.kind == "department"]
        + list(plan.partners),
        statuses=_status_words(), roles=_role_words(), k=min_group_size(round_),
        vote_url=vote_url,
        department_links=department_links)
    return (body, status) if status != 200 else body


def _do(round_: Round, call: Any, done: str) -> Page:
    """Run a service call; show a correctable refusal on the page, else redirect."""
    return submit(call, on_error=lambda message, status: _page(round_, message, status),
                  to=url_for("lia.index", round_id=round_.id), done=done)


# --------------------------------------------------------------------------- coordinator


@bp.get("/rondes/<int:round_id>/agenda")
def index(round_id: int) -> Page:
    """The agenda of a round: candidates, the vote, speerpunten and actions."""
    return _page(_round_or_404(round_id))


@bp.post("/rondes/<int:round_id>/agenda/kandidaten")
def add_candidate(round_id: int) -> Page:
    """Add an own candidate."""
    round_ = _round_or_404(round_id)
    return _do(round_, lambda: service.add_candidate(
        round_, request.form.get("title"), request.form.get("description", ""),
        request.form.getlist("theme")), _("Kandidaat toegevoegd."))


@bp.post("/rondes/<int:round_id>/agenda/kandidaten/prioriteiten")
def from_priorities(round_id: int) -> Page:
    """One candidate from the ticked priorities."""
    round_ = _round_or_404(round_id)
    return _do(round_, lambda: service.candidate_from_priorities(
        round_, request.form.getlist("rank"), request.form.get("title") or None),
        _("Kandidaat gemaakt van de gekozen prioriteiten."))


@bp.post("/rondes/<int:round_id>/agenda/kandidaten/samenvoegen")
def merge(round_id: int) -> Page:
    """Merge candidates, keeping the reason."""
    round_ = _round_or_404(round_id)
    return _do(round_, lambda: service.merge_candidates(
        round_, request.form.get("keep", ""), request.form.getlist("merge"),
        request.form.get("reason")), _("Kandidaten samengevoegd."))


@bp.post("/rondes/<int:round_id>/agenda/stemming/regels")
def rules(round_id: int) -> Page:
    """The votes per voter and the period."""
    round_ = _round_or_404(round_id)
    return _do(round_, lambda: service.set_rules(
        round_, request.form.get("votes", ""), request.form.get("opens_on"),
        request.form.get("closes_on")), _("Regels van de stemming opgeslagen."))


@bp.post("/rondes/<int:round_id>/agenda/stemming/open")
def open_vote(round_id: int) -> Page:
    """Open the vote (creates the public vote link)."""
    round_ = _round_or_404(round_id)
    return _do(round_, lambda: service.open_vote(round_, secret_key=links.secret_key()),
               _("De stemming is open."))


@bp.post("/rondes/<int:round_id>/agenda/stemming/sluiten")
def close_vote(round_id: int) -> Page:
    """Close the vote."""
    round_ = _round_or_404(round_id)
    return _do(round_, lambda: service.close_vote(round_), _("De stemming is gesloten."))


@bp.post("/rondes/<int:round_id>/agenda/stemming/telling")
def tally(round_id: int) -> Page:
    """Votes counted in the room or on paper."""
    round_ = _round_or_404(round_id)
    return _do(round_, lambda: service.add_tally(
        round_, request.form.get("candidate", ""), request.form.get("origin"),
        request.form.get("count", ""), request.form.get("voter_role", "")),
        _("Stemmen toegevoegd."))


@bp.post("/rondes/<int:round_id>/agenda/stemming/tonen")
def show_results(round_id: int) -> Page:
    """Show or hide the running result on the projector view."""
    round_ = _round_or_404(round_id)
    show = request.form.get("show") == "1"
    return _do(round_, lambda: service.set_show_results(round_, show),
               _("Het scherm toont de tussenstand.") if show
               else _("Het scherm toont alleen de kandidaten."))


@bp.get("/rondes/<int:round_id>/agenda/scherm")
def projector(round_id: int) -> str:
    """The projector view for the werkconferentie (refreshed by a button, never by itself)."""
    round_ = _round_or_404(round_id)
    return render_template("lia/projector.html", round=round_, state=_standing(round_))


def _standing(round_: Round) -> dict[str, Any]:
    plan = service.plan_or_default(round_)
    show = bool(plan.show_results)
    return {
        "status": plan.vote_status, "show_results": show,
        "ballots": service.vote_count(round_) if show else None,
        "candidates": [
            {"title": r.candidate.title, **(r.votes() if show else {})}
            for r in (service.results(round_) if show else
                      [service.CandidateResult(c, 0, 0, 0) for c in service.candidates(round_)])],
    }


@bp.get("/rondes/<int:round_id>/agenda/stand.json")
def standing(round_id: int) -> Response:
    """The projector view's data: the candidates, and the votes when they may be shown."""
    response = jsonify(_standing(_round_or_404(round_id)))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/rondes/<int:round_id>/agenda/speerpunten")
def choose(round_id: int) -> Page:
    """Choose the top N of the vote, adjusted with a reason."""
    round_ = _round_or_404(round_id)
    return _do(round_, lambda: service.choose(
        round_, request.form.get("top", ""), add=request.form.getlist("add"),
        drop=request.form.getlist("drop"), reason=request.form.get("reason", "")),
        _("Speerpunten gekozen."))


@bp.post("/rondes/<int:round_id>/agenda/partners")
def add_partner(round_id: int) -> Page:
    """Add a named partner organisation."""
    round_ = _round_or_404(round_id)
    return _do(round_, lambda: service.add_partner(round_, request.form.get("name")),
               _("Partner toegevoegd."))


@bp.post("/rondes/<int:round_id>/agenda/acties")
def add_action(round_id: int) -> Page:
    """Add an action to a speerpunt."""
    round_ = _round_or_404(round_id)
    return _do(round_, lambda: service.add_action(
        round_, request.form.get("speerpunt", ""), request.form.get("title"),
        request.form.get("owner"), request.form.get("deadline"),
        request.form.get("status", "gepland"), request.form.getlist("theme")),
        _("Actie toegevoegd."))


@bp.post("/rondes/<int:round_id>/agenda/acties/voortgang")
def progress_note(round_id: int) -> Page:
    """Change an action's status and/or add a dated progress note."""
    round_ = _round_or_404(round_id)
    action = service.get_action(round_, request.form.get("action", ""))
    status = request.form.get("status") or None
    return _do(round_, lambda: service.update_action(round_, action, status,
                                                     request.form.get("note", "")),
               _("Voortgang opgeslagen."))


@bp.post("/rondes/<int:round_id>/agenda/publiceren")
def publish(round_id: int) -> Page:
    """Publish or withdraw the public progress page."""
    round_ = _round_or_404(round_id)
    published = request.form.get("published") == "1"
    return _do(round_, lambda: service.set_published(round_, published),
               _("De voortgangspagina is gepubliceerd.") if published
               else _("De voortgangspagina is offline gehaald."))


@bp.get("/rondes/<int:round_id>/agenda/export.<fmt>")
def export(round_id: int, fmt: str) -> Response:
    """The draft agenda (docx), the quickscan-lia/1 JSON, or the actions (xlsx, csv)."""
    round_ = _round_or_404(round_id)
    if fmt not in service.MIME_TYPES:
        abort(404, description=_("Dit exportformaat bestaat niet."))
    lang = "en" if request.args.get("taal") == "en" else "nl"
    response = Response(service.export(round_, fmt, lang),
                        mimetype=service.MIME_TYPES[fmt].split(";")[0])
    if fmt == "csv":
        response.headers["Content-Type"] = service.MIME_TYPES["csv"]
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{service.export_filename(round_, fmt)}"')
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --------------------------------------------------------------------------- public


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=BALLOT_SALT)


def _ballot_token(plan_id: int) -> str | None:
    """This browser's ballot token for the vote, when its signed cookie is genuine."""
    raw = request.cookies.get(f"{BALLOT_COOKIE}{plan_id}", "")
    if not raw:
        return None
    try:
        value = _serializer().loads(raw)
    except BadSignature:
        return None
    return value if isinstance(value, str) and 20 <= len(value) <= 100 else None


def _vote_rate_limit() -> str:
    return str(current_app.config["LIA_VOTE_RATE_LIMIT"])


def _vote_link_limit() -> str:
    return str(current_app.config["LIA_VOTE_LINK_RATE_LIMIT"])


@bp.route("/s/<token>/stem", methods=["GET", "POST"])
@token_limit
@limiter.limit(_vote_link_limit, key_func=link_key, methods=["POST"], scope="lia-vote-link")
@limiter.limit(_vote_rate_limit, methods=["POST"], scope="lia-vote")
def vote(token: str) -> Page:
    """The public vote: tick up to N candidates, optionally say as whom you vote."""
    found = service.find_vote(token)
    if found is None:
        abort(404)
    round_, plan = found
    ballot = _ballot_token(plan.id)
    error = None
    status = 200
    if request.method == "POST":
        if honeypot_filled(request.form):
            # A bot filled the hidden field: answer as if it voted, write nothing.
            return redirect(url_for("lia.vote", token=token), 303)
        if ballot is None:
            abort(400, description=_("Deze stem is niet geldig: open de stemlink opnieuw en "
                                     "stem nog een keer."))
        try:
            service.cast_ballot(round_, ballot, request.form.getlist("candidate"),
                                request.form.get("voter_role", ""))
        except NeedsCorrection as exc:
            error, status = exc.message, 422
        else:
            return redirect(url_for("lia.vote", token=token), 303)
    voted = ballot is not None and service.has_voted(ballot)
    body = render_template(
        "lia/vote.html", round=round_, plan=plan, candidates=service.candidates(round_),
        voted=voted, is_open=plan.vote_status == LIA_VOTE_OPEN, error=error,
        chosen=set(request.form.getlist("candidate")), roles=_role_words(), token=token,
        honeypot=HONEYPOT)
    response = Response(body, status=status, mimetype="text/html")
    if ballot is None:
        response.set_cookie(f"{BALLOT_COOKIE}{plan.id}",
                            _serializer().dumps(service.new_ballot_token()),
                            max_age=60 * 60 * 24 * 365, httponly=True, samesite="Lax",
                            path="/s/")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/s/<token>/acties")
@token_limit
def department_actions(token: str) -> Page:
    """A department's own actions, for whoever holds the department's invitation link."""
    invitation = known_invitation(token)
    if invitation is None:
        abort(404)
    department = invitation.department
    return render_template("lia/department.html", department=department,
                           round=department.round,
                           items=service.department_actions(department),
                           titles=service.theme_titles(department.round),
                           statuses=_status_words())


@bp.get("/agenda/<int:round_id>")
def progress(round_id: int) -> Page:
    """The published progress page: speerpunten, actions and status in plain words."""
    round_ = service.published_round(round_id)
    if round_ is None:
        abort(404)
    return render_template("lia/progress.html", round=round_,
                           speerpunten=[(s, service.actions(s))
                                        for s in service.speerpunten(round_)],
                           changed=service.last_change(round_), statuses=_status_words())

