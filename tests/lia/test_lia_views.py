"""The LIA's public vote link and pages: one ballot per browser, forged ballots change nothing."""

from __future__ import annotations

import io

import pytest
from flask import g

from quickscan import links
from quickscan.extensions import db, limiter
from quickscan.services import accounts
from quickscan.services import lia as service
from tests.lia.helpers import counts, vote_totals
from tests.results.conftest import build_round
from tests.rounds_helpers import CSRF_RE

PASSWORD = "een-lang-wachtwoord"


@pytest.fixture
def voting(app):
    built = build_round()
    db.session.add(built.round)
    db.session.commit()
    round_ = built.round
    first = service.add_candidate(round_, "Toegankelijke website")
    second = service.add_candidate(round_, "Werk voor iedereen")
    third = service.add_candidate(round_, "Vervoer op maat")
    plan = service.open_vote(round_, secret_key=links.secret_key(), votes_per_voter=2)
    token = service.vote_token(plan, links.secret_key())
    return round_, [first.id, second.id, third.id], f"/s/{token}/stem"


def _visit(client, url):
    g.pop("csrf_token", None)
    page = client.get(url)
    assert page.status_code == 200
    return CSRF_RE.search(page.get_data(as_text=True)).group(1)


def test_one_ballot_per_browser(app, voting):
    round_, ids, url = voting
    client = app.test_client()
    csrf = _visit(client, url)
    assert client.get_cookie("qs_stem" + str(service.get_plan(round_).id), path="/s/")
    done = client.post(url, data={"csrf_token": csrf, "candidate": [ids[0], ids[1]],
                                  "voter_role": "ervaringsdeskundige"})
    assert done.status_code == 303
    assert "Uw stem is opgeslagen" in client.get(url).get_data(as_text=True)
    before = counts()
    again = client.post(url, data={"csrf_token": csrf, "candidate": [ids[2]]})
    assert again.status_code == 409
    assert "al gestemd" in again.get_data(as_text=True)
    assert counts() == before
    result = {r.candidate.id: r for r in service.results(round_)}
    assert result[ids[0]].online == 1 and result[ids[2]].online == 0
    # Votes per role: hidden under the round's k, shown (2 votes: one ballot, two choices) at k=1.
    assert service.vote_figures(round_).roles == (
        service.RoleVotes("ervaringsdeskundige", 0, 0, 0, hidden=True),)
    round_.min_group_size = 1
    db.session.commit()
    assert service.vote_figures(round_).roles == (
        service.RoleVotes("ervaringsdeskundige", 2, 0, 0),)


@pytest.mark.parametrize(("data", "status", "message"), [
    ({"candidate": ["A", "B", "C"]}, 400, "Onbekende kandidaat"),
    ({"candidate": ["1", "2", "3"]}, 422, "hoogstens 2"),
    ({"candidate": ["999999"]}, 400, "niet bestaat"),
    ({"candidate": ["1", "1"]}, 400, "één stem"),
    ({"candidate": ["1"], "voter_role": "wethouder"}, 400, "ik stem als"),
    ({}, 422, "ten minste één"),
])
def test_bad_ballots_write_nothing(app, voting, data, status, message):
    _round, ids, url = voting
    client = app.test_client()
    csrf = _visit(client, url)
    mapping = {"1": str(ids[0]), "2": str(ids[1]), "3": str(ids[2])}
    form = {"csrf_token": csrf, **data}
    form["candidate"] = [mapping.get(c, c) for c in data.get("candidate", [])]
    before = counts()
    response = client.post(url, data=form)
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    assert counts() == before


def test_forged_ballots_never_change_a_tally(app, voting):
    round_, ids, url = voting
    client = app.test_client()
    csrf = _visit(client, url)
    cookie = "qs_stem" + str(service.get_plan(round_).id)
    before = vote_totals()
    # No cookie at all, a cookie not signed by the app, a re-signed value of another kind.
    client.delete_cookie(cookie, path="/s/")
    assert client.post(url, data={"csrf_token": csrf, "candidate": [ids[0]]}).status_code == 400
    client.set_cookie(cookie, "vervalst.token", path="/s/")
    assert client.post(url, data={"csrf_token": csrf, "candidate": [ids[0]]}).status_code == 400
    # Without the CSRF token, or on a wrong vote token.
    assert client.post(url, data={"candidate": [ids[0]]}).status_code == 400
    wrong = url.replace("/s/", "/s/x")
    assert client.post(wrong, data={"csrf_token": csrf, "candidate": [ids[0]]}).status_code == 404
    assert vote_totals() == before


