"""The series pages in a real browser: "Ontwikkeling" and "Volgende meting" have zero axe
violations, charts with text, and reflow at 320 px without a horizontal scroll of the page."""

from __future__ import annotations

import datetime

import pytest

from quickscan import links
from quickscan.services import demo
from quickscan.services.accounts import create_user
from tests.browser.test_results_browser import EMAIL, PASSWORD, log_in
from tests.conftest import assert_accessible

pytestmark = pytest.mark.browser


@pytest.fixture
def demo_series(app, tmp_path):
    create_user(EMAIL, PASSWORD)
    return demo.load_demo(secret_key=links.secret_key(), login_file=tmp_path / "login.txt",
                          today=datetime.date(2026, 11, 30), history=True).round_id


@pytest.mark.parametrize("width", [1280, 320])
def test_trend_pages_are_accessible_and_reflow(live_server, page, demo_series, width) -> None:
    log_in(page, live_server)
    page.set_viewport_size({"width": width, "height": 900})
    for path, context in (
        (f"/rondes/{demo_series}/ontwikkeling", "trend page"),
        (f"/rondes/{demo_series}/volgende-meting", "next measurement form"),
        (f"/rondes/{demo_series}/rapport", "HTML report with the trend chapter"),
    ):
        response = page.goto(live_server + path)
        assert response is not None and response.status == 200, path
        page.wait_for_load_state("load")
        assert_accessible(page, f"{context} at {width}px")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), (
            path, width)
        for image in page.locator("img").all():
            assert (image.get_attribute("alt") or "").strip(), path
            assert image.evaluate("img => img.naturalWidth > 0"), path
    page.goto(live_server + f"/rondes/{demo_series}/ontwikkeling")
    assert page.get_by_text("Vergelijkbaar:", exact=False).count() >= 1
    assert page.locator("table caption").count() >= 6


@pytest.fixture
def perspective_series(app):
    from tests.results.test_series_perspectives import _build

    create_user(EMAIL, PASSWORD)
    _first, second = _build()
    return second.id


@pytest.mark.parametrize("width", [1280, 320])
def test_perspective_trend_and_actions_are_accessible(live_server, page, perspective_series,
                                                      width) -> None:
    """The inwoners' and bestuur's trend with its charts and tables, and the LIA actions
    beside the change: zero axe violations, no horizontal scroll of the page at 320 px."""
    log_in(page, live_server)
    page.set_viewport_size({"width": width, "height": 900})
    for path in (f"/rondes/{perspective_series}/ontwikkeling",
                 f"/rondes/{perspective_series}/rapport"):
        response = page.goto(live_server + path)
        assert response is not None and response.status == 200, path
        page.wait_for_load_state("load")
        assert_accessible(page, f"{path} at {width}px")
        assert page.evaluate(
            "document.documentElement.scrollWidth <= window.innerWidth + 1"), (path, width)
        assert page.get_by_text("Inwoners: ervaring per thema").count() >= 1
        assert page.get_by_text("Alle brieven op taalniveau B1 (bezig)").count() >= 1
        for image in page.locator("img").all():
            assert (image.get_attribute("alt") or "").strip(), path
            assert image.evaluate("img => img.naturalWidth > 0"), path
