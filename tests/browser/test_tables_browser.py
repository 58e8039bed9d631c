"""Wide tables on a narrow screen: they scroll inside their own region, by keyboard too."""

from __future__ import annotations

import os

import pytest

from tests.browser.test_results_browser import log_in, results_round  # noqa: F401  (fixture)
from tests.conftest import assert_accessible

pytestmark = pytest.mark.browser


def test_a_wide_table_scrolls_in_its_region_not_the_page(live_server, page,
                                                          results_round) -> None:  # noqa: F811
    log_in(page, live_server)
    rid = results_round.round.id
    department = results_round.departments[0]
    page.set_viewport_size({"width": 420, "height": 800})
    page.goto(f"{live_server}/rondes/{rid}/resultaten/afdeling/{department.id}")
    assert_accessible(page, "department page on a narrow screen")
    # The page itself does not scroll sideways; the table's region does.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    region = page.locator(".qs-table-container", has=page.locator("table.qs-questions")).first
    sizes = region.evaluate("r => [r.scrollWidth, r.clientWidth]")
    assert sizes[0] > sizes[1], "the questions table should be wider than a narrow screen"
    # Named by its caption, focusable, scrolled with the arrow keys.
    caption = region.locator("caption")
    assert region.get_attribute("aria-labelledby") == caption.get_attribute("id")
    region.focus()
    assert region.evaluate("r => r === document.activeElement")
    before = region.evaluate("r => r.scrollLeft")
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    page.wait_for_function("r => r.scrollLeft > 0", arg=region.element_handle())
    assert region.evaluate("r => r.scrollLeft") > before
    if os.environ.get("QUICKSCAN_SCREENSHOTS"):
        region.scroll_into_view_if_needed()
        region.evaluate("r => { r.scrollLeft = 0; }")
        region.screenshot(path=os.path.join(os.environ["QUICKSCAN_SCREENSHOTS"], "region.png"))
