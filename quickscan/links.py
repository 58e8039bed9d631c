"""Invitation links as the web pages and the command line show them.

The services take the secret key and the base URL as arguments
(:mod:`quickscan.services.rounds`); this module is where the app supplies them: the secret key
from the app's configuration, the base URL from ``BASE_URL`` or, without it, from the host of
the current request (the command line, which has no request, falls back to
:data:`DEFAULT_BASE_URL`).
"""

from __future__ import annotations

from flask import current_app, has_request_context, request

from quickscan.models import Department
from quickscan.services import rounds

DEFAULT_BASE_URL = "http://127.0.0.1:5000"


def secret_key() -> str | bytes:
    """The app's secret key, from which invitation tokens are derived."""
    key: str | bytes = current_app.config["SECRET_KEY"]
    return key


def base_url() -> str:
    """The address respondents reach the app on: ``BASE_URL``, else the request's host."""
    configured = current_app.config.get("BASE_URL")
    if configured:
        return str(configured).rstrip("/")
    if has_request_context():
        return request.host_url.rstrip("/")
    return DEFAULT_BASE_URL


def invitation_token(department: Department) -> str | None:
    """The department's current invitation token, or None when its link is revoked."""
    return rounds.invitation_token(department, secret_key())


def invitation_url(department: Department) -> str | None:
    """The department's absolute invitation link, or None when its link is revoked."""
    token = invitation_token(department)
    return rounds.url_for_token(token, base_url()) if token else None
