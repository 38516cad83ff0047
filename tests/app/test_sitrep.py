"""The situation report (态势报告) of an incident: gathered from the store, rendered to PDF
(pdftotext finds the incident, its tasks, orders and timeline; the first page is drawn)."""

from __future__ import annotations

import shutil
import subprocess
from datetime import timedelta

import pytest

from app.reports.sitrep_pdf import render_sitrep_html, render_sitrep_pdf
from models.case_service import Actor
from models.clock import utcnow
from models.emergency.incidents import open_incident
from models.emergency.orders import Position, issue_order, record_acks, record_arrivals
from models.emergency.plan_tasks import activate_plan
from models.emergency.plans import load_plans
from models.emergency.sitrep import gather_sitrep
from models.security import Scope
from models.store import Store

BOSS = Actor("emergency", "emergency", Scope("city"))
SCENE = (116.6465, 23.6707)


@pytest.fixture(scope="module")
def incident(demo_copy):
    store = Store(demo_copy() / "cityops.duckdb")
    now = utcnow() - timedelta(hours=2)
    ident = open_incident(
        store,
        BOSS,
        now=now,
        incident_type="flood",
        level="III",
        title="西湖路段严重内涝",
        lon=SCENE[0],
        lat=SCENE[1],
        exercise=True,
    )
    activate_plan(store, BOSS, ident, plans=load_plans(), now=now)
    unit = store.query_value(
        "SELECT min(resource_id) FROM resources WHERE kind = 'team' AND status = 'available'"
    )
    order = store.write(
        lambda tx: issue_order(
            tx, incident_id=ident, unit_id=unit, actor="emergency", now=now, prefix="cityops/v1"
        )
    )
    store.write(lambda tx: record_acks(tx, [(unit, order, now + timedelta(minutes=1))]))
    store.write(
        lambda tx: record_arrivals(
            tx, [Position(unit, now + timedelta(minutes=12), *SCENE)], radius_m=150
        )
    )
    yield store, ident, unit
    store.close()


def test_the_sitrep_gathers_the_incident(incident) -> None:
    store, ident, unit = incident
    content = gather_sitrep(store, BOSS, ident, now=utcnow())
    assert content.incident["incident_id"] == ident and content.incident["tasks"]
    (order,) = content.orders
    assert order["unit"] == unit and order["status"] == "arrived"
    assert [u["unit"] for u in content.units] == [unit]
    assert sum(content.board["team"].values()) > 0
    kinds = [e["kind"] for e in content.incident["timeline"]]
    assert kinds[0] == "opened" and {"plan", "order", "ack", "arrived"} <= set(kinds)


def test_a_district_user_elsewhere_gets_no_sitrep(incident) -> None:
    from models.emergency.incident_rules import IncidentError

    store, ident, _ = incident
    other = Actor("e2", "emergency", Scope("district", ("445122",)))
    with pytest.raises(IncidentError) as info:
        gather_sitrep(store, other, ident, now=utcnow())
    assert info.value.status in (403, 404)


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils: make test")
def test_the_pdf_holds_the_incident_and_its_first_page_is_drawn(incident, tmp_path) -> None:
    store, ident, unit = incident
    content = gather_sitrep(store, BOSS, ident, now=utcnow())
    html = render_sitrep_html(content, city_zh="潮州市", tz="Asia/Shanghai")
    assert "西湖路段严重内涝" in html and "<svg" not in html  # the map is an <img>
    pdf = render_sitrep_pdf(content, city_zh="潮州市", tz="Asia/Shanghai")
    path = tmp_path / "sitrep.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout  # fmt: skip
    for words in ("西湖路段严重内涝", "突发事件态势报告", "预案任务", "力量调派", "时间线",
                  "【演练】", unit, ident):  # fmt: skip
        assert words in text, words
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(path),
                    str(tmp_path / "page")], check=True)  # fmt: skip
    page = next(tmp_path.glob("page*.png"))
    assert page.stat().st_size > 10_000
