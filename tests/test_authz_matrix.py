"""The authorisation matrix: every route, every role, the exact status code expected.

Roles: an anonymous visitor (holding only unknown tokens), a respondent of department A and one
of department B (each holding their own invitation and resume tokens, with a cookie session
of their own), and three logged-in team accounts: a lezer (reads results and reports), a
coordinator (also rounds and departments) and a beheerder (also accounts and the JSON backup);
they know the invitation links but no resume token. Routes on ``user_id`` target a fourth
account. Routes with a ``round_id``/``department_id`` target the round and its third,
untouched department; token routes use the role's own tokens. Every cell starts from a fresh
database. A route missing from :data:`EXPECTED` fails the test, so a new route cannot be added
without deciding who may use it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from flask import Flask, g, url_for
from flask.testing import FlaskClient

from quickscan import links
from quickscan.extensions import db
from quickscan.services import accounts, responses, rounds
from tests.factories import CSRF_RE
from tests.rounds_helpers import test_banks  # noqa: F401  (fixture)

ROLES = ("anonymous", "respondent_a", "respondent_b", "lezer", "coordinator", "beheerder")
UNKNOWN_TOKEN = "onbekend-token-dat-niet-bestaat-0123456789abcdef"
COORDINATOR = ("coordinator@gemeente.example", "een-lang-wachtwoord")
ACCOUNTS = {"lezer": "lezer@gemeente.example", "coordinator": COORDINATOR[0],
            "beheerder": "beheerder@gemeente.example"}
TARGET = "doel@gemeente.example"  # the account the users pages act on

LOGIN = 302  # Flask-Login sends anonymous users to the login page
NO = 403     # logged in, but the role does not allow it
ALL_OK = (200,) * 6
COORD_GET = (LOGIN, LOGIN, LOGIN, NO, 200, 200)
COORD_POST = (LOGIN, LOGIN, LOGIN, NO, 303, 303)
READ_GET = (LOGIN, LOGIN, LOGIN, 200, 200, 200)  # results and reports: lezer and up
ADMIN_GET = (LOGIN, LOGIN, LOGIN, NO, NO, 200)
ADMIN_POST = (LOGIN, LOGIN, LOGIN, NO, NO, 303)
TOKEN_GET = (404, 200, 200, 200, 200, 200)     # invitation link: the team knows it too
RESUME_GET = (404, 200, 200, 404, 404, 404)    # resume link: only its respondent holds it
RESUME_POST = (404, 303, 303, 404, 404, 404)

#: (endpoint, method) -> expected status for (anonymous, respondent A, respondent B, lezer,
#: coordinator, beheerder).
EXPECTED: dict[tuple[str, str], tuple[int, ...]] = {
    ("main.index", "GET"): ALL_OK,
    ("main.healthz", "GET"): ALL_OK,
    ("main.set_language", "POST"): (302,) * 6,
    ("static", "GET"): ALL_OK,
    ("auth.login", "GET"): (200, 200, 200, 302, 302, 302),
    ("auth.login", "POST"): (401,) * 6,  # a wrong password, whoever sends it
    ("auth.logout", "POST"): (LOGIN, LOGIN, LOGIN, 303, 303, 303),
    ("survey.intro", "GET"): TOKEN_GET,
    ("survey.start", "POST"): (404, 303, 303, 303, 303, 303),
    ("survey.resume", "GET"): RESUME_GET,
    ("survey.step_page", "GET"): RESUME_GET,
    ("survey.step_page", "POST"): RESUME_POST,
    ("survey.review", "GET"): RESUME_GET,
    ("survey.submit", "POST"): RESUME_POST,
    ("survey.thanks", "GET"): (404, 303, 303, 404, 404, 404),  # not submitted: to the review
    ("results.respondent", "GET"): RESUME_GET,  # after submitting (403 before: see below)
    ("coordinator.rounds", "GET"): COORD_GET,
    ("coordinator.new_round", "GET"): COORD_GET,
    ("coordinator.new_round", "POST"): COORD_POST,
    ("coordinator.round_detail", "GET"): COORD_GET,
    ("coordinator.edit_round", "GET"): COORD_GET,
    ("coordinator.edit_round", "POST"): COORD_POST,
    ("coordinator.round_progress", "GET"): COORD_GET,
    ("coordinator.close_round", "POST"): COORD_POST,
    ("coordinator.reopen_round", "POST"): COORD_POST,
    ("coordinator.add_department", "POST"): COORD_POST,
    ("coordinator.rename_department", "POST"): COORD_POST,
    ("coordinator.set_department_banks", "POST"): COORD_POST,
    ("coordinator.remove_department", "POST"): COORD_POST,
    ("coordinator.renew_link", "GET"): COORD_GET,  # the confirmation page
    ("coordinator.renew_link", "POST"): COORD_POST,  # confirmed (FORMS)
    ("coordinator.revoke_link", "GET"): COORD_GET,
    ("coordinator.revoke_link", "POST"): COORD_POST,
    ("coordinator.set_expected", "POST"): COORD_POST,
    ("coordinator.delete_round", "POST"): (LOGIN, LOGIN, LOGIN, NO, 409, 409),  # still open
    ("coordinator.local_banks", "GET"): COORD_GET,
    ("coordinator.local_bank_template", "GET"): COORD_GET,
    ("coordinator.local_bank_upload", "POST"): (LOGIN, LOGIN, LOGIN, NO, 422, 422),  # no file
    ("coordinator.local_bank_new", "POST"): COORD_POST,
    # A bank version that does not exist (the world has no local banks): 404 for the team.
    ("coordinator.local_bank", "GET"): (LOGIN, LOGIN, LOGIN, NO, 404, 404),
    ("coordinator.local_bank_publish", "POST"): (LOGIN, LOGIN, LOGIN, NO, 404, 404),
    ("coordinator.local_bank_download", "GET"): (LOGIN, LOGIN, LOGIN, NO, 404, 404),
    ("coordinator.local_bank_arrange", "POST"): (LOGIN, LOGIN, LOGIN, NO, 404, 404),
    ("coordinator.local_bank_theme", "GET"): (LOGIN, LOGIN, LOGIN, NO, 404, 404),
    ("coordinator.local_bank_theme", "POST"): (LOGIN, LOGIN, LOGIN, NO, 404, 404),
    ("coordinator.local_bank_question", "GET"): (LOGIN, LOGIN, LOGIN, NO, 404, 404),
    ("coordinator.local_bank_question", "POST"): (LOGIN, LOGIN, LOGIN, NO, 404, 404),
    ("coordinator.local_bank_preview", "GET"): (LOGIN, LOGIN, LOGIN, NO, 404, 404),
    ("results.overview", "GET"): READ_GET,
    ("results.department", "GET"): READ_GET,
    ("results.report", "GET"): READ_GET,
    ("results.report_pdf", "GET"): READ_GET,
    ("results.department_pdf", "GET"): READ_GET,
    ("results.report_publication_pdf", "GET"): READ_GET,
    ("results.department_publication_pdf", "GET"): READ_GET,
    ("results.export", "GET"): ADMIN_GET,  # the JSON backup (response-level data); see below
    ("results.chart", "GET"): READ_GET,
    ("series.next_round", "GET"): COORD_GET,
    ("series.next_round", "POST"): COORD_POST,
    ("series.development", "GET"): READ_GET,
    # the whole-round PDF of a large round as a background job (an unknown job id: 404)
    ("report_jobs.start", "GET"): READ_GET,
    ("report_jobs.start", "POST"): (LOGIN, LOGIN, LOGIN, 303, 303, 303),
    ("report_jobs.status", "GET"): (LOGIN, LOGIN, LOGIN, 404, 404, 404),
    ("report_jobs.download", "GET"): (LOGIN, LOGIN, LOGIN, 404, 404, 404),
    ("account.password", "GET"): READ_GET,
    ("account.password", "POST"): (LOGIN, LOGIN, LOGIN, 422, 422, 422),  # wrong current one
    ("account.results", "GET"): READ_GET,
    ("users.index", "GET"): ADMIN_GET,
    ("users.create", "POST"): (LOGIN, LOGIN, LOGIN, NO, NO, 201),  # shows the password once
    ("users.change_role", "POST"): ADMIN_POST,
    ("users.deactivate", "POST"): ADMIN_POST,
    ("users.reactivate", "POST"): ADMIN_POST,
    ("users.reset_password", "POST"): (LOGIN, LOGIN, LOGIN, NO, NO, 200),
    # invitations by e-mail (mail is off in this app: sending answers 409, nothing written)
    ("invitations.index", "GET"): COORD_GET,
    ("invitations.add_addresses", "POST"): COORD_POST,
    ("invitations.remove_address", "POST"): (LOGIN, LOGIN, LOGIN, NO, 404, 404),  # no such address
    ("invitations.save_texts", "POST"): COORD_POST,
    ("invitations.send_invitations", "POST"): (LOGIN, LOGIN, LOGIN, NO, 409, 409),
    ("invitations.send_reminders", "POST"): (LOGIN, LOGIN, LOGIN, NO, 409, 409),
    ("invitations.retry", "POST"): (LOGIN, LOGIN, LOGIN, NO, 404, 404),  # no such mailing
    ("invitations.test_message", "POST"): (LOGIN, LOGIN, LOGIN, NO, 409, 409),
    ("invitations.personal_intro", "GET"): (404,) * 6,  # a department token is
    ("invitations.personal_start", "POST"): (404,) * 6,  # no personal link
    # the Lokale Inclusie Agenda (docs/lia.md); the round has no candidates or priorities yet
    ("lia.index", "GET"): READ_GET,
    ("lia.export", "GET"): READ_GET,
    ("lia.projector", "GET"): COORD_GET,
    ("lia.standing", "GET"): COORD_GET,
    ("lia.add_candidate", "POST"): COORD_POST,
    ("lia.from_priorities", "POST"): (LOGIN, LOGIN, LOGIN, NO, 422, 422),  # none ticked
    ("lia.merge", "POST"): (LOGIN, LOGIN, LOGIN, NO, 400, 400),  # no such candidate
    ("lia.rules", "POST"): COORD_POST,
    ("lia.open_vote", "POST"): (LOGIN, LOGIN, LOGIN, NO, 422, 422),  # needs two candidates
    ("lia.close_vote", "POST"): (LOGIN, LOGIN, LOGIN, NO, 409, 409),  # not open
    ("lia.tally", "POST"): (LOGIN, LOGIN, LOGIN, NO, 400, 400),  # no origin
    ("lia.show_results", "POST"): COORD_POST,
    ("lia.choose", "POST"): COORD_POST,
    ("lia.add_partner", "POST"): COORD_POST,
    ("lia.add_action", "POST"): (LOGIN, LOGIN, LOGIN, NO, 400, 400),  # no speerpunt
    ("lia.progress_note", "POST"): (LOGIN, LOGIN, LOGIN, NO, 400, 400),  # no action
    ("lia.publish", "POST"): COORD_POST,
    ("lia.vote", "GET"): (404,) * 6,  # an invitation token is no vote link
    ("lia.vote", "POST"): (404,) * 6,
    ("lia.department_actions", "GET"): TOKEN_GET,  # the department's own link
    ("lia.progress", "GET"): (404,) * 6,  # not published
    # Inwoners and bestuur: public links (the world's tokens are no group links: 404), the
    # coordinator's groups pages (the world's round has no groups: 404 where one is needed),
    # and the perspectives results (lezer and up).
    ("public_groups.residents", "GET"): (404,) * 6,
    ("public_groups.residents", "POST"): (404,) * 6,
    ("public_groups.residents_thanks", "GET"): (404,) * 6,
    ("public_groups.bestuur", "GET"): (404,) * 6,
    ("public_groups.bestuur", "POST"): (404,) * 6,
    ("public_groups.bestuur_thanks", "GET"): (404,) * 6,
    ("groups.manage", "GET"): COORD_GET,
    ("groups.add_group", "POST"): COORD_POST,
    ("groups.open_close", "POST"): (LOGIN, LOGIN, LOGIN, NO, 404, 404),
    ("groups.share_link", "POST"): (LOGIN, LOGIN, LOGIN, NO, 404, 404),
    ("groups.target_source", "POST"): COORD_POST,
    ("groups.residents_minimum", "POST"): (LOGIN, LOGIN, LOGIN, NO, 404, 404),
    ("groups.paper_print", "GET"): (LOGIN, LOGIN, LOGIN, NO, 404, 404),
    ("groups.paper_entry", "GET"): (LOGIN, LOGIN, LOGIN, NO, 404, 404),
    ("groups.paper_entry", "POST"): (LOGIN, LOGIN, LOGIN, NO, 404, 404),
    ("groups.perspectives_page", "GET"): READ_GET,
    ("groups.perspectives_chart", "GET"): READ_GET,
}

#: Endpoints whose respondent cells run with the respondent's response already submitted.
SUBMITTED_FIRST = {"results.respondent"}
#: Endpoints whose respondents have answered a question first (an empty response cannot be
#: submitted).
ANSWERED_FIRST = {"results.respondent", "survey.submit"}

#: Form data sent with each POST (besides the CSRF token); values are filled in per world.
FORMS: dict[str, dict[str, object]] = {
    "main.set_language": {"lang": "en", "next": "/"},
    "auth.login": {"email": "iemand@example.org", "password": "fout-wachtwoord"},
    "survey.step_page": {"q-bestuur.thema1.vraag1": "3", "action": "save"},
    "coordinator.new_round": {"name": "Nieuwe ronde", "municipality": "Gemeente",
                              "bank": "wonen"},
    "coordinator.edit_round": {"name": "Andere naam", "municipality": "Gemeente"},
    "series.next_round": {"name": "Volgende meting"},
    "coordinator.add_department": {"name": "Nieuwe afdeling", "bank": "wonen"},
    "coordinator.rename_department": {"name": "Hernoemd"},
    "coordinator.set_department_banks": {"bank": "werk"},
    "coordinator.set_expected": {"expected": "5"},
    "coordinator.delete_round": {"confirm": "yes"},
    "coordinator.local_bank_new": {"id": "matrix_eigen", "title": "Eigen",
                                   "description": "Eigen vragen.", "levensdomeinen": "welzijn"},
    "coordinator.local_bank_arrange": {"action": "up", "theme": "0", "question": ""},
    "coordinator.renew_link": {"confirmed": "1"},
    "coordinator.revoke_link": {"confirmed": "1"},
    "account.password": {"current_password": "niet-het-wachtwoord",
                         "new_password": "nieuw-wachtwoord-123",
                         "confirm_password": "nieuw-wachtwoord-123"},
    "users.create": {"email": "nieuw@gemeente.example", "role": "lezer"},
    "users.change_role": {"role": "lezer"},
    "invitations.add_addresses": {"addresses": "iemand@gemeente.example", "link": "personal"},
    "invitations.remove_address": {"invitee": "999999"},
    "invitations.retry": {"batch": "999999"},
    "invitations.test_message": {"address": "iemand@gemeente.example"},
    "invitations.save_texts": {"language": "nl", "invitation_subject": "Onderwerp",
                               "invitation_body": "Tekst", "reminder_subject": "Onderwerp",
                               "reminder_body": "Tekst", "action": "save"},
    "lia.add_candidate": {"title": "Toegankelijke website"},
    "lia.rules": {"votes": "3"},
    "lia.show_results": {"show": "1"},
    "lia.choose": {"top": "3"},
    "lia.add_partner": {"name": "Stichting MEE"},
    "lia.publish": {"published": "1"},
    "groups.add_group": {"kind": "bestuur"},
    "groups.target_source": {"target_source": "banks"},
}


@dataclass
class World:
    """A round with departments A, B and an untouched C, plus the clients of each role."""

    round_id: int
    department_c: int
    target_user: int
    invitation: dict[str, str]
    resume: dict[str, str]
    clients: dict[str, FlaskClient]


def _csrf(client: FlaskClient) -> str:
    """A CSRF token of ``client``'s own session.

    The ``app`` fixture keeps one app context for the whole test, and Flask-WTF caches the
    token in ``g``; forget it so every client gets the token of its own session.
    """
    g.pop("csrf_token", None)
    match = CSRF_RE.search(client.get("/").get_data(as_text=True))
    assert match
    return match.group(1)


def _world(app: Flask, role: str, submitted: bool, answered: bool = False) -> World:
    round_ = rounds.create_round(
        "Matrixronde", "Gemeente Matrix",
        departments=[("Afdeling A", ["wonen"]), ("Afdeling B", ["werk"]), ("Afdeling C", [])],
        secret_key=links.secret_key())
    by_name = {d.name: d for d in round_.departments}
    invitation = {key: links.invitation_token(by_name[f"Afdeling {key.upper()}"]) or ""
                  for key in ("a", "b")}
    clients: dict[str, FlaskClient] = {}
    resume: dict[str, str] = {}
    for key in ("a", "b"):
        client = app.test_client()
        started = client.post(f"/s/{invitation[key]}/start",
                              data={"csrf_token": _csrf(client)})
        assert started.status_code == 303
        resume[key] = started.headers["Location"].rstrip("/").split("/r/")[1]
        if answered or submitted:
            response = responses.find_response(resume[key])
            assert response is not None
            responses.save_page(response, 1, {"bestuur.thema1.vraag1": "3"}, {}, None)
        if submitted:
            responses.submit(response)
        clients[f"respondent_{key}"] = client
    clients["anonymous"] = app.test_client()
    target = accounts.create_user(TARGET, COORDINATOR[1], "coordinator")
    if role in ACCOUNTS:
        accounts.create_user(ACCOUNTS[role], COORDINATOR[1], role)
        client = app.test_client()
        logged_in = client.post("/login", data={"csrf_token": _csrf(client),
                                                "email": ACCOUNTS[role],
                                                "password": COORDINATOR[1]})
        assert logged_in.status_code == 303
        clients[role] = client
    return World(round_.id, by_name["Afdeling C"].id, target.id, invitation, resume, clients)


def _url(app: Flask, endpoint: str, role: str, world: World) -> str:
    own = {"respondent_a": "a", "respondent_b": "b"}.get(role)
    token = world.invitation[own or "a"] if role != "anonymous" else UNKNOWN_TOKEN
    resume = world.resume[own] if own else UNKNOWN_TOKEN
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    candidates = {"token": token, "resume_token": resume, "round_id": world.round_id,
                  "department_id": world.department_c, "user_id": world.target_user,
                  "step": 1, "fmt": "json",
                  "name": "heatmap", "ext": "png", "filename": "css/quickscan.css",
                  "kind": "bestuur", "action": "open",
                  "bank_id": "geen_bank", "version": "1.0.0", "theme": 0, "index": 0,
                  "job_id": "onbekende-rapporttaak"}
    with app.test_request_context():
        return url_for(endpoint, **{arg: candidates[arg] for arg in rule.arguments})


def _cells() -> list[tuple[str, str, str]]:
    return [(endpoint, method, role) for (endpoint, method) in sorted(EXPECTED)
            for role in ROLES]


def test_every_route_has_an_entry(app):
    routes = {(rule.endpoint, method) for rule in app.url_map.iter_rules()
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    missing = sorted(routes - set(EXPECTED))
    stale = sorted(set(EXPECTED) - routes)
    assert not missing, f"routes without an entry in the authorisation matrix: {missing}"
    assert not stale, f"entries for routes that no longer exist: {stale}"


@pytest.mark.parametrize(("endpoint", "method", "role"), _cells())
def test_authorisation_matrix(app, test_banks, endpoint, method, role):  # noqa: F811
    world = _world(app, role, submitted=endpoint in SUBMITTED_FIRST,
                   answered=endpoint in ANSWERED_FIRST)
    client = world.clients[role]
    url = _url(app, endpoint, role, world)
    if method == "GET":
        response = client.get(url)
    else:
        data = {key: value for key, value in FORMS.get(endpoint, {}).items()}
        data["csrf_token"] = _csrf(client)
        response = client.post(url, data=data)
    expected = EXPECTED[(endpoint, method)][ROLES.index(role)]
    assert response.status_code == expected, (
        f"{method} {url} as {role}: {response.status_code}, expected {expected}\n"
        f"{response.get_data(as_text=True)[:400]}")
    if expected == LOGIN and endpoint.split(".")[0] in ("coordinator", "results", "users",
                                                        "account"):
        assert "/login" in response.headers["Location"]
    db.session.rollback()


def test_respondent_sees_only_own_department_results(app, test_banks):  # noqa: F811
    world = _world(app, "respondent_a", submitted=True)
    for own, other in (("a", "b"), ("b", "a")):
        page = world.clients[f"respondent_{own}"].get(f"/r/{world.resume[own]}/resultaten")
        body = page.get_data(as_text=True)
        assert page.status_code == 200
        assert f"Afdeling {own.upper()}" in body
        assert f"Afdeling {other.upper()}" not in body


def test_respondent_results_forbidden_before_submitting(app, test_banks):  # noqa: F811
    world = _world(app, "respondent_a", submitted=False)
    page = world.clients["respondent_a"].get(f"/r/{world.resume['a']}/resultaten")
    assert page.status_code == 403
    assert '<html lang="nl"' in page.get_data(as_text=True)


def test_coordinator_cannot_resume_a_respondent_without_the_token(app, test_banks):  # noqa: F811
    world = _world(app, "coordinator", submitted=False)
    client = world.clients["coordinator"]
    body = client.get(f"/rondes/{world.round_id}").get_data(as_text=True)
    assert world.resume["a"] not in body and world.resume["b"] not in body


def _token_routes(app: Flask) -> list[tuple[str, str]]:
    return sorted((rule.endpoint, min(rule.methods - {"HEAD", "OPTIONS"}))
                  for rule in app.url_map.iter_rules()
                  if {"token", "resume_token"} & set(rule.arguments))


def test_every_token_route_rate_limits_unknown_tokens(app, test_banks):  # noqa: F811
    """Guessing links is limited per address on every route that takes a token."""
    from quickscan.extensions import limiter

    routes = _token_routes(app)
    assert len(routes) >= 8
    attempts = int(str(app.config["TOKEN_RATE_LIMIT"]).split()[0]) + 5
    for endpoint, method in routes:
        limiter.reset()
        client = app.test_client()
        csrf = _csrf(client)
        rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
        statuses = []
        for attempt in range(attempts):
            values = {"token": f"geraden-{attempt}-{'x' * 40}",
                      "resume_token": f"geraden-{attempt}-{'y' * 40}", "step": 1}
            with app.test_request_context():
                url = url_for(endpoint, **{arg: values[arg] for arg in rule.arguments})
            response = client.get(url) if method == "GET" else client.post(
                url, data={"csrf_token": csrf})
            statuses.append(response.status_code)
        assert statuses[0] == 404, (endpoint, statuses[0])
        assert statuses[-1] == 429, f"{endpoint}: unknown tokens are not rate-limited"
    limiter.reset()


def test_known_tokens_are_never_rate_limited(app, test_banks):  # noqa: F811
    """A whole department behind one office address keeps working."""
    world = _world(app, "respondent_a", submitted=True)
    client = world.clients["respondent_a"]
    attempts = int(str(app.config["TOKEN_RATE_LIMIT"]).split()[0]) + 10
    for _ in range(attempts):
        assert client.get(f"/s/{world.invitation['a']}").status_code == 200
        assert client.get(f"/r/{world.resume['a']}/resultaten").status_code == 200
