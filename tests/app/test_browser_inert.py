"""Script strings in what the wall renders stay inert in real headless Chromium.

Cases carrying ``<script>``, ``onerror`` and ``javascript:`` text come in the ways reports
come (a 12345 hotline file with description, address and caller; a report through the case
builder, like an Open311 or MQTT report) before the server starts; the test finds them in the
live feed, opens their cards by clicking the feed items, and checks that no dialog fired, no
injected element or handler exists in the DOM and the text is shown literally.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.broker import INGEST, mosquitto
from tests.browser import chromium, login, served
from tests.conftest import SECRET, demo_passwords, write_config

pytestmark = pytest.mark.browser

ADDRESS = "<img src=x onerror=alert('address')>东堤路12号"
DESCRIPTION = "<script>alert('description')</script>井盖缺失 javascript:alert(1)"
CALLER = "<svg onload=alert('caller')>"
REPORT_TEXT = "<img src=x onerror=alert('report')><a href=\"javascript:alert('link')\">点我</a>"

#: Any element of the page carrying an injected handler, a javascript: URL or our markup.
INJECTED = """() => {
  const bad = [];
  for (const el of document.querySelectorAll('*')) {
    for (const a of el.attributes) {
      const handler = /^on/i.test(a.name) || /^\\s*javascript:/i.test(a.value);
      if (handler) bad.push(el.outerHTML.slice(0, 120));
    }
  }
  for (const s of document.scripts) if (s.textContent.includes('alert(')) bad.push('script');
  for (const el of document.querySelectorAll('img[src="x"], svg[onload], a[href^="javascript"]'))
    bad.push(el.outerHTML.slice(0, 120));
  return bad;
}"""


def _seed(folder: Path) -> dict[str, str]:
    """A hotline file with script text in every text column, and one report by the builder."""
    from ingest.files import ingest_file
    from ingest.locate import store_locator
    from models.cases import report_case
    from models.geography import load_cells
    from models.security import parse_scope
    from models.store import Store

    now = datetime.now(UTC).replace(tzinfo=None)
    with Store(folder / "cityops.duckdb") as store:
        cells = load_cells(store, scope=parse_scope("street:445102007"))
        spots = [g.representative_point() for g in cells.geometry.iloc[:2]]
        local = (
            (now - timedelta(minutes=2))
            .replace(tzinfo=UTC)
            .astimezone(timezone(timedelta(hours=8)))
        )
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(
            [
                "工单编号",
                "受理时间",
                "问题分类",
                "问题描述",
                "经度",
                "纬度",
                "所属社区",
                "地址",
                "来电人",
            ]
        )
        writer.writerow(
            [
                "XSS-1",
                local.isoformat(timespec="seconds"),
                "0201",
                DESCRIPTION,
                spots[0].x,
                spots[0].y,
                "",
                ADDRESS,
                CALLER,
            ]
        )
        path = folder / "hotline_xss.csv"
        path.write_text(out.getvalue(), encoding="utf-8")
        result = ingest_file(store, path, now=now)
        assert result.status == "loaded", (result.reason, result.bad_rows)
        hotline = store.query_value("SELECT case_id FROM cases WHERE external_id = 'hotline:XSS-1'")
        reported = report_case(
            store,
            category_code="0201",
            lon=spots[1].x,
            lat=spots[1].y,
            at=now - timedelta(minutes=1),
            source="open311",
            actor="open311",
            role="operator",
            locate=store_locator(store),
            text=REPORT_TEXT,
        )
    return {"hotline": hotline, "report": reported.case_id}


@pytest.fixture(scope="module")
def wall(demo_copy, tmp_path_factory):
    folder = demo_copy()
    seeded = _seed(folder)
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
                dialogs: list[str] = []

                def dismiss(dialog) -> None:
                    dialogs.append(dialog.message)
                    dialog.dismiss()

                page.on("dialog", dismiss)
                page.set_viewport_size({"width": 1920, "height": 1080})
                login(page, url, "operator", demo_passwords(folder)["operator"])
                page.wait_for_selector("#screen-map[data-drawn]", timeout=90_000)
                yield {"page": page, "dialogs": dialogs, **seeded}


def _open_card(page, case_id: str) -> str:
    item = f"#screen-feed li[data-id='{case_id}']"
    page.wait_for_selector(item, timeout=30_000)
    page.click(item)
    page.wait_for_selector("#screen-card:not(.hidden)", timeout=20_000)
    page.wait_for_function(
        f"() => document.querySelector('#screen-card').innerText.includes('{case_id}')",
        timeout=20_000,
    )
    page.wait_for_timeout(1000)  # let any injected handler have its chance to run
    return page.inner_text("#screen-card")


def test_script_text_in_cases_stays_inert_and_literal(wall):
    page = wall["page"]
    feed_text = page.inner_text(f"#screen-feed li[data-id='{wall['hotline']}']")
    assert ADDRESS in feed_text  # the feed shows category · address, as text
    card = _open_card(page, wall["hotline"])
    assert DESCRIPTION in card and ADDRESS in card
    assert page.evaluate(INJECTED) == []
    page.click("#screen-card-close")
    page.wait_for_selector("#screen-card.hidden", state="attached", timeout=10_000)
    card = _open_card(page, wall["report"])
    assert REPORT_TEXT in card
    assert page.evaluate(INJECTED) == []
    # hovering the feed and the card's text runs nothing either
    page.hover(f"#screen-feed li[data-id='{wall['hotline']}']")
    page.hover("#screen-card")
    page.wait_for_timeout(500)
    assert wall["dialogs"] == []
    assert page.evaluate(INJECTED) == []
