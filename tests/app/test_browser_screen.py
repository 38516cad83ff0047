"""The one-map wall in real headless Chromium: every layer draws, toggles, clicks open cards,
an MQTT report reaches the screen, replay shows the past, three screen sizes.

Screenshots go to ``$SCREENSHOT_DIR`` or, by default, ``screenshots/`` at the repository root
(ignored by git): the wall at 1920×1080 in Chinese and English, each layer switched off,
the card, replay, and the 4K / 1366×768 layouts.
"""

from __future__ import annotations

import io
import json
import os
import re
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.broker import INGEST, mosquitto
from tests.browser import chromium, login, served
from tests.conftest import ROOT, SECRET, demo_passwords, write_config
from tests.ingest.mqtt_helpers import publish_all

pytestmark = pytest.mark.browser
BACKGROUND = (5, 11, 22)
GROUPS = ("grid", "cases", "env", "iot", "traffic", "emergency")


def _pixels(png: bytes):
    import numpy as np
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)


def _map_shares(png: bytes) -> dict[str, float]:
    """Shares of the map's pixels that are drawn, and that carry each district's fill."""
    import numpy as np

    px = _pixels(png).reshape(-1, 3)
    r, g, b = px[:, 0], px[:, 1], px[:, 2]
    return {
        "drawn": float((np.abs(px - BACKGROUND).sum(axis=1) > 40).mean()),
        "cyan": float(((g > 70) & (b > 70) & (g > r + 40) & (np.abs(g - b) < 40)).mean()),
        "blue": float(((b > 100) & (b > g + 40) & (r < b - 60) & (r < 80)).mean()),
        "violet": float(((b > 100) & (r > g + 8) & (r > 55)).mean()),
    }


def _changed_share(a: bytes, b: bytes) -> float:
    import numpy as np

    pa, pb = _pixels(a), _pixels(b)
    return float((np.abs(pa - pb).sum(axis=2) > 30).mean())


def _seed_cases(folder: Path) -> tuple[str, float, float]:
    """About 120 open cases on real cells reported in the last hours, plus one lone case in
    the northernmost cell of 饶平县 (for the card test); returns that case and its place."""
    from ingest.locate import store_locator
    from models.cases import report_case
    from models.geography import load_cells
    from models.security import parse_scope
    from models.store import Store

    now = datetime.now(UTC).replace(tzinfo=None)
    with Store(folder / "cityops.duckdb") as store:
        locate = store_locator(store)
        cells = load_cells(store).sample(120, random_state=7)
        points = [(p.x, p.y) for p in cells.geometry.representative_point()]
        for i, (lon, lat) in enumerate(points):
            report_case(
                store,
                category_code="0201",
                lon=lon,
                lat=lat,
                at=now - timedelta(minutes=5 + i),
                source="grid_worker",
                actor="GW1",
                role="grid_worker",
                locate=locate,
                text="道路不洁",
            )
        north = load_cells(store, scope=parse_scope("district:445122"))
        spot = north.loc[north.geometry.bounds["maxy"].idxmax()].geometry.representative_point()
        lone = report_case(
            store,
            category_code="0201",
            lon=spot.x,
            lat=spot.y,
            at=now - timedelta(minutes=2),
            source="hotline",
            actor="12345",
            role="dispatcher",
            locate=locate,
            text="山路边垃圾堆积",
        )
        return lone.case_id, spot.x, spot.y


@pytest.fixture(scope="module")
def wall(demo_copy, tmp_path_factory):
    folder = demo_copy()
    lone, lone_lon, lone_lat = _seed_cases(folder)
    shots = Path(os.environ.get("SCREENSHOT_DIR", ROOT / "screenshots"))
    shots.mkdir(parents=True, exist_ok=True)
    with mosquitto(tmp_path_factory.mktemp("broker")) as port:
        write_config(
            folder,
            mqtt={
                "host": "127.0.0.1",
                "port": port,
                "embedded_fallback": False,
                "username": INGEST[0],
            },
            refresh={"kpi_s": 2, "live_ms": 500},
        )
        with served(folder, secret=SECRET, extra_env={"CITYOPS_MQTT_PASSWORD": INGEST[1]}) as url:
            with chromium(tmp_path_factory.mktemp("browser")) as page:
                page.set_viewport_size({"width": 1920, "height": 1080})
                requests: list[str] = []
                page.on("request", lambda r: requests.append(r.url))
                login(page, url, "operator", demo_passwords(folder)["operator"])
                # every layer on, grid by district: the overview theme (test_browser_themes.py)
                page.goto(url + "/screen?theme=overview")
                page.wait_for_selector("#screen-map[data-drawn]", timeout=90_000)
                yield {
                    "page": page,
                    "url": url,
                    "shots": shots,
                    "requests": requests,
                    "port": port,
                    "lone": lone,
                    "lone_at": (lone_lon, lone_lat),
                }


