"""The closed loop of 一网统管 by people, in real headless Chromium, every step through its
screen (GB/T 30428's order): a grid worker reports with a photo on the phone; the dispatcher
accepts, registers and dispatches it as suggested on the console; the district's urban
management handler starts and reports it handled with a photo; the grid worker verifies it
on site; the dispatcher closes it. The wall (an operator's /screen) shows each step live:
the case appears in its feed and on the map, its stage follows, and it leaves the map when
closed."""

from __future__ import annotations

import io
import re

import duckdb
import pytest

from tests.browser import CHROMIUM_FLAGS, chromium_path, login, served
from tests.conftest import SECRET, demo_passwords, write_config

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}

#: The stage label of a case on the wall's map (None once it has left the map).
WALL_STAGE = """(id) => {
  const map = window.cityopsMap && window.cityopsMap.current;
  const layer = map && map.layers.get('case-points');
  if (!layer || layer.deferred) return 'unknown';
  for (let i = 0; i < layer.length; i++) {
    if (layer.keyOf(i) === id) return layer.field(i, 'stage');
  }
  return null;
}"""


def _jpeg(color: tuple[int, int, int]) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (640, 480), color).save(buf, "JPEG", quality=85)
    return buf.getvalue()


def _wall_shows(wall, case_id: str, label: str | None) -> None:
    wall.wait_for_function(
        f"(id) => ({WALL_STAGE})(id) === {('null' if label is None else repr(label))}",
        arg=case_id,
        timeout=20_000,
    )


@pytest.fixture(scope="module")
def world(demo_copy):
    from playwright.sync_api import sync_playwright

    folder = demo_copy()
    write_config(folder, demo={"history_days": 0}, refresh={"kpi_s": 2, "live_ms": 500})
    con = duckdb.connect(str(folder / "cityops.duckdb"), read_only=True)
    cell = con.execute("SELECT scope_codes[1] FROM users WHERE username = 'gridworker'").fetchone()[
        0
    ]
    lon, lat = con.execute(
        "SELECT centroid_lon, centroid_lat FROM grid_cells WHERE cell_code = ? "
        "ORDER BY version_id DESC LIMIT 1",
        [cell],
    ).fetchone()
    con.close()
    passwords = demo_passwords(folder)
    with served(folder, secret=SECRET) as url, sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium_path(), headless=True, args=CHROMIUM_FLAGS
        )
        errors: list[str] = []

        def open_as(username: str, path: str, *, phone: bool):
            options = {"locale": "zh-CN", "timezone_id": "Asia/Shanghai"}
            if phone:
                options |= {
                    "viewport": PHONE,
                    "is_mobile": True,
                    "has_touch": True,
                    "geolocation": {"longitude": lon, "latitude": lat, "accuracy": 10},
                    "permissions": ["geolocation"],
                }
            else:
                options["viewport"] = {"width": 1600, "height": 900}
            page = browser.new_context(**options).new_page()
            page.on("pageerror", lambda e: errors.append(f"{username}: {e}"))
            login(page, url, username, passwords[username], path=path)
            return page

        yield {"url": url, "open_as": open_as, "errors": errors, "cell": cell}
        browser.close()


