"""Rate limiting of token addresses: only unknown tokens count, per client address.

A whole department opening its link at once from one office network is never limited: a
request with a known invitation or resume token is exempt, and only 404 answers (unknown or
revoked tokens) are deducted. One counter is shared by every token address (survey pages and
the respondent's results), so guessing cannot be spread over routes.
"""

from __future__ import annotations

from flask import current_app, request

from quickscan.extensions import limiter
from quickscan.services import responses as service


def _token_known() -> bool:
    """True when the URL carries a known invitation or resume token (never rate-limited)."""
    cache_key = "quickscan.survey_token_known"
    if cache_key not in request.environ:  # per request (``g`` may outlive one in tests)
        args = request.view_args or {}
        known = False
        if "token" in args:
            known = service.find_invitation(str(args["token"])) is not None
        elif "resume_token" in args:
            known = service.find_response(str(args["resume_token"])) is not None
        request.environ[cache_key] = known
    return bool(request.environ[cache_key])


def _token_rate_limit() -> str:
    return str(current_app.config["TOKEN_RATE_LIMIT"])


#: One counter per IP address for every survey address; only unknown tokens (404) count.
token_limit = limiter.shared_limit(
    _token_rate_limit, scope="survey-token", exempt_when=_token_known,
    deduct_when=lambda response: response.status_code == 404)
