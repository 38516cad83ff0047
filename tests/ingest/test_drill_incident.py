"""A drill's upstream CAP alert, imported as the ingest imports it, opens the incident the
response starts from: type from the event, level from the severity, the city's part of the
warning circle, an exercise; its plan activates."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from ingest.cap import CapAlertRecord, parse_cap
from ingest.cap_write import alert_row
from ingest.demo_city.anchors import PORT
from ingest.simulator.drills import cap_alert
from ingest.simulator.scenarios import make_scenario
from models.case_service import Actor
from models.config import load_config
from models.emergency.incident_sources import open_from_cap
from models.emergency.incidents import incident_detail
from models.emergency.plan_tasks import activate_plan
from models.emergency.plans import load_plans
from models.security import Scope
from models.store import Store

EMERGENCY = Actor("emergency", "emergency", Scope("city"))


@pytest.fixture(scope="module")
def store(demo_copy):
    folder = demo_copy()
    s = Store(load_config(folder / "config.yaml").database_path)
    yield s
    s.close()


def _import(store: Store, scenario, identifier: str) -> datetime:
    sent, xml = cap_alert(scenario, identifier)
    now = datetime.fromtimestamp(sent, UTC).replace(tzinfo=None)
    record = parse_cap(xml, now=now)
    assert isinstance(record, CapAlertRecord), record
    row = alert_row(record, xml)
    store.write(lambda tx: tx.execute(
        f"INSERT INTO alerts ({', '.join(row)}) VALUES ({', '.join('?' for _ in row)})",
        list(row.values())))  # fmt: skip
    return now


@pytest.mark.parametrize(
    ("kind", "place", "expected"),
    [
        ("typhoon", None, "typhoon"),
        ("chemical_leak", PORT, "hazardous_chemicals"),
        ("forest_fire", (116.64, 23.93), "forest_fire"),  # 凤凰山, the north
    ],
)
def test_a_drills_warning_opens_its_incident_and_plan(store, kind, place, expected):
    start = int(datetime(2026, 11, 24, 1, tzinfo=UTC).timestamp())
    scenario = make_scenario("typhoon", start, None)  # type: ignore[arg-type]
    if place is not None:
        scenario = replace(scenario, kind=kind, lon=place[0], lat=place[1])
    now = _import(store, scenario, f"drill-{kind}")
    incident_id = open_from_cap(store, EMERGENCY, f"drill-{kind}", now=now)
    row = incident_detail(store, EMERGENCY, incident_id, now=now)
    assert (row["incident_type"], row["level"], row["exercise"]) == (expected, "II", True)
    assert row["title"].startswith("【演练】") and row["area"] is not None
    assert row["district_code"] in ("445102", "445103", "445122")
    done = activate_plan(store, EMERGENCY, incident_id, plans=load_plans(), now=now)
    assert len(done["added"]) >= 10
