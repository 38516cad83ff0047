"""The admin's category table in real headless Chromium: /admin?tab=categories lists the
部件/事件 categories, a filter narrows them, a click fills the form, a changed time limit is
saved, shows in the grid and in the category's history. The desk (1440×900) never scrolls
sideways. Screenshot docs/screens/admin-categories-1440x900.png is made."""

from __future__ import annotations

import pytest

from tests.browser import chromium, login, served
from tests.conftest import ROOT, SECRET, demo_passwords

pytestmark = pytest.mark.browser
SCREENS = ROOT / "docs" / "screens"


def test_the_admin_changes_a_time_limit_and_sees_it_in_the_history(demo_copy, tmp_path):
    folder = demo_copy()
    password = demo_passwords(folder)["admin"]
    with served(folder, secret=SECRET) as url, chromium(tmp_path, width=1440, height=900) as page:
        login(page, url, "admin", password, path="/admin")
        page.goto(url + "/admin?tab=categories")
        page.wait_for_selector("#admin-cat-grid .ag-row")
        assert page.locator("#admin-cat-grid .ag-row").count() >= 20
        count = page.locator(".admin-cat-filters > span.muted").bounding_box()
        search = page.locator("#admin-cat-text-filter").bounding_box()
        assert count and search and count["x"] >= search["x"] + search["width"]  # side by side
        page.fill("#admin-cat-text-filter", "道路不洁")
        page.press("#admin-cat-text-filter", "Enter")
        page.wait_for_function(
            "document.querySelectorAll('#admin-cat-grid .ag-center-cols-container .ag-row')"
            ".length === 1"
        )
        page.locator("#admin-cat-grid .ag-center-cols-container .ag-row").first.click()
        page.wait_for_function("document.querySelector('#admin-cat-limit-value').value === '5'")
        assert page.input_value("#admin-cat-major") == "02"
        page.wait_for_selector(".admin-cat-history >> text=暂无修改记录")

        page.fill("#admin-cat-limit-value", "6")
        page.click("#admin-cat-save")
        page.wait_for_selector(".admin-cat-message .msg.ok")
        assert "0201" in page.inner_text(".admin-cat-message")
        page.wait_for_selector(".admin-cat-history-table tbody tr")
        change = page.locator(".admin-cat-history-table tbody tr").first.inner_text()
        assert "admin" in change and "时限数值" in change and "5" in change and "6" in change
        page.wait_for_selector("#admin-cat-grid .ag-row >> text=6 工作时")

        page.fill("#admin-cat-limit-value", "0")
        page.click("#admin-cat-save")
        page.wait_for_selector(".admin-cat-message .msg.err")
        assert page.locator(".admin-cat-history-table tbody tr").count() == 1

        widths = page.evaluate(
            "(() => { const d = document.documentElement;"
            " return [d.scrollWidth, d.clientWidth]; })()"
        )
        assert widths[0] <= widths[1], widths
        page.fill("#admin-cat-limit-value", "6")
        page.fill("#admin-cat-text-filter", "")
        page.press("#admin-cat-text-filter", "Enter")
        page.wait_for_function(
            "document.querySelectorAll('#admin-cat-grid .ag-center-cols-container .ag-row')"
            ".length > 5"
        )
        page.wait_for_selector("[data-dash-is-loading]", state="detached")
        page.click(".admin-categories h2")  # the filter's focus ring off the picture
        page.evaluate("document.querySelector('.page.admin').scrollTo(0, 0)")
        page.evaluate("window.scrollTo(0, 0)")
        SCREENS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENS / "admin-categories-1440x900.png"))
