"""Careful link actions: renewing or revoking an invitation link asks for confirmation first,
says how many people already started, and a revoked link tells the respondent what to do."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from quickscan import links
from quickscan.extensions import db
from quickscan.models import RESPONSE_SUBMITTED, Department, Invitation, Response
from quickscan.services import accounts, responses, rounds
from tests.rounds_helpers import csrf_token, post, test_banks  # noqa: F401  (fixture)

EMAIL = "coordinator@gemeente.nl"
PASSWORD = "een-lang-wachtwoord"

pytestmark = pytest.mark.usefixtures("test_banks")


@pytest.fixture
def logged_in(client, app):
    accounts.create_user(EMAIL, PASSWORD)
    response = post(client, "/login", {"email": EMAIL, "password": PASSWORD}, form_page="/login")
    assert response.status_code == 303
    return client


def _department(started: int = 0, submitted: int = 0) -> Department:
    round_ = rounds.create_round(name="Ronde", municipality="Gemeente Test",
                                 departments=[("Sociaal domein", ["werk"]),
                                              ("Ruimte", ["werk"])],
                                 secret_key=links.secret_key())
    department, other = round_.departments
    token = links.invitation_token(department)
    other_token = links.invitation_token(other)
    for index in range(started):
        response, _ = responses.start_response(token)
        if index < submitted:
            response.status = RESPONSE_SUBMITTED
    responses.start_response(other_token)  # another department's response never counts
    db.session.commit()
    return department


def _links(department_id: int) -> list[tuple[str, object]]:
    db.session.expire_all()
    return sorted((invitation.token_hash, invitation.revoked_at) for invitation in
                  db.session.scalars(select(Invitation)
                                     .where(Invitation.department_id == department_id)))


@pytest.mark.parametrize("action", ["vernieuwen", "intrekken"])
def test_confirmation_page_counts_who_started_and_changes_nothing(logged_in, action):
    department = _department(started=12, submitted=5)
    path = f"/rondes/{department.round_id}/afdelingen/{department.id}/link/{action}"
    before = _links(department.id)
    page = logged_in.get(path)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert ("12 mensen zijn al begonnen via deze link; zij kunnen verder via hun eigen "
            "herstellink.") in html
    assert "5 van hen hebben de antwoorden al ingediend." in html
    # The page's own form: POST, CSRF token, confirmed=1, to the same address.
    form = re.search(r'<form[^>]*method="post"[^>]*action="' + re.escape(path) + r'"[^>]*>(.*?)</form>',
                     html, re.DOTALL)
    assert form is not None
    assert 'name="csrf_token"' in form.group(1) and 'name="confirmed" value="1"' in form.group(1)
    # A POST without the confirmation (e.g. an old form) only shows the page again.
    unconfirmed = post(logged_in, path, form_page=path)
    assert unconfirmed.status_code == 200
    assert "12 mensen zijn al begonnen" in unconfirmed.get_data(as_text=True)
    # Without a CSRF token nothing happens either.
    assert logged_in.post(path, data={"confirmed": "1"}).status_code == 400
    assert _links(department.id) == before
    assert links.invitation_token(db.session.get(Department, department.id)) is not None


def test_confirmed_renew_replaces_the_link(logged_in):
    department = _department(started=1)
    path = f"/rondes/{department.round_id}/afdelingen/{department.id}/link/vernieuwen"
    old = links.invitation_token(department)
    page = logged_in.get(path).get_data(as_text=True)
    assert "1 mens is al begonnen via deze link" in page
    assert post(logged_in, path, {"confirmed": "1"}, form_page=path).status_code == 303
    db.session.expire_all()
    department = db.session.get(Department, department.id)
    new = links.invitation_token(department)
    assert new is not None and new != old
    # The new link has no starters yet.
    assert "Nog niemand is begonnen via deze link." in logged_in.get(path).get_data(as_text=True)


def test_confirmed_revoke_and_the_respondents_page(logged_in, client):
    department = _department(started=2)
    path = f"/rondes/{department.round_id}/afdelingen/{department.id}/link/intrekken"
    token = links.invitation_token(department)
    assert client.get(f"/s/{token}").status_code == 200
    assert post(logged_in, path, {"confirmed": "1"}, form_page=path).status_code == 303
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Invitation.id)).where(
        Invitation.department_id == department.id, Invitation.revoked_at.is_(None))) == 0
    started = db.session.scalar(select(func.count(Response.id))
                                .where(Response.department_id == department.id))
    # The respondent who opens the revoked link: 410, told to ask the coordinator.
    page = client.get(f"/s/{token}")
    assert page.status_code == 410
    text = page.get_data(as_text=True)
    assert "Vraag de coördinator van uw gemeente om de nieuwe link." in text
    assert "herstellink" in text
    start = client.post(f"/s/{token}/start", data={"csrf_token": csrf_token(client, "/")})
    assert start.status_code == 410
    assert db.session.scalar(select(func.count(Response.id))
                             .where(Response.department_id == department.id)) == started
    # A link that never existed is still a plain 404.
    assert client.get("/s/" + "x" * 43).status_code == 404
    # Revoking again needs no confirmation: there is nothing left to revoke.
    assert logged_in.get(path).status_code == 303
    # Renewing a revoked link: the page says there is no working link now.
    renew = logged_in.get(path.replace("intrekken", "vernieuwen")).get_data(as_text=True)
    assert "Deze afdeling heeft nu geen werkende link." in renew


def test_replaced_link_page_asks_for_the_new_link(logged_in, client):
    department = _department()
    path = f"/rondes/{department.round_id}/afdelingen/{department.id}/link/vernieuwen"
    old = links.invitation_token(department)
    assert post(logged_in, path, {"confirmed": "1"}, form_page=path).status_code == 303
    page = client.get(f"/s/{old}")
    assert page.status_code == 410
    assert "Vraag de coördinator van uw gemeente om de nieuwe link." in page.get_data(
        as_text=True)


def test_round_page_links_to_the_confirmation_pages(logged_in):
    department = _department()
    html = logged_in.get(f"/rondes/{department.round_id}").get_data(as_text=True)
    base = f"/rondes/{department.round_id}/afdelingen/{department.id}/link/"
    # Plain links (GET) to the confirmation pages, no one-click POST forms.
    assert f'href="{base}vernieuwen"' in html and f'href="{base}intrekken"' in html
    assert f'action="{base}vernieuwen"' not in html and f'action="{base}intrekken"' not in html
