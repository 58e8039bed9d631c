"""Inwoners and bestuur: their public survey pages, the coordinator's groups page, paper forms
and the "Perspectieven" results page.

Public pages (``/i/<token>`` for inwoners, ``/b/<token>`` for bestuur) need no account. Unknown
tokens count against the per-address guessing limit every token route shares; a known link is
never limited by it. Submissions are limited against floods without excluding a group behind one
network: per link (``RESIDENTS_LINK_RATE_LIMIT``, a bucket shared by everyone on that link) and
per address (``RESIDENTS_IP_RATE_LIMIT``, high enough for a community centre full of people);
see docs/security.md. A honeypot field catches simple bots; there is no CAPTCHA.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup
from werkzeug.wrappers import Response

from quickscan import links
from quickscan.errors import register_domain_errors, status_for
from quickscan.extensions import limiter
from quickscan.forms.perspectives import (
    HONEYPOT,
    CsrfForm,
    bestuur_ratings,
    honeypot_filled,
    residents_submission,
)
from quickscan.group_models import PARTICIPANT_ROLES
from quickscan.models import KIND_BESTUUR, KIND_RESIDENTS, Round
from quickscan.perspectives import BLIND_SPOT_POINTS
from quickscan.reporting.perspectives import PerspectiveChartInput, perspective_chart
from quickscan.services import perspectives as service
from quickscan.services import rounds as round_service
from quickscan.services.banks import catalog as bank_catalog
from quickscan.services.errors import Conflict, NeedsCorrection
from quickscan.views.public_forms import submit
from quickscan.views.token_limits import _token_rate_limit, link_key

public = Blueprint("public_groups", __name__)
register_domain_errors(public, layout="groups/_public_layout.html")
bp = Blueprint("groups", __name__)
register_domain_errors(bp)

def role_label(role: str) -> str:
    """The Dutch label of an "ik doe mee als" answer."""
    labels: dict[str, str] = {"inwoner": _("Inwoner"), "ervaringsdeskundige": _("Ervaringsdeskundige"),
              "lid_adviesraad": _("Lid van de adviesraad"), "mantelzorger": _("Mantelzorger"),
              "professional": _("Professional")}
    return str(labels.get(role, role))


# --------------------------------------------------------------------------- rate limits


def _known_group_token() -> bool:
    args = request.view_args or {}
    token = str(args.get("token", ""))
    if request.method == "GET" and _memo_fresh(_memo_key(token)) is not None:
        return True  # seen a moment ago as a working link (see _fresh_page)
    kind = KIND_RESIDENTS if request.path.startswith("/i/") else KIND_BESTUUR
    key = "quickscan.group_link:" + token
    if key not in request.environ:
        request.environ[key] = service.find_link(token, kind)
    return request.environ[key] is not None


#: Unknown tokens share the per-address counter of every token route; known links are exempt.
group_token_limit = limiter.shared_limit(
    _token_rate_limit, scope="survey-token", exempt_when=_known_group_token,
    deduct_when=lambda response: response.status_code == 404)


def _link_limit() -> str:
    return str(current_app.config["RESIDENTS_LINK_RATE_LIMIT"])


def _ip_limit() -> str:
    return str(current_app.config["RESIDENTS_IP_RATE_LIMIT"])


link_flood_limit = limiter.limit(_link_limit, key_func=link_key, methods=["POST"],
                                 scope="group-link-flood")
ip_flood_limit = limiter.limit(_ip_limit, methods=["POST"], scope="group-ip-flood")


@public.after_request
def no_store(response: Response) -> Response:
    """Public survey pages carry a link: never keep them in a cache."""
    response.headers["Cache-Control"] = "no-store"
    return response


def _link_or_404(token: str, kind: str) -> Any:
    key = "quickscan.group_link:" + token
    link = request.environ[key] if key in request.environ else service.find_link(token, kind)
    if link is None:
        abort(404, description=_("Deze link werkt niet. Vraag de organisator om een nieuwe "
                                 "link."))
    return link


# --------------------------------------------------------------------------- inwoners


def _residents_page(link: Any, token: str, *, errors: list[str] | None = None,
                    values: Any = None, status: int = 200) -> tuple[str, int]:
    round_ = link.department.round
    bank = service.residents_bank(round_)
    if bank is None:
        abort(404)
    scale = _experience_scale(bank.scale)
    return render_template(
        "groups/residents_survey.html", bank=bank, scale=scale, token=token, round=round_,
        statements_html=statements_html(bank, scale, values),
        open=service.is_open(link.department), form=CsrfForm(), errors=errors or [],
        values=values, roles=[(r, role_label(r)) for r in PARTICIPANT_ROLES],
        honeypot=HONEYPOT, action=url_for("public_groups.residents", token=token),
        paper=False, has_bank=True), status


def _bank_or_404(round_: Round) -> Any:
    bank = service.residents_bank(round_)
    if bank is None:
        abort(404)
    return bank


#: The statements part of the survey page as rendered for an empty form, per bank content hash,
#: scale and language: the same for every inwoner, so it is rendered once per worker.
_statements_cache: dict[tuple[str, str, str], Markup] = {}


def statements_html(bank: Any, scale: Any, values: Any) -> Markup:
    """The statements with their answer options (cached while nothing is filled in)."""
    if values:
        return Markup(render_template("groups/_statements.html", bank=bank, scale=scale,
                                      values=values))
    key = (bank.sha256, scale.model_dump_json(), str(get_locale()))
    cached = _statements_cache.get(key)
    if cached is None:
        cached = Markup(render_template("groups/_statements.html", bank=bank, scale=scale,
                                        values=None))
        if len(_statements_cache) > 32:
            _statements_cache.clear()
        _statements_cache[key] = cached
    return cached


def _experience_scale(scale_id: str) -> Any:
    from quickscan.residents import default_scale

    path = Path(current_app.config["QUESTIONS_DIR"]) / "scales.yaml"
    try:
        mtime = path.stat().st_mtime
    except OSError:
        return default_scale()
    return _scales(str(path), mtime).get(scale_id) or default_scale()


@lru_cache(maxsize=4)
def _scales(path: str, mtime: float) -> dict[str, Any]:
    """The experience scales of ``scales.yaml``, read once per file version."""
    from quickscan.bank import BankError
    from quickscan.residents import load_experience_scales

    try:
        return dict(load_experience_scales(Path(path)))
    except (BankError, OSError):
        return {}


#: The empty survey page per link, language and state, with a placeholder for the CSRF token:
#: it is the same for every inwoner on a link, so each worker renders it once (see
#: docs/benchmarks.md). Pages with flashed messages or for a logged-in user are never cached.
_page_cache: dict[tuple[Any, ...], str] = {}
_CSRF_PLACEHOLDER = "\x00csrf\x00"


#: A working link's empty page, remembered for a moment without asking the database:
#: (token digest, language, path) -> (until, epoch, page cache key). A link revoked or a group
#: or round closed by another worker shows its old page for at most ``RESIDENTS_PAGE_TTL``
#: seconds (default 2); a submission always checks the database. Changes made in this worker
#: bump the service's epoch and end every memo at once.
_link_memo: dict[tuple[str, str, str], tuple[float, int, tuple[Any, ...]]] = {}
PAGE_TTL_DEFAULT = 2.0


def _memo_key(token: str) -> tuple[str, str, str]:
    return (hashlib.sha256(token.encode()).hexdigest(), str(get_locale()), request.path)


def _anonymous_without_messages() -> bool:
    from flask import session
    from flask_login import current_user

    return not session.get("_flashes") and not current_user.is_authenticated


def _fresh_page(token: str) -> tuple[str, int] | None:
    """The remembered empty page of a link seen a moment ago, with this visitor's own CSRF
    token; None when there is none (then the database is asked as usual)."""
    from flask_wtf.csrf import generate_csrf

    page = _memo_fresh(_memo_key(token))
    if page is None or not _anonymous_without_messages():
        return None
    return page.replace(_CSRF_PLACEHOLDER, generate_csrf()), 200


def _memo_fresh(key: tuple[str, str, str]) -> str | None:
    """The remembered page behind a memo key while it is fresh, else None (and forgotten)."""
    memo = _link_memo.get(key)
    if memo is None:
        return None
    until, seen, page_key = memo
    page = _page_cache.get(page_key)
    if page is None or until < time.monotonic() or seen != service.epoch():
        _link_memo.pop(key, None)
        return None
    return page


def _remember(token: str, page_key: tuple[Any, ...]) -> None:
    ttl = float(current_app.config.get("RESIDENTS_PAGE_TTL", PAGE_TTL_DEFAULT))
    if ttl <= 0:
        return
    if len(_link_memo) > 1024:
        _link_memo.clear()
    _link_memo[_memo_key(token)] = (time.monotonic() + ttl, service.epoch(), page_key)


def _cached_residents_page(link: Any, token: str) -> tuple[str, int]:
    from flask_wtf.csrf import generate_csrf

    if not _anonymous_without_messages():
        return _residents_page(link, token)  # their own messages or menu: never cached
    round_ = link.department.round
    bank = _bank_or_404(round_)
    key = (link.id, bank.sha256, str(get_locale()), service.is_open(link.department),
           round_.municipality, request.path)
    page = _page_cache.get(key)
    if page is None:
        own = generate_csrf()
        html, _status = _residents_page(link, token)
        if len(_page_cache) > 256:
            _page_cache.clear()
        # The token is long and random: every place it appears is a CSRF field.
        _page_cache[key] = html.replace(own, _CSRF_PLACEHOLDER)
        _remember(token, key)
        return html, 200
    _remember(token, key)
    return page.replace(_CSRF_PLACEHOLDER, generate_csrf()), 200


@public.route("/i/<token>", methods=["GET", "POST"])
@group_token_limit
@link_flood_limit
@ip_flood_limit
def residents(token: str) -> Response | tuple[str, int]:
    """The easy-read survey for inwoners (one page; one statement per screen on phones)."""
    if request.method == "GET":
        fresh = _fresh_page(token)
        if fresh is not None:
            return fresh
    link = _link_or_404(token, KIND_RESIDENTS)
    if request.method == "GET":
        return _cached_residents_page(link, token)
    form = CsrfForm()
    if not form.validate_on_submit():
        abort(400)
    if honeypot_filled(request.form):
        return redirect(url_for("public_groups.residents_thanks", token=token), code=303)
    bank = _bank_or_404(link.department.round)
    submission = residents_submission(request.form, [s.id for s in bank.statements])
    try:
        service.submit_residents(link, submission)
    except (NeedsCorrection, Conflict) as exc:
        return _residents_page(link, token, errors=[exc.message], values=request.form,
                               status=status_for(exc))
    return redirect(url_for("public_groups.residents_thanks", token=token), code=303)


@public.route("/i/<token>/bedankt")
@group_token_limit
def residents_thanks(token: str) -> str:
    """Thank you, in easy-read words."""
    link = _link_or_404(token, KIND_RESIDENTS)
    return render_template("groups/residents_thanks.html", round=link.department.round,
                           token=token)


# --------------------------------------------------------------------------- bestuur


def _bestuur_page(link: Any, token: str, *, errors: list[str] | None = None,
                  values: Any = None, status: int = 200) -> tuple[str, int]:
    round_ = link.department.round
    return render_template("groups/bestuur_survey.html", round=round_, token=token,
                           themes=service.round_themes(round_), form=CsrfForm(),
                           errors=errors or [], values=values,
                           open=service.is_open(link.department)), status


@public.route("/b/<token>", methods=["GET", "POST"])
@group_token_limit
@link_flood_limit
def bestuur(token: str) -> Response | tuple[str, int]:
    """The bestuur's ambition (0-4) and importance (1-5) per theme."""
    link = _link_or_404(token, KIND_BESTUUR)
    if request.method == "GET":
        return _bestuur_page(link, token)
    form = CsrfForm()
    if not form.validate_on_submit():
        abort(400)
    themes = [(b, t) for b, t, _title in service.round_themes(link.department.round)]
    try:
        service.submit_bestuur(link, bestuur_ratings(request.form, themes))
    except (NeedsCorrection, Conflict) as exc:
        return _bestuur_page(link, token, errors=[exc.message], values=request.form,
                             status=status_for(exc))
    return redirect(url_for("public_groups.bestuur_thanks", token=token), code=303)


