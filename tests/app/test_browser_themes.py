"""Theme maps on the wall in real headless Chromium: the default theme, switching to 三防,
a reload keeping it, toggling after, and a case reported through the API reaching the wall
only when it is of the theme's categories.

Screenshots: ``docs/screens/wall-theme-<id>-1920x1080.png`` are made from these runs (the
test writes them to ``$SCREENSHOT_DIR`` or ``screenshots/``).
"""

from __future__ import annotations

import json
import os
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.browser import chromium, login, served
from tests.conftest import ROOT, SECRET, demo_passwords

pytestmark = pytest.mark.browser
#: Open cases seeded: city-management ones clustered on cells (the grid shows its classes),
#: and 积水 / 树木倒伏 / 台风灾情 ones (三防's).
URBAN = ("0201", "0302", "0501", "0105", "0106", "0701")
FLOODING = ("0401", "0403", "0801")
STREET, FLOOD = 170, 24


def _seed(folder: Path) -> tuple[str, tuple[float, float]]:
    """Open cases on real cells, and an API token of the operator; returns the token and a
    place on a cell."""
    from ingest.locate import store_locator
    from models.api_tokens import create_token
    from models.cases import report_case
    from models.geography import load_cells
    from models.store import Store

    now = datetime.now(UTC).replace(tzinfo=None)
    with Store(folder / "cityops.duckdb") as store:
        locate = store_locator(store)
        cells = load_cells(store).sample(60, random_state=11)
        points = [(p.x, p.y) for p in cells.geometry.representative_point()]
        # a few hot cells, more with a handful, most with one or two
        per_cell = [12] * 5 + [5] * 10 + [2] * 15 + [1] * 30
        spots = [points[j] for j, n in enumerate(per_cell) for _ in range(n)]
        assert len(spots) == STREET
        for i, (lon, lat) in enumerate(spots + points[:FLOOD]):
            flood = i >= STREET
            codes = FLOODING if flood else URBAN
            report_case(
                store,
                category_code=codes[i % len(codes)],
                lon=lon,
                lat=lat,
                at=now - timedelta(minutes=5 + i // 3),
                source="grid_worker",
                actor="GW1",
                role="grid_worker",
                locate=locate,
                text="路面积水" if flood else "城市管理问题",
            )
        _record, token = create_token(
            store, "operator", label="themes test", created_by="test", at=now
        )
    return token, points[0]


@pytest.fixture(scope="module")
def wall(demo_copy, tmp_path_factory):
    folder = demo_copy()
    # the shipped wall opens on the overview; this city chose urban management as its default
    config = folder / "config.yaml"
    text = config.read_text("utf-8")
    assert "themes:" not in text
    config.write_text(text + "themes: {default: urban_management}\n", "utf-8")
    token, spot = _seed(folder)
    shots = Path(os.environ.get("SCREENSHOT_DIR", ROOT / "screenshots"))
    shots.mkdir(parents=True, exist_ok=True)
    with served(folder, secret=SECRET) as url:
        with chromium(tmp_path_factory.mktemp("browser")) as page:
            page.set_viewport_size({"width": 1920, "height": 1080})
            requests: list[str] = []
            page.on("request", lambda r: requests.append(r.url))
            login(page, url, "operator", demo_passwords(folder)["operator"])
            page.wait_for_selector("#screen-map[data-drawn]", timeout=90_000)
            yield {
                "page": page,
                "url": url,
                "shots": shots,
                "token": token,
                "spot": spot,
                "requests": requests,
            }


def _debug(page) -> dict:
    return json.loads(page.evaluate("() => JSON.stringify(window.cityopsMap.current.debug())"))


def _checked(page) -> list[str]:
    return page.eval_on_selector_all("#screen-groups input:checked", "els => els.map(e => e.value)")


def _kpis(page) -> list[str]:
    return page.eval_on_selector_all("#screen-kpis .kpi", "els => els.map(e => e.id)")


def _wait_rows(page, count: int) -> None:
    page.wait_for_function(
        f"() => window.cityopsMap.current.debug().rows['case-points'] === {count}",
        timeout=30_000,
    )


def _choose(page, label: str) -> None:
    page.click(f"#screen-theme-select label:has-text('{label}')")


def _api_report(wall, category: str, text: str) -> str:
    lon, lat = wall["spot"]
    body = json.dumps(
        {"category": category, "lon": lon, "lat": lat, "text": text, "source": "hotline"}
    ).encode()
    request = urllib.request.Request(
        wall["url"] + "/api/v1/cases",
        data=body,
        method="POST",
        headers={"Authorization": f"Bearer {wall['token']}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=20) as response:
        assert response.status == 201
        return str(json.loads(response.read())["id"])


def test_the_wall_opens_on_the_default_theme(wall):
    page = wall["page"]
    assert page.get_attribute("#screen-map", "data-theme") == "urban_management"
    assert _checked(page) == ["grid", "cases"]
    assert page.eval_on_selector("#screen-grid-mode input:checked", "e => e.value") == "open_cases"
    assert _kpis(page) == [
        "screen-kpi-cases-today",
        "screen-kpi-open-cases",
        "screen-kpi-overdue",
        "screen-kpi-closure-rate",
    ]
    _wait_rows(page, STREET)  # 积水 (04) is not urban management's: never sent
    assert any("/screen/api/grid-colors?mode=open_cases" in r for r in wall["requests"])
    page.wait_for_timeout(2500)  # the grid colours and the tiles settle
    page.screenshot(path=str(wall["shots"] / "wall-theme-urban_management-1920x1080.png"))
    assert "城市管理" in page.inner_text("#screen-legend")


def test_switching_to_flood_sets_layers_kpis_legend_filter_and_address(wall):
    page = wall["page"]
    _choose(page, "三防")
    page.wait_for_function(
        "() => document.querySelector('#screen-map').dataset.theme === 'flood_typhoon'",
        timeout=20_000,
    )
    _wait_rows(page, FLOOD)
    page.wait_for_function(
        "() => document.querySelectorAll('#screen-groups input:checked').length === 3",
        timeout=20_000,
    )
    assert _checked(page) == ["cases", "iot", "emergency"]
    page.wait_for_function(
        "() => document.querySelector('#screen-kpi-active-incidents') !== null"
        " && document.querySelector('#screen-kpi-cases-today') === null",
        timeout=20_000,
    )
    assert "theme=flood_typhoon" in page.url
    legend = page.inner_text("#screen-legend")
    assert "预警区域" in legend and "三防" in legend
    feed = page.inner_text("#screen-feed")
    assert "积水" in feed and "道路不洁" not in feed  # the feed's cases are the theme's too
    assert any("/screen/api/layers" in r and "theme=flood_typhoon" in r for r in wall["requests"])
    page.wait_for_timeout(2500)
    page.screenshot(path=str(wall["shots"] / "wall-theme-flood_typhoon-1920x1080.png"))


def test_live_changes_keep_coming_for_the_theme(wall):
    page = wall["page"]
    flooded = _api_report(wall, "0401", "地下通道积水")
    _api_report(wall, "0201", "道路不洁")
    _wait_rows(page, FLOOD + 1)
    page.wait_for_timeout(3000)  # a few more polls: the 0201 case never comes
    assert _debug(page)["rows"]["case-points"] == FLOOD + 1
    assert page.locator(f"#screen-feed li[data-id='{flooded}']").count() == 1
    assert any("/screen/api/changes" in r and "theme=flood_typhoon" in r for r in wall["requests"])


def test_the_theme_survives_a_reload_and_layers_still_toggle(wall):
    page = wall["page"]
    page.reload()
    page.wait_for_selector("#screen-map[data-drawn]", timeout=90_000)
    assert page.get_attribute("#screen-map", "data-theme") == "flood_typhoon"
    assert _checked(page) == ["cases", "iot", "emergency"]
    assert "三防" in page.inner_text("#screen-theme-select label.selected")
    page.locator("#screen-groups input[value='traffic']").check()
    page.wait_for_function(
        "() => document.querySelector('#screen-map').dataset.layers.split(',')"
        ".includes('traffic-segments')",
        timeout=20_000,
    )
    assert "畅通" in page.inner_text("#screen-legend")  # a group added by hand gets its block
    assert page.get_attribute("#screen-map", "data-theme") == "flood_typhoon"


def test_an_unknown_theme_in_the_address_opens_the_default(wall):
    page = wall["page"]
    page.goto(wall["url"] + "/screen?theme=%3Cscript%3E")
    page.wait_for_selector("#screen-map[data-drawn]", timeout=90_000)
    assert page.get_attribute("#screen-map", "data-theme") == "urban_management"
    assert _checked(page) == ["grid", "cases"]
