"""The LIA's bad input and the gaps closed last: the vote form's honeypot, "ik stem als" for
votes from the room and on paper (web and command line), and the issue's "Bad input" list on
the web: each refused with a Dutch message and nothing written."""

from __future__ import annotations

import io

import pytest
from docx import Document

from quickscan import links
from quickscan.extensions import db
from quickscan.group_models import PARTICIPANT_ROLES
from quickscan.services import lia as service
from tests.factories import create_account, csrf_token, log_in
from tests.lia.helpers import counts, vote_totals
from tests.results.conftest import build_round


@pytest.fixture
def voting(app):
    built = build_round()
    db.session.add(built.round)
    db.session.commit()
    round_ = built.round
    ids = [service.add_candidate(round_, title).id
           for title in ("Toegankelijke website", "Werk voor iedereen", "Vervoer op maat")]
    plan = service.open_vote(round_, secret_key=links.secret_key(), votes_per_voter=2)
    return round_, ids, f"/s/{service.vote_token(plan, links.secret_key())}/stem"


@pytest.fixture
def coordinator(app):
    create_account("coordinator")
    return log_in(app.test_client(), "coordinator@gemeente.example")


# --------------------------------------------------------------------------- honeypot


def test_a_filled_honeypot_writes_nothing(app, voting):
    round_, ids, url = voting
    client = app.test_client()
    csrf = csrf_token(client, url)
    body = client.get(url).get_data(as_text=True)
    assert 'name="website"' in body and 'tabindex="-1"' in body
    before, totals = counts(), vote_totals()
    bot = client.post(url, data={"csrf_token": csrf, "candidate": [ids[0], ids[1]],
                                 "website": "http://spam.example"})
    assert bot.status_code == 303  # a bot sees no difference
    assert counts() == before and vote_totals() == totals
    assert all(r.total == 0 for r in service.results(round_))
    # The same browser can still cast its real ballot: the bot's post used nothing up.
    assert client.post(url, data={"csrf_token": csrf, "candidate": [ids[0]],
                                  "website": ""}).status_code == 303
    assert {r.candidate.id: r.online for r in service.results(round_)}[ids[0]] == 1


# --------------------------------------------------------------------------- "ik stem als"


def test_tallies_carry_a_role_on_the_web(coordinator, voting):
    round_, ids, _url = voting
    round_.min_group_size = 1
    db.session.commit()
    base = f"/rondes/{round_.id}/agenda"
    page = coordinator.get(base).get_data(as_text=True)
    assert 'id="tally-role"' in page and 'name="voter_role"' in page
    for role in PARTICIPANT_ROLES:
        assert f'value="{role}"' in page
    csrf = csrf_token(coordinator, base)
    assert coordinator.post(base + "/stemming/telling", data={
        "csrf_token": csrf, "candidate": ids[1], "origin": "zaal", "count": "7",
        "voter_role": "mantelzorger"}).status_code == 303
    assert coordinator.post(base + "/stemming/telling", data={
        "csrf_token": csrf, "candidate": ids[1], "origin": "papier", "count": "3",
        "voter_role": "mantelzorger"}).status_code == 303
    assert coordinator.post(base + "/stemming/telling", data={
        "csrf_token": csrf, "candidate": ids[0], "origin": "papier", "count": "2"}
    ).status_code == 303
    result = {r.candidate.id: r.votes() for r in service.results(round_)}
    assert result[ids[1]] == {"online": 0, "zaal": 7, "papier": 3, "total": 10}
    assert result[ids[0]] == {"online": 0, "zaal": 0, "papier": 2, "total": 2}
    assert service.vote_figures(round_).roles == (
        service.RoleVotes("mantelzorger", 0, 7, 3), service.RoleVotes("", 0, 0, 2))
    page = coordinator.get(base).get_data(as_text=True)
    assert "Stemmen per rol (ik stem als)" in page and "Mantelzorger" in page
    # A forged role: refused with the error page, nothing written.
    before, totals = counts(), vote_totals()
    forged = coordinator.post(base + "/stemming/telling", data={
        "csrf_token": csrf, "candidate": ids[1], "origin": "zaal", "count": "5",
        "voter_role": "wethouder"})
    assert forged.status_code == 400
    assert "Onbekende keuze bij &#39;ik stem als&#39;: wethouder" in forged.get_data(
        as_text=True)
    assert counts() == before and vote_totals() == totals