@public.route("/b/<token>/bedankt")
@group_token_limit
def bestuur_thanks(token: str) -> str:
    """Thank you for the ambition."""
    link = _link_or_404(token, KIND_BESTUUR)
    return render_template("groups/bestuur_thanks.html", round=link.department.round)


# --------------------------------------------------------------------------- coordinator


def _round_or_404(round_id: int) -> Round:
    round_ = round_service.get_round(round_id) if round_id < 2**62 else None
    if round_ is None:
        abort(404, description=_("Deze ronde bestaat niet."))
    return round_


def _group_or_404(round_: Round, kind: str) -> Any:
    group = service.group(round_, kind)
    if group is None:
        abort(404, description=_("Deze ronde heeft die groep niet."))
    return group


@bp.after_request
def no_store_pages(response: Response) -> Response:
    """Coordinator pages show links: never cache them."""
    response.headers["Cache-Control"] = "no-store"
    return response


def _manage_page(round_: Round, *, error: str | None = None, status: int = 200
                 ) -> tuple[str, int]:
    settings = service.settings(round_)
    lines = []
    for group in round_.perspective_groups:
        for link in service.links(group):
            if link.active:
                lines.append((group, link, service.link_url(
                    link, secret_key=links.secret_key(), base_url=links.base_url())))
    return render_template(
        "groups/manage.html", round=round_, form=CsrfForm(), lines=lines,
        progress=service.group_progress(round_), settings=settings,
        residents=service.group(round_, KIND_RESIDENTS),
        bestuur=service.group(round_, KIND_BESTUUR),
        target_source=service.target_source(round_), error=error,
        has_bank=bank_catalog().latest_residents() is not None), status


