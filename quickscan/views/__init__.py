"""Blueprints: thin views that validate input, call a service and redirect or render."""

from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    """Attach every blueprint to the app."""
    from quickscan.views import main

    app.register_blueprint(main.bp)

    from quickscan.views import survey

    app.register_blueprint(survey.bp)

    from quickscan.views import auth, coordinator, local_banks

    local_banks.register()  # its routes hang on coordinator.bp, before that is registered

    app.register_blueprint(auth.bp)
    app.register_blueprint(coordinator.bp)

    from quickscan.views import results

    app.register_blueprint(results.bp)

    from quickscan.views import report_jobs

    app.register_blueprint(report_jobs.bp)

    from quickscan.views import users

    app.register_blueprint(users.bp)
    app.register_blueprint(users.account_bp)

    from quickscan.views import invitations

    app.register_blueprint(invitations.bp)

    from quickscan.views import lia

    app.register_blueprint(lia.bp)

    from quickscan.views import series

    app.register_blueprint(series.bp)

    from quickscan.views import perspectives

    app.register_blueprint(perspectives.public)
    app.register_blueprint(perspectives.bp)
