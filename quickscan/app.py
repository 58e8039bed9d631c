"""The application factory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from quickscan.config import configure, data_path
from quickscan.extensions import babel, csrf, db, limiter, login_manager, migrate

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Create and configure a Quickscan app.

    ``config`` overrides the defaults and the ``QUICKSCAN_*`` environment variables.
    """
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(data_path("templates")),
        static_folder="static",
    )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    configure(app, config)

    db.init_app(app)
    from quickscan import database

    database.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    from quickscan import i18n

    babel.init_app(app, locale_selector=i18n.select_locale)
    i18n.init_app(app)

    from quickscan import security

    security.init_app(app)
    from quickscan import errors

    errors.init_app(app)

    from quickscan import models  # noqa: F401  (register the tables with SQLAlchemy)
    from quickscan.views import register_blueprints

    register_blueprints(app)

    from quickscan import tasks
    from quickscan.services import mail

    mail.init_app(app)
    tasks.init_app(app)

    from quickscan.cli import register_commands

    register_commands(app)
    return app
