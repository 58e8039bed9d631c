"""Results that read at a glance (issue 12, item 5): the heatmap as a coloured table with
numbers and a legend, the comparison as small multiples, the terms of the priority list
explained, captions that follow the filters and an empty comparison choice that says so."""

from __future__ import annotations

import html as html_lib
import re

import pytest

from quickscan import charts
from quickscan.extensions import db
from quickscan.models import RESPONSE_DRAFT
from quickscan.reporting.content import format_number
from quickscan.services.results import score
from quickscan.services.rounds import departments_of
from quickscan.views.results import heat_band
from tests.results.conftest import build_round, login

HIDDEN = "Dienstverlening"


def page_text(response) -> str:
    return response.get_data(as_text=True)


def heatmap_html(text: str) -> str:
    found = re.search(r'<table class="utrecht-table qs-table qs-heatmap">(.*?)</table>', text,
                      re.DOTALL)
    assert found is not None, "the overview shows the heatmap as a table"
    return found.group(1)


@pytest.fixture
def hidden_round(app):
    """Three departments; Dienstverlening brought back to two submitted under k = 3."""
    built = build_round(respondents=3, drafts=1, comments=())
    built.round.min_group_size = 3
    department = next(d for d in built.departments if d.name == HIDDEN)
    first = next(r for r in department.responses if r.status == "submitted")
    first.status, first.submitted_at = RESPONSE_DRAFT, None
    db.session.commit()
    return built


def test_heat_bands() -> None:
    assert [heat_band(v) for v in (None, 0.0, 24.9, 25.0, 49.9, 50.0, 74.9, 75.0, 100.0)] == [
        0, 1, 1, 2, 2, 3, 3, 4, 4]


def test_heatmap_table_cells_carry_numbers_and_a_legend(coordinator_client, built_round):
    round_ = built_round.round
    result = score(round_)
    text = page_text(coordinator_client.get(f"/rondes/{round_.id}/resultaten"))
    table = heatmap_html(text)
    cells = re.findall(r'<td class="utrecht-table__cell utrecht-table__cell--numeric-column '
                       r'qs-heat qs-heat--(\d)">([^<]*)</td>', table)
    banks = list(dict.fromkeys(b.bank_id for d in result.departments for b in d.banks))
    assert len(cells) == len(result.departments) * len(banks)
    shown = {value for _band, value in cells}
    for department in result.departments:
        row = table[table.index(f'qs-row-heading">{html_lib.escape(department.name)}<'):]
        row = row[:row.index("</tr>")]
        for bank in department.banks:
            number = format_number(bank.score, "nl")
            assert f'qs-heat--{heat_band(bank.score)}">{number}</td>' in row, (department.name,
                                                                              bank.bank_id)
    # Colour is never the only carrier: every coloured cell holds its number (or a dash).
    assert all(value.strip() for value in shown)
    assert all(band == "0" or value != "–" for band, value in cells)
    legend = text[text.index('class="qs-heat-legend"'):]
    for words in ("Legenda", "lager dan 25", "25 tot 50", "50 tot 75", "75 of hoger"):
        assert words in legend[:2000], words
    for band in range(5):
        assert f"qs-heat-swatch qs-heat--{band}" in legend


def test_hidden_departments_show_words_not_numbers_in_the_heatmap(app, client, coordinator,
                                                                  hidden_round):
    login(client, coordinator)
    text = page_text(client.get(f"/rondes/{hidden_round.round.id}/resultaten"))
    table = heatmap_html(text)
    row = table[table.index(f'qs-row-heading">{HIDDEN}<'):]
    row = row[:row.index("</tr>")]
    assert "nog geen resultaat" in row
    assert "qs-heat--hidden" in row
    cells = re.sub(r"<[^>]+>", "", row.split("</th>", 1)[1])  # the cells' text, no markup
    assert cells.strip() == "nog geen resultaat" and not re.search(r"\d", cells), row


def test_small_multiples_one_chart_per_chosen_department(coordinator_client, built_round):
    rid = built_round.round.id
    chosen = built_round.departments[:2]
    query = "&".join(f"vergelijk={d.id}" for d in chosen)
    response = coordinator_client.get(f"/rondes/{rid}/resultaten?vergelijken=1&{query}"
                                      "&as=gemeenschappelijk")
    assert response.status_code == 200
    text = page_text(response)
    images = re.findall(r'<img src="([^"]+)" alt="([^"]+)"[^>]*>\s*<figcaption>([^<]+)<', text)
    assert [html_lib.unescape(name) for _src, _alt, name in images] == [d.name for d in chosen]
    for (src, alt, _name), department in zip(images, chosen):
        assert f"/grafiek/vergelijking-{department.id}.png" in src
        assert html_lib.escape(department.name) in alt and "gemiddelde van de gemeente" in alt
        png = coordinator_client.get(html_lib.unescape(src))
        assert png.status_code == 200 and png.data.startswith(b"\x89PNG")
    # The data table stays: a column per department and the municipality mean.
    table = re.search(r'<table class="utrecht-table qs-table qs-comparison">(.*?)</table>',
                      text, re.DOTALL)
    assert table is not None
    header = table.group(1)[:table.group(1).index("</thead>")]
    for department in chosen:
        assert html_lib.escape(department.name) in header
    assert "Gemiddelde gemeente" in header
    # No overloaded radar with every department on it.
    assert "grafiek/vergelijking.png" not in text


