"""The emergency command screen in real headless Chromium with a real broker: the typhoon
drill's CAP warning arrives on ``alerts/in``; an emergency user opens an incident from it,
activates the plan, dispatches the nearest team with one click and sees the order acknowledged
and the team on scene as its radio reports (no reload); composes a warning, previews its reach,
saves the draft, which a second person (the leader) approves, and publishes it. Screenshots
docs/screens/emergency-1440x900.png and emergency-1920x1080.png are made."""

from __future__ import annotations

import json
import os
import queue
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from tests.broker import CAP_FEED, DEVICE, INGEST, SIMULATOR, mosquitto
from tests.browser import CHROMIUM_FLAGS, chromium_path, login, served
from tests.conftest import ROOT, SECRET, demo_passwords, write_config
from tests.ingest.mqtt_helpers import P, publish_all

pytestmark = pytest.mark.browser
SCREENS = ROOT / "docs" / "screens"
SHOTS = Path(os.environ.get("SCREENSHOT_DIR", ROOT / "screenshots"))
DESK = {"width": 1440, "height": 900}
WALL = {"width": 1920, "height": 1080}


def _iso(at: datetime) -> str:
    return at.replace(microsecond=0).isoformat()


def _typhoon_alert() -> tuple[str, bytes]:
    """The typhoon drill's upstream CAP warning (as the simulator sends it), sent now."""
    from ingest.simulator.drills import cap_alert
    from ingest.simulator.scenarios import make_scenario

    scenario = make_scenario("typhoon", int(time.time()) - 240, None)  # type: ignore[arg-type]
    _sent, xml = cap_alert(scenario, "SIM-BROWSER-CAP-typhoon")
    return f"{P}/alerts/in", xml.encode("utf-8")


def _positions(folder: Path) -> list[tuple[str, bytes]]:
    """A fresh position of every team and vehicle where it stands (the radios report in)."""
    con = duckdb.connect(str(folder / "cityops.duckdb"), read_only=True)
    rows = con.execute(
        "SELECT resource_id, lon, lat FROM resources WHERE kind IN ('team', 'vehicle') "
        "AND status = 'available' AND lon IS NOT NULL"
    ).fetchall()
    con.close()
    now = datetime.now(UTC)
    return [
        (f"{P}/units/{unit}/position",
         json.dumps({"id": f"pos-{unit}", "ts": _iso(now), "lon": lon, "lat": lat,
                     "status": "available"}).encode())
        for unit, lon, lat in rows
    ]  # fmt: skip


class Radios:
    """The units' radios on the broker (as the simulator): they receive dispatch orders."""

    def __init__(self, port: int) -> None:
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion

        self.orders: queue.Queue[tuple[str, dict]] = queue.Queue()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        self.client.username_pw_set(*SIMULATOR)
        subscribed = threading.Event()
        self.client.on_message = lambda c, u, m: self.orders.put(
            (m.topic.rsplit("/", 1)[-1], json.loads(m.payload))
        )
        self.client.on_subscribe = lambda *a: subscribed.set()
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        self.client.subscribe(f"{P}/dispatch/+", qos=1)
        assert subscribed.wait(10)

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


@pytest.fixture(scope="module")
def drill(demo_copy, tmp_path_factory):
    from playwright.sync_api import sync_playwright

    folder = demo_copy()
    positions = _positions(folder)
    passwords = demo_passwords(folder)
    SCREENS.mkdir(parents=True, exist_ok=True)
    SHOTS.mkdir(parents=True, exist_ok=True)
    with mosquitto(tmp_path_factory.mktemp("broker")) as port:
        write_config(
            folder,
            mqtt={"host": "127.0.0.1", "port": port, "embedded_fallback": False,
                  "username": INGEST[0]},
            refresh={"kpi_s": 2, "live_ms": 500},
        )  # fmt: skip
        env = {"CITYOPS_MQTT_PASSWORD": INGEST[1]}
        with served(folder, secret=SECRET, extra_env=env) as url, sync_playwright() as p:
            radios = Radios(port)
            browser = p.chromium.launch(
                executable_path=chromium_path(), headless=True, args=CHROMIUM_FLAGS
            )
            errors: list[str] = []

            def open_as(username: str, path: str = "/emergency"):
                context = browser.new_context(viewport=DESK, locale="zh-CN",
                                              timezone_id="Asia/Shanghai")  # fmt: skip
                page = context.new_page()
                page.on("pageerror", lambda e: errors.append(f"{username}: {e}"))
                login(page, url, username, passwords[username], path=path)
                return page

            # the radios report in (a device gateway), the weather bureau's feed warns; the
            # simulator's own login is the radios' (one connection per broker user)
            publish_all(port, positions, user=DEVICE)
            publish_all(port, [_typhoon_alert()], user=CAP_FEED)
            try:
                yield {"url": url, "open_as": open_as, "errors": errors, "port": port,
                       "radios": radios}  # fmt: skip
            finally:
                radios.close()
                browser.close()


