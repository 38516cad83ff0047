"""The admin 'sensors' tab in real headless Chromium: the registry and the rules load; the
admin edits a threshold, the dry run counts what the edited rule would have fired over the
last day, and the save makes a new rules version. Screenshot
docs/screens/admin-sensors-1440x900.png."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest

from models.clock import utcnow
from models.rules_doc import rules_in_force, rules_version
from models.store import Store
from tests.browser import chromium, login, served
from tests.conftest import ROOT, SECRET, demo_passwords

pytestmark = pytest.mark.browser
SCREEN = ROOT / "docs" / "screens" / "admin-sensors-1440x900.png"


def _gas_hour(folder) -> str:
    """A gas sensor at 30 ppm for the last hour: over 20, under the shipped 50."""
    store = Store(folder / "cityops.duckdb")
    try:
        sensor = store.query_value("SELECT min(sensor_id) FROM sensors WHERE kind = 'gas'")
        now = utcnow()
        rows = [
            (f"br-{i}", sensor, now - timedelta(minutes=60 - i), "gas_ppm", 30.0,
             now - timedelta(minutes=60 - i))
            for i in range(60)
        ]  # fmt: skip
        store.append(
            "observations",
            pd.DataFrame(
                rows, columns=["msg_id", "sensor_id", "ts", "metric", "value", "received_at"]
            ),
        )
    finally:
        store.close()
    return str(sensor)


def test_edit_a_threshold_dry_run_and_save(demo_copy, tmp_path):
    folder = demo_copy()
    sensor = _gas_hour(folder)
    password = demo_passwords(folder)["admin"]
    with served(folder, secret=SECRET) as url, chromium(tmp_path, width=1440, height=900) as page:
        login(page, url, "admin", password, path="/admin")
        page.set_default_timeout(60_000)  # a loaded CI machine answers slowly
        page.goto(url + "/admin?tab=sensors")
        page.wait_for_selector("#admin-sen-table tbody tr")
        editor = page.locator("#admin-rules-text")
        text = editor.input_value()
        assert "threshold: 50" in text
        editor.fill(text.replace("threshold: 50", "threshold: 20", 1))
        page.click("#admin-rules-dry-run")
        row = page.locator("#admin-rules-dry-result tr", has_text="gas-over-50ppm")
        row.wait_for()
        assert "会触发 1 次" in row.inner_text() and sensor in row.inner_text()
        page.click("#admin-rules-save")
        page.wait_for_selector("#admin-rules-message >> text=已保存为第")
        page.wait_for_selector("#admin-rules-history >> text=admin")
        page.locator("#admin-rules-dry-result").scroll_into_view_if_needed()
        page.evaluate("window.scrollTo(0, 0)")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 1440, width  # nothing overflows sideways
        SCREEN.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREEN))
    store = Store(folder / "cityops.duckdb")
    try:
        assert rules_version(store) > 0
        gas = next(r for r in rules_in_force(store) if r.rule_id == "gas-over-50ppm")
        assert gas.threshold == 20
    finally:
        store.close()
