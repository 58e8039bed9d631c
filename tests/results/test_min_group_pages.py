"""Issue 10, minimum group size k on the results pages.

A department with two submitted questionnaires under k = 3 shows no figure, chart or comment
on any coordinator page or the respondent page, says so in words, keeps its counts, and does
not change the municipality figures. Comments elsewhere come without their response, sorted
by question and text.
"""

from __future__ import annotations

import html as html_lib

import pytest

from quickscan.extensions import db
from quickscan.models import RESPONSE_DRAFT, Comment
from quickscan.services import results
from tests.results.conftest import build_round, login

HIDDEN = "Dienstverlening"
SECRET = "Geheime opmerking van een kleine afdeling"


def text(response) -> str:
    return html_lib.unescape(response.get_data(as_text=True))


@pytest.fixture
def small_department(app):
    """Three departments with 3 submitted each, then one of them brought back to 2."""
    built = build_round(respondents=3, drafts=1, comments=("gewone opmerking",))
    built.round.min_group_size = 3
    department = next(d for d in built.departments if d.name == HIDDEN)
    submitted = [r for r in department.responses if r.status == "submitted"]
    submitted[0].status, submitted[0].submitted_at = RESPONSE_DRAFT, None
    question = department.responses[0].answers[0].question_id
    submitted[1].comments = [c for c in submitted[1].comments if c.question_id != question]
    submitted[1].comments.append(Comment(question_id=question, text=SECRET))
    db.session.commit()
    built.hidden = department
    return built


def _hidden_submitted_token(built) -> str:
    from quickscan.services.responses import find_response

    for token in built.submitted_tokens[HIDDEN]:
        response = find_response(token)
        if response is not None and response.is_submitted:
            return token
    raise AssertionError("no submitted response left in the hidden department")


def test_scoring_hides_the_department_and_leaves_it_out_of_the_municipality(app,
                                                                             small_department):
    round_ = small_department.round
    scored = results.score(round_)
    hidden = scored.department(HIDDEN)
    assert hidden.hidden and hidden.respondents_submitted == 2
    assert hidden.respondents_started == 4 and hidden.banks == ()
    assert all(p.department != HIDDEN for p in scored.priorities)
    assert results.cached_score(round_).department(HIDDEN).hidden
    # The municipality is what it would be without the department's answers ...
    for response in small_department.hidden.responses:
        response.status, response.submitted_at = RESPONSE_DRAFT, None
    db.session.commit()
    without = results.score(round_, min_group_size=1)
    assert scored.municipality == without.municipality
    # ... and counting them (k = 1) would have changed it: the check above is not vacuous.
    db.session.rollback()
    for response in small_department.hidden.responses[1:3]:
        response.status = "submitted"
    db.session.commit()
    assert results.score(round_, min_group_size=1).municipality != without.municipality


def test_k_is_part_of_the_results_version(app, small_department):
    round_ = small_department.round
    before = results.results_version(round_)
    round_.min_group_size = 5
    db.session.commit()
    assert results.results_version(round_) != before
    assert results.cached_score(round_).department("Sociaal Domein").hidden


def test_coordinator_pages_show_no_figure_of_a_hidden_department(app, client, coordinator,
                                                                  small_department):
    login(client, coordinator)
    round_ = small_department.round
    hidden = small_department.hidden
    overview = client.get(f"/rondes/{round_.id}/resultaten")
    assert overview.status_code == 200
    page = text(overview)
    assert "Nog geen resultaat: minder dan 3 ingevulde vragenlijsten" in page
    assert f"/resultaten/afdeling/{hidden.id}\"" not in page
    assert f"/afdelingen/{hidden.id}/rapport.pdf" not in page
    assert f"afdeling-{hidden.id}.png" not in page
    assert SECRET not in page
    # Its counts stay: 4 started, 2 submitted.
    row = page[page.index(f">{HIDDEN}<"):]
    row = row[:row.index("</tr>")]
    assert ">4<" in row and ">2<" in row

    drill = client.get(f"/rondes/{round_.id}/resultaten/afdeling/{hidden.id}")
    assert drill.status_code == 200
    page = text(drill)
    assert "Nog geen resultaat: minder dan 3 ingevulde vragenlijsten" in page
    assert "Ingediend: 2, begonnen: 4." in page
    for absent in (SECRET, "gewone opmerking", "Scores per vragenlijst", "Per vraag",
                   "<img", "rapport.pdf"):
        assert absent not in page, absent

    for ext in ("png", "svg"):
        chart = client.get(f"/rondes/{round_.id}/grafiek/afdeling-{hidden.id}.{ext}")
        assert chart.status_code == 404
        assert "Nog geen resultaat" in text(chart)
    assert client.get(f"/rondes/{round_.id}/grafiek/gemeente.png").status_code == 200
    assert client.get(f"/rondes/{round_.id}/grafiek/heatmap.svg").status_code == 200


def test_the_default_comparison_leaves_hidden_departments_out(app, client, coordinator,
                                                              small_department):
    login(client, coordinator)
    round_ = small_department.round
    page = text(client.get(f"/rondes/{round_.id}/resultaten"))
    hidden_id = small_department.hidden.id
    box = page[page.index(f'id="vergelijk-{hidden_id}"') - 200:]
    box = box[:box.index("</div>")]
    assert " checked" not in box
    assert "nog geen resultaat" in page[page.index(f'for="vergelijk-{hidden_id}"'):][:200]


def test_respondent_of_a_hidden_department_sees_why_and_the_counts(app, client,
                                                                   small_department):
    token = _hidden_submitted_token(small_department)
    page = client.get(f"/r/{token}/resultaten")
    assert page.status_code == 200
    body = text(page)
    assert "Nog geen resultaat: minder dan 3 ingevulde vragenlijsten" in body
    assert "4 gestart, 2 ingediend" in body
    assert SECRET not in body and "data:image/png" not in body
    assert "Scores per thema" not in body
    assert "no-store" in page.headers["Cache-Control"]


def test_comments_show_without_response_sorted_by_question_then_text(app, client, coordinator):
    from tests.results.conftest import real_banks

    common = real_banks(1)[0].id
    built = build_round([("Team", [common])], bank_count=1, respondents=3, drafts=0,
                        comments=())
    department = built.departments[0]
    question = department.responses[0].answers[0].question_id
    # Submitted in this order; shown alphabetically.
    for response, comment in zip(department.responses, ("zzz als eerste ingediend",
                                                        "aaa als laatste ingediend",
                                                        "mmm in het midden"), strict=True):
        response.comments.append(Comment(question_id=question, text=comment))
    db.session.commit()
    login(client, coordinator)
    page = text(client.get(f"/rondes/{built.round.id}/resultaten/afdeling/{department.id}"))
    positions = [page.index(t) for t in ("aaa als laatste", "mmm in het midden",
                                         "zzz als eerste")]
    assert positions == sorted(positions)
    for response in department.responses:
        assert f"#{response.id}" not in page and f"respons {response.id}" not in page.lower()
