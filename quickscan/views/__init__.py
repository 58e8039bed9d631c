"""Blueprints: thin views that validate input, call a service and redirect or render."""

from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    """Attach every blueprint to the app."""
    from quickscan.views import main

    app.register_blueprint(main.bp)
