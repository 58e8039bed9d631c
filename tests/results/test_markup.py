"""The coordinator and results pages keep to the shared table and form patterns."""

from __future__ import annotations

from tests.markup import NUMERIC, problems, tables


def test_coordinator_and_results_pages_keep_the_shared_patterns(coordinator_client,
                                                                built_round) -> None:
    rid = built_round.round.id
    department = built_round.departments[0].id
    pages = {url: coordinator_client.get(url) for url in (
        "/rondes", f"/rondes/{rid}", f"/rondes/{rid}/voortgang", f"/rondes/{rid}/bewerken",
        "/rondes/nieuw", f"/rondes/{rid}/resultaten",
        f"/rondes/{rid}/resultaten/afdeling/{department}")}
    table_count = 0
    for url, page in pages.items():
        assert page.status_code == 200, url
        html = page.get_data(as_text=True)
        assert problems(html) == [], url
        table_count += len(tables(html))
    assert table_count >= 10  # the check above looked at real tables
    overview = pages[f"/rondes/{rid}/resultaten"].get_data(as_text=True)
    assert f'utrecht-table__header-cell{NUMERIC}' in overview
    assert f'utrecht-table__cell{NUMERIC}' in overview


def test_the_checker_finds_what_breaks_the_patterns() -> None:
    # The checks above must be able to fail: each broken pattern is reported.
    loose = '<table class="utrecht-table"><caption id="t">x</caption></table>'
    assert any("scroll region" in p for p in problems(loose))
    wrong_label = ('<div class="qs-table-container" tabindex="0" role="region" '
                   'aria-labelledby="other"><table><caption id="t">x</caption></table></div>')
    found = problems(wrong_label)
    assert any("points nowhere" in p for p in found)
    assert any("scroll region" in p for p in found)
    old = ('<div class="qs-table-container" tabindex="0" role="region" aria-labelledby="t">'
           '<table><caption id="t">x</caption><tr><td class="utrecht-table__cell '
           'utrecht-table__cell--numeric-data">1</td></tr></table></div>')
    assert any("numeric modifier" in p for p in problems(old))
    assert any("CSRF" in p for p in problems('<form method="post" action="/x"></form>'))
    assert any("used 2 times" in p for p in problems('<p id="a"></p><p id="a"></p>'))


def test_a_table_without_rows_says_so(coordinator_client, app) -> None:
    # No rounds yet: the rounds page shows the sentence instead of an empty table.
    page = coordinator_client.get("/rondes").get_data(as_text=True)
    assert "Er zijn nog geen rondes." in page
    assert "<table" not in page
