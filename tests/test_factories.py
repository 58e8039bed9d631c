"""The shared factories and fixtures of tests/factories.py and tests/conftest.py do what they say."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from quickscan.extensions import db
from quickscan.models import Department, Invitation, Response, Round
from tests.factories import CSRF_RE, build_round, csrf_token, make_round, service_round


@pytest.mark.parametrize(("role", "allowed", "refused"), [
    ("lezer", "/uitkomsten", "/rondes"),
    ("coordinator", "/rondes", "/gebruikers"),
    ("beheerder", "/rondes", None),
])
def test_login_as_logs_in_an_account_of_each_role(login_as, role, allowed, refused):
    client = login_as(role)
    assert client.get(allowed).status_code == 200
    if refused:
        assert client.get(refused).status_code == 403


def test_csrf_token_is_the_token_of_the_page(client):
    token = csrf_token(client, "/login", status=200)
    page = client.get("/login").get_data(as_text=True)
    assert CSRF_RE.search(page)
    assert client.post("/login", data={"csrf_token": token, "email": "x@y.nl",
                                       "password": "fout-wachtwoord"}).status_code != 400


def test_round_factories_write_what_they_return(app, small_round, test_banks):
    assert db.session.get(Round, small_round.round.id) is not None
    assert set(small_round.tokens) == {"Zorg", "Sport"}
    made = service_round("Fabriek", departments=[("Wonen", ["wonen"]), ("Werk", ["werk"])])
    assert sorted(d.name for d in made.departments) == ["Werk", "Wonen"]
    assert db.session.scalar(select(func.count()).select_from(Invitation)) == 4


def test_build_round_adds_submitted_and_draft_respondents(app):
    built = build_round(respondents=2, drafts=1)
    per_department = len(built.departments)
    assert db.session.scalar(select(func.count()).select_from(Response)) == 3 * per_department
    assert all(len(tokens) == 2 for tokens in built.submitted_tokens.values())
    assert db.session.scalar(select(func.count()).select_from(Department)) == per_department


def test_make_round_pins_the_given_bank_files(app, tmp_path):
    from tests.factories import SMALL_BANKS, bank_path

    made = make_round(app, [bank_path(SMALL_BANKS, "proef_bestuur")], {"Een": ["proef_bestuur"]})
    assert [b.bank_id for b in made.round.banks] == ["proef_bestuur"]
    assert made.token("Een")