def test_role_counts_under_k_show_no_figures(coordinator, voting):
    round_, ids, _url = voting
    service.add_tally(round_, ids[0], "zaal", 2, "ervaringsdeskundige")
    service.add_tally(round_, ids[0], "zaal", 9, "inwoner")
    k = round_.min_group_size
    assert 2 < k <= 9
    figures = {r.role: r for r in service.vote_figures(round_).roles}
    assert figures["ervaringsdeskundige"].hidden and figures["ervaringsdeskundige"].total == 0
    assert figures["inwoner"].zaal == 9 and not figures["inwoner"].hidden
    page = coordinator.get(f"/rondes/{round_.id}/agenda").get_data(as_text=True)
    assert f"Geen cijfers: minder dan {k} stemmen" in page


def test_tally_role_on_the_command_line(app, voting, tmp_path):
    round_, ids, _url = voting
    round_.min_group_size = 1
    db.session.commit()
    cli = app.test_cli_runner()
    rid = str(round_.id)
    ok = cli.invoke(args=["lia", "vote", "tally", rid, str(ids[2]), "--origin", "zaal",
                          "--count", "4", "--role", "professional"])
    assert ok.exit_code == 0, ok.output
    assert ok.output.strip() == f"{ids[2]}\tzaal\t4\tprofessional"
    ok = cli.invoke(args=["lia", "vote", "tally", rid, "Vervoer op maat", "--origin", "papier",
                          "--count", "6", "--als", "lid_adviesraad"])
    assert ok.exit_code == 0, ok.output
    plain = cli.invoke(args=["lia", "vote", "tally", rid, str(ids[0]), "--origin", "papier",
                             "--count", "1"])
    assert plain.exit_code == 0 and plain.output.strip() == f"{ids[0]}\tpapier\t1"
    assert service.vote_figures(round_).roles == (
        service.RoleVotes("lid_adviesraad", 0, 0, 6), service.RoleVotes("professional", 0, 4, 0),
        service.RoleVotes("", 0, 0, 1))
    result = {r.candidate.id: r.votes() for r in service.results(round_)}
    assert result[ids[2]] == {"online": 0, "zaal": 4, "papier": 6, "total": 10}
    # The document's vote chapter has the same votes per role.
    out = tmp_path / "lia.docx"
    assert cli.invoke(args=["lia", "export", rid, "--format", "docx", "--out", str(out)]
                      ).exit_code == 0
    tables = [t for t in Document(str(out)).tables
              if t.rows[0].cells[0].text == "Rol"]
    assert [[c.text for c in row.cells] for row in tables[0].rows] == [
        ["Rol", "Online", "Zaal", "Papier", "Totaal"],
        ["Lid van de adviesraad", "0", "0", "6", "6"], ["Professional", "0", "4", "0", "4"],
        ["Niet opgegeven", "0", "0", "1", "1"]]
    round_.min_group_size = 7
    db.session.commit()
    rows = [[c.text for c in row.cells] for t in Document(io.BytesIO(service.to_docx(round_)))
            .tables if t.rows[0].cells[0].text == "Rol" for row in t.rows[1:]]
    assert rows[0] == ["Lid van de adviesraad", "geen cijfers: minder dan 7 stemmen", "", "",
                       ""]
    before, totals = counts(), vote_totals()
    forged = cli.invoke(args=["lia", "vote", "tally", rid, str(ids[2]), "--origin", "zaal",
                              "--count", "4", "--role", "wethouder"])
    assert forged.exit_code == 1
    assert "Onbekende keuze bij 'ik stem als': wethouder" in forged.output
    assert "mantelzorger" in forged.output
    assert counts() == before and vote_totals() == totals


# --------------------------------------------------------------------------- bad input


