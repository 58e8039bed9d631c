"""The front page in a real browser: it loads its styles and has no axe violations."""

from tests.conftest import assert_accessible


def test_front_page_is_accessible(live_server, page):
    page.goto(live_server + "/")
    assert page.locator("h1").inner_text() == "Quickscan Inclusieve Gemeente"
    assert_accessible(page, "front page")


def test_skip_link_is_first_tab_stop_and_shows_only_on_focus(live_server, page):
    page.goto(live_server + "/")
    skip = page.locator("a[href='#inhoud']")
    assert skip.bounding_box()["y"] + skip.bounding_box()["height"] <= 0  # off-screen
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('href')") == "#inhoud"
    assert skip.bounding_box()["y"] >= 0  # visible while focused
