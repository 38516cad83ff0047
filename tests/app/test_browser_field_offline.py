"""The field app's outbox in real headless Chromium at 390×844: a report made with no network
is kept on the phone (IndexedDB, its photo as a Blob), survives a reload and is sent once
when the network is back; a report the server refuses (422) shows the reason and is not
retried; another user on the same phone neither sees nor sends it, its owner does on log-in."""

from __future__ import annotations

import subprocess
import sys
import uuid

import duckdb
import pytest

from tests.app.test_browser_field import PHONE, _jpeg
from tests.browser import CHROMIUM_FLAGS, chromium_path, login, served
from tests.conftest import ROOT, SECRET, demo_passwords

pytestmark = pytest.mark.browser

_OUTBOX_ITEMS = """() => new Promise((resolve) => {
  const open = indexedDB.open("cityops-field-outbox", 1);
  open.onsuccess = () => {
    const req = open.result.transaction("items").objectStore("items").getAll();
    req.onsuccess = () => resolve(req.result.map((i) => ({
      user: i.user, text: i.text, state: i.state, reason: i.reason, caseId: i.caseId,
      photos: i.photos.map((b) => (b instanceof Blob ? b.size : -1)),
    })));
  };
})"""


@pytest.fixture(scope="module")
def world(demo_copy):
    from playwright.sync_api import sync_playwright

    folder = demo_copy()
    con = duckdb.connect(str(folder / "cityops.duckdb"), read_only=True)
    lon, lat = con.execute(
        "SELECT g.centroid_lon, g.centroid_lat FROM grid_cells g, users u "
        "WHERE u.username = 'gridworker' AND g.cell_code = u.scope_codes[1] "
        "ORDER BY g.version_id DESC LIMIT 1"
    ).fetchone()
    con.close()
    passwords = demo_passwords(folder)
    with served(folder, secret=SECRET) as url, sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium_path(), headless=True, args=CHROMIUM_FLAGS
        )

        def phone():
            context = browser.new_context(
                viewport=PHONE,
                is_mobile=True,
                has_touch=True,
                locale="zh-CN",
                timezone_id="Asia/Shanghai",
                geolocation={"longitude": lon, "latitude": lat, "accuracy": 12},
                permissions=["geolocation"],
            )
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            return context, page, errors

        def log_in(page, username: str) -> None:
            login(page, url, username, passwords[username], path="/field")
            page.wait_for_selector("#field-root")
            page.wait_for_selector("#field-outbox", state="attached")

        def cli(user: str, *args: str) -> str:
            run = subprocess.run(
                [sys.executable, "-m", "app.cli", "--config", str(folder / "config.yaml"),
                 "--user", user, *args],
                cwd=ROOT, capture_output=True, text=True, timeout=60,
                env={"CITYOPS_SECRET_KEY": SECRET, "PATH": "/usr/bin:/bin"},
            )  # fmt: skip
            assert run.returncode == 0, run.stdout + run.stderr
            return run.stdout

        yield {"url": url, "phone": phone, "log_in": log_in, "cli": cli}
        browser.close()


def _fill(page, text: str, *, photo: bool = True) -> str:
    """Fill a report (垃圾满溢, ``text``, a photo); the chosen category's code."""
    page.wait_for_selector("#field-report-where .field-note.ok")
    page.fill("#field-cat-search", "ljmy")
    page.wait_for_function(
        "() => document.querySelector('#field-cat-list label')?.innerText.includes('垃圾满溢')"
    )
    page.locator("#field-cat-list label").first.click()
    page.fill("#field-report-text", text)
    if photo:
        page.locator("#field-report-photos input[type=file]").set_input_files(
            files=[{"name": "kept.jpg", "mimeType": "image/jpeg", "buffer": _jpeg((90, 90, 200))}]
        )
        page.wait_for_selector("#field-report-photo-list img.field-thumb")
    return page.locator("#field-cat-list input:checked").get_attribute("value")


def _keep_offline(context, page, text: str) -> str:
    code = _fill(page, text)
    context.set_offline(True)
    page.click("#field-report-submit")
    page.wait_for_selector("#field-report-message .field-note.warn")
    return code


def _cases(page, url: str, text: str) -> list[dict]:
    answer = page.context.request.get(f"{url}/api/v1/cases?q={text}")
    assert answer.ok, answer.text()
    return [c for c in answer.json()["items"] if c["description"] == text]


