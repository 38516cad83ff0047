"""The leader cockpit in real headless Chromium over a demo city with 60 days of cases: the
leader opens /cockpit, sees the city score and the charts drawn, changes the period (a bad
one is a message), clicks an indicator and gets the cases behind it (as many as the figure
says), opens one and reads its card. The wall (1920×1080) needs no scrolling; the desk
(1440×900) never scrolls sideways. Screenshots: docs/screens/cockpit-1920x1080.png and
cockpit-1440x900.png. Nothing is fetched from elsewhere."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.browser import chromium, login, served
from tests.conftest import ROOT, SECRET, demo_passwords, write_config

pytestmark = pytest.mark.browser
SCREENS = ROOT / "docs" / "screens"
INDICATOR = "governance.registered"  # every case registered in the period


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo city whose database holds 60 days of case history (as `cityops init` makes)
    and last month's report (the schedule is off: the test knows what is kept)."""
    from app.cli import main

    folder = tmp_path_factory.mktemp("cockpit-demo")
    config = write_config(folder, demo={"history_days": 60}, reports={"enabled": False})
    assert main(["--config", str(config), "init"]) == 0
    assert main(["--config", str(config), "--user", "leader", "report", "monthly"]) == 0
    return folder


def _figure(text: str) -> int:
    match = re.search(r"[\d,]+", text)
    assert match, text
    return int(match[0].replace(",", ""))


def _charts_drawn(page) -> None:
    """Every chart has drawn marks: the radar's area, trend lines, bars and heat squares."""
    page.wait_for_selector("#cockpit-radar .scatterlayer path", timeout=30_000)
    page.wait_for_selector("#cockpit-trends .scatterlayer .trace path", timeout=30_000)
    page.wait_for_selector("#cockpit-categories .barlayer .point path", timeout=30_000)
    page.wait_for_selector("#cockpit-heat .gl-container canvas, #cockpit-heat .scattergl",
                           state="attached", timeout=30_000)  # fmt: skip


def _no_sideways_scroll(page) -> None:
    widths = page.evaluate(
        "(() => { const d = document.documentElement, c = document.querySelector('.content');"
        " return [d.scrollWidth, d.clientWidth, c.scrollWidth, c.clientWidth]; })()"
    )
    assert widths[0] <= widths[1] and widths[2] <= widths[3], widths


