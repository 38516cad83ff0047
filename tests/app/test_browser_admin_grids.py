"""The grids tab in real headless Chromium: the admin uploads the demo grid with one cell
removed, one cell's responsible body changed and no grid workers column, reads the topology
report with the cells drawn on the map (and the workers the cells keep from the version in
force), confirms, and sees the new version in the list and its diff on the map.
Screenshot docs/screens/admin-grids-1440x900.png."""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import pytest

from models.geography import load_cells
from models.store import Store
from tests.browser import chromium, login, served
from tests.conftest import ROOT, SECRET, demo_passwords

pytestmark = pytest.mark.browser
SCREENS = ROOT / "docs" / "screens"


def changed_demo_grid(folder: Path, out: Path) -> tuple[str, str]:
    """The demo grid written to GeoJSON without one cell and with one cell's body changed,
    without the grid workers (the cells keep those of the version in force); returns
    (removed code, changed code)."""
    with Store(folder / "cityops.duckdb") as store:
        cells = load_cells(store)
    grid = cells[["cell_code", "responsible_body", "size_class", "geometry"]]
    grid = gpd.GeoDataFrame(grid.copy(), geometry="geometry", crs="EPSG:4326")
    codes = sorted(grid["cell_code"])
    removed, changed = codes[0], codes[5]
    grid.loc[grid["cell_code"] == changed, "responsible_body"] = "新责任单位（测试）"
    grid = grid[grid["cell_code"] != removed]
    grid.to_file(out, driver="GeoJSON")
    return removed, changed


def _map_shows(page, key_prefix: str) -> None:
    page.wait_for_selector(f"#admin-grids-map[data-view^='{key_prefix}']", timeout=90_000)
    page.wait_for_selector("#admin-grids-map canvas", state="attached", timeout=30_000)
    page.wait_for_selector("#admin-grids-map[data-drawn]", timeout=90_000)


def test_admin_uploads_checks_and_confirms_a_grid(demo_copy, tmp_path):
    folder = demo_copy()
    grid_file = tmp_path / "潮州网格-v2.geojson"
    removed, changed = changed_demo_grid(folder, grid_file)
    password = demo_passwords(folder)["admin"]
    with served(folder, secret=SECRET) as url, chromium(tmp_path, width=1440, height=900) as page:
        login(page, url, "admin", password, path="/admin")
        page.goto(url + "/admin?tab=grids")
        page.wait_for_selector("#admin-grids-upload input[type=file]", state="attached")
        _map_shows(page, "diff:1:1")  # the current grid drawn before any upload
        huge = tmp_path / "huge.geojson"
        with huge.open("wb") as handle:
            handle.truncate(65 * 2**20)  # above the 64 MB limit: refused in the page at once
        page.set_input_files("#admin-grids-upload input[type=file]", str(huge))
        page.wait_for_selector("#admin-grids-too-big", timeout=10_000)
        assert "64 MB" in page.inner_text("#admin-grids-too-big")
        page.set_input_files("#admin-grids-upload input[type=file]", str(grid_file))
        page.wait_for_selector("#admin-grids-report-body", timeout=120_000)
        report = page.inner_text("#admin-grids-report-body")
        assert "可以确认" in report and "要素 10,071" in report, report[:500]
        assert "沿用网格员 10,071" in report and "新网格无责任主体 0" in report, report[:800]
        _map_shows(page, "preview:")
        rows = page.evaluate("JSON.parse(document.getElementById('admin-grids-map').dataset.rows)")
        assert rows["grid-change-cells"] >= 10_071 and rows["grid-change-gaps"] >= 1, rows
        page.screenshot(path=str(tmp_path / "admin-grids-preview.png"))
        assert page.is_enabled("#admin-grids-confirm")
        page.click("#admin-grids-confirm")
        page.wait_for_selector("#admin-grids-message .msg.ok", timeout=120_000)
        assert "v2" in page.inner_text("#admin-grids-message")
        assert "沿用网格员 10,071" in page.inner_text("#admin-grids-message")
        versions = page.inner_text("#admin-grids-versions")
        assert re.search(r"2\s+导入网格.*潮州网格-v2\.geojson.*10,071.*admin", versions), versions
        assert "现行" in versions
        _map_shows(page, "diff:1:2")
        counts = page.inner_text("#admin-grids-diff-result")
        assert "删除 1" in counts and "责任主体或网格员变化 1" in counts, counts
        assert "新增 0" in counts and "边界变化 0" in counts, counts
        page.wait_for_timeout(1500)
        widths = page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert widths[0] <= widths[1], widths
        SCREENS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENS / "admin-grids-1440x900.png"))
    with Store(folder / "cityops.duckdb") as store:
        current = store.query_value(
            "SELECT max(version_id) FROM grid_versions WHERE valid_to IS NULL"
        )
        assert current == 2
        assert not store.query_rows(
            "SELECT 1 FROM grid_cells WHERE version_id = 2 AND cell_code = ?", [removed]
        )
        body = store.query_value(
            "SELECT responsible_body FROM grid_cells WHERE version_id = 2 AND cell_code = ?",
            [changed],
        )
        assert body == "新责任单位（测试）"
        kept = store.query_value(
            "SELECT count(*) FROM grid_cells n JOIN grid_cells o USING (cell_code) "
            "WHERE n.version_id = 2 AND o.version_id = 1 AND n.grid_workers = o.grid_workers "
            "AND len(n.grid_workers) > 0"
        )
        assert kept == 10_071
