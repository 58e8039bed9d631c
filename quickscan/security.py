"""Security headers and cookie settings applied to every response.

A Content-Security-Policy without ``unsafe-inline`` (templates therefore carry no inline
script, style attribute or event handler), no framing, no referrer leaking tokens in URLs,
``nosniff``, and every cookie marked ``Secure`` whenever the request came over HTTPS.

Behind a reverse proxy that terminates TLS, set ``QUICKSCAN_PROXY_FIX=1`` so the app trusts
one hop of ``X-Forwarded-For``/``-Proto``/``-Host``/``-Port`` (werkzeug's ``ProxyFix``) and
knows the request was HTTPS. ``QUICKSCAN_SECURE_COOKIES=1`` marks the session and remember
cookies ``Secure`` unconditionally. Nothing here changes ``app.config`` per request (that would
race between threads); the ``Secure`` flag is added to the ``Set-Cookie`` headers of the
response by a small WSGI middleware instead.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, abort, request
from flask.logging import default_handler
from flask_babel import gettext as _
from werkzeug.exceptions import SecurityError
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

CSP = "; ".join([  # noqa: FLY002 - one directive per line
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


#: An invitation (``/s/<token>``), resume (``/r/<token>``), inwoners (``/i/<token>``) or
#: bestuur (``/b/<token>``) token in a path or URL.
TOKEN_PATH_RE = re.compile(r"/([srib])/[^/?#\s\"']+")


def mask_tokens(text: str) -> str:
    """Replace the token of every ``/s/<token>`` and ``/r/<token>`` in ``text`` with ``***``."""
    return TOKEN_PATH_RE.sub(r"/\1/***", text)


class TokenMaskingFilter(logging.Filter):
    """A logging filter that masks invitation and resume tokens in a record's text.

    Installed on Flask's default log handler (the app's own log lines, such as the database
    outage line that names the request path) and by ``quickscan/gunicorn_conf.py`` on
    gunicorn's handlers.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Mask the message and its string arguments; never drops a record."""
        if isinstance(record.msg, str):
            record.msg = mask_tokens(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(mask_tokens(a) if isinstance(a, str) else a
                                for a in record.args)
        return True


def install_log_masking(handler: logging.Handler) -> None:
    """Add a :class:`TokenMaskingFilter` to ``handler`` once."""
    if not any(isinstance(f, TokenMaskingFilter) for f in handler.filters):
        handler.addFilter(TokenMaskingFilter())


def _with_secure_flag(value: str) -> str:
    """Return a ``Set-Cookie`` header value carrying the ``Secure`` attribute."""
    attributes = [part.strip().lower() for part in value.split(";")[1:]]
    return value if "secure" in attributes else value + "; Secure"


class SecureCookieMiddleware:
    """WSGI middleware: on HTTPS requests, mark every ``Set-Cookie`` header ``Secure``.

    Works for every cookie (session, Flask-Login's remember cookie, language choice) no matter
    which hook set it, and keeps no state between requests.
    """

    def __init__(self, wsgi_app: WSGIApplication) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: WSGIEnvironment,
                 start_response: StartResponse) -> Iterable[bytes]:
        """Run the wrapped app, rewriting the cookie headers of HTTPS responses."""
        if environ.get("wsgi.url_scheme") != "https":
            return self.wsgi_app(environ, start_response)

        def secure_start_response(status: str, headers: list[tuple[str, str]],
                                  exc_info: Any = None) -> Any:
            fixed = [(name, _with_secure_flag(value)) if name.lower() == "set-cookie"
                     else (name, value) for name, value in headers]
            return start_response(status, fixed, exc_info)

        return self.wsgi_app(environ, secure_start_response)


def _has_control_characters(values: Iterable[str]) -> bool:
    """True when any text holds a NUL byte (PostgreSQL refuses them in text columns)."""
    return any("\x00" in value for value in values)


def refuse_nul_bytes() -> None:
    """Refuse (400) any request whose form fields or query string carry a NUL character.

    No browser sends one; PostgreSQL cannot store one, so letting it through would turn a
    forged request into a database error instead of a clear refusal that writes nothing.
    """
    fields = [*request.args.keys(), *(v for vs in request.args.listvalues() for v in vs)]
    if request.method in ("POST", "PUT", "PATCH") and request.mimetype in (
            "application/x-www-form-urlencoded", "multipart/form-data"):
        fields += [*request.form.keys(), *(v for vs in request.form.listvalues() for v in vs)]
    if _has_control_characters(fields) or "\x00" in request.path:
        abort(400, description=_("Het formulier bevat ongeldige tekens. Er is niets "
                                 "opgeslagen."))


#: The largest id a URL may carry: PostgreSQL's ``integer``. Larger numbers answer 404
#: instead of overflowing the database driver (a 500).
MAX_URL_ID = 2**31 - 1

#: Blueprints whose pages show results or account data: never stored by a browser or proxy.
NO_STORE_BLUEPRINTS = frozenset({"coordinator", "results", "users", "account", "auth"})
#: Token pages with results on them: never stored either.
NO_STORE_ENDPOINTS = frozenset({"results.respondent"})


class BoundedIntConverter(IntegerConverter):
    """``<int:...>`` with an upper bound (:data:`MAX_URL_ID`), so huge ids are a 404."""

    def __init__(self, url_map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_URL_ID)
        super().__init__(url_map, *args, **kwargs)


def set_no_store(response: Response) -> Response:
    """``Cache-Control: no-store`` on team pages (unless a view chose) and respondent results."""
    endpoint = request.endpoint or ""
    if endpoint in NO_STORE_ENDPOINTS:
        response.headers["Cache-Control"] = "no-store"
    elif endpoint.partition(".")[0] in NO_STORE_BLUEPRINTS and "." in endpoint:
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def refuse_untrusted_host(_error: SecurityError) -> Response:
    """A ``Host`` outside ``TRUSTED_HOSTS``: a short Dutch 400 that does not echo the host.

    No URL can be built for an untrusted host, so the normal layout is not used.
    """
    title = _("Ongeldig verzoek")
    message = _("Dit adres hoort niet bij deze website.")
    body = ('<!doctype html><html lang="nl"><head><meta charset="utf-8">'
            f"<title>{title}</title></head><body><main><h1>{title}</h1>"
            f"<p>{message}</p></main></body></html>")
    response = Response(body, status=400, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def init_app(app: Flask) -> None:
    """Register the header hook, the secure-cookie middleware and (optionally) ProxyFix."""
    if _truthy(app.config.get("SECURE_COOKIES")):
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["REMEMBER_COOKIE_SECURE"] = True
    # Flask's documented way to add WSGI middleware is to replace the wsgi_app method.
    app.wsgi_app = SecureCookieMiddleware(app.wsgi_app)  # type: ignore[method-assign]
    if _truthy(app.config.get("PROXY_FIX")):
        hops = int(app.config.get("PROXY_FIX_HOPS", 1))
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]  # middleware, as above
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)

    app.url_map.converters["int"] = BoundedIntConverter
    install_log_masking(default_handler)
    app.register_error_handler(SecurityError, refuse_untrusted_host)
    app.before_request(refuse_nul_bytes)
    app.after_request(set_no_store)

    @app.after_request
    def set_security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CSP)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "no-referrer")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if request.is_secure:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response