def _debug(page) -> dict:
    return json.loads(page.evaluate("() => JSON.stringify(window.cityopsMap.current.debug())"))


def _switch(page, group: str, on: bool) -> None:
    """Tick or untick a layer group and wait until the map has applied it (one at a time:
    the checklist is a controlled component and two clicks within one render can merge)."""
    box = page.locator(f"#screen-groups input[value='{group}']")
    box.check() if on else box.uncheck()
    shown = "true" if on else "false"
    page.wait_for_function(
        "() => document.querySelector('#screen-map').dataset.layers.split(',')"
        f".some(id => window.cityopsMap.current.groupOf(id) === '{group}') === {shown}",
        timeout=10_000,
    )


def _settle(page, seconds: float = 1.5) -> None:
    page.wait_for_timeout(int(seconds * 1000))


def test_wall_draws_the_districts_grid_and_every_layer(wall):
    page = wall["page"]
    stats: dict[str, float] = {}
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        stats = _map_shares(page.locator("#screen-map").screenshot())
        if stats["drawn"] > 0.12 and min(stats["cyan"], stats["blue"], stats["violet"]) > 0.005:
            break
        time.sleep(1)
    page.screenshot(path=str(wall["shots"] / "wall-1920x1080-zh.png"))
    assert stats["drawn"] > 0.12, stats
    assert min(stats["cyan"], stats["blue"], stats["violet"]) > 0.005, stats
    rows = _debug(page)["rows"]
    assert rows["case-points"] >= 100 and rows["grid-cells"] > 9000
    assert rows["env-points"] > 40 and rows["sensor-points"] > 500
    assert rows["traffic-segments"] > 1000 and rows["resources"] > 50 and rows["shelters"] > 10


@pytest.mark.parametrize("group", GROUPS)
def test_each_layer_toggle_changes_what_is_drawn(wall, group):
    page = wall["page"]
    box = page.locator("#screen-map")
    before = box.screenshot()
    _switch(page, group, False)
    _settle(page, 1.0)
    after = box.screenshot()
    (wall["shots"] / f"wall-without-{group}.png").write_bytes(after)
    _switch(page, group, True)
    # 52 small grey stations (no readings yet) are the fewest pixels: about 0.03 % of the map
    assert _changed_share(before, after) > 0.0001, group


def test_legend_follows_the_switched_layers(wall):
    page = wall["page"]
    legend = page.inner_text("#screen-legend")
    assert "湘桥区" in legend and "超期" in legend and "AQI" in legend and "畅通" in legend


def test_tooltip_shows_the_cell_code_and_body(wall):
    page = wall["page"]
    for group in ("cases", "env", "iot", "traffic", "emergency"):
        _switch(page, group, False)
    box = page.locator("#screen-map").bounding_box()
    text = ""
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
    page.screenshot(path=str(wall["shots"] / "wall-tooltip.png"))
    for group in ("cases", "env", "iot", "traffic", "emergency"):
        _switch(page, group, True)
    debug = page.evaluate(
        "() => { const t = document.querySelector('.deck-tooltip');"
        " return [t && t.style.display, t && t.innerText, document.querySelector('#screen-map')"
        ".dataset.layers]; }"
    )
    assert re.search(r"网格编码\s*\d{15}", text), debug
    assert "责任主体" in text