@bp.route("/rondes/<int:round_id>/groepen")
def manage(round_id: int) -> tuple[str, int]:
    """Inwoners and bestuur: links, open/close, shared links, submissions per day and link."""
    return _manage_page(_round_or_404(round_id))


def _post_ok() -> None:
    if not CsrfForm().validate_on_submit():
        abort(400)


def _submit(round_: Round, call: Callable[[], object], done: str
            ) -> Response | tuple[str, int]:
    """Run a change of the groups page: a refusal on the page, else back to the page."""
    return submit(call, to=url_for("groups.manage", round_id=round_.id), done=done,
                  on_error=lambda message, status: _manage_page(round_, error=message,
                                                                status=status))


@bp.route("/rondes/<int:round_id>/groepen/toevoegen", methods=["POST"])
def add_group(round_id: int) -> Response | tuple[str, int]:
    """Add the inwoners or the bestuur group."""
    round_ = _round_or_404(round_id)
    _post_ok()
    adders: dict[str, Callable[..., object]] = {
        KIND_RESIDENTS: service.add_residents_group, KIND_BESTUUR: service.add_bestuur_group}
    add = adders.get(request.form.get("kind", ""))
    if add is None:
        abort(400)
    return _submit(round_, lambda: add(round_, secret_key=links.secret_key()),
                   _("De groep is toegevoegd."))


