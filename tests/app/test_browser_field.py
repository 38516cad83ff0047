"""The field app in real headless Chromium at 390×844 (a phone: touch, GPS granted inside the
grid worker's cells): the grid worker reports with a photo, the dispatcher (through the CLI,
which runs in the server) dispatches it, the district's urban-management handler starts and
reports it handled with a photo, the grid worker verifies it seeing both photos; patrol
check-in; the duplicate warning. Screenshots go to docs/screens/."""

from __future__ import annotations

import io
import re
import subprocess
import sys

import duckdb
import pytest

from tests.browser import CHROMIUM_FLAGS, chromium_path, login, served
from tests.conftest import ROOT, SECRET, demo_passwords

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
SCREENS = ROOT / "docs" / "screens"


def _jpeg(color: tuple[int, int, int]) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (640, 480), color).save(buf, "JPEG", quality=85)
    return buf.getvalue()


@pytest.fixture(scope="module")
def world(demo_copy, tmp_path_factory):
    from playwright.sync_api import sync_playwright

    folder = demo_copy()
    con = duckdb.connect(str(folder / "cityops.duckdb"), read_only=True)
    first = con.execute(
        "SELECT scope_codes[1] FROM users WHERE username = 'gridworker'"
    ).fetchone()[0]
    lon, lat = con.execute(
        "SELECT centroid_lon, centroid_lat FROM grid_cells WHERE cell_code = ? "
        "ORDER BY version_id DESC LIMIT 1",
        [first],
    ).fetchone()
    con.close()
    passwords = demo_passwords(folder)
    with served(folder, secret=SECRET) as url, sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium_path(), headless=True, args=CHROMIUM_FLAGS
        )

        def phone(username: str):
            context = browser.new_context(
                viewport=PHONE,
                is_mobile=True,
                has_touch=True,
                device_scale_factor=2,
                locale="zh-CN",
                timezone_id="Asia/Shanghai",
                geolocation={"longitude": lon, "latitude": lat, "accuracy": 12},
                permissions=["geolocation"],
            )
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            login(page, url, username, passwords[username], path="/field")
            page.wait_for_selector("#field-root")
            return context, page, errors

        def cli(user: str, *args: str) -> str:
            run = subprocess.run(
                [sys.executable, "-m", "app.cli", "--config", str(folder / "config.yaml"),
                 "--user", user, *args],
                cwd=ROOT, capture_output=True, text=True, timeout=60,
                env={"CITYOPS_SECRET_KEY": SECRET, "PATH": "/usr/bin:/bin"},
            )  # fmt: skip
            assert run.returncode == 0, run.stdout + run.stderr
            return run.stdout

        yield {"url": url, "phone": phone, "cli": cli, "cell": first, "state": {}}
        browser.close()


def _no_sideways_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"page is {width} px wide"


def _small_targets(page) -> list[str]:
    """Visible buttons, tabs and inputs of the field app lower than 44 px."""
    targets = ", ".join(
        f"#field-root {s}"
        for s in ("button", ".field-tabs > label", ".field-cats > label",
                  "input:not([type=radio]):not([type=file])")
    )  # fmt: skip
    return page.evaluate(
        f"""() => [...document.querySelectorAll({targets!r})]
            .filter(e => e.offsetParent !== null)
            .map(e => [e.id || e.className || e.tagName, e.getBoundingClientRect().height])
            .filter(([, h]) => h < 44).map(([n, h]) => n + ':' + h)"""
    )


def test_grid_worker_reports_with_a_photo(world):
    context, page, errors = world["phone"]("gridworker")
    # GPS (granted, inside the worker's first cell) fills the position by itself
    page.wait_for_selector("#field-report-where .field-note.ok")
    assert world["cell"] in page.inner_text("#field-report-where")
    # the phone's camera: an image input asking for the back camera
    camera = page.locator("#field-report-photos input[type=file]")
    assert camera.get_attribute("capture") == "environment"
    assert camera.get_attribute("accept") == "image/*"
    # category by pinyin initials
    page.fill("#field-cat-search", "ljmy")
    page.wait_for_function(
        "() => document.querySelector('#field-cat-list label')?.innerText.includes('垃圾满溢')"
    )
    page.locator("#field-cat-list label").first.click()
    page.fill("#field-report-text", "桥东社区门口垃圾桶满溢")
    camera.set_input_files(
        files=[{"name": "before.jpg", "mimeType": "image/jpeg", "buffer": _jpeg((200, 60, 40))}]
    )
    page.wait_for_selector("#field-report-photo-list img.field-thumb")
    _no_sideways_scroll(page)
    assert _small_targets(page) == []
    # the small map draws the worker's cells (the one map component, static)
    page.wait_for_function(
        "() => document.getElementById('field-map')?.dataset.state === 'static'", timeout=20_000
    )
    page.screenshot(path=str(SCREENS / "field-390x844.png"))
    page.click("#field-report-submit")
    page.wait_for_selector("#field-report-message .field-note.ok", timeout=20_000)
    text = page.inner_text("#field-report-message")
    case_id = re.search(r"C\d{8}-\d{6}", text).group(0)
    assert "照片 1 张" in text, text
    # the form is cleared for the next report
    assert page.input_value("#field-report-text") == ""
    assert page.locator("#field-report-photo-list img").count() == 0
    world["state"]["case"] = case_id
    shown = world["cli"]("dispatcher", "case", "show", case_id)
    assert "CG-445102" in shown, shown  # 垃圾满溢 in the cell → the district's 城管
    assert errors == []
    context.close()


