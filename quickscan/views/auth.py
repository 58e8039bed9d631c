"""Login and logout (Flask-Login), and the role check in front of every page.

Failed logins are rate-limited twice: per client address (``LOGIN_RATE_LIMIT``) and per
account (``ACCOUNT_LOGIN_RATE_LIMIT``, against guessing one password from many addresses;
the lock-out is short, so the real user waits minutes at most). A login starts a new session:
the old session's contents and CSRF token are dropped (no session fixation). Logging out ends
every session of the user, remember-me cookies included.

:func:`enforce_roles` runs before every request and decides by blueprint which role a page
needs (:data:`BLUEPRINT_ROLES`): anonymous users go to the login page, users without the role
get a 403, and a user with a one-time password is sent to change it first.
"""

from __future__ import annotations

import hashlib
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from quickscan.extensions import limiter, login_manager
from quickscan.models import ROLE_BEHEERDER, ROLE_COORDINATOR, ROLE_LEZER, User
from quickscan.services import accounts

bp = Blueprint("auth", __name__)

#: The role each blueprint's pages need; blueprints not listed are public (survey, main, auth).
BLUEPRINT_ROLES: dict[str, str] = {
    "coordinator": ROLE_COORDINATOR,
    "groups": ROLE_COORDINATOR,
    "results": ROLE_LEZER,
    "users": ROLE_BEHEERDER,
    "account": ROLE_LEZER,
    "invitations": ROLE_COORDINATOR,
    "lia": ROLE_COORDINATOR,
    "series": ROLE_LEZER,
}
#: Endpoints that need another role than their blueprint (``None``: public, token-protected).
ENDPOINT_ROLES: dict[str, str | None] = {
    "results.respondent": None,
    "invitations.personal_intro": None,
    "invitations.personal_start": None,
    "lia.index": ROLE_LEZER,
    "lia.export": ROLE_LEZER,
    "lia.vote": None,
    "lia.department_actions": None,
    "lia.progress": None,
    "series.next_round": ROLE_COORDINATOR,
    "groups.perspectives_page": ROLE_LEZER,
    "groups.perspectives_chart": ROLE_LEZER,
}
#: Pages a user with a one-time password may still open.
ONE_TIME_PASSWORD_ALLOWED = {"account.password", "auth.logout", "main.set_language", "static",
                             "main.healthz"}


@bp.record_once
def _configure_login(state: object) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Log in om deze pagina te bekijken.")
    login_manager.login_message_category = "info"


def required_role(endpoint: str | None, view_args: dict[str, object] | None) -> str | None:
    """The role a request needs, or None when the page is public."""
    if not endpoint:
        return None
    if endpoint == "results.export" and (view_args or {}).get("fmt") == "json":
        return ROLE_BEHEERDER  # response-level data: the backup is the beheerder's
    if endpoint in ENDPOINT_ROLES:
        return ENDPOINT_ROLES[endpoint]
    return BLUEPRINT_ROLES.get(endpoint.partition(".")[0] if "." in endpoint else "")


@bp.before_app_request
def enforce_roles() -> Response | None:
    """Check the role of every request before its view (and before blueprint hooks) runs."""
    user = current_user
    if (user.is_authenticated and user.must_change_password
            and request.endpoint not in ONE_TIME_PASSWORD_ALLOWED):
        return redirect(url_for("account.password"))
    role = required_role(request.endpoint, request.view_args)
    if role is None:
        return None
    if not user.is_authenticated:
        return login_manager.unauthorized()
    if not user.has_role(role):
        abort(403, description=_("Uw account heeft geen toegang tot deze pagina."))
    return None


def home_url(user: User) -> str:
    """Where a user lands after logging in: rounds for coordinators, results for lezers."""
    if user.has_role(ROLE_COORDINATOR):
        return url_for("coordinator.rounds")
    return url_for("account.results")


class LoginForm(FlaskForm):
    """E-mail address and password of an account."""

    email = StringField(_l("E-mailadres"),
                        validators=[DataRequired(_l("Vul uw e-mailadres in.")), Length(max=254)])
    password = PasswordField(_l("Wachtwoord"),
                             validators=[DataRequired(_l("Vul uw wachtwoord in.")),
                                         Length(max=1000)])
    remember = BooleanField(_l("Ingelogd blijven op dit apparaat"))


def safe_next(target: str | None) -> str | None:
    """Return ``target`` when it is a path on this site, else None (no open redirects).

    Browsers drop tabs and newlines from URLs and read ``\\`` as ``/``, so ``/\\t/evil`` would
    become ``//evil``: any control character or backslash refuses the target.
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(c) < 32 or ord(c) == 127 for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def start_session(user: User, remember: bool = False) -> None:
    """Log ``user`` in on a brand-new session: old contents and CSRF token are dropped."""
    lang = session.get("lang")
    session.clear()
    g.pop("csrf_token", None)
    if lang:
        session["lang"] = lang
    login_user(user, remember=remember, fresh=True)


def _failed_login(response: Response) -> bool:
    """Only failed attempts count towards the login rate limits (success answers 303)."""
    return response.status_code != 303


def _account_key() -> str:
    """The per-account rate-limit key: a hash of the normalised e-mail address."""
    email = accounts.normalise_email(request.form.get("email", "")[:254])
    return "account:" + hashlib.sha256(email.encode("utf-8", "replace")).hexdigest()[:32]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"],
               deduct_when=_failed_login)
@limiter.limit(lambda: current_app.config["ACCOUNT_LOGIN_RATE_LIMIT"], methods=["POST"],
               key_func=_account_key, scope="login-account", deduct_when=_failed_login)
def login() -> Response | tuple[str, int] | str:
    """Show the login form; on success go to ``next`` (a local path) or the user's home."""
    next_url = safe_next(request.values.get("next"))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(next_url or home_url(current_user))
    form = LoginForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            return render_template("auth/login.html", form=form, next_url=next_url), 422
        user = accounts.authenticate(form.email.data or "", form.password.data or "")
        if user is None:
            return render_template(
                "auth/login.html", form=form, next_url=next_url,
                login_error=_("Het e-mailadres of het wachtwoord klopt niet.")), 401
        start_session(user, remember=bool(form.remember.data))
        if user.must_change_password:
            flash(_("Kies eerst een eigen wachtwoord."), "info")
            return redirect(url_for("account.password"), 303)
        flash(_("U bent ingelogd."), "success")
        return redirect(next_url or home_url(user), 303)
    return render_template("auth/login.html", form=form, next_url=next_url)


@bp.post("/logout")
@login_required
def logout() -> Response:
    """Log out everywhere (every session and remember-me cookie) and go to the login page."""
    user = current_user._get_current_object()
    accounts.end_sessions(user)
    lang = session.get("lang")
    session.clear()
    logout_user()  # also deletes the remember-me cookie
    if lang:
        session["lang"] = lang
    flash(_("U bent uitgelogd."), "success")
    return redirect(url_for("auth.login"), 303)