def test_click_on_a_case_opens_its_card(wall):
    page = wall["page"]
    lon, lat = wall["lone_at"]
    others = ("env", "iot", "traffic", "emergency")  # nothing else may lie on top of it
    for group in others:
        _switch(page, group, False)
    page.evaluate(f"() => window.cityopsMap.call('flyTo', [{lon}, {lat}, {lon}, {lat}], 15)")
    # the fly-to is animated: wait until the camera has arrived before aiming
    page.wait_for_function(
        "() => Math.abs(window.cityopsMap.current.deck.getViewports()[0].zoom - 15) < 0.05",
        timeout=30_000,
    )
    _settle(page, 1.0)
    box = page.locator("#screen-map").bounding_box()
    for _attempt in range(3):
        xy = page.evaluate(
            f"() => window.cityopsMap.current.deck.getViewports()[0].project([{lon}, {lat}])"
        )
        page.mouse.click(box["x"] + xy[0], box["y"] + xy[1])
        try:
            page.wait_for_function(
                f"() => document.querySelector('#screen-map').dataset.selected"
                f" === 'case-points:{wall['lone']}'",
                timeout=10_000,
            )
            break
        except Exception:
            continue
    page.wait_for_selector("#screen-card:not(.hidden)", timeout=20_000)
    page.wait_for_function(
        f"() => document.querySelector('#screen-card').innerText.includes('{wall['lone']}')",
        timeout=20_000,
    )
    card = page.inner_text("#screen-card")
    page.screenshot(path=str(wall["shots"] / "wall-case-card.png"))
    assert "山路边垃圾堆积" in card and "办理过程" in card and "剩余时限" in card
    for group in others:
        _switch(page, group, True)
    page.click("#screen-card-close")
    # back to the whole city for the tests after this one
    page.evaluate("() => window.cityopsMap.call('flyTo', window.cityopsMap.current.config.bounds)")
    page.wait_for_selector("#screen-card.hidden", state="attached", timeout=10_000)


def _report(port: int, *, exercise: bool = False) -> str:
    msg_id = str(uuid.uuid4())
    body = {
        "id": msg_id,
        "ts": datetime.now(UTC).isoformat(),
        "source": "grid_worker",
        "category": "0201",
        "lon": 116.6465,
        "lat": 23.6707,
        "text": "演练：道路积水" if exercise else "道路不洁，有积存垃圾",
        "reporter": "GW445102007002-01",
        "exercise": exercise,
    }
    publish_all(port, [("cityops/v1/reports", json.dumps(body, ensure_ascii=False).encode())])
    return f"mqtt:{msg_id}"  # the case's external id


def test_a_report_published_on_mqtt_shows_up_on_the_wall(wall):
    page = wall["page"]
    before = _debug(page)["rows"]["case-points"]
    msg_id = _report(wall["port"])
    page.wait_for_selector(f"#screen-feed li[data-ext='{msg_id}']", timeout=20_000)
    page.wait_for_function(
        f"() => window.cityopsMap.current.debug().rows['case-points'] > {before}", timeout=10_000
    )
    text = page.inner_text(f"#screen-feed li[data-ext='{msg_id}']")
    assert "网格员" in text


def test_a_drill_report_raises_the_exercise_banner(wall):
    page = wall["page"]
    msg_id = _report(wall["port"], exercise=True)
    page.wait_for_selector(f"#screen-feed li.feed-exercise[data-ext='{msg_id}']", timeout=20_000)
    page.wait_for_selector("#screen-banner-exercise", timeout=20_000)
    page.screenshot(path=str(wall["shots"] / "wall-exercise.png"))
    assert "演练" in page.inner_text("#screen-banner-exercise")


def test_replay_slider_shows_the_past_and_comes_back_live(wall):
    page = wall["page"]
    live_rows = _debug(page)["rows"]["case-points"]
    assert live_rows > 0
    track = page.locator("#screen-replay-slider").bounding_box()
    # 80 days ago: before any seeded case was reported
    page.mouse.click(track["x"] + track["width"] * 0.1, track["y"] + track["height"] / 2)
    page.wait_for_selector("#screen-map[data-state='replay']", timeout=20_000)
    page.wait_for_function(
        "() => window.cityopsMap.current.debug().rows['case-points'] === 0", timeout=20_000
    )
    banner = page.inner_text("#screen-banner-replay")
    assert "复盘" in banner
    page.screenshot(path=str(wall["shots"] / "wall-replay.png"))
    page.click("#screen-replay-live")
    page.wait_for_selector("#screen-map[data-state='live']", timeout=20_000)
    page.wait_for_function(
        f"() => window.cityopsMap.current.debug().rows['case-points'] >= {live_rows}",
        timeout=20_000,
    )