def _tab(page, label: str) -> None:
    page.locator(".em-tab", has_text=label).click()


def _message(page, selector: str, words: str, before: str = "", timeout: int = 20_000) -> str:
    """The success message holding ``words`` once it differs from ``before``."""
    page.wait_for_function(
        "([sel, words, before]) => { const el = document.querySelector(sel + ' .msg.ok');"
        " return el && el.innerText.includes(words) && el.innerText !== before; }",
        arg=[selector, words, before],
        timeout=timeout,
    )
    return page.inner_text(selector)


def test_typhoon_drill_response_on_the_screen(drill):
    page = drill["open_as"]("emergency")
    page.wait_for_selector("#emergency-map[data-drawn]", timeout=90_000)

    # a new incident at a point clicked on the map (the form takes its longitude/latitude)
    page.click("#emergency-new-box summary")
    box = page.locator("#emergency-map").bounding_box()
    for dx, dy in ((0.5, 0.5), (0.45, 0.55), (0.55, 0.45), (0.4, 0.4), (0.6, 0.6)):
        page.mouse.click(box["x"] + dx * box["width"], box["y"] + dy * box["height"])
        if page.input_value("#emergency-new-lon"):
            break
    lon, lat = (
        float(page.input_value("#emergency-new-lon")),
        float(page.input_value("#emergency-new-lat")),
    )
    assert 116 < lon < 118 and 23 < lat < 25
    page.fill("#emergency-new-title", "地图取点：路面塌陷")
    page.click("#emergency-new-submit")
    first = _message(page, "#emergency-message", "已建立事件")
    made = first.split("已建立事件", 1)[1].strip().split()[0]
    page.wait_for_selector(f"#emergency-summary:has-text('{made}')", timeout=20_000)
    assert page.input_value("#emergency-new-lon") == ""  # emptied for the next one
    page.click("#emergency-new-box summary")

    # the drill's warning came in on alerts/in: open the incident from it
    page.wait_for_selector("#emergency-cap-list button:has-text('据此建立事件')", timeout=30_000)
    assert "台风" in page.inner_text("#emergency-cap-list")
    # pressed right after the list was redrawn: a press counts whatever the refresh does
    page.click("#emergency-cap-list button:has-text('据此建立事件')")
    opened = _message(page, "#emergency-message", "已建立事件", before=first)
    incident = opened.split("已建立事件", 1)[1].strip().split()[0]
    page.wait_for_selector(f"#emergency-list .em-item.is-selected[data-id='{incident}']")
    page.wait_for_selector(f"#emergency-summary:has-text('{incident}')", timeout=20_000)
    summary = page.inner_text("#emergency-summary")
    assert "台风" in summary and "演练" in summary and "II级" in summary

    # the plan: typhoon run cards of level II and below, due times on each
    page.click("#emergency-plan-activate")
    _message(page, "#emergency-message", "已启动")
    page.wait_for_selector("#emergency-tasks .em-task", timeout=20_000)
    assert page.locator("#emergency-tasks .em-task").count() >= 10
    assert "应于" in page.inner_text("#emergency-tasks")

    # the nearest team, one click
    _tab(page, "资源调度")
    first = page.locator("#emergency-nearest .em-cand:has(button)").first
    first.wait_for(timeout=30_000)
    unit = first.get_attribute("data-unit")
    assert "分钟" in first.inner_text()
    first.locator("button").click()
    _message(page, "#emergency-message", "下达调度指令")
    page.wait_for_selector("#emergency-orders tr[data-status='sent']", timeout=20_000)

    # the unit's radio gets the order, acknowledges it, drives there: the screen follows
    got, order = drill["radios"].orders.get(timeout=20)
    assert got == unit and order["incident_id"] == incident
    now = datetime.now(UTC)
    ack = {"id": f"ack-{order['order_id']}", "ts": _iso(now), "order_id": order["order_id"]}
    publish_all(drill["port"], [(f"{P}/dispatch/{unit}/ack", json.dumps(ack).encode())],
                user=DEVICE)  # fmt: skip
    page.wait_for_selector("#emergency-orders tr[data-status='acked']", timeout=30_000)
    there = {"id": f"at-{unit}", "ts": _iso(datetime.now(UTC)), "lon": order["lon"],
             "lat": order["lat"], "status": "on_scene"}  # fmt: skip
    publish_all(drill["port"], [(f"{P}/units/{unit}/position", json.dumps(there).encode())],
                user=DEVICE)  # fmt: skip
    page.wait_for_selector("#emergency-orders tr[data-status='arrived']", timeout=30_000)
    assert "到场" in page.inner_text("#emergency-orders")
    page.wait_for_function(
        "() => document.querySelector('#emergency-board td.n-on_scene') !== null", timeout=20_000
    )
    page.screenshot(path=str(SCREENS / "emergency-1440x900.png"))

    # the timeline has it all, exportable; cameras nearby open elsewhere, never here
    _tab(page, "时间线")
    page.wait_for_selector("#emergency-timeline .ev-arrived", timeout=20_000)
    assert "timeline.csv" in (page.get_attribute("#emergency-timeline-csv", "href") or "")
    _tab(page, "周边视频")
    links = page.locator("#emergency-cameras a")
    for i in range(links.count()):
        assert links.nth(i).get_attribute("target") == "_blank"
    assert page.locator("#emergency-cameras iframe, #emergency-cameras video").count() == 0

    # a warning: reach first, then the draft
    _tab(page, "预警发布")
    page.fill("#emergency-w-desc-zh", "受台风影响，古城区出现严重内涝，请居民远离低洼地带。")
    page.fill(
        "#emergency-w-desc-en", "Typhoon rain floods the old city: keep away from low ground."
    )
    page.click("#emergency-w-preview")
    page.wait_for_selector("#emergency-w-reach .em-reach-line", timeout=30_000)
    assert "影响网格" in page.inner_text("#emergency-w-reach")
    page.click("#emergency-w-draft")
    _message(page, "#emergency-w-message", "预警草稿")
    draft = page.locator("#emergency-w-list .em-warning[data-state='draft']").first
    draft.wait_for(timeout=20_000)
    identifier = draft.get_attribute("data-id")
    assert "须由另一人审核" in draft.inner_text()
    assert draft.locator("button:has-text('审核通过')").count() == 0  # never the author

    # the leader approves it on their own screen
    leader = drill["open_as"]("leader", f"/emergency?incident={incident}")
    _tab(leader, "预警发布")
    button = leader.locator(f".em-warning[data-id='{identifier}'] button:has-text('审核通过')")
    button.wait_for(timeout=30_000)
    button.click()
    _message(leader, "#emergency-w-message", "已审核通过")
    assert leader.locator("#emergency-w-draft").is_hidden()  # a leader composes nothing
    leader.close()

    # back on the emergency screen (no reload): publish
    publish = page.locator(f".em-warning[data-id='{identifier}'] button:has-text('发布')")
    publish.wait_for(timeout=30_000)
    publish.click()
    _message(page, "#emergency-w-message", "已发布")
    page.wait_for_selector(f".em-warning[data-id='{identifier}'][data-state='published']",
                           timeout=20_000)  # fmt: skip
    page.screenshot(path=str(SHOTS / "emergency-warning-1440x900.png"))

    page.set_viewport_size(WALL)
    _tab(page, "资源调度")
    page.wait_for_timeout(2500)
    assert page.evaluate("document.documentElement.scrollWidth") <= WALL["width"]
    page.screenshot(path=str(SCREENS / "emergency-1920x1080.png"))
    assert not drill["errors"], drill["errors"]
