"""Coordinator login and logout (Flask-Login); failed logins are rate-limited."""

from __future__ import annotations

from urllib.parse import urlsplit

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
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from quickscan.extensions import limiter, login_manager
from quickscan.services import accounts

bp = Blueprint("auth", __name__)


@bp.record_once
def _configure_login(state: object) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Log in om deze pagina te bekijken.")
    login_manager.login_message_category = "info"


class LoginForm(FlaskForm):
    """E-mail address and password of a coordinator."""

    email = StringField(_l("E-mailadres"),
                        validators=[DataRequired(_l("Vul uw e-mailadres in.")), Length(max=254)])
    password = PasswordField(_l("Wachtwoord"),
                             validators=[DataRequired(_l("Vul uw wachtwoord in.")),
                                         Length(max=1000)])
    remember = BooleanField(_l("Ingelogd blijven op dit apparaat"))


def safe_next(target: str | None) -> str | None:
    """Return ``target`` when it is a path on this site, else None (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(c) < 32 for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def _failed_login(response: Response) -> bool:
    """Only failed attempts count towards the login rate limit (success answers 303)."""
    return response.status_code != 303


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"],
               deduct_when=_failed_login)
def login() -> Response | tuple[str, int] | str:
    """Show the login form; on success go to ``next`` (a local path) or the rounds list."""
    next_url = safe_next(request.values.get("next"))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(next_url or url_for("coordinator.rounds"))
    form = LoginForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            return render_template("auth/login.html", form=form, next_url=next_url), 422
        user = accounts.authenticate(form.email.data or "", form.password.data or "")
        if user is None:
            return render_template(
                "auth/login.html", form=form, next_url=next_url,
                login_error=_("Het e-mailadres of het wachtwoord klopt niet.")), 401
        login_user(user, remember=bool(form.remember.data))
        flash(_("U bent ingelogd."), "success")
        return redirect(next_url or url_for("coordinator.rounds"), 303)
    return render_template("auth/login.html", form=form, next_url=next_url)


@bp.post("/logout")
@login_required
def logout() -> Response:
    """Log out and go back to the login page."""
    logout_user()
    flash(_("U bent uitgelogd."), "success")
    return redirect(url_for("auth.login"), 303)