def test_closed_vote_refuses_ballots_and_tallies(app, voting):
    round_, ids, url = voting
    client = app.test_client()
    csrf = _visit(client, url)
    service.close_vote(round_)
    before = counts()
    response = client.post(url, data={"csrf_token": csrf, "candidate": [ids[0]]})
    assert response.status_code == 409 and "gesloten" in response.get_data(as_text=True)
    with pytest.raises(service.VoteRefused):
        service.add_tally(round_, ids[0], "zaal", 3)
    assert counts() == before


def test_rules_lock_after_the_first_vote(app, voting):
    round_, ids, _url = voting
    service.add_tally(round_, ids[0], "papier", 4)
    before = counts()
    for call in (lambda: service.set_rules(round_, 5),
                 lambda: service.add_candidate(round_, "Nog een"),
                 lambda: service.merge_candidates(round_, ids[0], [ids[1]], "dubbel")):
        with pytest.raises(service.VoteRefused, match="er is al gestemd"):
            call()
    assert counts() == before


def test_twenty_voters_on_one_network_are_not_blocked(app, voting):
    round_, ids, url = voting
    limiter.reset()
    for _ in range(20):
        client = app.test_client()
        csrf = _visit(client, url)
        assert client.post(url, data={"csrf_token": csrf, "candidate": [ids[1]]}).status_code == 303
    assert {r.candidate.id: r.online for r in service.results(round_)}[ids[1]] == 20
    limiter.reset()


def test_a_flood_from_one_address_is_stopped(app, voting):
    _round, ids, url = voting
    default = app.config["LIA_VOTE_RATE_LIMIT"]
    app.config["LIA_VOTE_RATE_LIMIT"] = "5 per minute"
    limiter.reset()
    try:
        client = app.test_client()
        csrf = _visit(client, url)
        statuses = [client.post(url, data={"csrf_token": csrf, "candidate": [ids[0]]}).status_code
                    for _ in range(8)]
    finally:
        app.config["LIA_VOTE_RATE_LIMIT"] = default
        limiter.reset()
    assert statuses[0] == 303 and statuses[-1] == 429


def test_progress_page_only_when_published_and_department_sees_own_actions(app, voting):
    round_, ids, _url = voting
    client = app.test_client()
    assert client.get(f"/agenda/{round_.id}").status_code == 404
    service.add_tally(round_, ids[0], "zaal", 9)
    service.close_vote(round_)
    service.choose(round_, 1)
    mine, other = round_.departments[0], round_.departments[1]
    service.add_action(round_, ids[0], "Audit <script>x</script>", mine.name, "2027-01-31")
    service.add_partner(round_, "Stichting MEE")
    service.add_action(round_, ids[0], "Spreekuur", "Stichting MEE")
    service.set_published(round_, True)
    page = client.get(f"/agenda/{round_.id}").get_data(as_text=True)
    assert "Toegankelijke website" in page and "Audit &lt;script&gt;" in page
    assert "Laatst bijgewerkt op" in page
    from quickscan.services import rounds

    for department, sees in ((mine, True), (other, False)):
        if not rounds.active_invitation(department):
            rounds.renew_invitation(department, secret_key=links.secret_key())
        token = links.invitation_token(department)
        body = client.get(f"/s/{token}/acties").get_data(as_text=True)
        assert ("Audit &lt;script&gt;" in body) is sees
        assert "Spreekuur" not in body