def test_duplicate_warning_before_sending(world):
    assert "case" in world["state"]
    context, page, errors = world["phone"]("gridworker")
    page.wait_for_selector("#field-report-where .field-note.ok")
    page.fill("#field-cat-search", "垃圾满溢")
    page.wait_for_function(
        "() => document.querySelector('#field-cat-list label')?.innerText.includes('最近')"
    )  # used a moment ago: first, marked recent
    page.locator("#field-cat-list label").first.click()
    page.click("#field-report-submit")
    page.wait_for_selector("#field-report-dupes-box:not(.hidden)")
    assert world["state"]["case"] in page.inner_text("#field-report-dupes")
    page.click("#field-report-cancel")
    page.wait_for_selector("#field-report-dupes-box.hidden", state="attached")
    assert "已取消" in page.inner_text("#field-report-message")
    # a tap on the small map moves the position there (and says it came from the map)
    page.wait_for_function("() => document.getElementById('field-map')?.dataset.state === 'static'")
    box = page.locator("#field-map").bounding_box()
    page.touchscreen.tap(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
    page.wait_for_function(
        "() => document.getElementById('field-report-where')?.innerText.includes('地图点选')"
    )
    assert "116.6" in page.inner_text("#field-report-where")
    assert errors == []
    context.close()


def test_handler_starts_and_reports_handled_with_a_photo(world):
    case_id = world["state"]["case"]
    for action in ("accept", "register"):
        world["cli"]("dispatcher", "case", "transition", case_id, action)
    world["cli"]("dispatcher", "case", "transition", case_id, "dispatch", "--unit", "CG-445102")
    context, page, errors = world["phone"]("xq_cg")
    card = f"#field-task-list button:has-text('{case_id}')"
    page.wait_for_selector(card)
    assert page.locator(".field-tab").count() == 0 or not page.is_visible(".field-tabs")
    page.click(card)
    page.wait_for_selector("#field-task-detail .field-photo")
    page.wait_for_function(
        "() => [...document.querySelectorAll('#field-task-detail .field-photo')]"
        ".some(i => i.complete && i.naturalWidth > 0)"
    )  # the grid worker's photo, before
    page.click("#field-task-buttons button:has-text('开始处置')")
    page.wait_for_selector("#field-task-message .field-note.ok")
    page.wait_for_selector("#field-task-buttons button:has-text('处置完成')")
    page.locator("#field-task-photo input[type=file]").set_input_files(
        files=[{"name": "after.jpg", "mimeType": "image/jpeg", "buffer": _jpeg((40, 160, 60))}]
    )
    page.wait_for_selector("#field-task-photo-list img.field-thumb")
    _no_sideways_scroll(page)
    assert _small_targets(page) == []
    page.locator("#field-task-buttons").scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENS / "field-handler-390x844.png"))
    page.click("#field-task-buttons button:has-text('处置完成')")
    page.wait_for_function(
        "() => document.querySelector('#field-task-message')?.innerText.includes('处置反馈')"
    )
    assert "未保存" not in page.inner_text("#field-task-message")
    assert "handled" in world["cli"]("dispatcher", "case", "show", case_id)
    assert errors == []
    context.close()


def test_grid_worker_verifies_seeing_before_and_after(world):
    case_id = world["state"]["case"]
    context, page, errors = world["phone"]("gridworker")
    page.click(".field-tab:has-text('任务')")
    card = f"#field-task-list button:has-text('{case_id}')"
    page.wait_for_selector(card)
    page.click(card)
    page.wait_for_selector("#field-task-detail .field-before-after")
    columns = page.locator("#field-task-detail .field-photo-col")
    assert columns.count() == 2
    for i in range(2):
        page.wait_for_function(
            f"() => [...document.querySelectorAll('#field-task-detail .field-photo-col')][{i}]"
            ".querySelector('img')?.naturalWidth > 0"
        )
    _no_sideways_scroll(page)
    page.screenshot(path=str(SCREENS / "field-verify-390x844.png"))
    page.click("#field-task-buttons button:has-text('核查通过')")
    page.wait_for_function(
        "() => document.querySelector('#field-task-message')?.innerText.includes('核查')"
    )
    assert "verified" in world["cli"]("dispatcher", "case", "show", case_id)
    assert errors == []
    context.close()


def test_patrol_check_in(world):
    context, page, errors = world["phone"]("gridworker")
    page.click(".field-tab:has-text('巡查')")
    page.wait_for_selector("#field-patrol-list .field-empty")
    page.fill("#field-patrol-note", "例行巡查")
    page.click("#field-patrol-button")
    page.wait_for_selector("#field-patrol-result .field-note.ok")
    assert world["cell"] in page.inner_text("#field-patrol-result")
    page.wait_for_selector("#field-patrol-list .field-checkin.ok")
    assert "例行巡查" in page.inner_text("#field-patrol-list")
    _no_sideways_scroll(page)
    assert errors == []
    context.close()
