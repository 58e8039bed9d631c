"""Fixtures for the results tests: rounds built directly from models with the real banks.

The round factory (``build_round``: real pinned banks, departments, simulated submitted and
draft responses with an injection corpus in the comments) is in ``tests/factories.py``.
"""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from quickscan.models import User
from tests.factories import (
    INJECTIONS,
    BuiltRound,
    build_round,
    login_session,
    real_banks,
)

# Kept so that tests written before tests/factories.py still import them from here.
login = login_session
__all__ = ["INJECTIONS", "BuiltRound", "build_round", "login", "real_banks"]


@pytest.fixture
def built_round(app: Flask) -> BuiltRound:
    """A round of three departments with real banks, submitted and draft responses."""
    return build_round()


@pytest.fixture
def coordinator(app: Flask) -> User:
    """A coordinator account."""
    from quickscan.services.accounts import create_user

    return create_user("coordinator@example.org", "een-heel-lang-wachtwoord")


@pytest.fixture
def coordinator_client(client: FlaskClient, coordinator: User) -> FlaskClient:
    """A test client with a logged-in coordinator."""
    login_session(client, coordinator)
    return client
