"""The working calendar tab in real headless Chromium: the admin opens /admin?tab=calendar,
sees the year view of 2026 (国庆 marked a holiday, its 调休 Saturday a make-up day), clicks a
working Tuesday and sees it marked an extra holiday (saved: the server's calendar says so),
clicks it again and sees it restored. The desk (1440×900) never scrolls sideways. Screenshot:
docs/screens/admin-calendar-1440x900.png."""

from __future__ import annotations

from datetime import date

import pytest

from tests.browser import chromium, login, served
from tests.conftest import ROOT, SECRET, demo_passwords

pytestmark = pytest.mark.browser
SCREENS = ROOT / "docs" / "screens"
DAY = "2026-11-24"  # a working Tuesday


def _day(page, iso: str):
    return page.locator(f"button.cal-day[title^='{iso}']")


def _saved_holiday(folder) -> bool:
    from models.calendar_in_force import saved_extras
    from models.store import Store

    with Store(folder / "cityops.duckdb") as store:
        return date.fromisoformat(DAY) in saved_extras(store)[0]


def test_the_admin_toggles_a_day_and_sees_it_marked(demo_copy, tmp_path):
    folder = demo_copy()
    password = demo_passwords(folder)["admin"]
    outside: list[str] = []
    with served(folder, secret=SECRET) as url, chromium(tmp_path, width=1440, height=900) as page:
        page.on("request", lambda r: r.url.startswith((url, "data:", "blob:"))
                or outside.append(r.url))  # fmt: skip
        login(page, url, "admin", password, path="/admin")
        page.goto(url + "/admin?tab=calendar&year=2026")
        page.wait_for_selector("button.cal-day", timeout=60_000)
        assert page.locator("button.cal-day").count() == 365
        assert "holiday" in (_day(page, "2026-10-01").get_attribute("class") or "")
        assert "makeup" in (_day(page, "2026-10-10").get_attribute("class") or "")
        assert "工作时间" in page.inner_text(".cal-hours")
        day = _day(page, DAY)
        assert day.get_attribute("class") == "cal-day workday"
        day.click()
        page.wait_for_selector(f"button.cal-day.extra_holiday[title^='{DAY}']", timeout=30_000)
        page.wait_for_selector(".admin-calendar .msg.ok", timeout=10_000)
        widths = page.evaluate(
            "(() => { const d = document.documentElement;"
            " return [d.scrollWidth, d.clientWidth]; })()"
        )
        assert widths[0] <= widths[1], widths
        SCREENS.mkdir(parents=True, exist_ok=True)
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(SCREENS / "admin-calendar-1440x900.png"))
        assert DAY in page.input_value("#admin-cal-holidays")
        _day(page, DAY).click()
        page.wait_for_selector(f"button.cal-day.workday[title^='{DAY}']", timeout=30_000)
    assert not _saved_holiday(folder)
    assert outside == []
