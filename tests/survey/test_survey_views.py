"""The survey pages through the test client, with CSRF protection on.

Every refused request is checked for its exact status, its Dutch message and that nothing was
written (row counts before and after).
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from quickscan.extensions import db
from quickscan.models import ROUND_CLOSED, Answer, Comment, ImportanceRating, Response
from quickscan.services import responses as service
from tests.survey.conftest import csrf, csrf_from, start_survey

Q1 = "proef_bestuur.visie.vastgelegd"
Q2 = "proef_bestuur.visie.ervaringsdeskundigen"
Q_ZORG = "proef_zorg.toegang.loket"
Q_SPORT = "proef_sport.accommodaties.toegankelijk"


def counts() -> tuple[int, ...]:
    return tuple(db.session.scalar(select(func.count()).select_from(model))
                 for model in (Response, Answer, Comment, ImportanceRating))


def text(response) -> str:
    return response.get_data(as_text=True)


def unescaped(response) -> str:
    import html

    return html.unescape(text(response))


@pytest.fixture
def zorg(client, small_round) -> str:
    """A started response of department Zorg; returns its resume token."""
    return start_survey(client, small_round.token("Zorg"))


def post_step(client, resume_token: str, step: int, data: dict, *, with_csrf: bool = True):
    url = f"/r/{resume_token}/stap/{step}"
    payload = dict(data)
    if with_csrf:
        payload["csrf_token"] = csrf(client, url)
    return client.post(url, data=payload)


def the_response(resume_token: str) -> Response:
    response = service.find_response(resume_token)
    db.session.refresh(response)
    return response


# --------------------------------------------------------------------------- intro and start


def test_intro_explains_time_privacy_and_scale(client, small_round):
    page = client.get(f"/s/{small_round.token('Zorg')}")
    assert page.status_code == 200
    body = unescaped(page)
    assert "afdeling Zorg" in body
    # The expected time is the documented estimate (quickscan/estimate.py) over the banks as
    # asked, plus the scale's level labels (issue 11 replaced "20 s a question").
    from quickscan.estimate import estimate_minutes

    banks = service.department_banks(small_round.departments["Zorg"])
    labels = [level.label for level in service.scale_for(banks[0]).levels]
    minutes = estimate_minutes(banks, labels)
    assert "5 vragen" in body and "3 thema's" in body
    assert f"Dit duurt ongeveer {minutes} minuten." in body
    assert "nooit per persoon" in body and "anoniem" in body
    for label in ("0 – Niet gestart", "1 – Verkennend", "2 – In ontwikkeling",
                  "3 – Structureel ingebed", "4 – Geborgd en lerend", "Weet ik niet",
                  "Niet van toepassing"):
        assert label in body
    assert "We meten de resultaten" in body  # the level's description
    assert 'action="/s/' in body and "Start de vragenlijst" in body
    assert "Sport" not in body  # never another department


def test_intro_shows_the_deadline(client, small_round):
    import datetime

    small_round.round.deadline = datetime.date(2031, 3, 14)
    db.session.commit()
    body = unescaped(client.get(f"/s/{small_round.token('Zorg')}"))
    assert "Vul de vragenlijst in vóór 14 maart 2031." in body


def test_tokens_of_one_kind_do_not_open_the_other(client, small_round, zorg):
    """An invitation token is no resume token and vice versa: both are 404."""
    invitation = small_round.token("Zorg")
    assert client.get(f"/r/{invitation}").status_code == 404
    assert client.get(f"/r/{invitation}/stap/1").status_code == 404
    assert client.get(f"/s/{zorg}").status_code == 404


@pytest.mark.parametrize("token", ["onbekend", "x" * 43, "a" * 300])
def test_unknown_token_is_a_dutch_404(client, small_round, token):
    page = client.get(f"/s/{token}")
    assert page.status_code == 404
    assert "Deze link is onbekend of niet meer geldig" in unescaped(page)


def test_revoked_token_is_a_410_and_cannot_start(client, small_round):
    token = small_round.token("Sport")
    start_token = csrf(client, f"/s/{token}")
    invitation = small_round.departments["Sport"].invitations[0]
    invitation.revoked_at = invitation.created_at
    db.session.commit()
    before = counts()
    assert client.get(f"/s/{token}").status_code == 410
    refused = client.post(f"/s/{token}/start", data={"csrf_token": start_token})
    assert refused.status_code == 410
    assert "Vraag de coördinator van uw gemeente om de nieuwe link" in unescaped(refused)
    assert counts() == before


def test_closed_round_intro_says_so_and_offers_no_start(client, closed_round):
    token = closed_round.token("Zorg")
    page = client.get(f"/s/{token}")
    assert page.status_code == 200
    body = unescaped(page)
    assert "Deze ronde is gesloten" in body
    assert "Start de vragenlijst" not in body and "/start" not in body
    before = counts()
    refused = client.post(f"/s/{token}/start", data={"csrf_token": csrf_from(body)})
    assert refused.status_code == 409
    assert "Deze ronde is gesloten" in unescaped(refused)
    assert counts() == before


def test_start_without_csrf_is_refused(client, small_round):
    before = counts()
    refused = client.post(f"/s/{small_round.token('Zorg')}/start")
    assert refused.status_code == 400
    assert "geldige beveiligingscode" in unescaped(refused)
    assert counts() == before


def test_start_shows_the_personal_resume_link(client, small_round):
    resume_token = start_survey(client, small_round.token("Zorg"))
    page = client.get(f"/r/{resume_token}")
    assert page.status_code == 200
    body = unescaped(page)
    assert f"http://localhost/r/{resume_token}" in body
    assert "Bewaar deze link" in body
    assert "U hebt 0 van de 5 vragen beantwoord." in body
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert f'href="/r/{resume_token}/stap/1">Verder' in body
    assert counts() == (1, 0, 0, 0)


# --------------------------------------------------------------------------- the step pages


def test_step_page_structure(client, zorg):
    page = client.get(f"/r/{zorg}/stap/1")
    assert page.status_code == 200
    body = unescaped(page)
    assert "<h1" in body and "Visie en ambitie" in body
    assert "Stap 1 van 3" in body
    assert re.search(r'<progress[^>]*max="3" value="1"[^>]*>Stap 1 van 3</progress>', body)
    assert body.count("<fieldset") == 3  # two questions and the importance rating
    assert f'<fieldset class="utrecht-form-fieldset utrecht-form-fieldset--html-fieldset ' \
           f'qs-question" id="q-{Q1}">' in body
    assert "De gemeente heeft haar visie op inclusie vastgelegd.</legend>" in body
    for value, label in (("0", "0 – Niet gestart"), ("2", "2 – In ontwikkeling"),
                         ("dont_know", "Weet ik niet"),
                         ("not_applicable", "Niet van toepassing")):
        assert f'for="q-{Q1}-{value}">{label}</label>' in body
    assert "<details" in body and "<summary" in body
    assert "De visie is vastgesteld door de raad." in body  # help text of level 3
    assert f'<textarea class="utrecht-textarea utrecht-textarea--html-textarea" ' \
           f'id="c-{Q1}" name="c-{Q1}" rows="3" maxlength="2000"' in body
    assert 'aria-live="polite"' in body and "0 van 2000 tekens" in body
    assert body.count('name="importance"') == 5
    assert "5 – Zeer belangrijk" in body
    assert ">Opslaan en verder<" in body and ">Opslaan<" in body
    assert ">Vorige<" not in body  # no previous step on step 1
    assert ">Vorige<" in unescaped(client.get(f"/r/{zorg}/stap/2"))


def test_save_and_values_survive_reload(client, zorg):
    saved = post_step(client, zorg, 1, {f"q-{Q1}": "3", f"q-{Q2}": "not_applicable",
                                        f"c-{Q1}": "Zie <b>nota</b> 2024", "importance": "4",
                                        "action": "save"})
    assert saved.status_code == 303
    assert saved.headers["Location"].endswith(f"/r/{zorg}/stap/1")
    body = text(client.get(f"/r/{zorg}/stap/1"))
    assert "Uw antwoorden zijn opgeslagen." in body
    assert re.search(rf'id="q-{re.escape(Q1)}-3" name="q-{re.escape(Q1)}" value="3" checked>',
                     body)
    assert re.search(r'value="not_applicable" checked>', body)
    assert re.search(r'id="belang-4" name="importance" value="4" checked>', body)
    assert "Zie &lt;b&gt;nota&lt;/b&gt; 2024</textarea>" in body  # escaped
    assert "<b>nota</b>" not in body
    response = the_response(zorg)
    assert service.answers_of(response) == {Q1: "3", Q2: "not_applicable"}
    assert service.importance_of(response) == {("proef_bestuur", "visie"): 4}


def test_next_previous_and_last_step(client, zorg):
    nxt = post_step(client, zorg, 1, {f"q-{Q1}": "1", "action": "next"})
    assert nxt.status_code == 303 and nxt.headers["Location"].endswith(f"/r/{zorg}/stap/2")
    prev = post_step(client, zorg, 2, {"action": "previous"})
    assert prev.status_code == 303 and prev.headers["Location"].endswith(f"/r/{zorg}/stap/1")
    last = post_step(client, zorg, 3, {f"q-{Q_ZORG}": "2", "action": "next"})
    assert last.status_code == 303 and last.headers["Location"].endswith(f"/r/{zorg}/overzicht")
    assert service.answers_of(the_response(zorg)) == {Q1: "1", Q_ZORG: "2"}


def test_resume_in_another_session_keeps_the_answers(app, client, zorg):
    post_step(client, zorg, 1, {f"q-{Q1}": "2", f"c-{Q1}": "bewijs", "action": "save"})
    other = app.test_client()  # another device: no cookies shared
    page = other.get(f"/r/{zorg}")
    assert "U hebt 1 van de 5 vragen beantwoord." in unescaped(page)
    body = text(other.get(f"/r/{zorg}/stap/1"))
    assert re.search(rf'name="q-{re.escape(Q1)}" value="2" checked>', body)
    assert ">bewijs</textarea>" in body
    changed = post_step(other, zorg, 1, {f"q-{Q1}": "4", "action": "save"})
    assert changed.status_code == 303, unescaped(changed)
    assert service.answers_of(the_response(zorg)) == {Q1: "4"}


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(("data", "message"), [
    ({f"q-{Q1}": "5"}, "Het formulier bevat een antwoord dat niet bestaat."),
    ({f"q-{Q1}": "-1"}, "Het formulier bevat een antwoord dat niet bestaat."),
    ({f"q-{Q1}": "weet niet"}, "Het formulier bevat een antwoord dat niet bestaat."),
    ({f"q-{Q1}": ["1", "2"]}, "Het formulier bevat een antwoord dat niet bestaat."),
    ({"q-proef_bestuur.visie.verzonnen": "2"}, "een vraag die niet bij deze stap"),
    ({"c-proef_bestuur.visie.verzonnen": "tekst"}, "een vraag die niet bij deze stap"),
    ({f"q-{Q_SPORT}": "2"}, "een vraag die niet bij deze stap"),  # other department's bank
    ({f"q-{Q_ZORG}": "2"}, "een vraag die niet bij deze stap"),  # own bank, other step
    ({"q-": "2"}, "een vraag die niet bij deze stap"),
    ({"importance": "0"}, "Het belang van een thema moet een getal van 1 tot en met 5 zijn."),
    ({"importance": "6"}, "Het belang van een thema moet een getal van 1 tot en met 5 zijn."),
    ({"importance": "drie"}, "Het belang van een thema moet een getal van 1 tot en met 5 zijn."),
    ({"importance": ["2", "3"]}, "Het formulier is ongeldig verstuurd."),
    ({"action": "wissen"}, "Het formulier is ongeldig verstuurd."),
])
def test_forged_input_is_a_400_and_writes_nothing(client, zorg, data, message):
    post_step(client, zorg, 1, {f"q-{Q2}": "1", f"c-{Q2}": "oud", "action": "save"})
    before = counts()
    refused = post_step(client, zorg, 1, {f"q-{Q2}": "4", f"c-{Q2}": "nieuw", "importance": "2",
                                          "action": "save", **data})
    assert refused.status_code == 400
    assert message in unescaped(refused)
    assert counts() == before
    response = the_response(zorg)
    assert service.answers_of(response) == {Q2: "1"}
    assert service.comments_of(response) == {Q2: "oud"}


def test_missing_csrf_token_is_a_400_and_writes_nothing(client, zorg):
    before = counts()
    refused = post_step(client, zorg, 1, {f"q-{Q1}": "2", "action": "save"}, with_csrf=False)
    assert refused.status_code == 400
    assert "geldige beveiligingscode" in unescaped(refused)
    wrong = client.post(f"/r/{zorg}/stap/1", data={f"q-{Q1}": "2", "csrf_token": "vervalst"})
    assert wrong.status_code == 400
    assert counts() == before


def test_comment_too_long_is_a_422_keeping_everything_typed(client, zorg):
    before = counts()
    long_text = "a" * 2001
    refused = post_step(client, zorg, 1, {f"q-{Q1}": "3", f"q-{Q2}": "dont_know",
                                          f"c-{Q1}": long_text, f"c-{Q2}": "mijn bewijs",
                                          "importance": "5", "action": "next"})
    assert refused.status_code == 422
    body = text(refused)
    assert counts() == before  # nothing written
    # the error summary at the top links to the field
    assert 'id="foutmeldingen"' in body and 'role="alert"' in body
    assert f'href="#c-{Q1}">Vraag 1, toelichting:' in body
    assert "Deze toelichting is 2001 tekens lang; er mogen hoogstens 2000 tekens in." in body
    assert f'aria-describedby="c-{Q1}-hint c-{Q1}-error c-{Q1}-count" aria-invalid="true"' \
        in body
    assert f'id="c-{Q1}-error"' in body
    assert "<title>Fout:" in body
    # everything typed is still there
    assert f">{long_text}</textarea>" in body
    assert ">mijn bewijs</textarea>" in body
    assert re.search(rf'name="q-{re.escape(Q1)}" value="3" checked>', body)
    assert re.search(r'name="q-[^"]+" value="dont_know" checked>', body)
    assert re.search(r'name="importance" value="5" checked>', body)


def test_unknown_resume_token_and_step_are_404(client, zorg):
    for url in ("/r/onbekend", "/r/onbekend/stap/1", "/r/onbekend/overzicht",
                "/r/onbekend/bedankt", f"/r/{zorg}/stap/4", f"/r/{zorg}/stap/0"):
        page = client.get(url)
        assert page.status_code == 404, url
        assert "niet" in unescaped(page)
    token = csrf(client, f"/r/{zorg}/stap/1")
    assert client.post("/r/onbekend/indienen", data={"csrf_token": token}).status_code == 404
    assert client.post("/r/onbekend/stap/1", data={"csrf_token": token}).status_code == 404


# --------------------------------------------------------------------------- review and submit


def test_review_lists_unanswered_questions_with_links(client, zorg):
    post_step(client, zorg, 1, {f"q-{Q1}": "2", "importance": "3", "action": "save"})
    body = unescaped(client.get(f"/r/{zorg}/overzicht"))
    assert "U hebt 4 van de 5 vragen nog niet beantwoord." in body
    assert f'href="/r/{zorg}/stap/1#q-{Q2}"' in body
    assert f'href="/r/{zorg}/stap/1#q-{Q1}"' not in body
    assert f'href="/r/{zorg}/stap/3#q-{Q_ZORG}"' in body
    assert f'href="/r/{zorg}/stap/2#belang"' in body
    assert "Vragenlijst indienen" in body


def test_submit_then_everything_is_read_only(client, zorg):
    post_step(client, zorg, 1, {f"q-{Q1}": "2", f"c-{Q1}": "toelichting", "action": "save"})
    token = csrf(client, f"/r/{zorg}/overzicht")
    done = client.post(f"/r/{zorg}/indienen", data={"csrf_token": token})
    assert done.status_code == 303 and done.headers["Location"].endswith(f"/r/{zorg}/bedankt")
    thanks = unescaped(client.get(f"/r/{zorg}/bedankt"))
    assert "Bedankt voor het invullen" in thanks
    if "results.respondent" in client.application.view_functions:
        assert f'href="/r/{zorg}/resultaten"' in thanks
    assert the_response(zorg).status == "submitted"

    step = unescaped(client.get(f"/r/{zorg}/stap/1"))
    assert "U hebt deze vragenlijst ingediend" in step
    assert "<form method=\"post\" action=\"/r/" not in step
    assert "2 – In ontwikkeling" in step and "toelichting" in step
    assert "Vragenlijst indienen" not in unescaped(client.get(f"/r/{zorg}/overzicht"))

    before = counts()
    refused = client.post(f"/r/{zorg}/stap/1", data={"csrf_token": token, f"q-{Q1}": "4"})
    assert refused.status_code == 409
    assert "U hebt deze vragenlijst al ingediend" in unescaped(refused)
    again = client.post(f"/r/{zorg}/indienen", data={"csrf_token": token})
    assert again.status_code == 409
    assert counts() == before
    assert service.answers_of(the_response(zorg)) == {Q1: "2"}


def test_thanks_before_submitting_goes_to_review(client, zorg):
    page = client.get(f"/r/{zorg}/bedankt")
    assert page.status_code == 303 and page.headers["Location"].endswith(f"/r/{zorg}/overzicht")


def test_closed_round_pages_say_so_and_posts_are_409(client, small_round, zorg):
    post_step(client, zorg, 1, {f"q-{Q1}": "2", "action": "save"})
    token = csrf(client, f"/r/{zorg}/stap/1")
    small_round.round.status = ROUND_CLOSED
    db.session.commit()
    for url in (f"/r/{zorg}", f"/r/{zorg}/stap/1", f"/r/{zorg}/overzicht"):
        body = unescaped(client.get(url))
        assert "Deze ronde is gesloten" in body, url
    assert "Vragenlijst indienen" not in unescaped(client.get(f"/r/{zorg}/overzicht"))
    assert 'name="q-' not in text(client.get(f"/r/{zorg}/stap/1"))
    before = counts()
    for url, data in ((f"/r/{zorg}/stap/1", {f"q-{Q1}": "4", "action": "save"}),
                      (f"/r/{zorg}/indienen", {})):
        refused = client.post(url, data={"csrf_token": token, **data})
        assert refused.status_code == 409
        assert "Deze ronde is gesloten" in unescaped(refused)
    assert counts() == before
    assert the_response(zorg).status == "draft"


# --------------------------------------------------------------------------- isolation, limits


def test_respondents_see_only_their_own_department(client, small_round, zorg):
    sport = start_survey(client, small_round.token("Sport"))
    post_step(client, sport, 3, {f"q-{Q_SPORT}": "4", f"c-{Q_SPORT}": "GEHEIM-SPORT",
                                 "action": "save"})
    pages = [client.get(f"/r/{zorg}")] + [client.get(f"/r/{zorg}/stap/{n}") for n in (1, 2, 3)]
    pages.append(client.get(f"/r/{zorg}/overzicht"))
    for page in pages:
        body = unescaped(page)
        assert "Sport" not in body and "GEHEIM-SPORT" not in body
        assert Q_SPORT not in body
    assert "Toegang tot hulp" in unescaped(client.get(f"/r/{zorg}/stap/3"))


def test_only_unknown_tokens_are_rate_limited(app, client, small_round, zorg):
    old = app.config["TOKEN_RATE_LIMIT"]
    app.config["TOKEN_RATE_LIMIT"] = "3 per minute"
    try:
        # A whole department on one address: known tokens never count.
        for _ in range(6):
            assert client.get(f"/s/{small_round.token('Zorg')}").status_code == 200
            assert client.get(f"/r/{zorg}/stap/1").status_code == 200
        for attempt in range(3):
            assert client.get(f"/s/geraden-{attempt}").status_code == 404
        limited = client.get("/r/nog-een-gok")
        assert limited.status_code == 429
        assert "te veel onbekende links" in unescaped(limited)
        # ... and the department's own links keep working.
        assert client.get(f"/s/{small_round.token('Zorg')}").status_code == 200
        assert client.get(f"/r/{zorg}").status_code == 200
    finally:
        app.config["TOKEN_RATE_LIMIT"] = old


def test_real_banks_survey_pages(client, real_round):
    resume_token = start_survey(client, real_round.token())
    steps = len(service.steps(service.find_response(resume_token)))
    for number in range(1, steps + 1):
        page = client.get(f"/r/{resume_token}/stap/{number}")
        assert page.status_code == 200
        assert f"Stap {number} van {steps}" in text(page)


# --------------------------------------------------------------------------- refused saves


def _labels(resume_token: str) -> dict[str, str]:
    from quickscan.forms.survey import answer_choices

    step = service.get_step(service.find_response(resume_token), 1)
    return dict(answer_choices(service.scale_for(step.bank)))


def test_save_refused_because_the_round_closed_meanwhile_shows_the_answers(
        client, small_round, zorg):
    token = csrf(client, f"/r/{zorg}/stap/1")  # the respondent opened the page ...
    small_round.round.status = ROUND_CLOSED  # ... and the coordinator closed the round
    db.session.commit()
    before = counts()
    refused = client.post(f"/r/{zorg}/stap/1", data={
        "csrf_token": token, f"q-{Q1}": "3", f"q-{Q2}": "dont_know",
        f"c-{Q1}": "Zie <b>nota</b> 2024,\r\nen het raadsbesluit.", "importance": "4",
        "action": "next"})
    assert refused.status_code == 409
    assert counts() == before  # nothing written
    body = unescaped(refused)
    assert "Deze ronde is gesloten" in body
    assert "Uw antwoorden op deze pagina (niet opgeslagen)" in body
    labels = _labels(zorg)
    section = body.split('id="niet-opgeslagen"')[1]
    assert labels["3"] in section and labels["dont_know"] in section
    assert "Zie <b>nota</b> 2024,\nen het raadsbesluit." in section
    assert "4 – Belangrijk" in section
    raw = text(refused)
    assert "Zie &lt;b&gt;nota&lt;/b&gt; 2024" in raw and "<b>nota</b>" not in raw  # escaped
    assert "css/survey.css" in raw and "Foutcode: 409" in raw  # the one error page, survey look
    assert 'name="q-' not in raw  # a copy to keep, not a form that cannot be saved


def test_save_refused_because_submitted_in_another_tab_shows_the_answers(client, zorg):
    post_step(client, zorg, 1, {f"q-{Q2}": "2", "action": "save"})  # an empty one is refused
    token = csrf(client, f"/r/{zorg}/stap/1")
    assert client.post(f"/r/{zorg}/indienen", data={"csrf_token": token}).status_code == 303
    before = counts()
    refused = client.post(f"/r/{zorg}/stap/1", data={
        "csrf_token": token, f"q-{Q1}": "1", f"c-{Q2}": "Nog een gedachte", "action": "save"})
    assert refused.status_code == 409
    assert counts() == before
    body = unescaped(refused)
    assert "U hebt deze vragenlijst al ingediend" in body
    section = body.split('id="niet-opgeslagen"')[1]
    assert _labels(zorg)["1"] in section and "Nog een gedachte" in section
