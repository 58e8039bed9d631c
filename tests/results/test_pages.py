"""Results pages: engine numbers shown, filters, comparison selector, drill-down, respondents."""

from __future__ import annotations

import html
import re

from markupsafe import escape

from quickscan.extensions import db
from quickscan.reporting.content import format_number
from quickscan.services.results import score
from tests.factories import INJECTIONS, build_round


def assert_inert(text: str) -> None:
    """Every injection comment is shown escaped, none of them as live markup."""
    for injection in INJECTIONS:
        assert str(escape(injection)) in text, injection
    for raw in ("<script>alert", "<img src=x", '<font name="x">', "<b>", "<i\n",
                "<para>", 'href="javascript:'):
        assert raw not in text, raw


def num(value: float | None) -> str:
    return format_number(value, "nl")


def test_pages_need_a_login(client, built_round) -> None:
    rid = built_round.round.id
    for url in (f"/rondes/{rid}/resultaten", f"/rondes/{rid}/rapport",
                f"/rondes/{rid}/rapport.pdf", f"/rondes/{rid}/export.json",
                f"/rondes/{rid}/grafiek/gemeente.png",
                f"/rondes/{rid}/resultaten/afdeling/{built_round.departments[0].id}"):
        response = client.get(url)
        assert response.status_code in (302, 401), url
        assert b"Gemeente \xc3\x96rkelljunga" not in response.data


def test_overview_shows_the_engine_numbers(coordinator_client, built_round) -> None:
    round_ = built_round.round
    result = score(round_)
    page = coordinator_client.get(f"/rondes/{round_.id}/resultaten")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    for department in result.departments:
        assert html.escape(department.name) in text
        assert f">{department.respondents_submitted}<" in text
    assert result.priorities, "the fixture must produce gaps"
    for priority in result.priorities[:5]:
        row = re.search(rf"<td class=\"utrecht-table__cell\">{priority.rank}</td>(.*?)</tr>",
                        text, re.DOTALL)
        assert row is not None
        cells = row.group(1)
        for value in (priority.score, priority.target, priority.gap, priority.importance,
                      priority.priority):
            assert f">{num(value)}<" in cells
    # Heatmap table: every bank score of every department.
    for department in result.departments:
        for bank in department.banks:
            assert f">{num(bank.score)}<" in text
    for mean in result.municipality.banks.values():
        assert f">{num(mean)}<" in text
    # The heatmap is a table with coloured cells now, not an image.
    assert 'alt="Radargrafiek' in text and "qs-heatmap" in text
    assert "grafiek/heatmap.png" not in text
    assert text.count('scope="col"') > 10 and 'scope="row"' in text


def test_priorities_filter_by_department_and_bank(coordinator_client, built_round) -> None:
    round_ = built_round.round
    result = score(round_)
    target = built_round.departments[1]
    page = coordinator_client.get(f"/rondes/{round_.id}/resultaten?afdeling={target.id}")
    assert page.status_code == 200
    expected = [p for p in result.priorities if p.department == target.name]
    shown = re.findall(r'<table class="utrecht-table qs-table qs-priorities">(.*?)</table>',
                       page.get_data(as_text=True), re.DOTALL)[0]
    assert shown.count("<tr class=\"utrecht-table__row\">") == len(expected) + 1
    assert html.escape(built_round.departments[0].name) not in shown
    bank = built_round.banks[0].id
    page = coordinator_client.get(f"/rondes/{round_.id}/resultaten?bank={bank}")
    shown = re.findall(r"qs-priorities\">(.*?)</table>", page.get_data(as_text=True), re.DOTALL)[0]
    expected = [p for p in result.priorities if p.bank == bank]
    assert shown.count("<tr class=\"utrecht-table__row\">") == len(expected) + 1


def test_forged_filters_are_refused(coordinator_client, built_round) -> None:
    rid = built_round.round.id
    for query in ("afdeling=abc", "afdeling=999999", "bank=bestaat_niet", "vergelijk=x",
                  "vergelijk=424242", "as=onzin"):
        response = coordinator_client.get(f"/rondes/{rid}/resultaten?{query}")
        assert response.status_code == 400, query
        assert "Kies" in response.get_data(as_text=True) or "Ongeldige" in response.get_data(
            as_text=True)


