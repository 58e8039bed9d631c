"""Front page, health check and language switch."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.wrappers import Response

from quickscan.views.auth import safe_next

bp = Blueprint("main", __name__)


@bp.get("/")
def index() -> str:
    """The front page: what the quickscan is, with a way in for coordinators."""
    return render_template("index.html")


@bp.get("/healthz")
def healthz() -> tuple[str, int, dict[str, str]]:
    """Liveness check: answers without touching the database."""
    return "ok", 200, {"Content-Type": "text/plain; charset=utf-8"}


@bp.post("/taal")
def set_language() -> Response:
    """Switch the UI language and go back to the page the user came from."""
    lang = request.form.get("lang", "")
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
    target = safe_next(request.form.get("next", "")) or url_for("main.index")
    return redirect(target)
