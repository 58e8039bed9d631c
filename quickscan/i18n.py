"""Language selection: Dutch by default, English on request (``?lang=en`` or the switch)."""

from __future__ import annotations

from flask import Flask, current_app, has_request_context, request, session


def select_locale() -> str:
    """Pick the UI language: an explicit choice in the session, else Dutch.

    Outside a request (command line, background work) the default language is used.
    """
    languages = current_app.config["LANGUAGES"]
    chosen = session.get("lang") if has_request_context() else None
    if chosen in languages:
        return str(chosen)
    return str(current_app.config["BABEL_DEFAULT_LOCALE"])


def init_app(app: Flask) -> None:
    """Expose the current language to templates."""

    @app.context_processor
    def inject_language() -> dict[str, object]:
        from flask_babel import get_locale

        return {"current_language": str(get_locale() or "nl"),
                "languages": app.config["LANGUAGES"],
                "request_path": request.full_path if request else "/"}
