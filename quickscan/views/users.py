"""Team accounts in the web UI: the beheerder's users page and every user's own account.

``users`` (beheerder only, see :data:`quickscan.views.auth.BLUEPRINT_ROLES`): list accounts,
invite one with a one-time password (shown once), change a role, deactivate or reactivate,
reset a password (a new one-time password; every session of that user ends). ``account``
(every logged-in user): change one's own password, and the list of rounds whose results a
lezer may read. Refused changes re-render the page with the message (422, or 409 when the last
active beheerder would be lost) and write nothing.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response

from quickscan.models import ROLE_COORDINATOR, ROLES, User
from quickscan.services import accounts
from quickscan.services import rounds as round_service
from quickscan.views.auth import home_url, start_session

bp = Blueprint("users", __name__)
account_bp = Blueprint("account", __name__)

Page = Response | str | tuple[str, int]

#: The role names as the UI shows them.
ROLE_LABELS = {
    "lezer": _l("lezer"),
    "coordinator": _l("coördinator"),
    "beheerder": _l("beheerder"),
}


def _user_or_404(user_id: int) -> User:
    user = accounts.get_user(user_id)
    if user is None:
        abort(404, description=_("Dit account bestaat niet."))
    return user


def _page(status: int = 200, *, error: str | None = None, created: User | None = None,
          password: str | None = None, email: str = "", role: str = ROLE_COORDINATOR) -> Page:
    return render_template(
        "users/list.html", users=accounts.list_users(), roles=ROLES, role_labels=ROLE_LABELS,
        error=error, created=created, password=password, email=email, role=role), status


def _refused(exc: accounts.AccountError, email: str = "",
             role: str = ROLE_COORDINATOR) -> Page:
    status = 409 if isinstance(exc, accounts.LastBeheerder) else 422
    return _page(status, error=exc.message, email=email, role=role)


@bp.get("/gebruikers")
def index() -> Page:
    """Every account with its role and state, and the form to invite a new one."""
    return _page()


@bp.post("/gebruikers")
def create() -> Page:
    """Create an account with a one-time password, shown once on the page."""
    email = request.form.get("email", "")
    role = request.form.get("role", "")
    try:
        user, password = accounts.invite_user(email, role)
    except accounts.AccountError as exc:
        return _refused(exc, email=email[:254], role=role if role in ROLES else ROLE_COORDINATOR)
    return _page(201, created=user, password=password)


@bp.post("/gebruikers/<int:user_id>/rol")
def change_role(user_id: int) -> Page:
    """Give an account another role."""
    user = _user_or_404(user_id)
    try:
        accounts.set_role(user, request.form.get("role", ""))
    except accounts.AccountError as exc:
        return _refused(exc)
    flash(_("De rol van %(email)s is nu %(role)s.", email=user.email,
            role=ROLE_LABELS[user.role]), "success")
    return redirect(url_for("users.index"), 303)


@bp.post("/gebruikers/<int:user_id>/deactiveren")
def deactivate(user_id: int) -> Page:
    """Deactivate an account; its sessions end at once."""
    user = _user_or_404(user_id)
    try:
        accounts.deactivate(user)
    except accounts.AccountError as exc:
        return _refused(exc)
    flash(_("%(email)s kan niet meer inloggen.", email=user.email), "success")
    if user.id == current_user.id:
        return redirect(url_for("auth.login"), 303)
    return redirect(url_for("users.index"), 303)


@bp.post("/gebruikers/<int:user_id>/activeren")
def reactivate(user_id: int) -> Page:
    """Let a deactivated account log in again."""
    user = _user_or_404(user_id)
    accounts.reactivate(user)
    flash(_("%(email)s kan weer inloggen.", email=user.email), "success")
    return redirect(url_for("users.index"), 303)


@bp.post("/gebruikers/<int:user_id>/wachtwoord")
def reset_password(user_id: int) -> Page:
    """Give an account a new one-time password; every session of that user ends."""
    user = _user_or_404(user_id)
    password = accounts.reset_password(user)
    if user.id == current_user.id:
        start_session(user)
    return _page(created=user, password=password)


@account_bp.route("/account/wachtwoord", methods=["GET", "POST"])
def password() -> Page:
    """Change one's own password; every other session of the user ends."""
    user: User = current_user._get_current_object()
    if request.method == "GET":
        return render_template("account/password.html")
    new = request.form.get("new_password", "")
    if new != request.form.get("confirm_password", ""):
        return render_template("account/password.html",
                               error=_("De twee nieuwe wachtwoorden zijn niet gelijk.")), 422
    try:
        accounts.change_password(user, request.form.get("current_password", ""), new)
    except accounts.AccountError as exc:
        return render_template("account/password.html", error=exc.message), 422
    start_session(user)
    flash(_("Uw wachtwoord is gewijzigd. U bent op andere apparaten uitgelogd."), "success")
    return redirect(home_url(user), 303)


@account_bp.get("/uitkomsten")
def results() -> str:
    """The rounds whose results and reports the user may read (a lezer's start page)."""
    return render_template("account/results.html", rounds=round_service.list_rounds())
