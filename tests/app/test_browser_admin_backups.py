"""The admin's backups tab in real headless Chromium: the backups of the folder listed (time,
size, schema, rows, checked), 'back up now' makes one while the server runs and the list shows
it. Screenshot docs/screens/admin-backups-1440x900.png is made."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.browser import chromium, login, served
from tests.conftest import ROOT, SECRET, demo_passwords

pytestmark = pytest.mark.browser
SCREENS = ROOT / "docs" / "screens"
ROWS = ".admin-backups-table tbody tr"


def test_backups_listed_and_one_made_now(demo_copy, tmp_path):
    from models.backup import make_backup
    from models.clock import utcnow
    from models.store import Store

    folder = demo_copy()
    with Store(folder / "cityops.duckdb") as store:  # last night's scheduled one
        make_backup(
            store,
            folder / "backups",
            now=utcnow() - timedelta(days=1),
            tz="Asia/Shanghai",
            kind="scheduled",
        )
    password = demo_passwords(folder)["admin"]
    with served(folder, secret=SECRET) as url, chromium(tmp_path, width=1440, height=900) as page:
        login(page, url, "admin", password, path="/admin")
        page.goto(url + "/admin?tab=backups")
        page.wait_for_selector(ROWS)
        first = page.locator(ROWS).all_inner_texts()
        assert len(first) >= 1
        assert "自动" in first[-1] and "已校验" in first[-1] and "v18" in first[-1]
        page.click("#admin-backups-now")
        page.wait_for_selector("text=备份已开始")
        page.wait_for_function(
            f"[...document.querySelectorAll('{ROWS}')].some(r => r.innerText.includes('手动'))",
            timeout=60_000,
        )
        made = page.locator(ROWS, has_text="手动").inner_text()
        assert "已校验" in made and ("MiB" in made or "KiB" in made)
        page.locator(ROWS, has_text="手动").locator("summary").click()  # rows per table
        page.wait_for_selector("text=audit_log:")
        SCREENS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENS / "admin-backups-1440x900.png"))
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 1440, width  # nothing overflows sideways