@pytest.mark.parametrize("size", [(3840, 2160), (1366, 768), (1920, 1080)])
def test_the_wall_fits_big_middle_and_small_screens(wall, size):
    page = wall["page"]
    width, height = size
    page.set_viewport_size({"width": width, "height": height})
    _settle(page, 2.0)
    page.screenshot(path=str(wall["shots"] / f"wall-{width}x{height}.png"))
    overflow = page.evaluate("() => document.documentElement.scrollWidth")
    assert overflow <= width + 1
    box = page.locator("#screen-map").bounding_box()
    assert box["width"] >= 0.5 * width and box["height"] >= 0.45 * height, box
    kpis = page.locator("#screen-kpis").bounding_box()
    assert kpis["y"] + kpis["height"] <= box["y"]  # the strip stays above the map


def test_nothing_is_fetched_from_outside(wall):
    outside = [r for r in wall["requests"] if not r.startswith((wall["url"], "data:", "blob:"))]
    assert wall["requests"] and not outside, outside


def test_english_by_switch(wall):
    page, url = wall["page"], wall["url"]
    page.goto(url + "/lang/en?next=/screen")
    page.wait_for_selector("#screen-map[data-drawn]", timeout=60_000)
    assert "Chaozhou City Operations Center" in page.inner_text(".header")
    assert "Cases today" in page.inner_text("#screen-kpis")
    assert "Live feed" in page.inner_text(".feed-panel")
    _settle(page, 2.0)
    page.screenshot(path=str(wall["shots"] / "wall-1920x1080-en.png"))
    page.goto(url + "/lang/zh?next=/screen")
    page.wait_for_selector("#screen-map[data-drawn]", timeout=60_000)
    assert "今日案件" in page.inner_text("#screen-kpis")


def test_reports_of_every_source_and_category_keep_the_wall_up(wall):
    """Issue 9, defect 1: one report with a source the screen had no label for answered 500
    on every screen request. One report of every source and every category (and one of an
    unknown category) later, the wall still loads, polls and labels them."""
    import csv

    from models.vocabulary import REPORT_SOURCES

    page, url = wall["page"], wall["url"]
    with open(ROOT / "models" / "data" / "categories.csv", encoding="utf-8") as fh:
        categories = [row["category_code"] for row in csv.DictReader(fh)]
    bodies = []
    kinds = [(s, "0201") for s in REPORT_SOURCES if s != "public"]
    kinds += [(REPORT_SOURCES[i % len(REPORT_SOURCES)], c) for i, c in enumerate(categories)]
    kinds += [("hotline", "9999"), ("public", "0202")]  # an unknown category; public last
    for source, category in kinds:
        bodies.append(
            {
                "id": str(uuid.uuid4()),
                "ts": datetime.now(UTC).isoformat(),
                "source": source,
                "category": category,
                "lon": 116.6465,
                "lat": 23.6707,
                "text": f"测试 {source} {category}",
                "reporter": "GW445102007002-01",
            }
        )
    publish_all(
        wall["port"],
        [("cityops/v1/reports", json.dumps(b, ensure_ascii=False).encode()) for b in bodies],
    )
    last = f"mqtt:{bodies[-1]['id']}"
    page.wait_for_selector(f"#screen-feed li[data-ext='{last}']", timeout=30_000)
    assert "公众举报" in page.inner_text(f"#screen-feed li[data-ext='{last}']")
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.reload()
    page.wait_for_selector("#screen-map[data-drawn]", timeout=90_000)
    page.wait_for_selector(f"#screen-feed li[data-ext='{last}']", timeout=30_000)
    for path in ("/screen/api/layers", "/screen/api/changes?cursor=0"):
        answer = page.request.get(url + path)
        assert answer.status < 500, (path, answer.status, answer.text()[:300])
    assert not errors, errors