def test_a_leader_reads_the_month_and_drills_into_a_figure(city, tmp_path):
    password = demo_passwords(city)["leader"]
    outside_requests: list[str] = []
    with served(city, secret=SECRET) as url, chromium(tmp_path, width=1920, height=1080) as page:
        local = (url, "data:", "blob:")
        page.on("request", lambda r: r.url.startswith(local) or outside_requests.append(r.url))
        login(page, url, "leader", password, path="/cockpit")
        page.wait_for_selector(f"[data-indicator='{INDICATOR}']", timeout=60_000)
        assert page.inner_text("#cockpit-city-score").strip().isdigit()
        _charts_drawn(page)
        # last month's report is listed, and its link downloads it
        link = page.locator("#cockpit-reports a.ck-dl.pdf").first
        href = link.get_attribute("href")
        assert re.fullmatch(r"/api/v1/reports/monthly/\d{4}-\d{2}\.pdf", href or ""), href
        answer = page.request.get(url + href)
        assert answer.status == 200 and answer.body()[:4] == b"%PDF"

        # a custom span: this month so far, filled in when the kind is picked
        page.click(".ck-kinds label:has-text('自定义')")
        page.wait_for_selector("#cockpit-period-label:has-text('..')", timeout=30_000)
        assert page.locator("#cockpit-from").is_visible()
        page.click(".ck-kinds label:has-text('月') >> nth=0")
        page.wait_for_selector("#cockpit-value:visible", timeout=10_000)

        # the previous month, typed in the picker
        previous = page.evaluate(
            "(() => { const d = new Date(); d.setDate(1); d.setMonth(d.getMonth() - 1);"
            " return d.getFullYear() + '-' + String(d.getMonth() + 1).padStart(2, '0'); })()"
        )
        page.fill("#cockpit-value", "2026-13")
        page.press("#cockpit-value", "Enter")
        page.wait_for_selector("#cockpit-message .msg.err", timeout=15_000)
        assert "2026-13" in page.inner_text("#cockpit-message")
        page.fill("#cockpit-value", previous)
        page.press("#cockpit-value", "Enter")
        page.wait_for_selector(f"#cockpit-period-label:has-text('{previous}（')", timeout=30_000)
        tile = page.locator(f"[data-indicator='{INDICATOR}']")
        _charts_drawn(page)
        page.wait_for_timeout(800)  # plotly's transitions settle
        assert page.evaluate("document.documentElement.scrollHeight") <= 1080
        page.screenshot(path=str(SCREENS / "cockpit-1920x1080.png"))

        # the figure -> its cases: the list is as long as the figure
        figure = _figure(tile.locator(".ck-ind-value").inner_text())
        assert figure > 0
        tile.click()
        page.wait_for_selector("#cockpit-drill-count", timeout=30_000)
        assert page.get_attribute("#cockpit-drill-count", "data-n") == str(figure)
        assert page.inner_text("#cockpit-drill-count") == f"共 {figure} 件案件"
        page.wait_for_selector(".ck-cases .ag-row[row-index='0']", timeout=15_000)
        shown = page.evaluate("dash_ag_grid.getApi('cockpit-cases').getDisplayedRowCount()")
        assert shown == figure

        # a case -> its card
        first = page.locator(".ck-cases .ag-row[row-index='0'] [col-id='case_id']")
        case = first.inner_text().strip()
        first.click()
        page.wait_for_selector(f"#cockpit-card-id:text-is('{case}')", timeout=15_000)
        assert "办理过程" in page.inner_text("#cockpit-card")
        page.screenshot(path=str(tmp_path / "cockpit-drill.png"))
        page.click("#cockpit-drill-close")
        page.wait_for_selector("#cockpit-drill.hidden", state="attached", timeout=10_000)

        # a department's figure drills into its cases (the department ranking's ids)
        page.click(".ck-rank-panel .ck-kinds label:has-text('部门')")
        dept_fig = "#cockpit-ranking .ck-fig[id*='department']"
        page.wait_for_selector(dept_fig, timeout=30_000)
        names = page.locator("#cockpit-ranking .ck-rank-name").all_inner_texts()
        assert names and all("村" not in n for n in names), names  # departments, not villages
        fig = page.locator(dept_fig).first
        wanted = _figure(fig.inner_text())
        fig.click()
        page.wait_for_selector("#cockpit-drill:not(.hidden) #cockpit-drill-count",
                               timeout=30_000)  # fmt: skip
        assert page.get_attribute("#cockpit-drill-count", "data-n") == str(wanted)
        page.click("#cockpit-drill-close")
        page.wait_for_selector("#cockpit-drill.hidden", state="attached", timeout=10_000)

        # the desk: 1440×900, no sideways scrolling
        page.set_viewport_size({"width": 1440, "height": 900})
        page.reload()
        page.wait_for_selector(f"[data-indicator='{INDICATOR}']", timeout=60_000)
        _charts_drawn(page)
        page.wait_for_timeout(800)
        _no_sideways_scroll(page)
        page.screenshot(path=str(SCREENS / "cockpit-1440x900.png"))

        # in English the dimension tiles' names are whole (wrapped, never cut) on the wall
        page.set_viewport_size({"width": 1920, "height": 1080})
        page.goto(url + "/lang/en?next=/cockpit")
        page.wait_for_selector(f"[data-indicator='{INDICATOR}']", timeout=60_000)
        page.wait_for_selector(".ck-dim-name", timeout=30_000)
        cut = page.evaluate(
            "[...document.querySelectorAll('.ck-dim-name')]"
            ".filter(e => e.scrollWidth > e.clientWidth + 1 || e.scrollHeight > e.clientHeight + 1)"
            ".map(e => e.textContent)"
        )
        assert cut == [], cut
        assert "City score" in page.inner_text(".ck-city-label")
        _charts_drawn(page)
        page.wait_for_timeout(800)
        page.screenshot(path=str(tmp_path / "cockpit-en.png"))
    assert outside_requests == []


def test_a_district_leaders_score_is_the_districts(city, tmp_path):
    password = demo_passwords(city)["district_leader"]
    with served(city, secret=SECRET) as url, chromium(tmp_path, width=1920, height=1080) as page:
        login(page, url, "district_leader", password, path="/cockpit")
        page.wait_for_selector(f"[data-indicator='{INDICATOR}']", timeout=60_000)
        assert page.inner_text(".ck-city-label").strip() == "区域运行指数"
        _charts_drawn(page)
        page.wait_for_timeout(800)
        page.screenshot(path=str(tmp_path / "cockpit-district.png"))