def test_coordinator_walks_the_agenda_on_the_web(app, voting):
    round_, ids, _url = voting
    accounts.create_user("co@example.org", PASSWORD, "coordinator")
    client = app.test_client()
    g.pop("csrf_token", None)
    csrf = CSRF_RE.search(client.get("/login").get_data(as_text=True)).group(1)
    assert client.post("/login", data={"csrf_token": csrf, "email": "co@example.org",
                                       "password": PASSWORD}).status_code == 303
    base = f"/rondes/{round_.id}/agenda"
    g.pop("csrf_token", None)
    csrf = CSRF_RE.search(client.get(base).get_data(as_text=True)).group(1)
    assert client.post(base + "/stemming/telling", data={
        "csrf_token": csrf, "candidate": ids[2], "origin": "zaal", "count": "7"}).status_code == 303
    before = counts()
    bad = client.post(base + "/stemming/telling", data={
        "csrf_token": csrf, "candidate": ids[2], "origin": "zaal", "count": "veel"})
    assert bad.status_code == 422 and "heel getal" in bad.get_data(as_text=True)
    assert client.post(base + "/stemming/regels", data={
        "csrf_token": csrf, "votes": "4"}).status_code == 409
    assert counts() == before
    assert client.post(base + "/stemming/sluiten", data={"csrf_token": csrf}).status_code == 303
    assert client.post(base + "/speerpunten", data={
        "csrf_token": csrf, "top": "1", "add": ids[0]}).status_code == 422  # no reason
    assert client.post(base + "/speerpunten", data={
        "csrf_token": csrf, "top": "1", "add": ids[0],
        "reason": "Inwoners noemden dit vaak"}).status_code == 303
    chosen = service.speerpunten(round_)
    assert {c.id for c in chosen} == {ids[2], ids[0]}
    assert chosen[1].choice_reason == "Inwoners noemden dit vaak"
    before = counts()
    late = client.post(base + "/acties", data={
        "csrf_token": csrf, "speerpunt": ids[0], "title": "Audit", "owner": "Niemand"})
    assert late.status_code == 422 and "geen afdeling" in late.get_data(as_text=True)
    assert counts() == before
    assert client.post(base + "/acties", data={
        "csrf_token": csrf, "speerpunt": ids[0], "title": "Audit",
        "owner": round_.departments[0].name, "deadline": "2027-05-01"}).status_code == 303
    assert client.post(base + "/acties", data={
        "csrf_token": csrf, "speerpunt": ids[0], "title": "=HYPERLINK(\"http://x\")",
        "owner": round_.departments[0].name}).status_code == 303
    docx = client.get(base + "/export.docx")
    assert docx.status_code == 200 and docx.data[:2] == b"PK"
    csv = client.get(base + "/export.csv").data.decode("utf-8-sig")
    assert csv.splitlines()[0].startswith('"Speerpunt";"Actie";"Eigenaar"')
    assert "'=HYPERLINK" in csv and '"=HYPERLINK' not in csv
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(client.get(base + "/export.xlsx").data)).worksheets[0]
    cell = next(c for row in sheet.iter_rows() for c in row if "HYPERLINK" in str(c.value))
    assert cell.data_type == "s"
    lezer = app.test_client()
    accounts.create_user("lezer@example.org", PASSWORD, "lezer")
    g.pop("csrf_token", None)
    token = CSRF_RE.search(lezer.get("/login").get_data(as_text=True)).group(1)
    lezer.post("/login", data={"csrf_token": token, "email": "lezer@example.org",
                               "password": PASSWORD})
    read = lezer.get(base).get_data(as_text=True)
    assert "Audit" in read and "Stemming sluiten" not in read and "/s/" not in read
    standing = client.get(base + "/stand.json").get_json()
    assert standing["show_results"] is False and "total" not in standing["candidates"][0]
    client.post(base + "/stemming/tonen", data={"csrf_token": csrf, "show": "1"})
    standing = client.get(base + "/stand.json").get_json()
    assert standing["candidates"][0] == {"title": "Vervoer op maat", "online": 0, "zaal": 7,
                                         "papier": 0, "total": 7}
    projector = client.get(base + "/scherm").get_data(as_text=True)
    assert 'aria-live="polite"' in projector and "http-equiv" not in projector


def test_a_flood_from_many_addresses_meets_the_vote_links_own_bucket(app, voting):
    round_, ids, url = voting
    default = app.config["LIA_VOTE_LINK_RATE_LIMIT"]
    app.config["LIA_VOTE_LINK_RATE_LIMIT"] = "6 per minute"
    limiter.reset()
    try:
        statuses = []
        for number in range(9):
            client = app.test_client()
            client.environ_base["REMOTE_ADDR"] = f"198.51.100.{number + 1}"
            csrf = _visit(client, url)
            statuses.append(client.post(url, data={"csrf_token": csrf,
                                                   "candidate": [ids[0]]}).status_code)
    finally:
        app.config["LIA_VOTE_LINK_RATE_LIMIT"] = default
        limiter.reset()
    assert statuses[:6] == [303] * 6 and set(statuses[6:]) == {429}
    assert {r.candidate.id: r.online for r in service.results(round_)}[ids[0]] == 6