def test_bad_input_on_the_coordinator_pages_writes_nothing(coordinator, voting):
    round_, ids, url = voting
    base = f"/rondes/{round_.id}/agenda"
    csrf = csrf_token(coordinator, base)

    def refused(path: str, data: dict[str, object], status: int, message: str) -> None:
        before, totals = counts(), vote_totals()
        response = coordinator.post(base + path, data={"csrf_token": csrf, **data})
        assert response.status_code == status, (path, data, response.status_code)
        assert message in response.get_data(as_text=True), (path, message)
        assert counts() == before and vote_totals() == totals

    refused("/stemming/telling", {"candidate": "999999", "origin": "zaal", "count": "3"},
            404, "Onbekende kandidaat")
    refused("/stemming/telling", {"candidate": ids[0], "origin": "online", "count": "3"},
            400, "Kies als herkomst")
    refused("/stemming/telling", {"candidate": ids[0], "origin": "zaal", "count": "0"},
            422, "tussen 1 en 100000")
    assert coordinator.post(base + "/stemming/telling", data={
        "csrf_token": csrf, "candidate": ids[0], "origin": "zaal", "count": "5"}
    ).status_code == 303
    # The rules are locked by the first vote.
    refused("/stemming/regels", {"votes": "4"}, 409, "er is al gestemd")
    refused("/kandidaten", {"title": "Te laat"}, 409, "er is al gestemd")
    refused("/kandidaten/samenvoegen", {"keep": ids[0], "merge": ids[1], "reason": "dubbel"},
            409, "er is al gestemd")
    # Choosing needs a closed vote; after closing no ballot or tally is accepted.
    refused("/speerpunten", {"top": "1"}, 409, "Sluit eerst de stemming")
    assert coordinator.post(base + "/stemming/sluiten",
                            data={"csrf_token": csrf}).status_code == 303
    refused("/stemming/telling", {"candidate": ids[0], "origin": "papier", "count": "2"},
            409, "De stemming is gesloten")
    voter = coordinator.application.test_client()
    vote_csrf = csrf_token(voter, url)
    before, totals = counts(), vote_totals()
    late = voter.post(url, data={"csrf_token": vote_csrf, "candidate": [ids[1]]})
    assert late.status_code == 409 and "gesloten" in late.get_data(as_text=True)
    assert counts() == before and vote_totals() == totals
    assert coordinator.post(base + "/speerpunten", data={
        "csrf_token": csrf, "top": "1"}).status_code == 303
    # Actions: a deadline that is not a date; an owner that is no department or partner.
    owner = round_.departments[0].name
    refused("/acties", {"speerpunt": ids[0], "title": "Audit", "owner": owner,
                        "deadline": "31-02-2027"}, 422, "De deadline is geen datum")
    refused("/acties", {"speerpunt": ids[0], "title": "Audit", "owner": owner,
                        "deadline": "volgende week"}, 422, "jjjj-mm-dd")
    refused("/acties", {"speerpunt": ids[0], "title": "Audit", "owner": "Stichting MEE"},
            422, "geen afdeling van deze ronde en geen genoemde partnerorganisatie")
    refused("/acties", {"speerpunt": ids[1], "title": "Audit", "owner": owner},
            422, "is geen speerpunt")
    refused("/acties", {"speerpunt": ids[0], "title": "Audit", "owner": owner,
                        "status": "misschien"}, 422, "Onbekende status")
    refused("/partners", {"name": ""}, 422, "Vul de naam van de partner in")
    assert coordinator.post(base + "/partners", data={
        "csrf_token": csrf, "name": "Stichting MEE"}).status_code == 303
    assert coordinator.post(base + "/acties", data={
        "csrf_token": csrf, "speerpunt": ids[0], "title": "Audit", "owner": "stichting mee",
        "deadline": "2027-02-28"}).status_code == 303
    (_speerpunt, action), = service.all_actions(round_)
    assert action.owner == "Stichting MEE" and action.deadline.isoformat() == "2027-02-28"


def test_more_votes_than_allowed_and_a_second_ballot(app, voting):
    _round, ids, url = voting
    client = app.test_client()
    csrf = csrf_token(client, url)
    before = counts()
    too_many = client.post(url, data={"csrf_token": csrf, "candidate": ids})
    assert too_many.status_code == 422
    assert "U heeft 3 kandidaten gekozen; u mag er hoogstens 2 kiezen." in too_many.get_data(
        as_text=True)
    assert counts() == before
    assert client.post(url, data={"csrf_token": csrf, "candidate": ids[:2]}).status_code == 303
    before, totals = counts(), vote_totals()
    second = client.post(url, data={"csrf_token": csrf, "candidate": [ids[2]]})
    assert second.status_code == 409
    assert "Vanuit deze browser is al gestemd" in second.get_data(as_text=True)
    assert counts() == before and vote_totals() == totals
