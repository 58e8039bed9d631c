"""Issue 10 on the respondent's side: honest counts and no figures under the minimum group size.

An empty submission is refused (422, nothing written); opening the invitation again in a
browser with a questionnaire in progress offers "Verder waar u was" beside "Opnieuw
beginnen"; the intro tells the round's k; the respondent results page appears only for a
submitted response with an answer, in a department that reaches k.
"""

from __future__ import annotations

import re

from sqlalchemy import func, select

from quickscan.extensions import db
from quickscan.models import Answer, Comment, ImportanceRating, Response
from quickscan.services import responses as service
from tests.survey.conftest import csrf, start_survey

Q1 = "proef_bestuur.visie.vastgelegd"
Q2 = "proef_bestuur.visie.ervaringsdeskundigen"


def counts() -> tuple[int, ...]:
    return tuple(db.session.scalar(select(func.count()).select_from(model))
                 for model in (Response, Answer, Comment, ImportanceRating))


def body(response) -> str:
    import html

    return html.unescape(response.get_data(as_text=True))


def save(client, resume_token: str, data: dict) -> None:
    url = f"/r/{resume_token}/stap/1"
    payload = {"csrf_token": csrf(client, url), "action": "save", **data}
    assert client.post(url, data=payload).status_code == 303


def submit(client, resume_token: str):
    token = csrf(client, f"/r/{resume_token}/overzicht")
    return client.post(f"/r/{resume_token}/indienen", data={"csrf_token": token})


def status_of(resume_token: str) -> tuple[str, object]:
    response = service.find_response(resume_token)
    db.session.refresh(response)
    return response.status, response.submitted_at


# --------------------------------------------------------------------------- empty submissions


def test_a_submission_without_any_answer_is_refused_and_writes_nothing(client, small_round):
    resume = start_survey(client, small_round.token("Zorg"))
    # A comment and an importance rating alone are no answer.
    save(client, resume, {f"c-{Q1}": "alleen een toelichting", "importance": "4"})
    before = counts()
    refused = submit(client, resume)
    assert refused.status_code == 422
    page = body(refused)
    assert "U hebt nog geen enkele vraag beantwoord" in page
    assert "Er is niets ingediend" in page
    assert "Vragenlijst indienen" in page  # the review page again, with the button
    assert counts() == before
    assert status_of(resume) == ("draft", None)


def test_dont_know_and_not_applicable_count_as_answered(client, small_round):
    for value in ("dont_know", "not_applicable"):
        resume = start_survey(client, small_round.token("Zorg"))
        save(client, resume, {f"q-{Q1}": value})
        done = submit(client, resume)
        assert done.status_code == 303, value
        assert status_of(resume)[0] == "submitted"


def test_the_service_refuses_an_empty_submission(app, small_round):
    response, _token = service.start_response(small_round.token("Sport"))
    try:
        service.submit(response)
    except service.NothingAnsweredError as error:
        assert "geen enkele vraag" in error.message
    else:  # pragma: no cover - the assertion below reports it
        raise AssertionError("an empty submission was accepted")
    db.session.refresh(response)
    assert response.status == "draft" and response.submitted_at is None


# --------------------------------------------------------------------------- resuming


def test_invitation_again_offers_to_continue_or_start_again(client, small_round):
    invitation = small_round.token("Zorg")
    first = start_survey(client, invitation)
    save(client, first, {f"q-{Q1}": "3"})
    started = counts()[0]

    page = client.get(f"/s/{invitation}")
    assert page.status_code == 200
    html = body(page)
    assert "Verder waar u was" in html and "Opnieuw beginnen" in html
    assert "Start de vragenlijst" not in html
    assert counts()[0] == started  # opening the link starts nothing

    # "Verder waar u was" goes to the first open step of the same response.
    link = re.search(r'href="(/r/[^"]+/stap/\d+)"[^>]*>Verder waar u was', html)
    assert link, html
    assert link.group(1) == f"/r/{first}/stap/1"  # Q2 on step 1 is still open
    assert client.get(link.group(1)).status_code == 200
    assert counts()[0] == started

    # "Opnieuw beginnen" starts a new, empty response; the draft stays.
    second = start_survey(client, invitation)
    assert second != first
    assert counts()[0] == started + 1
    assert service.answers_of(service.find_response(first)) == {Q1: "3"}
    again = body(client.get(f"/s/{invitation}"))
    assert f"/r/{second}/stap/1" in again and f"/r/{first}/" not in again


def test_no_offer_after_submitting_or_for_another_browser(client, app, small_round):
    invitation = small_round.token("Zorg")
    resume = start_survey(client, invitation)
    other = app.test_client()
    assert "Verder waar u was" not in body(other.get(f"/s/{invitation}"))
    save(client, resume, {f"q-{Q1}": "1"})
    assert submit(client, resume).status_code == 303
    html = body(client.get(f"/s/{invitation}"))
    assert "Verder waar u was" not in html and "Start de vragenlijst" in html


def test_the_resume_cookie_is_scoped_to_the_invitation_and_checked(client, small_round):
    invitation = small_round.token("Zorg")
    start = client.post(f"/s/{invitation}/start",
                        data={"csrf_token": csrf(client, f"/s/{invitation}")})
    cookie = start.headers["Set-Cookie"]
    assert "quickscan_verder=" in cookie and f"Path=/s/{invitation}" in cookie
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    # A response of another department, planted in the cookie, is never offered.
    sport = start_survey(client, small_round.token("Sport"))
    client.set_cookie("quickscan_verder", sport, path=f"/s/{invitation}")
    html = body(client.get(f"/s/{invitation}"))
    assert "Verder waar u was" not in html and sport not in html
    client.set_cookie("quickscan_verder", "onzin", path=f"/s/{invitation}")
    assert "Verder waar u was" not in body(client.get(f"/s/{invitation}"))


# --------------------------------------------------------------------------- k on the intro


def test_intro_tells_how_answers_are_shown_and_k(client, small_round):
    small_round.round.min_group_size = 5
    db.session.commit()
    html = body(client.get(f"/s/{small_round.token('Zorg')}"))
    assert "pas getoond als minstens 5 collega's de vragenlijst hebben ingediend" in html
    assert "nooit per persoon" in html


# --------------------------------------------------------------------------- respondent results


def _submitted(client, app, invitation: str, value: str = "2") -> str:
    other = app.test_client()
    resume = start_survey(other, invitation)
    save(other, resume, {f"q-{Q1}": value, f"q-{Q2}": "1"})
    assert submit(other, resume).status_code == 303
    return resume


def test_respondent_results_wait_for_k_then_appear(client, app, small_round):
    invitation = small_round.token("Zorg")
    first = _submitted(client, app, invitation, "4")
    second = _submitted(client, app, invitation, "0")
    page = client.get(f"/r/{first}/resultaten")
    assert page.status_code == 200
    html = body(page)
    assert "Nog geen resultaat: minder dan 3 ingevulde vragenlijsten" in html
    assert "2 gestart, 2 ingediend" in html
    assert "Scores per thema" not in html and "<img" not in html
    assert "data:image/png" not in html
    # The other department's counts never show.
    assert "Sport" not in html
    third = _submitted(client, app, invitation, "2")
    shown = body(client.get(f"/r/{second}/resultaten"))
    assert "Nog geen resultaat" not in shown and "Scores per thema" in shown
    assert "data:image/png" in shown
    assert client.get(f"/r/{third}/resultaten").status_code == 200
