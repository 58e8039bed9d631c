"""Team accounts: roles, the users page, one-time passwords, the CLI, ending sessions."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from quickscan import links
from quickscan.extensions import db
from quickscan.models import User
from quickscan.services import accounts
from tests.factories import post

PASSWORD = "een-lang-wachtwoord"
BEHEERDER = "beheer@gemeente.example"
COORDINATOR = "coord@gemeente.example"
LEZER = "lezer@gemeente.example"


@pytest.fixture
def team(app: Flask) -> dict[str, User]:
    return {role: accounts.create_user(email, PASSWORD, role) for email, role in (
        (BEHEERDER, "beheerder"), (COORDINATOR, "coordinator"), (LEZER, "lezer"))}


def login(client: FlaskClient, email: str, password: str = PASSWORD, *,
          remember: bool = False) -> object:
    data = {"email": email, "password": password}
    if remember:
        data["remember"] = "y"
    return post(client, "/login", data, form_page="/login")


def _cookie(client: FlaskClient, name: str) -> str:
    cookie = client.get_cookie(name)
    assert cookie is not None, f"no {name} cookie"
    return cookie.value


def _replayed(app: Flask, **cookies: str) -> int:
    """GET /uitkomsten with only the given cookies; 200 means the session works."""
    other = app.test_client()
    for name, value in cookies.items():
        other.set_cookie(name, value)
    return other.get("/uitkomsten").status_code


# --------------------------------------------------------------------------- roles


def test_each_role_lands_on_its_own_start_page(app, team):
    for email, home in ((BEHEERDER, "/rondes"), (COORDINATOR, "/rondes"),
                        (LEZER, "/uitkomsten")):
        client = app.test_client()
        response = login(client, email)
        assert response.status_code == 303
        assert response.headers["Location"].endswith(home)
        nav = client.get(home).get_data(as_text=True)
        assert ("/gebruikers" in nav) == (email == BEHEERDER)


def test_lezer_reads_results_but_changes_nothing(app, team):
    from quickscan.services import rounds

    client = app.test_client()
    login(client, LEZER)
    assert client.get("/rondes").status_code == 403
    assert client.get("/rondes/nieuw").status_code == 403
    assert client.get("/gebruikers").status_code == 403
    assert rounds.list_rounds() == []


def test_json_backup_is_for_the_beheerder_only_csv_for_every_role(app, team, test_banks):
    from quickscan.services import rounds

    round_ = rounds.create_round("Ronde", "Gemeente", departments=[("Wonen", ["wonen"])],
                                 secret_key=links.secret_key())
    for email, json_status in ((LEZER, 403), (COORDINATOR, 403), (BEHEERDER, 200)):
        client = app.test_client()
        login(client, email)
        assert client.get(f"/rondes/{round_.id}/export.json").status_code == json_status
        assert client.get(f"/rondes/{round_.id}/export.csv").status_code == 200
        assert client.get(f"/rondes/{round_.id}/export.xlsx").status_code == 200


# --------------------------------------------------------------------------- users page


def test_beheerder_invites_a_user_with_a_one_time_password(app, team):
    admin = app.test_client()
    login(admin, BEHEERDER)
    created = post(admin, "/gebruikers", {"email": "Nieuw@Gemeente.example", "role": "lezer"},
                   form_page="/gebruikers")
    assert created.status_code == 201
    body = created.get_data(as_text=True)
    match = re.search(r'<code class="qs-one-time-password">([^<]+)</code>', body)
    assert match
    one_time = match.group(1)
    assert created.headers["Cache-Control"] == "no-store"
    assert one_time not in admin.get("/gebruikers").get_data(as_text=True)  # shown once
    user = accounts.find_user("nieuw@gemeente.example")
    assert user is not None and user.role == "lezer" and user.must_change_password

    newcomer = app.test_client()
    first = login(newcomer, "nieuw@gemeente.example", one_time)
    assert first.status_code == 303 and first.headers["Location"].endswith("/account/wachtwoord")
    # Until the password is changed, every other page sends them back.
    blocked = newcomer.get("/uitkomsten")
    assert blocked.status_code == 302 and blocked.headers["Location"].endswith(
        "/account/wachtwoord")
    changed = post(newcomer, "/account/wachtwoord", {
        "current_password": one_time, "new_password": "mijn-eigen-wachtwoord",
        "confirm_password": "mijn-eigen-wachtwoord"}, form_page="/account/wachtwoord")
    assert changed.status_code == 303
    assert newcomer.get("/uitkomsten").status_code == 200
    db.session.expire_all()
    assert not accounts.find_user("nieuw@gemeente.example").must_change_password


def test_refused_invitations_write_nothing(app, team):
    admin = app.test_client()
    login(admin, BEHEERDER)
    for data in ({"email": "geen-adres", "role": "lezer"},
                 {"email": COORDINATOR.upper(), "role": "lezer"},
                 {"email": "x@gemeente.example", "role": "koning"},
                 {"email": "a\u202eb@gemeente.example", "role": "lezer"}):
        response = post(admin, "/gebruikers", data, form_page="/gebruikers")
        assert response.status_code == 422, data
        assert 'role="alert"' in response.get_data(as_text=True)
    assert len(accounts.list_users()) == 3


def test_role_change_deactivation_and_the_last_beheerder(app, team):
    admin = app.test_client()
    login(admin, BEHEERDER)
    coordinator_id = team["coordinator"].id
    assert post(admin, f"/gebruikers/{coordinator_id}/rol", {"role": "lezer"},
                form_page="/gebruikers").status_code == 303
    db.session.expire_all()
    assert accounts.get_user(coordinator_id).role == "lezer"
    # The only beheerder cannot give up the role or be deactivated.
    own_id = team["beheerder"].id
    assert post(admin, f"/gebruikers/{own_id}/rol", {"role": "lezer"},
                form_page="/gebruikers").status_code == 409
    assert post(admin, f"/gebruikers/{own_id}/deactiveren",
                form_page="/gebruikers").status_code == 409
    db.session.expire_all()
    assert accounts.get_user(own_id).role == "beheerder"
    assert accounts.get_user(own_id).active
    assert post(admin, "/gebruikers/999999/rol", {"role": "lezer"},
                form_page="/gebruikers").status_code == 404


def test_deactivation_ends_sessions_and_refuses_login(app, team):
    coordinator = app.test_client()
    login(coordinator, COORDINATOR, remember=True)
    session_cookie = _cookie(coordinator, "session")
    remember_cookie = _cookie(coordinator, "remember_token")
    assert _replayed(app, session=session_cookie) == 200
    assert _replayed(app, remember_token=remember_cookie) == 200
    admin = app.test_client()
    login(admin, BEHEERDER)
    assert post(admin, f"/gebruikers/{team['coordinator'].id}/deactiveren",
                form_page="/gebruikers").status_code == 303
    assert coordinator.get("/rondes").status_code == 302
    assert _replayed(app, session=session_cookie) == 302
    assert _replayed(app, remember_token=remember_cookie) == 302
    assert login(app.test_client(), COORDINATOR).status_code == 401
    assert post(admin, f"/gebruikers/{team['coordinator'].id}/activeren",
                form_page="/gebruikers").status_code == 303
    assert login(app.test_client(), COORDINATOR).status_code == 303
    assert _replayed(app, remember_token=remember_cookie) == 302  # old cookies stay dead


def test_logout_ends_every_session_including_remember_me(app, team):
    laptop, phone = app.test_client(), app.test_client()
    login(laptop, LEZER, remember=True)
    login(phone, LEZER, remember=True)
    old = {"session": _cookie(laptop, "session"), "remember_token": _cookie(laptop, "remember_token")}
    assert post(laptop, "/logout", form_page="/uitkomsten").status_code == 303
    assert _replayed(app, session=old["session"]) == 302
    assert _replayed(app, remember_token=old["remember_token"]) == 302
    assert phone.get("/uitkomsten").status_code == 302  # the other device too


def test_password_change_ends_other_sessions_and_keeps_this_one(app, team):
    this, other = app.test_client(), app.test_client()
    login(this, LEZER, remember=True)
    login(other, LEZER, remember=True)
    old = {"session": _cookie(this, "session"), "remember_token": _cookie(this, "remember_token")}
    wrong = post(this, "/account/wachtwoord", {
        "current_password": "fout-fout-fout", "new_password": "nieuw-wachtwoord-1",
        "confirm_password": "nieuw-wachtwoord-1"}, form_page="/account/wachtwoord")
    assert wrong.status_code == 422
    mismatch = post(this, "/account/wachtwoord", {
        "current_password": PASSWORD, "new_password": "nieuw-wachtwoord-1",
        "confirm_password": "nieuw-wachtwoord-2"}, form_page="/account/wachtwoord")
    assert mismatch.status_code == 422
    done = post(this, "/account/wachtwoord", {
        "current_password": PASSWORD, "new_password": "nieuw-wachtwoord-1",
        "confirm_password": "nieuw-wachtwoord-1"}, form_page="/account/wachtwoord")
    assert done.status_code == 303
    assert this.get("/uitkomsten").status_code == 200
    assert other.get("/uitkomsten").status_code == 302
    assert _replayed(app, **old) == 302
    assert _replayed(app, remember_token=old["remember_token"]) == 302
    assert login(app.test_client(), LEZER).status_code == 401
    assert login(app.test_client(), LEZER, "nieuw-wachtwoord-1").status_code == 303


def test_beheerder_reset_gives_a_one_time_password_and_ends_sessions(app, team):
    lezer = app.test_client()
    login(lezer, LEZER)
    admin = app.test_client()
    login(admin, BEHEERDER)
    reset = post(admin, f"/gebruikers/{team['lezer'].id}/wachtwoord", form_page="/gebruikers")
    assert reset.status_code == 200
    one_time = re.search(r'<code class="qs-one-time-password">([^<]+)</code>',
                         reset.get_data(as_text=True)).group(1)
    assert lezer.get("/uitkomsten").status_code == 302
    assert login(app.test_client(), LEZER).status_code == 401
    response = login(app.test_client(), LEZER, one_time)
    assert response.headers["Location"].endswith("/account/wachtwoord")


# --------------------------------------------------------------------------- the CLI


def test_cli_users_commands(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "--email", "Eerste@Gemeente.example",
                                 "--password-stdin"], input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert accounts.find_user("eerste@gemeente.example").role == "beheerder"
    result = runner.invoke(args=["users", "create", "--email", "lezer@gemeente.example",
                                 "--password-stdin", "--role", "lezer"], input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["users", "create", "--email", "kort@gemeente.example",
                                 "--password-stdin"], input="kort\n")
    assert result.exit_code == 1 and "minstens 10 tekens" in result.output
    listed = runner.invoke(args=["users", "list"])
    assert listed.output.splitlines() == ["eerste@gemeente.example\tbeheerder\tactive",
                                          "lezer@gemeente.example\tlezer\tactive"]
    assert runner.invoke(args=["users", "role", "lezer@gemeente.example",
                               "coordinator"]).exit_code == 0
    assert runner.invoke(args=["users", "role", "eerste@gemeente.example",
                               "lezer"]).exit_code == 1  # the last beheerder
    assert runner.invoke(args=["users", "role", "niemand@gemeente.example",
                               "lezer"]).exit_code == 1
    assert runner.invoke(args=["users", "deactivate", "lezer@gemeente.example"]).exit_code == 0
    db.session.expire_all()
    user = accounts.find_user("lezer@gemeente.example")
    assert user.role == "coordinator" and not user.active
    assert accounts.authenticate("lezer@gemeente.example", PASSWORD) is None
    token = user.session_token
    result = runner.invoke(args=["users", "reset-password", "eerste@gemeente.example",
                                 "--password-stdin"], input="een-nieuw-wachtwoord\n")
    assert result.exit_code == 0, result.output
    assert accounts.authenticate("eerste@gemeente.example", "een-nieuw-wachtwoord")
    assert accounts.find_user("lezer@gemeente.example").session_token == token


# --------------------------------------------------------------------------- migration


def test_migration_makes_existing_users_beheerder(tmp_path):
    from flask_migrate import downgrade, upgrade

    from quickscan import create_app

    url = f"sqlite:///{tmp_path / 'migrate.db'}"
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "x" * 32})
    with app.app_context():
        upgrade(revision="5abba95a15fa")
        engine = create_engine(url)
        with engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO user (email, password_hash, created_at) VALUES "
                "('oud@gemeente.example', 'h', '2026-01-01'), "
                "('ouder@gemeente.example', 'h', '2026-01-01')"))
        upgrade(revision="7c1e2f9a4b30")
        with engine.connect() as connection:
            rows = connection.execute(text(
                "SELECT role, active, must_change_password, session_token FROM user")).all()
        assert [(r[0], bool(r[1]), bool(r[2])) for r in rows] == [("beheerder", True, False)] * 2
        assert all(len(r[3]) == 32 for r in rows) and rows[0][3] != rows[1][3]
        downgrade(revision="5abba95a15fa")
        engine.dispose()
