"""Tokens and passwords: only hashes stored, compared in constant time, no oracle by timing.

Timing itself is not measured (no timed tests); instead these tests prove the code paths go
through ``hmac.compare_digest`` and that nothing secret is kept in clear in the database.
"""

from __future__ import annotations

import hmac

import pytest
from sqlalchemy import select, text

from quickscan import links
from quickscan.extensions import db
from quickscan.models import Invitation, User
from quickscan.services import accounts, responses, rounds, tokens


@pytest.fixture
def compare_calls(monkeypatch):
    """Record every ``hmac.compare_digest`` call made through quickscan.services.tokens."""
    calls: list[tuple[str, str]] = []
    real = hmac.compare_digest

    def spy(a, b):  # type: ignore[no-untyped-def]
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(tokens.hmac, "compare_digest", spy)
    return calls


def test_resume_and_invitation_tokens_are_compared_in_constant_time(app, test_banks,
                                                                     compare_calls):
    round_ = rounds.create_round("Ronde", "Gemeente", departments=[("Wonen", ["wonen"])],
                                 secret_key=links.secret_key())
    invitation = links.invitation_token(round_.departments[0]) or ""
    assert responses.find_invitation(invitation) is not None
    assert compare_calls, "the invitation token was not compared with compare_digest"
    compare_calls.clear()
    _, resume = responses.start_response(invitation)
    assert responses.find_response(resume) is not None
    assert compare_calls, "the resume token was not compared with compare_digest"


def test_no_token_or_password_is_stored_in_clear(app, test_banks):
    round_ = rounds.create_round("Ronde", "Gemeente", departments=[("Wonen", ["wonen"])],
                                 secret_key=links.secret_key())
    invitation = links.invitation_token(round_.departments[0]) or ""
    _, resume = responses.start_response(invitation)
    accounts.create_user("beheer@gemeente.example", "geheim-wachtwoord-123")
    dump = []
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(text(f'SELECT * FROM "{table.name}"')):
            dump.append(" ".join(str(value) for value in row))
    everything = "\n".join(dump)
    for secret in (invitation, resume, "geheim-wachtwoord-123"):
        assert secret not in everything
    stored = db.session.scalar(select(Invitation.token_hash))
    assert stored == tokens.hash_token(invitation)
    user = db.session.scalar(select(User))
    assert user is not None and user.password_hash.startswith(("scrypt:", "pbkdf2:"))


def test_tokens_have_at_least_128_random_bits(app, test_banks):
    resume = tokens.new_resume_token()
    assert len(resume) >= 43  # 256 bits in URL-safe base64
    assert len({tokens.new_resume_token() for _ in range(100)}) == 100
    invitation = tokens.invitation_token("secret", tokens.new_salt())
    assert len(invitation) >= 43


def test_unknown_e_mail_costs_a_password_check_too(app, monkeypatch):
    """Login answers the same way for an unknown address and a wrong password."""
    checks: list[str] = []
    real = User.check_password

    def counting(self, password):  # type: ignore[no-untyped-def]
        checks.append(self.email)
        return real(self, password)

    monkeypatch.setattr(User, "check_password", counting)
    accounts.create_user("bestaat@gemeente.example", "een-lang-wachtwoord")
    assert accounts.authenticate("bestaat-niet@gemeente.example", "x" * 12) is None
    assert accounts.authenticate("bestaat@gemeente.example", "x" * 12) is None
    assert len(checks) == 2  # a real hash check in both cases
