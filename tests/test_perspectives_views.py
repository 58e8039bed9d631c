"""The inwoners and bestuur pages, the coordinator's groups page and the perspectives page."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from quickscan import links
from quickscan.extensions import db
from quickscan.group_models import ResidentComment, ResidentResponse
from quickscan.models import KIND_BESTUUR, KIND_RESIDENTS
from quickscan.security import mask_tokens
from quickscan.services import accounts, rounds
from quickscan.services import perspectives as service

PASSWORD = "een-lang-wachtwoord"
from tests.factories import CSRF_RE


def _csrf(client, url):
    body = client.get(url).get_data(as_text=True)
    return CSRF_RE.search(body).group(1)


@pytest.fixture
def world(app):
    round_ = rounds.create_round(
        "Ronde", "Gemeente Test", departments=[("Burgerzaken", ["informatie"])],
        secret_key=links.secret_key())
    service.add_residents_group(round_, secret_key=links.secret_key())
    service.add_bestuur_group(round_, secret_key=links.secret_key())
    residents = service.links(service.group(round_, KIND_RESIDENTS))[0]
    bestuur = service.links(service.group(round_, KIND_BESTUUR))[0]
    return {"round": round_, "i": service.link_token(residents, links.secret_key()),
            "b": service.link_token(bestuur, links.secret_key())}


@pytest.fixture
def coordinator(app):
    accounts.create_user("coord@gemeente.example", PASSWORD, "coordinator")
    client = app.test_client()
    token = _csrf(client, "/login")
    assert client.post("/login", data={"csrf_token": token, "email": "coord@gemeente.example",
                                       "password": PASSWORD}).status_code == 303
    return client


def _count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_resident_submits_without_account(client, world):
    url = f"/i/{world['i']}"
    page = client.get(url)
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert "Ik kan de brieven van de gemeente goed lezen." in body
    assert "Lees voor" in body and "Ik doe mee als" in body and 'name="website"' in body
    token = CSRF_RE.search(body).group(1)
    sent = client.post(url, data={"csrf_token": token, "a-inwoners.brieven": "2",
                                  "a-inwoners.website": "dont_know", "role": "mantelzorger",
                                  "assisted": "1", "c-inwoners.brieven": "<b>Te moeilijk</b>"})
    assert sent.status_code == 303 and sent.headers["Location"].endswith("/bedankt")
    response = db.session.scalars(select(ResidentResponse)).one()
    assert response.assisted and response.participant_role == "mantelzorger"
    assert response.channel == "online" and {a.value for a in response.answers} == {
        "2", "dont_know"}
    assert db.session.scalars(select(ResidentComment.text)).one() == "<b>Te moeilijk</b>"


def test_honeypot_and_empty_form_store_nothing(client, world):
    url = f"/i/{world['i']}"
    token = _csrf(client, url)
    bot = client.post(url, data={"csrf_token": token, "a-inwoners.brieven": "5",
                                 "website": "http://spam.example"})
    assert bot.status_code == 303
    empty = client.post(url, data={"csrf_token": token})
    assert empty.status_code == 422 and "nog geen enkele zin" in empty.get_data(as_text=True)
    forged = client.post(url, data={"csrf_token": token, "a-inwoners.brieven": "9"})
    assert forged.status_code == 400
    assert _count(ResidentResponse) == 0


def test_closed_group_and_unknown_link(client, world):
    service.set_group_open(service.group(world["round"], KIND_RESIDENTS), False)
    page = client.get(f"/i/{world['i']}")
    assert "gesloten" in page.get_data(as_text=True)
    assert client.get("/i/geen-bestaand-token-0123456789").status_code == 404
    assert client.get(f"/b/{world['i']}").status_code == 404  # a residents token is no bestuur one
    assert mask_tokens(f"GET /i/{world['i']} HTTP/1.1") == "GET /i/*** HTTP/1.1"
    assert mask_tokens(f"GET /b/{world['b']}/bedankt") == "GET /b/***/bedankt"


def test_bestuur_page(client, world):
    url = f"/b/{world['b']}"
    token = _csrf(client, url)
    sent = client.post(url, data={"csrf_token": token, "l-informatie/taal": "3",
                                  "i-informatie/taal": "5"})
    assert sent.status_code == 303
    refused = client.post(url, data={"csrf_token": token})
    assert refused.status_code == 422


def test_flood_limit_per_ip_spares_a_community_centre(app, client, world):
    url = f"/i/{world['i']}"
    token = _csrf(client, url)
    # Twenty people behind one address each submit once: all accepted.
    for _ in range(20):
        assert client.post(url, data={"csrf_token": token,
                                      "a-inwoners.brieven": "4"}).status_code == 303
    limit = int(str(app.config.get("RESIDENTS_IP_RATE_LIMIT", "60 per 10 minutes")).split()[0])
    statuses = [client.post(url, data={"csrf_token": token, "a-inwoners.brieven": "4"}
                            ).status_code for _ in range(limit)]
    assert statuses[-1] == 429
    assert _count(ResidentResponse) == limit


def test_coordinator_pages(coordinator, world):
    round_id = world["round"].id
    page = coordinator.get(f"/rondes/{round_id}/groepen")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and f"/i/{world['i']}" in body and f"/b/{world['b']}" in body
    token = CSRF_RE.search(body).group(1)
    shared = coordinator.post(f"/rondes/{round_id}/groepen/inwoners/link",
                              data={"csrf_token": token, "label": "Wijkcentrum De Brug"})
    assert shared.status_code == 303
    assert "Wijkcentrum De Brug" in coordinator.get(f"/rondes/{round_id}/groepen").get_data(
        as_text=True)
    paper = coordinator.post(f"/rondes/{round_id}/inwoners/papier-invoeren",
                             data={"csrf_token": token, "a-inwoners.werk": "1"})
    assert paper.status_code == 303
    assert db.session.scalars(select(ResidentResponse.channel)).one() == "papier"
    printable = coordinator.get(f"/rondes/{round_id}/inwoners/papier").get_data(as_text=True)
    assert "Ik kan de brieven van de gemeente goed lezen." in printable and "☐" in printable
    closed = coordinator.post(f"/rondes/{round_id}/groepen/bestuur/sluiten",
                              data={"csrf_token": token})
    assert closed.status_code == 303
    assert not service.is_open(service.group(world["round"], KIND_BESTUUR))
    assert coordinator.post(f"/rondes/{round_id}/doelen", data={
        "csrf_token": token, "target_source": "bestuur"}).status_code == 303
    assert service.target_source(world["round"]) == "bestuur"


def test_perspectives_page_hides_groups_under_k(coordinator, world, client):
    round_id = world["round"].id
    url = f"/i/{world['i']}"
    token = _csrf(client, url)
    for _ in range(4):
        client.post(url, data={"csrf_token": token, "a-inwoners.brieven": "1",
                               "c-inwoners.brieven": "Geheime opmerking"})
    body = coordinator.get(f"/rondes/{round_id}/perspectieven").get_data(as_text=True)
    assert "Inwoners: nog geen resultaat: minder dan 5 ingevulde vragenlijsten" in body
    assert "Geheime opmerking" not in body
    client.post(url, data={"csrf_token": token, "a-inwoners.brieven": "1"})
    body = coordinator.get(f"/rondes/{round_id}/perspectieven").get_data(as_text=True)
    assert "Inwoners: nog geen resultaat" not in body and "Geheime opmerking" in body
    chart = coordinator.get(f"/rondes/{round_id}/perspectieven.png")
    assert chart.status_code == 200 and chart.data[:8] == b"\x89PNG\r\n\x1a\n"


def test_reports_have_the_perspectives_chapter(coordinator, world, client, tmp_path):
    import subprocess

    from quickscan.services import reports

    round_id = world["round"].id
    url = f"/i/{world['i']}"
    token = _csrf(client, url)
    for _ in range(2):
        client.post(url, data={"csrf_token": token, "a-inwoners.brieven": "1",
                               "c-inwoners.brieven": "Verborgen opmerking"})
    html = coordinator.get(f"/rondes/{round_id}/rapport").get_data(as_text=True)
    assert 'id="perspectieven"' in html
    assert "Inwoners: nog geen resultaat: minder dan 5 ingevulde vragenlijsten" in html
    assert "Verborgen opmerking" not in html
    for _ in range(3):
        client.post(url, data={"csrf_token": token, "a-inwoners.brieven": "1",
                               "c-inwoners.brieven": "Zichtbare <opmerking>"})
    html = coordinator.get(f"/rondes/{round_id}/rapport").get_data(as_text=True)
    assert "Zichtbare &lt;opmerking&gt;" in html and "Inwoners: nog geen resultaat" not in html
    pdf = tmp_path / "r.pdf"
    pdf.write_bytes(reports.pdf_report(db.session.get(type(world["round"]), round_id)))
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "Perspectieven" in text and "Zichtbare <opmerking>" in text
    assert "Bestuur: nog geen resultaat" in text


def test_exports_carry_groups_and_perspectives_with_k(app, world, client):
    import json

    from quickscan.services import exports

    url = f"/i/{world['i']}"
    token = _csrf(client, url)
    for _ in range(4):
        client.post(url, data={"csrf_token": token, "a-inwoners.brieven": "3"})
    round_ = world["round"]
    data = json.loads(exports.to_json(round_))
    assert {(g["kind"], g["name"], g["submitted"]) for g in data["groups"]} == {
        ("department", "Burgerzaken", 0), ("residents", "Inwoners", 4), ("bestuur", "Bestuur", 0)}
    taal = [p for p in data["perspectives"] if (p["bank"], p["theme"]) == ("informatie", "taal")]
    assert [p["department"] for p in taal] == [None, "Burgerzaken"]
    assert all(p["residents"] is None and p["ambition"] is None for p in taal)
    client.post(url, data={"csrf_token": token, "a-inwoners.brieven": "3"})
    data = json.loads(exports.to_json(round_))
    municipal = next(p for p in data["perspectives"] if (p["bank"], p["theme"]) == (
        "informatie", "taal") and p["department"] is None)
    assert municipal["residents"] == 50.0 and municipal["civil_servants"] is None


def test_residents_minimum_size_setting(coordinator, world):
    round_id = world["round"].id
    token = _csrf(coordinator, f"/rondes/{round_id}/groepen")
    url = f"/rondes/{round_id}/groepen/inwoners/minimum"
    assert coordinator.post(url, data={"csrf_token": token, "minimum": "8"}).status_code == 303
    assert service.min_size(service.group(world["round"], KIND_RESIDENTS)) == 8
    refused = coordinator.post(url, data={"csrf_token": token, "minimum": "1"})
    assert refused.status_code == 422 and "tot en met 25" in refused.get_data(as_text=True)
    assert service.min_size(service.group(world["round"], KIND_RESIDENTS)) == 8


def test_progress_and_results_pages_show_the_groups(coordinator, world, client):
    round_id = world["round"].id
    url = f"/i/{world['i']}"
    token = _csrf(client, url)
    client.post(url, data={"csrf_token": token, "a-inwoners.brieven": "3"})
    body = coordinator.get(f"/rondes/{round_id}/voortgang").get_data(as_text=True)
    assert "Ingevuld per gedeelde link" in body and "Algemeen" in body
    overview = coordinator.get(f"/rondes/{round_id}/resultaten").get_data(as_text=True)
    assert "De doelen komen uit de vragenlijsten." in overview


def test_cached_public_page_is_per_visitor(coordinator, world, app):
    url = f"/i/{world['i']}"
    assert coordinator.get(url).status_code == 200  # a team member's view is not cached
    tokens = set()
    for _ in range(2):
        visitor = app.test_client()
        body = visitor.get(url).get_data(as_text=True)
        token = CSRF_RE.search(body).group(1)
        tokens.add(token)
        assert visitor.post(url, data={"csrf_token": token,
                                       "a-inwoners.brieven": "4"}).status_code == 303
    assert len(tokens) == 2


class _Statements:
    """The SQL statements the app sends while the block runs."""

    def __enter__(self):
        from sqlalchemy import event

        self.seen = []
        self._listener = lambda *args: self.seen.append(args[2])
        event.listen(db.engine, "before_cursor_execute", self._listener)
        return self

    def __exit__(self, *exc):
        from sqlalchemy import event

        event.remove(db.engine, "before_cursor_execute", self._listener)


def test_public_page_reads_the_database_once_and_then_not_for_a_moment(app, world):
    from quickscan.views import perspectives as views

    url = f"/i/{world['i']}"
    assert app.test_client().get(url).status_code == 200  # the bank snapshot, once per process
    views._link_memo.clear()
    visitor = app.test_client()
    with _Statements() as first:
        body = visitor.get(url).get_data(as_text=True)
    # The link, its group, round, open state and settings in one query.
    assert len([s for s in first.seen if s.lstrip().upper().startswith("SELECT")]) == 1
    with _Statements() as again:
        other = app.test_client().get(url)
    assert other.status_code == 200 and again.seen == []
    assert "Ik kan de brieven van de gemeente goed lezen." in other.get_data(as_text=True)
    assert CSRF_RE.search(body).group(1) != CSRF_RE.search(other.get_data(as_text=True)).group(1)
    # A submission always asks the database: one SELECT, then the inserts.
    token = CSRF_RE.search(body).group(1)
    with _Statements() as post:
        sent = visitor.post(url, data={"csrf_token": token, "a-inwoners.brieven": "4"})
    assert sent.status_code == 303
    assert len([s for s in post.seen if s.lstrip().upper().startswith("SELECT")]) == 1
    # Closing the group in this process ends the memo at once.
    service.set_group_open(service.group(world["round"], KIND_RESIDENTS), False)
    assert "gesloten" in app.test_client().get(url).get_data(as_text=True)


def test_public_page_memo_can_be_switched_off(app, world):
    url = f"/i/{world['i']}"
    app.config["RESIDENTS_PAGE_TTL"] = 0
    try:
        assert app.test_client().get(url).status_code == 200
        with _Statements() as again:
            assert app.test_client().get(url).status_code == 200
        assert len(again.seen) == 1  # every page asks for the link again
    finally:
        app.config.pop("RESIDENTS_PAGE_TTL")
