"""Security headers, cookie flags and the absence of stack traces (see docs/security.md)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from flask import Flask, abort

from quickscan import create_app
from quickscan.errors import ERROR_CODES


def _fresh_app(tmp_path: Path, **config: object) -> Flask:
    """A production-like app (not TESTING, so exceptions are handled as in production)."""
    settings: dict[str, object] = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.db'}",
        "SECRET_KEY": "fresh-test-secret",
    }
    settings.update(config)
    return create_app(settings)


def _cookie_headers(response) -> list[str]:  # type: ignore[no-untyped-def]
    return response.headers.getlist("Set-Cookie")


def _session_cookie(response) -> str:  # type: ignore[no-untyped-def]
    cookies = [c for c in _cookie_headers(response) if c.startswith("session=")]
    assert cookies, f"no session cookie set: {_cookie_headers(response)}"
    return cookies[0]


def _attributes(cookie: str) -> set[str]:
    return {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}


def test_content_security_policy(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    directives = {part.strip().split(" ")[0]: part.strip() for part in csp.split(";")}
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert directives["frame-ancestors"] == "frame-ancestors 'none'"
    assert directives["script-src"] == "script-src 'self'"
    assert directives["style-src"] == "style-src 'self'"
    assert directives["object-src"] == "object-src 'none'"
    assert directives["default-src"] == "default-src 'self'"


def test_other_security_headers(client):
    response = client.get("/")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "Strict-Transport-Security" not in response.headers


@pytest.mark.parametrize("path", ["/", "/healthz", "/does-not-exist"])
def test_headers_on_every_kind_of_response(client, path):
    response = client.get(path)
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_session_cookie_httponly_samesite_not_secure_over_http(client):
    cookie = _session_cookie(client.get("/"))
    attributes = _attributes(cookie)
    assert "httponly" in attributes
    assert "samesite=lax" in cookie.lower()
    assert "secure" not in attributes


def test_session_cookie_secure_over_https(client):
    response = client.get("/", base_url="https://localhost")
    cookie = _session_cookie(response)
    assert {"secure", "httponly"} <= _attributes(cookie)
    assert "samesite=lax" in cookie.lower()
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_secure_flag_does_not_leak_between_requests(tmp_path):
    """Regression: the flag used to be set in app.config per request (a race between threads)."""
    app = _fresh_app(tmp_path)
    app.test_client().get("/", base_url="https://localhost")
    cookie = _session_cookie(app.test_client().get("/"))
    assert "secure" not in _attributes(cookie)
    assert not app.config.get("SESSION_COOKIE_SECURE")


def test_forwarded_proto_ignored_without_proxy_fix(client):
    cookie = _session_cookie(client.get("/", headers={"X-Forwarded-Proto": "https"}))
    assert "secure" not in _attributes(cookie)


def test_forwarded_proto_trusted_with_proxy_fix(tmp_path):
    app = _fresh_app(tmp_path, PROXY_FIX="1")
    client = app.test_client()
    cookie = _session_cookie(client.get("/", headers={"X-Forwarded-Proto": "https"}))
    assert {"secure", "httponly"} <= _attributes(cookie)
    plain = _session_cookie(app.test_client().get("/"))
    assert "secure" not in _attributes(plain)


def test_secure_cookies_setting_forces_secure(tmp_path):
    app = _fresh_app(tmp_path, SECURE_COOKIES="1")
    cookie = _session_cookie(app.test_client().get("/"))
    assert "secure" in _attributes(cookie)


def test_no_stack_trace_on_500(tmp_path, caplog):
    app = _fresh_app(tmp_path)

    @app.get("/test-only/boom")
    def boom() -> str:
        raise RuntimeError("secret-internal-detail /srv/quickscan/app.py line 42")

    caplog.set_level(logging.ERROR)
    response = app.test_client().get("/test-only/boom")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert '<html lang="nl"' in body
    assert "Er ging iets mis" in body
    for leak in ("Traceback", "RuntimeError", "secret-internal-detail", "app.py", "File \""):
        assert leak not in body
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    logged = "\n".join(record.getMessage() + (str(record.exc_info) if record.exc_info else "")
                       for record in caplog.records)
    assert "secret-internal-detail" in logged
    assert any(record.exc_info for record in caplog.records)


@pytest.mark.parametrize("code", ERROR_CODES)
def test_every_error_page_is_dutch_and_styled(tmp_path, code):
    app = _fresh_app(tmp_path)

    @app.get("/test-only/status")
    def status() -> str:
        abort(code)

    response = app.test_client().get("/test-only/status")
    body = response.get_data(as_text=True)
    assert response.status_code == code
    assert response.mimetype == "text/html"
    assert '<html lang="nl"' in body
    assert f"Foutcode: {code}" in body
    assert 'href="/static/css/quickscan.css"' in body  # extends base.html
    assert "Traceback" not in body
    # werkzeug's English default text never reaches the user
    from werkzeug.exceptions import default_exceptions

    assert default_exceptions[code].description not in body


def test_dutch_service_message_is_shown(tmp_path):
    app = _fresh_app(tmp_path)

    @app.post("/test-only/closed")
    def closed() -> str:
        abort(409, description="Deze ronde is gesloten <script>x</script>")

    app.config["WTF_CSRF_ENABLED"] = False
    response = app.test_client().post("/test-only/closed")
    body = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Deze ronde is gesloten &lt;script&gt;x&lt;/script&gt;" in body
    assert "<script>x</script>" not in body


def test_csrf_failure_gets_dutch_400(client):
    response = client.post("/taal", data={"lang": "en"})
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Het formulier is verlopen" in body
    assert "CSRF" not in body


def test_405_keeps_allow_header(client):
    response = client.post("/healthz")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]
    assert "Deze actie kan hier niet" in response.get_data(as_text=True)


def test_unknown_page_is_dutch_404(client):
    response = client.get("/bestaat-niet")
    assert response.status_code == 404
    assert "Pagina niet gevonden" in response.get_data(as_text=True)


def test_nul_characters_are_refused_with_400(tmp_path):
    """PostgreSQL cannot store NUL; such a (forged) request is refused before any write."""
    app = _fresh_app(tmp_path)
    client = app.test_client()
    page = client.get("/").get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    response = client.post("/taal", data={"csrf_token": token, "lang": "en\x00",
                                          "next": "/"})
    assert response.status_code == 400
    assert "ongeldige tekens" in response.get_data(as_text=True)
    assert client.get("/?q=a%00b").status_code == 400
    assert client.post("/taal", data={"csrf_token": token, "lang": "en",
                                      "next": "/"}).status_code == 302


def test_oversized_post_gets_dutch_413(tmp_path):
    app = _fresh_app(tmp_path)
    response = app.test_client().post("/taal", data={"lang": "x" * (2 * 1024 * 1024)})
    assert response.status_code == 413
    assert "Te veel gegevens verstuurd" in response.get_data(as_text=True)


def test_rate_limited_login_gets_dutch_429(tmp_path):
    from flask_migrate import upgrade

    app = _fresh_app(tmp_path, LOGIN_RATE_LIMIT="2 per minute")
    with app.app_context():
        upgrade()
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    statuses = [client.post("/login", data={"csrf_token": token, "email": "a@b.nl",
                                             "password": "verkeerd-wachtwoord"})
                for _ in range(3)]
    assert [s.status_code for s in statuses] == [401, 401, 429]
    body = statuses[-1].get_data(as_text=True)
    assert "Te veel pogingen" in body
    assert "per 1 minute" not in body and "Too Many Requests" not in body
    assert statuses[-1].headers.get("Retry-After")
