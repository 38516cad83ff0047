"""MQTT → DuckDB through a real mosquitto: every topic, dead letters, dedupe, last-seen."""

from __future__ import annotations

import pytest

from ingest.locate import store_locator
from ingest.mqtt.consumer import MqttIngest
from ingest.time_window import TimeWindow
from models.store import Store
from tests.broker import CAP_FEED, INGEST, mosquitto
from tests.ingest.mqtt_helpers import P, obs, position, publish_all, report, traffic, wait_until


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
            client_id="test-ingest",
            username=INGEST[0],
            password=INGEST[1],
            topic_prefix=P,
            batch_rows=500,
            batch_ms=50,
            # the helpers' messages carry fixed 2026-11-24 times: no age limit here (the
            # window itself is tested in test_ingest_robustness.py)
            window=TimeWindow(max_age_days=36_500),
        )
        ingest.start()
        assert wait_until(lambda: ingest.stats.connected, timeout_s=10)
        yield store, ingest, port
        ingest.stop()
    store.close()


def test_every_topic_lands_with_cells_and_bad_input_in_dead_letters(ingest_env):
    store, ingest, port = ingest_env
    unit = store.query_value("SELECT min(resource_id) FROM resources WHERE kind = 'vehicle'")
    segment = store.query_value("SELECT min(segment_id) FROM sensors WHERE kind = 'traffic'")
    good = (
        [obs(i) for i in range(300)]
        + [report(i) for i in range(20)]
        + [traffic(i, segment) for i in range(50)]
        + [position(i, unit) for i in range(5)]
    )
    bad = [
        (f"{P}/obs/air/AIR-001", b"not json"),
        (f"{P}/reports", b'{"id": "r"}'),
        (f"{P}/obs/nonsense/X", b"{}"),
    ]
    publish_all(port, good + bad)
    total = len(good) + len(bad)
    assert wait_until(lambda: ingest.stats.received >= total, timeout_s=30), ingest.stats
    assert store.query_value("SELECT count(DISTINCT msg_id) FROM observations") == 300
    assert store.query_value("SELECT count(*) FROM observations") == 600  # two metrics each
    assert store.query_value("SELECT count(*) FROM traffic_samples") == 50
    assert store.query_value("SELECT count(*) FROM cases WHERE source = 'grid_worker'") == 20
    # reports near 牌坊街 are located in a cell of 湘桥区 on the current grid version
    rows = store.query_rows(
        "SELECT DISTINCT grid_version, district_code, length(cell_code) FROM cases"
    )
    assert rows == [(1, "445102", 15)]
    reported = "SELECT count(*) FROM case_transitions WHERE to_stage = 'reported'"
    assert store.query_value(reported) == 20
    assert store.query_rows("SELECT DISTINCT action, role FROM case_transitions") == [
        ("report", "grid_worker")
    ]
    # routed at ingest like any other report: 0201 道路不洁 → the district's 城管 bureau
    assert store.query_rows("SELECT DISTINCT assigned_unit FROM cases") == [("CG-445102",)]
    reasons = store.query_value(
        "SELECT any_value(detail) FROM case_events WHERE kind = 'route_suggested'"
    )
    assert "category 0201" in reasons
    assert store.query_value("SELECT count(*) FROM case_events") == 20
    assert store.query_value("SELECT count(*) FROM unit_positions WHERE cell_code IS NOT NULL") == 5
    moved = store.query_rows(
        "SELECT status, position_at FROM resources WHERE resource_id = ?", [unit]
    )
    assert moved[0][0] == "dispatched" and moved[0][1] is not None
    dead = store.query_rows("SELECT topic, reason FROM dead_letters ORDER BY dead_letter_id")
    assert len(dead) == 3
    assert "not JSON" in dead[0][1] and "ts" in dead[1][1] and "unknown sensor kind" in dead[2][1]
    seen = store.query_value("SELECT last_seen FROM sensors WHERE sensor_id = 'AIR-001'")
    assert str(seen) == "2026-11-24 01:30:00"
    # the detector on the segment counts as seen when its segment reports
    detector = store.query_rows(
        "SELECT last_seen FROM sensors WHERE kind = 'traffic' AND segment_id = ?", [segment]
    )
    assert [str(r[0]) for r in detector] == ["2026-11-24 00:15:00"]


def test_redelivered_ids_are_stored_once(ingest_env):
    store, ingest, port = ingest_env
    messages = [obs(i) for i in range(100)]
    publish_all(port, messages + messages + messages[:10])
    assert wait_until(lambda: ingest.stats.received >= 210, timeout_s=30)
    assert store.query_value("SELECT count(DISTINCT msg_id) FROM observations") == 100
    assert store.query_value("SELECT count(*) FROM observations") == 200
    publish_all(port, [report(1), report(1)])
    assert wait_until(lambda: ingest.stats.received >= 212, timeout_s=30)
    assert store.query_value("SELECT count(*) FROM cases") == 1
    assert store.query_value("SELECT count(*) FROM case_transitions") == 1


def test_cap_over_mqtt_is_stored_and_bad_cap_dead_lettered(ingest_env):
    from pathlib import Path

    store, ingest, port = ingest_env
    data = Path(__file__).parent / "data"
    xml = next(data.glob("*.xml")).read_bytes()
    publish_all(
        port,
        [
            (f"{P}/alerts/in", xml),
            (f"{P}/alerts/in", xml),
            (f"{P}/alerts/in", b"<alert><identifier>x</identifier></alert>"),
        ],
        user=CAP_FEED,
    )
    assert wait_until(lambda: ingest.stats.received >= 3, timeout_s=30)
    assert store.query_rows("SELECT direction, state FROM alerts") == [("in", "imported")]
    reason = store.query_value("SELECT reason FROM dead_letters")
    assert reason.startswith("CAP: ")


def test_older_position_does_not_move_a_unit_back(ingest_env):
    from datetime import UTC, datetime, timedelta

    store, ingest, port = ingest_env
    unit = store.query_value("SELECT min(resource_id) FROM resources WHERE kind = 'vehicle'")
    before = store.query_rows(
        "SELECT lon, lat, status FROM resources WHERE resource_id = ?", [unit]
    )
    publish_all(port, [position(1, unit, ts=datetime.now(UTC) - timedelta(days=3))])
    assert wait_until(lambda: ingest.stats.received >= 1, timeout_s=30)
    assert store.query_value("SELECT count(*) FROM unit_positions") == 1  # history kept
    after = store.query_rows("SELECT lon, lat, status FROM resources WHERE resource_id = ?", [unit])
    assert after == before  # but the live position stays the newer one