def test_small_multiple_chart_is_a_small_radar_with_the_mean(app, built_round):
    from quickscan.reporting.content import Titles, comparison_small_chart
    from quickscan.services import reports

    data = reports.report_input(built_round.round, "nl", comments=False)
    chart = comparison_small_chart(data.result, Titles(data.banks), data.texts,
                                   built_round.departments[0].name, "gemeenschappelijk")
    spec = chart.spec
    assert isinstance(spec, charts.RadarSpec) and spec.small
    assert [s.label for s in spec.series] == ["Score", "Gemiddelde gemeente"]
    assert spec.series[1].values == tuple(row[1][1] for row in chart.rows)
    assert all(row[0].startswith(f"{code}. ") for code, row in zip(spec.axes, chart.rows))
    assert charts.render(spec, "png").startswith(b"\x89PNG")


def test_hidden_department_has_no_small_multiple(app, client, coordinator, hidden_round):
    login(client, coordinator)
    hidden = next(d for d in hidden_round.departments if d.name == HIDDEN)
    rid = hidden_round.round.id
    assert client.get(f"/rondes/{rid}/grafiek/vergelijking-{hidden.id}.png").status_code == 404
    text = page_text(client.get(f"/rondes/{rid}/resultaten?vergelijken=1"
                                f"&vergelijk={hidden.id}"))
    assert f"vergelijking-{hidden.id}.png" not in text


def test_priority_captions_follow_the_filters(coordinator_client, built_round):
    rid = built_round.round.id
    department = built_round.departments[1]
    bank = built_round.banks[0]

    def caption(query: str) -> str:
        text = page_text(coordinator_client.get(f"/rondes/{rid}/resultaten?{query}"))
        table = text[text.index('qs-priorities">'):]
        found = re.search(r"<caption[^>]*>(.*?)</caption>", table, re.DOTALL)
        assert found is not None
        return html_lib.unescape(found.group(1))

    assert caption("") == "Prioriteiten in de gemeente"
    assert caption(f"afdeling={department.id}") == f"Prioriteiten van {department.name}"
    assert caption(f"bank={bank.id}") == f"Prioriteiten in de vragenlijst {bank.title}"
    assert caption(f"afdeling={department.id}&bank={bank.id}") == (
        f"Prioriteiten van {department.name} in de vragenlijst {bank.title}")


def test_priority_terms_are_explained_in_plain_words(coordinator_client, built_round):
    text = page_text(coordinator_client.get(f"/rondes/{built_round.round.id}/resultaten"))
    section = text[text.index('id="prioriteiten"'):text.index('id="signalen"')]
    terms = re.findall(r"<dt>([^<]+)</dt>\s*<dd>([^<]+)</dd>", section)
    assert [term for term, _ in terms] == ["Score", "Doel", "Verschil met doel", "Belang",
                                           "Prioriteit"]
    assert all(len(explanation) > 30 for _, explanation in terms)
    assert "max(" not in section and "−" not in section


def test_an_empty_comparison_choice_says_so(coordinator_client, built_round):
    rid = built_round.round.id
    response = coordinator_client.get(f"/rondes/{rid}/resultaten?vergelijken=1"
                                      "&as=gemeenschappelijk")
    assert response.status_code == 422
    text = page_text(response)
    assert "Kies ten minste één afdeling" in text and 'role="alert"' in text
    assert "qs-multiples__item" not in text and "qs-comparison" not in text
    assert ' checked' not in text[text.index('id="vergelijken"'):text.index('id="prioriteiten"')]


def test_a_first_visit_says_which_departments_are_shown(coordinator_client, built_round):
    response = coordinator_client.get(f"/rondes/{built_round.round.id}/resultaten")
    assert response.status_code == 200
    text = html_lib.unescape(page_text(response))
    names = ", ".join(d.name for d in departments_of(built_round.round))
    assert f"U ziet nu de eerste 3 afdelingen met resultaten: {names}." in text
    assert "Kies ten minste één afdeling" not in text
    assert text.count('class="qs-multiples__item"') == 3


def test_small_multiple_endpoint_refuses_forged_input(coordinator_client, built_round):
    rid = built_round.round.id
    department = built_round.departments[0].id
    ok = coordinator_client.get(f"/rondes/{rid}/grafiek/vergelijking-{department}.svg"
                                "?as=principles")
    assert ok.status_code == 200 and ok.mimetype == "image/svg+xml"
    assert coordinator_client.get(f"/rondes/{rid}/grafiek/vergelijking-{department}.png"
                                  "?as=onzin").status_code == 400
    assert coordinator_client.get(f"/rondes/{rid}/grafiek/vergelijking-999999.png"
                                  ).status_code == 404