def test_report_dispatch_handle_verify_close_with_the_wall_following(world):
    open_as = world["open_as"]
    wall = open_as("operator", "/screen", phone=False)
    wall.wait_for_selector("#screen-map[data-drawn]", timeout=90_000)

    # 1. the grid worker reports on the phone, with a photo
    worker = open_as("gridworker", "/field", phone=True)
    worker.wait_for_selector("#field-report-where .field-note.ok", timeout=20_000)
    worker.fill("#field-cat-search", "ljmy")
    worker.wait_for_function(
        "() => document.querySelector('#field-cat-list label')?.innerText.includes('垃圾满溢')"
    )
    worker.locator("#field-cat-list label").first.click()
    worker.fill("#field-report-text", "闭环测试：垃圾桶满溢")
    worker.locator("#field-report-photos input[type=file]").set_input_files(
        files=[{"name": "before.jpg", "mimeType": "image/jpeg", "buffer": _jpeg((200, 60, 40))}]
    )
    worker.wait_for_selector("#field-report-photo-list img.field-thumb")
    worker.click("#field-report-submit")
    worker.wait_for_selector("#field-report-message .field-note.ok", timeout=20_000)
    case_id = re.search(r"C\d{8}-\d{6}", worker.inner_text("#field-report-message")).group(0)

    # the wall: in the feed and on the map, as reported
    wall.wait_for_selector(f"#screen-feed li[data-id='{case_id}']", timeout=20_000)
    _wall_shows(wall, case_id, "上报")

    # 2. the dispatcher: accept, register, dispatch as suggested (one click each)
    desk = open_as("dispatcher", "/dispatch", phone=False)
    desk.fill("#dispatch-f-text", case_id)
    desk.click(f".ag-row[row-id='{case_id}'] [col-id='case_id']", timeout=20_000)
    desk.wait_for_selector(f"#dispatch-pane-case-id:text-is('{case_id}')")
    desk.wait_for_selector("#dispatch-pane .photos img")  # the grid worker's photo
    for action, stage in (("accept", "accepted"), ("register", "registered")):
        desk.click(f"#dispatch-act-{action}")
        desk.wait_for_selector(f"#dispatch-pane-stage[data-stage='{stage}']", timeout=15_000)
    _wall_shows(wall, case_id, "立案")
    assert "湘桥区城市管理和综合执法局" in desk.inner_text("#dispatch-suggested-unit")
    desk.click("#dispatch-act-dispatch")
    desk.wait_for_selector("#dispatch-pane-stage[data-stage='dispatched']", timeout=15_000)
    _wall_shows(wall, case_id, "派遣")

    # 3. the district's urban-management handler: start, then handled with a photo
    handler = open_as("xq_cg", "/field", phone=True)
    card = f"#field-task-list button:has-text('{case_id}')"
    handler.wait_for_selector(card, timeout=20_000)
    handler.click(card)
    handler.click("#field-task-buttons button:has-text('开始处置')")
    handler.wait_for_selector("#field-task-buttons button:has-text('处置完成')")
    _wall_shows(wall, case_id, "处置")
    handler.locator("#field-task-photo input[type=file]").set_input_files(
        files=[{"name": "after.jpg", "mimeType": "image/jpeg", "buffer": _jpeg((40, 160, 60))}]
    )
    handler.wait_for_selector("#field-task-photo-list img.field-thumb")
    handler.click("#field-task-buttons button:has-text('处置完成')")
    handler.wait_for_function(
        "() => document.querySelector('#field-task-message')?.innerText.includes('处置反馈')"
    )
    _wall_shows(wall, case_id, "处置反馈")

    # 4. the grid worker verifies on site, before and after side by side
    worker.click(".field-tab:has-text('任务')")
    card = f"#field-task-list button:has-text('{case_id}')"
    worker.wait_for_selector(card, timeout=40_000)
    worker.click(card)
    worker.wait_for_selector("#field-task-detail .field-before-after")
    assert worker.locator("#field-task-detail .field-photo-col img").count() == 2
    worker.click("#field-task-buttons button:has-text('核查通过')")
    worker.wait_for_function(
        "() => document.querySelector('#field-task-message')?.innerText.includes('核查')"
    )
    _wall_shows(wall, case_id, "核查")

    # 5. the dispatcher closes it: it leaves the wall's map of open cases
    desk.click(f".ag-row[row-id='{case_id}'] [col-id='case_id']")
    desk.wait_for_selector("#dispatch-pane-stage[data-stage='verified']", timeout=20_000)
    assert desk.locator("#dispatch-pane .photos img").count() == 2  # before and after
    desk.click("#dispatch-act-close")
    desk.wait_for_selector("#dispatch-pane-stage[data-stage='closed']", timeout=15_000)
    _wall_shows(wall, case_id, None)
    case = desk.context.request.get(f"{world['url']}/api/v1/cases/{case_id}").json()
    assert case["stage"] == "closed"
    assert [h["action"] for h in case["history"]] == [
        "report", "accept", "register", "dispatch", "start", "feedback", "verify_ok", "close"
    ]  # fmt: skip
    assert {p["kind"] for p in case["photos"]} == {"report", "handled"}
    assert world["errors"] == []
