"""Coordinator pages: login, rate limit, access control, CSRF, rounds and departments."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from quickscan import links
from quickscan.extensions import db
from quickscan.models import Department, Invitation, Response, Round, RoundBank
from quickscan.services import accounts, rounds, tokens
from tests.factories import csrf_token, log_in, post, service_round

EMAIL = "coordinator@gemeente.nl"
PASSWORD = "een-lang-wachtwoord"

pytestmark = pytest.mark.usefixtures("test_banks")


def _count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def user(app):
    return accounts.create_user(EMAIL, PASSWORD)


@pytest.fixture
def logged_in(client, user):
    return log_in(client, EMAIL, PASSWORD)


def _round(**kwargs) -> Round:
    return service_round(**kwargs)


# --------------------------------------------------------------------------- login


def test_login_success_redirects_to_rounds(client, user):
    response = post(client, "/login", {"email": "  Coordinator@Gemeente.nl ",
                                       "password": PASSWORD}, form_page="/login")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/rondes")
    page = client.get("/rondes")
    assert page.status_code == 200
    assert "Uitloggen" in page.get_data(as_text=True)


def test_login_failure_shows_dutch_error(client, user):
    response = post(client, "/login", {"email": EMAIL, "password": "verkeerd-wachtwoord"},
                    form_page="/login")
    assert response.status_code == 401
    html = response.get_data(as_text=True)
    assert "Het e-mailadres of het wachtwoord klopt niet." in html
    assert 'value="coordinator@gemeente.nl"' in html  # e-mail kept, password not echoed
    assert "verkeerd-wachtwoord" not in html
    assert client.get("/rondes").status_code == 302


def test_login_follows_only_local_next(client, user):
    good = post(client, "/login", {"email": EMAIL, "password": PASSWORD,
                                   "next": "/rondes/nieuw"}, form_page="/login")
    assert good.headers["Location"].endswith("/rondes/nieuw")
    client.post("/logout", data={"csrf_token": csrf_token(client, "/rondes")})
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:x"):
        response = post(client, "/login", {"email": EMAIL, "password": PASSWORD,
                                           "next": target}, form_page="/login")
        assert response.status_code == 303
        assert response.headers["Location"].endswith("/rondes"), target
        client.post("/logout", data={"csrf_token": csrf_token(client, "/rondes")})


def test_rate_limit_counts_failed_logins_only(app, client, user):
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    try:
        for _ in range(5):  # successful logins never count
            assert post(client, "/login", {"email": EMAIL, "password": PASSWORD},
                        form_page="/login").status_code == 303
            client.post("/logout", data={"csrf_token": csrf_token(client, "/rondes")})
        token = csrf_token(client, "/login")
        statuses = [client.post("/login", data={"csrf_token": token, "email": EMAIL,
                                                "password": "fout-fout-fout"}).status_code
                    for _ in range(4)]
        assert statuses == [401, 401, 401, 429]
        # Once limited, even the right password waits.
        assert client.post("/login", data={"csrf_token": token, "email": EMAIL,
                                           "password": PASSWORD}).status_code == 429
        assert client.get("/login").status_code == 200  # the form itself is not limited
    finally:
        app.config["LOGIN_RATE_LIMIT"] = "10 per minute;50 per hour"


def test_logout_needs_post_and_ends_the_session(logged_in):
    assert logged_in.get("/logout").status_code == 405
    response = logged_in.post("/logout", data={"csrf_token": csrf_token(logged_in, "/rondes")})
    assert response.status_code == 303
    assert logged_in.get("/rondes").status_code == 302


# --------------------------------------------------------------------------- access, CSRF


def _coordinator_requests(round_id: int, department_id: int) -> list[tuple[str, str]]:
    base = f"/rondes/{round_id}"
    dept = f"{base}/afdelingen/{department_id}"
    return [("GET", "/rondes"), ("GET", "/rondes/nieuw"), ("POST", "/rondes/nieuw"),
            ("GET", base), ("GET", f"{base}/bewerken"), ("POST", f"{base}/bewerken"),
            ("POST", f"{base}/afdelingen"), ("POST", f"{dept}/hernoemen"),
            ("POST", f"{dept}/vragenlijsten"), ("POST", f"{dept}/verwijderen"), ("POST", f"{dept}/link/vernieuwen"),
            ("POST", f"{dept}/link/intrekken"), ("GET", f"{base}/voortgang"),
            ("POST", f"{base}/sluiten"), ("POST", f"{base}/heropenen")]


def test_every_coordinator_page_requires_login(client, app):
    round_ = _round()
    department = round_.departments[0]
    token = csrf_token(client, "/login")
    for method, path in _coordinator_requests(round_.id, department.id):
        response = client.open(path, method=method, data={"csrf_token": token, "name": "X"})
        assert response.status_code == 302, (method, path)
        assert "/login?next=" in response.headers["Location"], (method, path)
    db.session.expire_all()
    assert [d.name for d in db.session.get(Round, round_.id).departments] == ["Sociaal domein"]
    assert db.session.get(Round, round_.id).is_open


def test_missing_csrf_token_is_refused(client, user, logged_in):
    round_ = _round()
    department = round_.departments[0]
    for method, path in _coordinator_requests(round_.id, department.id):
        if method == "POST":
            response = logged_in.post(path, data={"name": "Zonder token"})
            assert response.status_code == 400, path
    assert client.post("/login", data={"email": EMAIL, "password": PASSWORD}).status_code == 400
    db.session.expire_all()
    assert [d.name for d in db.session.get(Round, round_.id).departments] == ["Sociaal domein"]


# --------------------------------------------------------------------------- rounds


def test_create_round_via_the_form(logged_in):
    page = logged_in.get("/rondes/nieuw").get_data(as_text=True)
    assert 'name="bank" value="bestuur" checked disabled' in page  # common: always included
    assert 'id="version-wonen"' in page
    response = post(logged_in, "/rondes/nieuw", {
        "name": "Quickscan 2026", "municipality": "Gemeente Test",
        "description": "Voor de LIA.", "deadline": "2026-06-30",
        "bank": ["wonen", "werk"], "version-wonen": "1.0.0"}, form_page="/rondes/nieuw")
    assert response.status_code == 303
    round_ = db.session.scalar(select(Round))
    assert response.headers["Location"].endswith(f"/rondes/{round_.id}")
    assert round_.name == "Quickscan 2026" and str(round_.deadline) == "2026-06-30"
    assert {rb.bank_id: rb.version for rb in round_.banks} == {
        "bestuur": "1.0.0", "werk": "1.0.0", "wonen": "1.0.0"}
    html = logged_in.get(response.headers["Location"]).get_data(as_text=True)
    assert "Quickscan 2026" in html and "Afdeling toevoegen" in html


@pytest.mark.parametrize("field, value", [("bank", "bestaatniet"), ("bank", "kapot"),
                                          ("version-wonen", "9.9.9")])
def test_forged_bank_is_refused_and_writes_nothing(logged_in, field, value):
    data = {"name": "Vals", "municipality": "Gemeente Test", "bank": ["wonen"], field: value}
    if field == "bank":
        data["bank"] = ["wonen", value]
    response = post(logged_in, "/rondes/nieuw", data, form_page="/rondes/nieuw")
    assert response.status_code == 400
    assert _count(Round) == 0 and _count(RoundBank) == 0


def test_invalid_round_form_is_rerendered_with_input_kept(logged_in):
    response = post(logged_in, "/rondes/nieuw", {
        "name": "", "municipality": "Gemeente <Test>", "deadline": "31-12-2026",
        "bank": ["werk"]}, form_page="/rondes/nieuw")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Vul de naam van de ronde in." in html
    assert "Vul een datum in als jjjj-mm-dd" in html
    assert 'value="Gemeente &lt;Test&gt;"' in html
    assert 'value="31-12-2026"' in html
    assert 'name="bank" value="werk" checked' in html
    assert _count(Round) == 0


def test_edit_round_details_banks_and_targets(logged_in):
    round_ = _round()
    path = f"/rondes/{round_.id}/bewerken"
    page = logged_in.get(path).get_data(as_text=True)
    assert 'name="target:werk/thema1"' in page
    response = post(logged_in, path, {
        "name": "Hernoemde ronde", "municipality": "Gemeente Test", "deadline": "",
        "bank": ["werk", "wonen"], "target:werk/thema1": "4", "target:werk/thema2": ""},
        form_page=path)
    assert response.status_code == 303
    db.session.expire_all()
    round_ = db.session.get(Round, round_.id)
    assert round_.name == "Hernoemde ronde"
    assert [rb.bank_id for rb in round_.banks] == ["bestuur", "werk", "wonen"]
    assert round_.target_overrides == {"werk/thema1": 4}
    forged = post(logged_in, path, {"name": "X", "municipality": "Y", "bank": ["werk"],
                                    "target:werk/geenthema": "2"}, form_page=path)
    assert forged.status_code == 400
    db.session.expire_all()
    assert db.session.get(Round, round_.id).name == "Hernoemde ronde"


def test_rounds_list_and_progress_page(logged_in):
    round_ = _round(name="Ronde <script>")
    html = logged_in.get("/rondes").get_data(as_text=True)
    assert "Ronde &lt;script&gt;" in html and "<script>" not in html.split("</header>")[1]
    progress = logged_in.get(f"/rondes/{round_.id}/voortgang")
    assert progress.status_code == 200
    text = progress.get_data(as_text=True)
    assert "<table" in text and 'scope="col"' in text and "Sociaal domein" in text


def test_close_and_reopen(logged_in):
    round_ = _round()
    path = f"/rondes/{round_.id}"
    assert post(logged_in, f"{path}/sluiten", form_page=path).status_code == 303
    db.session.expire_all()
    assert db.session.get(Round, round_.id).status == "closed"
    assert "Ronde heropenen" in logged_in.get(path).get_data(as_text=True)
    assert post(logged_in, f"{path}/heropenen", form_page=path).status_code == 303
    db.session.expire_all()
    assert db.session.get(Round, round_.id).is_open


def test_unknown_round_or_department_is_404(logged_in):
    round_ = _round()
    other = _round(name="Andere", departments=[("Elders", [])])
    assert logged_in.get("/rondes/9999").status_code == 404
    foreign = other.departments[0].id
    response = post(logged_in, f"/rondes/{round_.id}/afdelingen/{foreign}/verwijderen",
                    form_page="/rondes")
    assert response.status_code == 404
    assert _count(Department) == 2


# --------------------------------------------------------------------------- departments


def test_add_rename_remove_department(logged_in):
    round_ = _round()
    path = f"/rondes/{round_.id}"
    response = post(logged_in, f"{path}/afdelingen", {"name": "Ruimte", "bank": ["werk"]},
                    form_page=path)
    assert response.status_code == 303
    department = db.session.scalar(select(Department).where(Department.name == "Ruimte"))
    assert department.bank_ids == ["bestuur", "werk"]
    html = logged_in.get(path).get_data(as_text=True)
    token = links.invitation_token(department)
    assert f'value="http://localhost/s/{token}" aria-describedby' in html and "readonly" in html
    assert "data-copy-target" in html
    response = post(logged_in, f"{path}/afdelingen/{department.id}/hernoemen",
                    {"name": "Ruimte en wonen"}, form_page=path)
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Department, department.id).name == "Ruimte en wonen"
    department_id = department.id
    response = post(logged_in, f"{path}/afdelingen/{department_id}/verwijderen", form_page=path)
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Department, department_id) is None


def test_add_department_errors(logged_in):
    round_ = _round()
    path = f"/rondes/{round_.id}"
    duplicate = post(logged_in, f"{path}/afdelingen", {"name": "sociaal domein"},
                     form_page=path)
    assert duplicate.status_code == 422
    assert "Er is al een afdeling met de naam" in duplicate.get_data(as_text=True)
    forged = post(logged_in, f"{path}/afdelingen", {"name": "Nieuw", "bank": ["wonen"]},
                  form_page=path)
    assert forged.status_code == 400
    assert _count(Department) == 1


def test_rename_and_remove_refused_once_answers_exist(logged_in):
    round_ = _round()
    department = round_.departments[0]
    db.session.add(Response(department=department,
                            resume_token_hash=tokens.hash_token(tokens.new_resume_token())))
    db.session.commit()
    path = f"/rondes/{round_.id}"
    html = logged_in.get(path).get_data(as_text=True)
    assert "kan niet meer worden hernoemd of verwijderd" in html
    rename = post(logged_in, f"{path}/afdelingen/{department.id}/hernoemen", {"name": "X"},
                  form_page=path)
    assert rename.status_code == 409
    remove = post(logged_in, f"{path}/afdelingen/{department.id}/verwijderen", form_page=path)
    assert remove.status_code == 409
    db.session.expire_all()
    assert db.session.get(Department, department.id).name == "Sociaal domein"


def test_change_department_banks(logged_in):
    round_ = _round(banks={"wonen": None})
    department = round_.departments[0]
    path = f"/rondes/{round_.id}"
    html = logged_in.get(path).get_data(as_text=True)
    action = f'action="{path}/afdelingen/{department.id}/vragenlijsten"'
    assert action in html
    assert (f'id="banks-{department.id}-werk" name="bank" value="werk" checked>' in html)
    assert f'id="banks-{department.id}-wonen" name="bank" value="wonen">' in html
    assert f'id="banks-{department.id}-bestuur"' not in html  # common: text, not a checkbox
    assert "Bestuur: altijd, voor alle afdelingen" in html
    assert "Welke vragenlijsten vult Sociaal domein in?" in html
    response = post(logged_in, f"{path}/afdelingen/{department.id}/vragenlijsten",
                    {"bank": ["wonen"]}, form_page=path)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"{path}#afdeling-{department.id}")
    db.session.expire_all()
    assert db.session.get(Department, department.id).bank_ids == ["bestuur", "wonen"]
    page = logged_in.get(path).get_data(as_text=True)
    assert "De vragenlijsten van afdeling Sociaal domein zijn opgeslagen." in page
    assert f'id="banks-{department.id}-wonen" name="bank" value="wonen" checked>' in page


@pytest.mark.parametrize("bank_ids", [["bestaatniet"], ["wonen", "kapot"], ["../werk"]])
def test_forged_department_bank_is_refused_and_writes_nothing(logged_in, bank_ids):
    round_ = _round(banks={"wonen": None})
    department = round_.departments[0]
    path = f"/rondes/{round_.id}"
    response = post(logged_in, f"{path}/afdelingen/{department.id}/vragenlijsten",
                    {"bank": bank_ids}, form_page=path)
    assert response.status_code == 400
    assert "hoort niet bij deze ronde" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Department, department.id).bank_ids == ["bestuur", "werk"]


def test_change_department_banks_refused_once_answers_exist(logged_in):
    round_ = _round(banks={"wonen": None})
    department = round_.departments[0]
    db.session.add(Response(department=department,
                            resume_token_hash=tokens.hash_token(tokens.new_resume_token())))
    db.session.commit()
    path = f"/rondes/{round_.id}"
    html = logged_in.get(path).get_data(as_text=True)
    assert "/vragenlijsten" not in html and "Vragenlijsten opslaan" not in html
    assert "haar vragenlijsten liggen vast" in html
    response = post(logged_in, f"{path}/afdelingen/{department.id}/vragenlijsten",
                    {"bank": ["wonen"]}, form_page=path)
    assert response.status_code == 409
    assert "kunnen niet meer worden gewijzigd" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Department, department.id).bank_ids == ["bestuur", "werk"]


def test_closed_round_refuses_department_changes(logged_in):
    round_ = _round(banks={"wonen": None})
    department = round_.departments[0]
    path = f"/rondes/{round_.id}"
    dept = f"{path}/afdelingen/{department.id}"
    rounds.close_round(round_)
    html = logged_in.get(path).get_data(as_text=True)
    closed = "Deze ronde is gesloten. Heropen de ronde om afdelingen te wijzigen."
    assert closed in html
    for action in ("/afdelingen\"", "/hernoemen", "/vragenlijsten", "/verwijderen"):
        assert action not in html, action
    for target, data in ((f"{path}/afdelingen", {"name": "Nieuw", "bank": ["wonen"]}),
                         (f"{dept}/hernoemen", {"name": "Nieuwe naam"}),
                         (f"{dept}/vragenlijsten", {"bank": ["wonen"]}),
                         (f"{dept}/verwijderen", {})):
        response = post(logged_in, target, data, form_page="/rondes")
        assert response.status_code == 409, target
        assert closed in response.get_data(as_text=True), target
    db.session.expire_all()
    assert {d.name: d.bank_ids for d in db.session.get(Round, round_.id).departments} == {
        "Sociaal domein": ["bestuur", "werk"]}
    assert _count(Department) == 1 and _count(Invitation) == 1
    rounds.reopen_round(db.session.get(Round, round_.id))
    html = logged_in.get(path).get_data(as_text=True)
    assert closed not in html and "/vragenlijsten" in html and "/hernoemen" in html


def test_renew_and_revoke_link(logged_in):
    round_ = _round()
    department = round_.departments[0]
    path = f"/rondes/{round_.id}"
    old = "/s/" + links.invitation_token(department)
    assert post(logged_in, f"{path}/afdelingen/{department.id}/link/vernieuwen",
                {"confirmed": "1"}, form_page=path).status_code == 303
    db.session.expire_all()
    department = db.session.get(Department, department.id)
    new = "/s/" + links.invitation_token(department)
    assert new != old
    html = logged_in.get(path).get_data(as_text=True)
    assert new in html and old not in html
    assert post(logged_in, f"{path}/afdelingen/{department.id}/link/intrekken",
                {"confirmed": "1"}, form_page=path).status_code == 303
    db.session.expire_all()
    html = logged_in.get(path).get_data(as_text=True)
    assert "De link is ingetrokken." in html and new not in html
    assert _count(Invitation) == 2
    assert db.session.scalar(select(func.count(Invitation.id))
                             .where(Invitation.revoked_at.is_(None))) == 0


def test_page_has_no_inline_script_or_style(logged_in):
    round_ = _round()
    html = logged_in.get(f"/rondes/{round_.id}").get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert " style=" not in html and "onclick" not in html
