"""A sensor rule's case is born like any other: through the one case builder (defect 8)."""

import json
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from ingest.alarms import AlarmEngine
from models.rules import load_rules
from models.store import Store
from tests.ingest.test_alarms import _levels

T0 = datetime(2026, 11, 23, 16, 20)  # 00:20 on the 24th in Beijing


@pytest.fixture
def store(demo_copy):
    folder = demo_copy()
    s = Store(folder / "cityops.duckdb")
    yield s
    s.close()


def test_an_alarm_case_has_the_one_id_scheme_route_event_and_first_transition(store):
    sensor, warning = store.query_rows(
        "SELECT sensor_id, warning_level FROM sensors WHERE kind = 'water_level' "
        "AND warning_level IS NOT NULL AND cell_code IS NOT NULL ORDER BY sensor_id LIMIT 1"
    )[0]
    engine = AlarmEngine(store, load_rules())
    engine.run_pass(T0 - timedelta(minutes=1))
    _levels(store, sensor, T0, 10, warning + 0.2, tag="high")
    engine.run_pass(T0 + timedelta(minutes=11))
    case_id, reported_at, reporter = store.query_rows(
        "SELECT c.case_id, c.reported_at, c.reporter FROM alarms a "
        "JOIN cases c USING (case_id) WHERE a.sensor_id = ? ORDER BY c.case_id LIMIT 1",
        [sensor],
    )[0]
    local = reported_at.replace(tzinfo=UTC).astimezone(ZoneInfo("Asia/Shanghai"))
    assert re.fullmatch(rf"C{local:%Y%m%d}-\d{{6}}", case_id), case_id
    assert reporter == sensor
    detail = json.loads(
        store.query_value(
            "SELECT detail FROM case_events WHERE case_id = ? AND kind = 'route_suggested'",
            [case_id],
        )
    )
    assert set(detail) >= {"unit", "assignee", "basis", "reasons", "duplicates"}
    first = store.query_rows(
        "SELECT seq, action, role, to_stage, note FROM case_transitions WHERE case_id = ?",
        [case_id],
    )
    assert first == [(1, "report", "operator", "reported", "raised by a sensor rule")]
