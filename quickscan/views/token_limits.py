"""Rate limiting of token addresses: only unknown tokens count, per client address.

A whole department opening its link at once from one office network is never limited: a
request with a known invitation or resume token is exempt, and only 404 answers (unknown or
revoked tokens) are deducted. One counter is shared by every token address (survey pages and
the respondent's results), so guessing cannot be spread over routes.
"""

from __future__ import annotations

import hashlib

from flask import current_app, request

from quickscan.extensions import limiter
from quickscan.models import Invitation, Response
from quickscan.services import responses as service


def link_key() -> str:
    """The rate-limit key of a public link (inwoners, bestuur, vote): one bucket per link,
    shared by everyone who uses it, whatever their address. The token itself never becomes
    a key (keys may reach the limiter's storage), only a prefix of its hash."""
    token = str((request.view_args or {}).get("token", ""))
    return "public-link:" + hashlib.sha256(token.encode()).hexdigest()[:32]


def known_invitation(token: str) -> Invitation | None:
    """The active invitation behind a token, looked up once per request."""
    key = "quickscan.invitation:" + token
    if key not in request.environ:
        request.environ[key] = service.find_invitation(token)
    invitation: Invitation | None = request.environ[key]
    return invitation


def known_response(resume_token: str) -> Response | None:
    """The response behind a resume token, looked up once per request."""
    key = "quickscan.response:" + resume_token
    if key not in request.environ:
        request.environ[key] = service.find_response(resume_token)
    response: Response | None = request.environ[key]
    return response


def _token_known() -> bool:
    """True when the URL carries a known invitation or resume token (never rate-limited)."""
    args = request.view_args or {}
    if "token" in args:
        return known_invitation(str(args["token"])) is not None
    if "resume_token" in args:
        return known_response(str(args["resume_token"])) is not None
    return False


def _token_rate_limit() -> str:
    return str(current_app.config["TOKEN_RATE_LIMIT"])


#: One counter per IP address for every survey address; only unknown tokens (404) count.
token_limit = limiter.shared_limit(
    _token_rate_limit, scope="survey-token", exempt_when=_token_known,
    deduct_when=lambda response: response.status_code == 404)
