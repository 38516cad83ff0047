"""MQTT ingest that never stalls, dies unseen or trusts a wrong clock (issue 9, defects 2 and 9).

Real mosquitto, real DuckDB copies of the demo city; failures are real (a CHECK constraint the
store enforces) or injected at the seams the consumer offers (locator, after-batch hook).
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

import pytest

from app.runtime import Background
from ingest.locate import store_locator
from ingest.mqtt.consumer import MqttIngest
from models.store import Store
from tests.broker import INGEST, mosquitto
from tests.ingest.mqtt_helpers import P, publish_all, wait_until


def _now_iso(**delta: float) -> str:
    return (datetime.now(UTC) + timedelta(**delta)).isoformat()


def _obs(i: int, sensor: str = "AIR-001", kind: str = "air", **values: float) -> tuple[str, bytes]:
    body = {"id": f"ok-{i}", "ts": _now_iso(seconds=-i), "values": values or {"pm25": 30.0 + i}}
    return f"{P}/obs/{kind}/{sensor}", json.dumps(body).encode()


def _traffic(msg_id: str, segment: str, occupancy: float) -> tuple[str, bytes]:
    body = {
        "id": msg_id,
        "ts": _now_iso(),
        "speed_kmh": 30.0,
        "flow_vph": 900,
        "occupancy": occupancy,
    }
    return f"{P}/traffic/{segment}", json.dumps(body).encode()


def _report(msg_id: str, ts: str, lon: float = 116.6465) -> tuple[str, bytes]:
    body = {
        "id": msg_id,
        "ts": ts,
        "source": "grid_worker",
        "category": "0201",
        "lon": lon,
        "lat": 23.6707,
        "text": "道路不洁",
        "reporter": "GW445102007002-01",
    }
    return f"{P}/reports", json.dumps(body, ensure_ascii=False).encode()


@pytest.fixture
def env(demo_copy, tmp_path):
    """A factory of started ingests over one demo copy and one broker; all stopped at the end."""
    folder = demo_copy()
    store = Store(folder / "cityops.duckdb")
    started: list[MqttIngest] = []
    with mosquitto(tmp_path / "broker") as port:

        def make(**options) -> MqttIngest:
            options.setdefault("locate", store_locator(store))
            ingest = MqttIngest(
                store,
                host="127.0.0.1",
                port=port,
                client_id=f"robust-{len(started)}",
                username=INGEST[0],
                password=INGEST[1],
                topic_prefix=P,
                batch_rows=500,
                batch_ms=200,
                **options,
            )
            ingest.start()
            started.append(ingest)
            assert wait_until(lambda: ingest.stats.connected, timeout_s=10)
            return ingest

        yield store, make, port, folder
        for ingest in started:
            ingest.stop()
    store.close()


def _dead(store: Store) -> list[tuple[str, str]]:
    return store.query_rows("SELECT topic, reason FROM dead_letters ORDER BY dead_letter_id")


def test_a_reading_from_the_future_and_an_ancient_report_are_dead_letters(env):
    store, make, port, _ = env
    ingest = make()
    sensor = store.query_value(
        "SELECT coalesce(max(sensor_id) FILTER (sensor_id = 'SMOKE-002'), min(sensor_id)) "
        "FROM sensors WHERE kind = 'smoke'"
    )
    future = {"id": "smoke-2099", "ts": "2099-01-01T00:00:00+08:00", "values": {"smoke": 0}}
    topic = f"{P}/obs/smoke/{sensor}"
    publish_all(
        port,
        [
            (topic, json.dumps(future).encode()),
            _report("rep-2000", "2000-01-01T09:00:00+08:00"),
        ],
    )
    assert wait_until(lambda: ingest.stats.received >= 2, timeout_s=20)
    assert store.query_value("SELECT count(*) FROM observations WHERE msg_id = 'smoke-2099'") == 0
    assert store.query_value("SELECT count(*) FROM cases WHERE external_id = 'mqtt:rep-2000'") == 0
    reasons = dict(_dead(store))
    assert "ingest.max_clock_skew_s" in reasons[topic]
    assert "ingest.max_age_days" in reasons[f"{P}/reports"]
    # the sensor's newest time is not stuck in 2099: a reading of now moves it
    now_reading = {"id": "smoke-now", "ts": _now_iso(), "values": {"smoke": 1}}
    publish_all(port, [(topic, json.dumps(now_reading).encode())])
    assert wait_until(lambda: ingest.stats.received >= 3, timeout_s=20)
    seen = store.query_value("SELECT last_seen FROM sensors WHERE sensor_id = ?", [sensor])
    assert seen is not None and seen.year < 2099


def test_a_message_the_store_refuses_is_dead_lettered_and_its_batch_mates_commit(env):
    store, make, port, _ = env
    segment = store.query_value("SELECT min(segment_id) FROM sensors WHERE kind = 'traffic'")

    def constrain(tx) -> None:  # a real constraint of the real store refuses one value
        tx.execute("DROP TABLE traffic_samples")
        tx.execute(
            "CREATE TABLE traffic_samples (msg_id VARCHAR PRIMARY KEY, segment_id VARCHAR NOT "
            "NULL, ts TIMESTAMP NOT NULL, speed_kmh DOUBLE, flow_vph DOUBLE, occupancy DOUBLE "
            "CHECK (occupancy < 0.99), received_at TIMESTAMP NOT NULL)"
        )

    store.write(constrain)
    ingest = make()
    good = [_obs(i) for i in range(150)] + [_traffic(f"tr-{i}", segment, 0.4) for i in range(40)]
    messages = good[:100] + [_traffic("poison", segment, 0.995)] + good[100:]
    publish_all(port, messages)
    assert wait_until(lambda: ingest.stats.received >= len(messages), timeout_s=30), ingest.stats
    assert store.query_value("SELECT count(*) FROM observations WHERE msg_id LIKE 'ok-%'") == 150
    assert store.query_value("SELECT count(*) FROM traffic_samples") == 40
    dead = _dead(store)
    assert len(dead) == 1 and "constraint" in dead[0][1].lower(), dead
    assert dead[0][0] == f"{P}/traffic/{segment}"
    health = ingest.health()
    assert health["worker_alive"] and health["queue_depth"] == 0
    assert ingest.stats.committed == len(messages) - 1 and ingest.stats.dead_letters == 1


def test_a_row_builder_failure_dead_letters_only_its_message(env):
    store, make, port, _ = env
    real = store_locator(store)

    def locate(lon, lat):
        if any(abs(x - 116.5) < 1e-9 for x in lon):
            raise RuntimeError("locator broke on this point")
        return real(lon, lat)

    ingest = make(locate=locate)
    messages = [_report(f"rep-{i}", _now_iso(seconds=-i)) for i in range(12)]
    messages.insert(5, _report("rep-bad", _now_iso(), lon=116.5))
    publish_all(port, messages)
    assert wait_until(lambda: ingest.stats.received >= 13, timeout_s=30), ingest.stats
    assert store.query_value("SELECT count(*) FROM cases WHERE external_id LIKE 'mqtt:rep-%'") == 12
    dead = _dead(store)
    assert len(dead) == 1 and "locator broke" in dead[0][1]
    assert ingest.health()["worker_alive"] and ingest.stats.restarts == 0


class _Crash(BaseException):
    """Escapes every ``except Exception``: the worker thread dies of it."""


def test_a_dead_worker_is_restarted_and_health_tells_the_truth(env):
    store, make, port, folder = env
    from app.server import create_app
    from models.config import load_config
    from tests.app.test_auth import login
    from tests.conftest import SECRET, demo_passwords

    crashing = threading.Event()
    crashing.set()

    def after_batch(rows) -> None:
        if crashing.is_set():
            raise _Crash("worker dies")

    previous_hook = threading.excepthook
    threading.excepthook = lambda args: None  # the crash is expected; keep the output clean
    try:
        ingest = make(after_batch=after_batch, stall_after_s=1.0)
        config = load_config(folder / "config.yaml", environ={"CITYOPS_SECRET_KEY": SECRET})
        app = create_app(config, store, background=Background(ingest=ingest))
        client = app.server.test_client()
        assert client.get("/health").status_code == 200
        # the ingest details are an admin's (/health itself says only up or down)
        password = demo_passwords(folder)["admin"]
        assert login(client, "admin", password).status_code == 302
        publish_all(port, [_obs(i) for i in range(20)])
        # the same batch keeps killing the worker: it is restarted each time, the batch is
        # still held (not acknowledged), and health says degraded with a reason
        assert wait_until(lambda: ingest.stats.restarts >= 2, timeout_s=30)

        def degraded() -> bool:
            response = client.get("/health")
            return response.status_code == 503 and response.json["status"] == "degraded"

        assert wait_until(degraded, timeout_s=30)
        body = client.get("/health/details").json
        mqtt = body["ingest"]["mqtt"]
        assert mqtt["restarts"] >= 2 and mqtt["queue_depth"] >= 1
        assert any("stalled" in p or "worker" in p for p in body["ingest"]["problems"])
        crashing.clear()  # the cause goes away: the held batch commits, health recovers
        assert wait_until(lambda: client.get("/health").status_code == 200, timeout_s=30)
        body = client.get("/health/details").json
        assert body["status"] == "ok" and body["ingest"]["mqtt"]["queue_depth"] == 0
        assert body["ingest"]["mqtt"]["worker_alive"] is True
        assert body["ingest"]["mqtt"]["last_commit_at"] is not None
        assert store.query_value("SELECT count(*) FROM observations WHERE msg_id LIKE 'ok-%'") == 20
    finally:
        threading.excepthook = previous_hook


def test_write_in_parts_finds_every_bad_message_and_keeps_order():
    from ingest.mqtt.split import write_in_parts

    bad = {3, 4, 17}
    done: list[tuple[int, int, str]] = []

    def write(lo: int, hi: int) -> str:
        if bad & set(range(lo, hi)):
            raise ValueError("refused")
        return "rows"

    end = write_in_parts(
        0,
        20,
        write=write,
        refuse=lambda at, exc: f"dead:{exc}",
        committed=lambda *a: done.append(a),
    )
    assert end == 20
    assert [d for d in done if d[2].startswith("dead")] == [
        (3, 4, "dead:refused"), (4, 5, "dead:refused"), (17, 18, "dead:refused"),
    ]  # fmt: skip
    covered = [i for lo, hi, _ in done for i in range(lo, hi)]
    assert covered == list(range(20))  # every message once, in arrival order

    def refuse_nothing(at: int, exc: Exception) -> str:
        raise OSError("disk full")

    done.clear()
    assert write_in_parts(0, 20, write=write, refuse=refuse_nothing,
                          committed=lambda *a: done.append(a)) == 3  # fmt: skip
    assert [i for lo, hi, _ in done for i in range(lo, hi)] == [0, 1, 2]

    class Closed(Exception):
        pass

    def closed(lo: int, hi: int) -> str:
        raise Closed

    with pytest.raises(Closed):
        write_in_parts(0, 5, write=closed, refuse=lambda *a: "x", committed=lambda *a: None,
                       fatal=(Closed,))  # fmt: skip


def test_a_reading_of_an_unknown_sensor_and_a_position_of_an_unknown_unit_are_dead_letters(env):
    """Issue 10 part R (b): both were counted as committed and silently lost."""
    store, make, port, _ = env
    ingest = make()
    unit = store.query_value("SELECT min(resource_id) FROM resources")
    pos = {"id": "pos-x", "ts": _now_iso(), "lon": 116.6, "lat": 23.6, "status": "available"}
    ghost = {**pos, "id": "pos-ghost"}
    publish_all(
        port,
        [
            _obs(1, sensor="NOPE-XYZ"),
            _obs(2),  # AIR-001 is registered: its batch mate commits
            (f"{P}/units/{unit}/position", json.dumps(pos).encode()),
            (f"{P}/units/GHOST-1/position", json.dumps(ghost).encode()),
            (f"{P}/units/../position", json.dumps({**pos, "id": "pos-dots"}).encode()),
        ],
    )
    assert wait_until(lambda: ingest.stats.received >= 5, timeout_s=20)
    assert ingest.stats.dead_letters == 3 and ingest.stats.committed == 2
    reasons = dict(_dead(store))
    assert "unknown sensor" in reasons[f"{P}/obs/air/NOPE-XYZ"]
    assert "unknown unit" in reasons[f"{P}/units/GHOST-1/position"]
    assert "not a valid id" in reasons[f"{P}/units/../position"]
    payload = store.query_value(
        "SELECT payload FROM dead_letters WHERE topic = ?", [f"{P}/obs/air/NOPE-XYZ"]
    )
    assert json.loads(bytes(payload))["id"] == "ok-1"  # the message as received
    assert store.query_value("SELECT count(*) FROM observations WHERE sensor_id = 'NOPE-XYZ'") == 0
    assert store.query_value("SELECT count(*) FROM observations WHERE msg_id = 'ok-2'") == 1
    assert store.query_value("SELECT count(*) FROM unit_positions WHERE unit_id = 'GHOST-1'") == 0
    assert store.query_value("SELECT count(*) FROM unit_positions WHERE msg_id = 'pos-x'") == 1
