"""Drill readings (issue 9, defect 10): ``"exercise": true`` on a sensor payload is accepted,
stored with the observation, and makes the alarm and the case it raises exercises."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from ingest.alarms import AlarmEngine
from ingest.locate import store_locator
from ingest.mqtt.consumer import MqttIngest
from ingest.payloads import Observation, Rejected, parse_message
from ingest.rows import build_rows
from models.rules import load_rules
from models.store import Store
from tests.broker import INGEST, mosquitto
from tests.ingest.mqtt_helpers import P, publish_all, wait_until


def _smoke(msg_id: str, sensor: str, ts: datetime, **extra: object) -> tuple[str, bytes]:
    body = {"id": msg_id, "ts": ts.isoformat(), "values": {"smoke": 1}, **extra}
    return f"{P}/obs/smoke/{sensor}", json.dumps(body).encode()


def test_observation_payload_accepts_the_exercise_flag_and_rows_keep_it():
    now = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
    drill = parse_message(*_smoke("d1", "SMOKE-001", now, exercise=True))
    real = parse_message(*_smoke("r1", "SMOKE-002", now))
    assert isinstance(drill, Observation) and drill.payload.exercise is True
    assert isinstance(real, Observation) and real.payload.exercise is False
    assert isinstance(parse_message(*_smoke("b1", "SMOKE-003", now, exercise="maybe")), Rejected)
    rows = build_rows(
        [drill, real], received_at=now.replace(tzinfo=None), locate=lambda x, y: (x, None)
    )
    table = rows.observations.to_pydict()
    assert dict(zip(table["msg_id"], table["exercise"], strict=True)) == {"d1": True, "r1": False}


@pytest.fixture
def ingest_env(demo_copy, tmp_path):
    folder = demo_copy()
    store = Store(folder / "cityops.duckdb")
    with mosquitto(tmp_path / "broker") as port:
        ingest = MqttIngest(
            store,
            locate=store_locator(store),
            host="127.0.0.1",
            port=port,
            client_id="test-exercise",
            username=INGEST[0],
            password=INGEST[1],
            topic_prefix=P,
            batch_rows=500,
            batch_ms=50,
        )
        ingest.start()
        assert wait_until(lambda: ingest.stats.connected, timeout_s=10)
        yield store, ingest, port
        ingest.stop()
    store.close()


def test_drill_reading_over_mqtt_raises_an_exercise_alarm_and_case(ingest_env):
    store, ingest, port = ingest_env
    drill_sensor, real_sensor = (
        r[0]
        for r in store.query_rows(
            "SELECT sensor_id FROM sensors WHERE kind = 'smoke' AND cell_code IS NOT NULL "
            "ORDER BY sensor_id LIMIT 2"
        )
    )
    now = datetime.now(UTC).replace(microsecond=0)
    engine = AlarmEngine(store, load_rules())
    engine.run_pass(now.replace(tzinfo=None) - timedelta(minutes=1))
    publish_all(
        port, [_smoke("x-1", drill_sensor, now, exercise=True), _smoke("x-2", real_sensor, now)]
    )
    assert wait_until(lambda: ingest.stats.received >= 2, timeout_s=30), ingest.stats
    assert wait_until(
        lambda: store.query_value("SELECT count(*) FROM observations WHERE msg_id LIKE 'x-%'") == 2,
        timeout_s=30,
    )
    engine.run_pass(now.replace(tzinfo=None) + timedelta(seconds=5))
    got = store.query_rows(
        "SELECT a.sensor_id, a.exercise, c.exercise FROM alarms a JOIN cases c USING (case_id) "
        "WHERE a.rule_id = 'smoke-detected' ORDER BY a.sensor_id"
    )
    assert sorted(got) == sorted([(drill_sensor, True, True), (real_sensor, False, False)])
