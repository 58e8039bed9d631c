"""Fixtures for the survey tests: a round built directly from models, and CSRF-aware helpers.

``small_round`` pins three tiny banks of our own (``tests/survey/banks``): the common
``proef_bestuur`` (2 themes), ``proef_zorg`` and ``proef_sport`` (1 theme each); department
"Zorg" answers bestuur + zorg, department "Sport" bestuur + sport. ``real_round`` pins the real
``questions/bestuur`` and ``questions/zorg`` banks when they are valid (falling back to the
small banks otherwise).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import Flask, g
from flask.testing import FlaskClient

from quickscan.bank import BankError, bank_content, load_bank_file, load_scales
from quickscan.extensions import db
from quickscan.models import (
    ROUND_CLOSED,
    ROUND_OPEN,
    Department,
    Invitation,
    Round,
    RoundBank,
)
from quickscan.services import tokens

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SMALL_BANKS = HERE / "banks"
QUESTIONS = ROOT / "questions"
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class SurveyRound:
    """A round made for a test: its departments and their invitation tokens."""

    round: Round
    departments: dict[str, Department] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    def token(self, name: str | None = None) -> str:
        """The invitation token of a department (the first one by default)."""
        return self.tokens[name or next(iter(self.tokens))]


def bank_path(root: Path, bank_id: str, version: str = "1.0.0") -> Path:
    """The file of a bank version under a questions folder."""
    return root / bank_id / f"{version}.yaml"


def make_round(app: Flask, bank_files: Sequence[Path],
               departments: dict[str, list[str]], *, status: str = ROUND_OPEN,
               name: str = "Testronde") -> SurveyRound:
    """Create a round with the banks pinned (content snapshot + sha256) and one invitation
    per department, directly through the models."""
    scales = load_scales(QUESTIONS / "scales.yaml")
    round_ = Round(name=name, municipality="Testgemeente", description="Een ronde voor tests.",
                   status=status)
    for position, path in enumerate(bank_files):
        bank = load_bank_file(path, scales=scales, lock={})
        round_.banks.append(RoundBank(bank_id=bank.id, version=bank.version, sha256=bank.sha256,
                                      content=bank_content(path), position=position))
    db.session.add(round_)
    made = SurveyRound(round_)
    for department_name, bank_ids in departments.items():
        department = Department(name=department_name, bank_ids=list(bank_ids))
        round_.departments.append(department)
        salt = tokens.new_salt()
        token = tokens.invitation_token(app.config["SECRET_KEY"], salt)
        department.invitations.append(Invitation(token_hash=tokens.hash_token(token),
                                                 token_salt=salt))
        made.departments[department_name] = department
        made.tokens[department_name] = token
    db.session.commit()
    return made


def small_round_for(app: Flask, *, status: str = ROUND_OPEN, name: str = "Testronde"
                    ) -> SurveyRound:
    """A round on the small test banks."""
    return make_round(
        app,
        [bank_path(SMALL_BANKS, b) for b in ("proef_bestuur", "proef_zorg", "proef_sport")],
        {"Zorg": ["proef_bestuur", "proef_zorg"], "Sport": ["proef_bestuur", "proef_sport"]},
        status=status, name=name)


@pytest.fixture
def small_round(app: Flask) -> SurveyRound:
    """An open round on the small test banks, departments "Zorg" and "Sport"."""
    return small_round_for(app)


@pytest.fixture
def closed_round(app: Flask) -> SurveyRound:
    """A closed round on the small test banks."""
    return small_round_for(app, status=ROUND_CLOSED, name="Gesloten ronde")


def _real_banks_valid() -> bool:
    scales = load_scales(QUESTIONS / "scales.yaml")
    try:
        for bank_id in ("bestuur", "zorg"):
            load_bank_file(bank_path(QUESTIONS, bank_id), scales=scales, lock={})
    except (BankError, OSError):
        return False
    return True


@pytest.fixture
def real_round(app: Flask) -> SurveyRound:
    """An open round on the real ``bestuur`` and ``zorg`` banks (small banks if invalid)."""
    return real_round_for(app)


def real_round_for(app: Flask) -> SurveyRound:
    """A round on the real ``bestuur`` and ``zorg`` banks (the small banks if invalid)."""
    if not _real_banks_valid():
        return small_round_for(app)
    return make_round(app, [bank_path(QUESTIONS, "bestuur"), bank_path(QUESTIONS, "zorg")],
                      {"Zorg en welzijn": ["bestuur", "zorg"], "Bestuursondersteuning":
                       ["bestuur"]})


def csrf_from(html: str) -> str:
    """The CSRF token in a rendered form."""
    match = CSRF_RE.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def csrf(client: FlaskClient, url: str) -> str:
    """GET ``url`` and return the CSRF token of its form.

    The ``app`` fixture keeps one app context open, so requests made by the test client share
    ``g``, where Flask-WTF caches the CSRF token it made for the previous client's session;
    forget it so that each client gets a token of its own session.
    """
    g.pop("csrf_token", None)
    page = client.get(url)
    assert page.status_code == 200, page.status_code
    return csrf_from(page.get_data(as_text=True))


def start_survey(client: FlaskClient, invitation_token: str) -> str:
    """Start a response through the intro page; return its resume token."""
    token = csrf(client, f"/s/{invitation_token}")
    response = client.post(f"/s/{invitation_token}/start", data={"csrf_token": token})
    assert response.status_code == 303, response.status_code
    location = response.headers["Location"]
    match = re.search(r"/r/([^/?#]+)$", location)
    assert match, location
    return match.group(1)