def test_comparison_selector_and_limit_of_six(coordinator_client, app) -> None:
    built = build_round([(f"Afdeling {i}", ["bestuur"]) for i in range(8)], respondents=1,
                        drafts=0, comments=())
    built.round.min_group_size = 1  # one respondent each: only k = 1 shows them all
    db.session.commit()
    rid = built.round.id
    page = coordinator_client.get(f"/rondes/{rid}/resultaten").get_data(as_text=True)
    assert page.count('type="checkbox" id="vergelijk-') == 8
    assert len(re.findall(r'type="checkbox" id="vergelijk-\d+" name="vergelijk" value="\d+" '
                          r'checked', page)) == 6
    ids = [d.id for d in built.departments]
    query = "&".join(f"vergelijk={i}" for i in ids[:7])
    response = coordinator_client.get(f"/rondes/{rid}/resultaten?{query}&as=movisie")
    assert response.status_code == 422
    assert "maximaal 6" in response.get_data(as_text=True)
    response = coordinator_client.get(f"/rondes/{rid}/resultaten?vergelijk={ids[0]}"
                                      f"&vergelijk={ids[3]}&as=principles")
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    # One small radar per chosen department, each with its own alt text.
    for index in (0, 3):
        assert f"grafiek/vergelijking-{ids[index]}.png?as=principles" in text
        assert f'alt="Kleine radargrafiek van afdeling Afdeling {index} op' in text
    assert text.count('class="qs-multiples__item"') == 2
    image = coordinator_client.get(f"/rondes/{rid}/grafiek/vergelijking.svg?vergelijk={ids[0]}"
                                   f"&as=principles")
    assert image.status_code == 200 and image.mimetype == "image/svg+xml"


def test_drill_down_shows_questions_and_comments_without_names(coordinator_client,
                                                               built_round) -> None:
    round_ = built_round.round
    department = built_round.departments[0]
    result = score(round_).department(department.name)
    page = coordinator_client.get(f"/rondes/{round_.id}/resultaten/afdeling/{department.id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    bank = built_round.banks[0]
    first = bank.themes[0].questions[0]
    assert html.escape(first.statement, quote=False) in text
    question = result.themes()[0].questions[0]
    assert f">{num(question.score)}<" in text
    assert_inert(text)
    assert "resume_token" not in text and "coordinator@example.org" not in text
    other = coordinator_client.get(f"/rondes/{round_.id}/resultaten/afdeling/999999")
    assert other.status_code == 404


def test_charts_route(coordinator_client, built_round) -> None:
    rid = built_round.round.id
    department = built_round.departments[0].id
    for name in ("gemeente", "heatmap", f"afdeling-{department}"):
        png = coordinator_client.get(f"/rondes/{rid}/grafiek/{name}.png")
        assert png.status_code == 200 and png.data.startswith(b"\x89PNG"), name
    assert coordinator_client.get(f"/rondes/{rid}/grafiek/onbekend.png").status_code == 404
    assert coordinator_client.get(f"/rondes/{rid}/grafiek/gemeente.gif").status_code == 404


def test_respondent_sees_own_department_after_submitting(client, built_round) -> None:
    own, other = built_round.departments[0], built_round.departments[1]
    token = built_round.submitted_tokens[own.name][0]
    page = client.get(f"/r/{token}/resultaten")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert html.escape(own.name) in text
    assert html.escape(other.name) not in text
    assert 'src="data:image/png;base64,' in text and 'alt="Radargrafiek' in text
    result = score(built_round.round).department(own.name)
    for theme in result.themes():
        assert f">{num(theme.score)}<" in text
    draft = built_round.draft_tokens[own.name][0]
    refused = client.get(f"/r/{draft}/resultaten")
    assert refused.status_code == 403
    assert "nadat u uw antwoorden" in refused.get_data(as_text=True)
    assert client.get("/r/bestaat-niet/resultaten").status_code == 404
