"""Dutch error pages: never a stack trace, always a clear message and a way on.

The one error-page system of the app. Every HTTP error it answers with (400, 401, 403, 404,
405, 409, 410, 413, 422, 429, 500, 503) is rendered by :func:`render_error` from
``templates/errors/<code>.html``, which extends ``templates/errors/_error.html`` and through it
``base.html`` (or a blueprint's own layout, e.g. the survey's). A view may
``abort(409, description=_("Deze ronde is gesloten"))``; the page shows that Dutch message
instead of the generic text. Werkzeug's own English descriptions are never shown.

Services raise the domain exceptions of :mod:`quickscan.services.errors`, which carry a Dutch
message and no HTTP status. :data:`DOMAIN_STATUSES` is the one table that maps them to a status
and :func:`register_domain_errors` installs it on a blueprint (the app registers it too, as the
fallback for blueprints that do not).
Unexpected exceptions are logged server-side with their traceback and answered with the 500
page; if rendering the page itself fails (for example because the database is down while the
layout asks for the current user) a minimal static Dutch page is served instead.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Flask, Response, current_app, render_template, request
from flask_babel import gettext as _
from markupsafe import escape
from werkzeug.exceptions import HTTPException, InternalServerError

from quickscan.services.errors import (
    Conflict,
    DomainError,
    Forbidden,
    Gone,
    InvalidInput,
    NeedsCorrection,
    NotFound,
)

logger = logging.getLogger("quickscan.app.errors")

#: The status codes that have their own page.
ERROR_CODES = (400, 401, 403, 404, 405, 409, 410, 413, 422, 429, 500, 503)

#: The HTTP status of each kind of domain exception, most specific first.
DOMAIN_STATUSES: tuple[tuple[type[DomainError], int], ...] = (
    (NotFound, 404),
    (NeedsCorrection, 422),
    (InvalidInput, 400),
    (Conflict, 409),
    (Forbidden, 403),
    (Gone, 410),
)


def _titles() -> dict[int, str]:
    """Dutch page titles per status code (translated at request time)."""
    return {
        400: _("Ongeldig verzoek"),
        401: _("Inloggen nodig"),
        403: _("Geen toegang"),
        404: _("Pagina niet gevonden"),
        405: _("Deze actie kan hier niet"),
        409: _("Dit kan nu niet meer"),
        410: _("Niet meer beschikbaar"),
        413: _("Te veel gegevens verstuurd"),
        422: _("Controleer wat u hebt ingevuld"),
        429: _("Te veel pogingen"),
        500: _("Er ging iets mis"),
        503: _("Tijdelijk niet beschikbaar"),
    }


def _default_messages() -> dict[int, str]:
    """Dutch explanations per status code, used when no service message was given."""
    return {
        400: _("Uw verzoek kon niet worden verwerkt. Er is niets opgeslagen. "
               "Ga terug, laad de pagina opnieuw en probeer het nog eens."),
        401: _("U moet ingelogd zijn om deze pagina te zien."),
        403: _("U hebt geen toegang tot deze pagina."),
        404: _("Deze pagina bestaat niet (meer). Controleer de link die u hebt gekregen."),
        405: _("Deze actie is op deze pagina niet mogelijk."),
        409: _("Deze actie kan niet meer, omdat de gegevens inmiddels zijn gewijzigd "
               "of afgesloten."),
        410: _("Dit is er niet meer: het is bewust ingetrokken of verwijderd."),
        413: _("U hebt te veel gegevens in één keer verstuurd. Er is niets opgeslagen."),
        422: _("Niet alles wat u hebt ingevuld kon worden opgeslagen. "
               "Controleer uw invoer en probeer het opnieuw."),
        429: _("U hebt het te vaak geprobeerd. Wacht even en probeer het daarna opnieuw."),
        500: _("Er ging aan onze kant iets mis. Er is niets half opgeslagen. "
               "Probeer het later opnieuw."),
        503: _("De quickscan is tijdelijk niet beschikbaar. Wat u eerder opsloeg, blijft "
               "bewaard. Probeer het over een paar minuten opnieuw."),
    }


def _csrf_message() -> str:
    return _("Het formulier is verlopen of niet compleet verstuurd. Er is niets opgeslagen. "
             "Laad de pagina opnieuw en probeer het nog eens.")


def user_message(error: HTTPException) -> str | None:
    """The Dutch message a service attached to ``error``, or None for the generic text.

    Werkzeug's exception classes carry an English ``description`` by default; only a
    description that differs from its class default was set on purpose and is shown.
    """
    from flask_limiter.errors import RateLimitExceeded
    from flask_wtf.csrf import CSRFError

    if isinstance(error, CSRFError):
        return _csrf_message()
    if isinstance(error, RateLimitExceeded):
        return None  # its description is the limit itself ("10 per 1 minute"), in English
    description = error.description
    if not description:
        return None
    for klass in type(error).__mro__:
        if klass is HTTPException:
            break
        if description == getattr(klass, "description", None):
            return None
    return str(description)


def _fallback_page(code: int, title: str, message: str) -> str:
    """A self-contained page for when the normal layout cannot be rendered."""
    return (
        '<!doctype html><html lang="nl"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)} – Quickscan Inclusieve Gemeente</title></head>"
        f'<body><main><h1>{escape(title)}</h1><p>{escape(message)}</p>'
        f'<p>{escape(_("Foutcode %(code)s.", code=code))}</p>'
        f'<p><a href="/">{escape(_("Naar de startpagina"))}</a></p></main></body></html>'
    )


def render_error(code: int, message: str | None = None,
                 headers: dict[str, str] | None = None, *, layout: str | None = None,
                 template: str | None = None, **context: Any) -> Response:
    """Render the Dutch error page for ``code`` with an optional specific ``message``.

    ``layout`` replaces ``base.html`` as the page's layout (a blueprint's own look, e.g.
    ``survey/_layout.html``); ``template`` replaces ``errors/<code>.html`` with a template that
    extends ``errors/_error.html`` and fills its ``advice`` block from ``context``.
    """
    if code not in ERROR_CODES:
        code = 500 if code >= 500 else 400
    title = _titles()[code]
    text = message or _default_messages()[code]
    try:
        body = render_template(template or f"errors/{code}.html", code=code, title=title,
                               message=text, generic=message is None,
                               layout=layout or "base.html", **context)
    except Exception:
        logger.exception("rendering the %s page failed; serving the fallback page", code)
        body = _fallback_page(code, title, text)
    response = current_app.response_class(body, status=code,
                                          mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def kept_headers(error: HTTPException) -> dict[str, str]:
    """The headers of an HTTP error that its Dutch page keeps (Allow, Retry-After, limits)."""
    headers: dict[str, str] = {}
    original = error.get_response()
    for name in ("Allow", "Retry-After", "WWW-Authenticate"):
        if name in original.headers:
            headers[name] = original.headers[name]
    for name, value in original.headers.items():
        if name.startswith(("X-RateLimit", "RateLimit")):
            headers[name] = value
    return headers


def handle_http_exception(error: HTTPException) -> Response | HTTPException:
    """Turn an HTTP error into its Dutch page (redirects and the like pass through)."""
    code = error.code or 500
    if code < 400:
        return error
    headers = kept_headers(error)
    if code >= 500:
        logger.error("HTTP %s on %s %s: %s", code, request.method, request.path,
                     error.description)
    return render_error(code, user_message(error) if code != 500 else None, headers)


def handle_internal_error(error: InternalServerError) -> Response:
    """The 500 page for an unhandled exception; Flask has already logged its traceback."""
    original: Any = getattr(error, "original_exception", None)
    if original is not None:
        logger.error("unhandled %s on %s %s", type(original).__name__, request.method,
                     request.path)
    return render_error(500)


def status_for(error: DomainError) -> int:
    """The HTTP status a domain exception is answered with (see :data:`DOMAIN_STATUSES`)."""
    for kind, code in DOMAIN_STATUSES:
        if isinstance(error, kind):
            return code
    return 400


def handle_domain_error(error: DomainError, layout: str | None = None) -> Response:
    """The Dutch error page for a domain exception a view did not handle itself."""
    return render_error(status_for(error), error.message or None, layout=layout)


def register_domain_errors(blueprint: Blueprint, layout: str | None = None) -> None:
    """Answer every domain exception raised under ``blueprint`` with its Dutch error page.

    ``layout`` is the blueprint's own page layout for the error pages (default ``base.html``).
    """

    def handler(error: DomainError) -> Response:
        return handle_domain_error(error, layout)

    blueprint.register_error_handler(DomainError, handler)


def init_app(app: Flask) -> None:
    """Register the Dutch error pages on ``app``."""
    # Install Flask's log handler on "quickscan.app" now, so the "quickscan.app.*" loggers of
    # this module and quickscan.database write formatted lines to the server's error log.
    app.logger.debug("error pages registered")
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(InternalServerError, handle_internal_error)
    app.register_error_handler(DomainError, handle_domain_error)
