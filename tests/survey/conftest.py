"""The survey tests' rounds and helpers are the shared ones (``tests/factories.py``, fixtures
``small_round``, ``closed_round`` and ``real_round`` in ``tests/conftest.py``); these names are
kept so that tests written before still import."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.factories import (
    SurveyRound,
    csrf_from,
    csrf_token,
    make_round,
    real_round_for,
    small_round_for,
    start_survey,
)

__all__ = ["SurveyRound", "csrf", "csrf_from", "make_round", "real_round_for", "small_round_for",
           "start_survey"]


def csrf(client: FlaskClient, url: str) -> str:
    """``csrf_token(client, url, status=200)``."""
    return csrf_token(client, url, status=200)
