"""The one-map screen in real headless Chromium: log in, the map draws, the tooltip works."""

from __future__ import annotations

import io
import os
import re
import time
from pathlib import Path

import pytest

from tests.browser import chromium, login, served
from tests.conftest import SECRET, demo_passwords

pytestmark = pytest.mark.browser
BACKGROUND = (5, 11, 22)


def _map_pixels(png: bytes) -> dict[str, float]:
    """Shares of the map's pixels that are drawn, and that carry each district's fill."""
    import numpy as np
    from PIL import Image

    px = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).reshape(-1, 3).astype(int)
    r, g, b = px[:, 0], px[:, 1], px[:, 2]
    # fills are blended at alpha 90/255 over the dark land, hence the muted thresholds
    return {
        "drawn": float((np.abs(px - BACKGROUND).sum(axis=1) > 40).mean()),
        "cyan": float(((g > 70) & (b > 70) & (g > r + 40) & (np.abs(g - b) < 40)).mean()),
        "blue": float(((b > 100) & (b > g + 40) & (r < b - 60) & (r < 80)).mean()),
        "violet": float(((b > 100) & (r > g + 8) & (r > 55)).mean()),
    }


@pytest.fixture(scope="module")
def screen_session(demo_copy, tmp_path_factory):
    folder = demo_copy()
    shots = Path(os.environ.get("SCREENSHOT_DIR", tmp_path_factory.mktemp("shots")))
    shots.mkdir(parents=True, exist_ok=True)
    with served(folder, secret=SECRET) as url:
        with chromium(tmp_path_factory.mktemp("browser")) as page:
            requests: list[str] = []
            page.on("request", lambda r: requests.append(r.url))
            login(page, url, "operator", demo_passwords(folder)["operator"])
            yield page, url, shots, requests


def test_map_draws_the_districts_and_grid(screen_session):
    page, _url, shots, _ = screen_session
    page.wait_for_selector(".map-wrap canvas", timeout=60_000)
    stats: dict[str, float] = {}
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        png = page.locator("#screen-map").screenshot()
        stats = _map_pixels(png)
        if stats["drawn"] > 0.12 and min(stats["cyan"], stats["blue"], stats["violet"]) > 0.005:
            break
        time.sleep(1)
    page.screenshot(path=str(shots / "screen-zh.png"))
    assert stats["drawn"] > 0.12, stats
    assert min(stats["cyan"], stats["blue"], stats["violet"]) > 0.005, stats


def test_header_and_kpis_are_chinese_and_real(screen_session):
    page, *_ = screen_session
    assert "潮州市城市运行指挥中心" in page.inner_text(".header")
    cells = page.inner_text("#screen-kpi-cells .kpi-value").replace(",", "")
    assert int(cells) > 5000
    assert "单元网格" in page.inner_text("#screen-kpis")
    assert re.match(r"\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}", page.inner_text("#shell-clock"))


def test_tooltip_shows_the_cell_code_and_body(screen_session):
    page, _url, shots, _ = screen_session
    box = page.locator("#screen-map").bounding_box()
    text = ""
    # walk a few points around the centre of the map until one lies on a cell
    for dx, dy in [(0, 0), (-60, 40), (80, -50), (-120, -80), (140, 90), (30, 150)]:
        page.mouse.move(box["x"] + box["width"] / 2 + dx, box["y"] + box["height"] / 2 + dy)
        try:
            page.wait_for_function(
                "() => { const t = document.querySelector('.deck-tooltip');"
                " return t && /\\d{15}/.test(t.innerText) && t.style.display !== 'none'; }",
                timeout=5_000,
            )
        except Exception:
            continue
        text = page.inner_text(".deck-tooltip")
        break
    page.screenshot(path=str(shots / "screen-tooltip.png"))
    assert re.search(r"网格编码\s*\d{15}", text), text
    assert "责任主体" in text


def test_nothing_is_fetched_from_outside(screen_session):
    _page, url, _shots, requests = screen_session
    outside = [r for r in requests if not r.startswith((url, "data:", "blob:"))]
    assert requests and not outside, outside


def test_english_by_switch(screen_session):
    page, url, shots, _ = screen_session
    page.goto(url + "/lang/en?next=/screen")
    page.wait_for_selector(".map-wrap canvas", timeout=60_000)
    assert "Chaozhou City Operations Center" in page.inner_text(".header")
    assert "Grid cells" in page.inner_text("#screen-kpis")
    page.screenshot(path=str(shots / "screen-en.png"))
    page.goto(url + "/lang/zh?next=/screen")
    page.wait_for_selector(".map-wrap canvas", timeout=60_000)
    assert "单元网格" in page.inner_text("#screen-kpis")