@bp.route("/rondes/<int:round_id>/groepen/<kind>/<action>", methods=["POST"])
def open_close(round_id: int, kind: str, action: str) -> Response:
    """Open or close one group."""
    round_ = _round_or_404(round_id)
    if action not in ("open", "sluiten") or kind not in (KIND_RESIDENTS, KIND_BESTUUR):
        abort(404)
    _post_ok()
    service.set_group_open(_group_or_404(round_, kind), action == "open")
    flash(_("De groep is geopend.") if action == "open" else _("De groep is gesloten."),
          "success")
    return redirect(url_for("groups.manage", round_id=round_id), code=303)


@bp.route("/rondes/<int:round_id>/groepen/inwoners/link", methods=["POST"])
def share_link(round_id: int) -> Response | tuple[str, int]:
    """Another inwoners link, labelled with the organisation or meeting it is shared with."""
    round_ = _round_or_404(round_id)
    _post_ok()
    group = _group_or_404(round_, KIND_RESIDENTS)
    return _submit(round_, lambda: service.add_shared_link(
        group, request.form.get("label", ""), secret_key=links.secret_key()),
        _("De gedeelde link is gemaakt."))


@bp.route("/rondes/<int:round_id>/groepen/inwoners/minimum", methods=["POST"])
def residents_minimum(round_id: int) -> Response | tuple[str, int]:
    """The inwoners group's minimum size (default 5; at least the round's k)."""
    round_ = _round_or_404(round_id)
    _post_ok()
    _group_or_404(round_, KIND_RESIDENTS)
    raw = request.form.get("minimum", "").strip()
    return _submit(round_, lambda: service.set_residents_min_group_size(
        round_, int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 4 else -1),
        _("De minimale groepsgrootte voor inwoners is opgeslagen."))