def test_kept_offline_then_sent_exactly_once(world):
    context, page, errors = world["phone"]()
    world["log_in"](page, "gridworker")
    text = f"离线上报-{uuid.uuid4().hex[:8]}"
    _keep_offline(context, page, text)
    assert "已保存在手机上" in page.inner_text("#field-report-message")
    page.wait_for_function(
        "() => document.getElementById('field-outbox')?.innerText.includes('待发送 1 条')"
    )
    # the form is cleared for the next report; the kept one holds its photo as a Blob
    assert page.input_value("#field-report-text") == ""
    items = page.evaluate(_OUTBOX_ITEMS)
    assert len(items) == 1 and items[0]["user"] == "gridworker" and items[0]["text"] == text
    assert items[0]["photos"][0] > 1000
    # a second tap while offline on the cleared form keeps nothing (no twin)
    page.click("#field-report-submit")
    page.wait_for_selector("#field-report-message .field-note.error")
    assert "请选择问题类别" in page.inner_text("#field-report-message")
    assert len(page.evaluate(_OUTBOX_ITEMS)) == 1
    context.set_offline(False)
    page.reload()
    page.wait_for_selector("#field-outbox", state="attached")
    # after the reload it is still there or already sent (online again): sent, once
    page.wait_for_function(f"async () => (await ({_OUTBOX_ITEMS})()).length === 0", timeout=20_000)
    page.wait_for_function(
        "() => !document.getElementById('field-outbox').innerText.includes('待发送')"
    )
    page.click("#field-report-submit")  # nothing kept, nothing more sent
    found = _cases(page, world["url"], text)
    assert len(found) == 1, found
    case = page.context.request.get(f"{world['url']}/api/v1/cases/{found[0]['id']}").json()
    assert [p["kind"] for p in case["photos"]] == ["report"], case["photos"]
    # the outbox's rules, one outcome at a time (assets/field-outbox.js, pure)
    verdicts = page.evaluate(
        """() => [{network: true}, {status: 201}, {status: 200}, {status: 401}, {status: 0},
            {status: 408}, {status: 429}, {status: 500}, {status: 503}, {status: 422},
            {status: 403}, {status: 409}].map(window.cityopsOutbox.verdict)"""
    )
    assert verdicts == ["retry", "sent", "sent", "login", "login", "retry", "retry", "retry",
                        "retry", "rejected", "rejected", "rejected"]  # fmt: skip
    steps = page.evaluate(
        """() => {
          const o = window.cityopsOutbox;
          const item = {id: "x", photos: ["a", "b"], caseId: null, state: "waiting"};
          const made = o.advance(item, "case", {status: 201}, "C1");
          const oneLeft = o.advance(made, "photo", {status: 201});
          const held = o.advance(oneLeft, "photo", {network: true});
          const done = o.advance(held, "photo", {status: 201});
          const no = o.advance(item, "case", {status: 422, reason: "unknown category"});
          const ahead = o.advance(item, "case", {status: 422,
            reason: "reported_at: 2026-01-01 00:00:00 UTC is 2 h ahead of the server clock"});
          const stillAhead = o.advance(ahead, "case", {status: 422, reason: ahead.reason ||
            "reported_at: 2026-01-01 00:00:00 UTC is 2 h ahead of the server clock"});
          return [made.caseId, made.done, oneLeft.photos.length, held.caseId, held.photos.length,
                  done.done, no.state, no.reason, o.due(no, "manual"),
                  o.due({state: "login"}, "tick"), o.due({state: "login"}, "load"),
                  ahead.state, ahead.noTime, stillAhead.state];
        }"""
    )
    assert steps == ["C1", False, 1, "C1", 1, True, "rejected", "unknown category", False,
                     False, True, "waiting", True, "rejected"]  # fmt: skip
    # a phone whose clock runs 2 h ahead: refused with that time, sent with the server's
    ahead = f"时钟超前-{uuid.uuid4().hex[:8]}"
    page.evaluate(
        """([text, lon, lat]) => new Promise((resolve) => {
          const open = indexedDB.open("cityops-field-outbox", 1);
          open.onsuccess = () => {
            const t = open.result.transaction("items", "readwrite");
            t.objectStore("items").put({id: crypto.randomUUID(), user: "gridworker",
              category: "0203", text, lon, lat, photos: [], caseId: null, state: "waiting",
              at: new Date(Date.now() + 2 * 3600 * 1000).toISOString()});
            t.oncomplete = resolve;
          };
        })""",
        [ahead, found[0]["lon"], found[0]["lat"]],
    )
    page.evaluate("() => window.cityopsOutbox.flush('manual')")
    page.wait_for_function(f"async () => (await ({_OUTBOX_ITEMS})()).length === 0", timeout=20_000)
    sent = _cases(page, world["url"], ahead)
    assert len(sent) == 1, sent
    assert errors == []
    context.close()


