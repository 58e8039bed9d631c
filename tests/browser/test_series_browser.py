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