@bp.route("/rondes/<int:round_id>/doelen", methods=["POST"])
def target_source(round_id: int) -> Response | tuple[str, int]:
    """Where the round's targets come from: banks, overrides or the bestuur."""
    round_ = _round_or_404(round_id)
    _post_ok()
    return _submit(round_, lambda: service.set_target_source(
        round_, request.form.get("target_source", "")), _("De bron van de doelen is opgeslagen."))


@bp.route("/rondes/<int:round_id>/inwoners/papier")
def paper_print(round_id: int) -> tuple[str, int]:
    """The printable paper version of the inwoners questionnaire."""
    round_ = _round_or_404(round_id)
    _group_or_404(round_, KIND_RESIDENTS)
    bank = _bank_or_404(round_)
    return render_template("groups/paper_print.html", round=round_, bank=bank,
                           scale=_experience_scale(bank.scale),
                           roles=[(r, role_label(r)) for r in PARTICIPANT_ROLES]), 200


@bp.route("/rondes/<int:round_id>/inwoners/papier-invoeren", methods=["GET", "POST"])
def paper_entry(round_id: int) -> Response | tuple[str, int]:
    """Type in a paper form; stored marked "papier"."""
    round_ = _round_or_404(round_id)
    group = _group_or_404(round_, KIND_RESIDENTS)
    bank = _bank_or_404(round_)
    page = {"bank": bank, "scale": _experience_scale(bank.scale), "round": round_,
            "roles": [(r, role_label(r)) for r in PARTICIPANT_ROLES], "honeypot": None,
            "action": url_for("groups.paper_entry", round_id=round_id), "paper": True,
            "open": round_.is_open, "token": None}
    if request.method == "GET":
        return render_template("groups/residents_survey.html", form=CsrfForm(), errors=[],
                               values=None, statements_html=statements_html(
                                   bank, page["scale"], None), **page), 200
    _post_ok()
    try:
        service.enter_paper_form(group, residents_submission(
            request.form, [s.id for s in bank.statements]))
    except (NeedsCorrection, Conflict) as exc:
        return render_template("groups/residents_survey.html", form=CsrfForm(),
                               errors=[exc.message], values=request.form,
                               statements_html=statements_html(bank, page["scale"],
                                                               request.form),
                               **page), status_for(exc)
    flash(_("Het papieren formulier is opgeslagen (gemarkeerd als papier)."), "success")
    return redirect(url_for("groups.paper_entry", round_id=round_id), code=303)


# --------------------------------------------------------------------------- results


def _theme_titles(round_: Round) -> dict[tuple[str, str], str]:
    return {(b, t): title for b, t, title in service.round_themes(round_)}


def chart_input(round_: Round) -> PerspectiveChartInput:
    """The chart's input: the municipality-wide rows with the theme titles."""
    result = service.perspectives(round_)
    titles = _theme_titles(round_)
    return PerspectiveChartInput.build(
        result.municipality_rows(), titles,
        labels=(_("Medewerkers"), _("Inwoners"), _("Ambitie bestuur")),
        title=_("Drie perspectieven per thema (0-100)"))


@bp.route("/rondes/<int:round_id>/perspectieven")
def perspectives_page(round_id: int) -> tuple[str, int]:
    """Per theme: civil servants, inwoners, bestuur ambition, the difference, blind spots."""
    round_ = _round_or_404(round_id)
    result = service.perspectives(round_)
    comments = service.resident_comments(round_)
    return render_template(
        "groups/perspectives.html", round=round_, result=result,
        titles=_theme_titles(round_), comments=comments, blind=BLIND_SPOT_POINTS,
        k=round_.min_group_size, progress=service.group_progress(round_)), 200


@bp.route("/rondes/<int:round_id>/perspectieven.png")
def perspectives_chart(round_id: int) -> Response:
    """The perspectives chart as a PNG (the page holds the same figures as a table)."""
    round_ = _round_or_404(round_id)
    response = make_response(perspective_chart(chart_input(round_)))
    response.headers["Content-Type"] = "image/png"
    return response


@bp.app_context_processor
def perspective_helpers() -> dict[str, Any]:
    """Helpers for the progress and results pages of other blueprints (one include each)."""

    def perspective_progress(round_: Round) -> list[Any]:
        return service.group_progress(round_) if round_.perspective_groups else []

    def perspective_target_source(round_: Round) -> str | None:
        return service.target_source(round_) if service.settings(round_) else None

    return {"perspective_progress": perspective_progress,
            "perspective_target_source": perspective_target_source}