def test_a_server_answering_503_keeps_the_report(world):
    context, page, errors = world["phone"]()
    world["log_in"](page, "gridworker")
    text = f"服务不可用-{uuid.uuid4().hex[:8]}"
    _fill(page, text)

    def unavailable(route):
        if "field-report-submit.n_clicks" in (route.request.post_data or ""):
            route.fulfill(status=503, body="upstream down")
        else:
            route.continue_()

    page.route("**/_dash-update-component*", unavailable)
    page.click("#field-report-submit")
    page.wait_for_selector("#field-report-message .field-note.warn")
    assert "服务器暂时无法访问" in page.inner_text("#field-report-message")
    assert "待发送 1 条" in page.inner_text("#field-outbox")
    page.unroute("**/_dash-update-component*")
    page.click("#field-outbox-send")
    page.wait_for_function(
        "() => document.getElementById('field-outbox')?.innerText.includes('已补发')",
        timeout=20_000,
    )
    assert len(_cases(page, world["url"], text)) == 1
    assert errors == []
    context.close()


def test_a_refused_report_shows_the_reason_and_is_not_retried(world):
    context, page, errors = world["phone"]()
    world["log_in"](page, "gridworker")
    text = f"类别停用-{uuid.uuid4().hex[:8]}"
    code = _keep_offline(context, page, text)
    world["cli"]("admin", "category", "set", code, "enabled=false")
    try:
        context.set_offline(False)
        page.click("#field-outbox-send")
        page.wait_for_selector("#field-outbox .field-outbox-item.rejected", timeout=20_000)
        shown = page.inner_text("#field-outbox")
        assert "未被受理" in shown and code in shown, shown
        items = page.evaluate(_OUTBOX_ITEMS)
        assert [i["state"] for i in items] == ["rejected"] and items[0]["reason"]
        # not retried: the manual send and a reload leave it as it is
        page.click("#field-outbox-send")
        page.reload()
        page.wait_for_selector("#field-outbox .field-outbox-item.rejected")
        assert _cases(page, world["url"], text) == []
        # the worker deletes it
        page.click("#field-outbox .field-outbox-delete")
        page.wait_for_selector("#field-outbox.hidden", state="attached")
        assert page.evaluate(_OUTBOX_ITEMS) == []
    finally:
        world["cli"]("admin", "category", "set", code, "enabled=true")
    assert errors == []
    context.close()


def test_another_user_on_the_phone_does_not_see_or_send_it(world):
    context, page, errors = world["phone"]()
    world["log_in"](page, "gridworker")
    text = f"换人登录-{uuid.uuid4().hex[:8]}"
    _keep_offline(context, page, text)
    context.clear_cookies()  # the session ends: back online, the send is refused 401
    context.set_offline(False)
    page.click("#field-outbox-send")
    page.wait_for_selector("#field-outbox .field-outbox-item.login", timeout=20_000)
    assert "请重新登录" in page.inner_text("#field-outbox")
    world["log_in"](page, "admin")  # another worker logs in on the same phone
    page.wait_for_timeout(1500)  # time for a (wrong) send at load
    assert "待发送" not in page.inner_text("#field-root")
    assert page.evaluate(_OUTBOX_ITEMS)[0]["user"] == "gridworker"
    assert _cases(page, world["url"], text) == []
    # its owner logs in again: it is sent
    context.clear_cookies()
    world["log_in"](page, "gridworker")
    page.wait_for_function(
        "() => document.getElementById('field-outbox')?.innerText.includes('已补发')",
        timeout=20_000,
    )
    assert len(_cases(page, world["url"], text)) == 1
    assert errors == []
    context.close()
