"""Dispatch over a real broker: the order leaves through the outbox on the ingest's
connection, a unit (playing the simulator) receives it and acknowledges, drives to the scene;
an order nobody acknowledges is re-sent once and then flagged red."""

from __future__ import annotations

import json
import queue
import threading
from datetime import UTC, datetime, timedelta

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from ingest.locate import store_locator
from ingest.mqtt.consumer import MqttIngest
from ingest.mqtt.outbound import run_outbox, send_pending
from models.clock import utcnow
from models.emergency.orders import issue_order, orders_of, sweep_unacknowledged
from models.emergency.timeline import timeline
from models.store import Store
from tests.broker import INGEST, SIMULATOR, mosquitto
from tests.ingest.mqtt_helpers import P, publish_all, wait_until


@pytest.fixture
def env(demo_copy, tmp_path):
    store = Store(demo_copy() / "cityops.duckdb")
    now = utcnow()
    store.write(
        lambda tx: tx.execute(
            "INSERT INTO incidents (incident_id, incident_type, level, title, lon, lat, status, "
            "exercise, opened_at) VALUES ('I1', 'flood', 'III', '积水', 116.6465, 23.6707, "
            "'active', TRUE, ?)",
            [now],
        )
    )
    with mosquitto(tmp_path / "broker") as port:
        ingest = MqttIngest(
            store, locate=store_locator(store), host="127.0.0.1", port=port,
            client_id=INGEST[0], username=INGEST[0], password=INGEST[1], topic_prefix=P,
            batch_rows=200, batch_ms=50, arrival_radius_m=150,
        )  # fmt: skip
        ingest.start()
        assert wait_until(lambda: ingest.stats.connected, timeout_s=10)
        stop = threading.Event()
        sender = threading.Thread(
            target=run_outbox, args=(store, ingest.publish, stop), kwargs={"poll_s": 0.1}
        )
        yield store, port, sender
        stop.set()
        if sender.is_alive():
            sender.join(10)
        ingest.stop()
    store.close()


class Unit:
    """A unit's radio: receives its orders (as the simulator's broker user)."""

    def __init__(self, port: int, unit_id: str) -> None:
        self.orders: queue.Queue[dict] = queue.Queue()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        self.client.username_pw_set(*SIMULATOR)
        subscribed = threading.Event()
        self.client.on_message = lambda c, u, m: self.orders.put(json.loads(m.payload))
        self.client.on_subscribe = lambda *a: subscribed.set()
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        self.client.subscribe(f"{P}/dispatch/{unit_id}", qos=1)
        assert subscribed.wait(10)

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def _send(store: Store, unit: str) -> str:
    return store.write(
        lambda tx: issue_order(
            tx, incident_id="I1", unit_id=unit, actor="ops", now=utcnow(), prefix=P
        )
    )


def _iso(at: datetime) -> str:
    return at.replace(tzinfo=UTC).isoformat()


def test_order_ack_arrival_with_a_unit_on_the_broker(env) -> None:
    store, port, sender = env
    sender.start()
    unit_id = store.query_value(
        "SELECT min(resource_id) FROM resources WHERE kind = 'vehicle' AND status = 'available'"
    )
    unit = Unit(port, unit_id)
    try:
        order_id = _send(store, unit_id)
        order = unit.orders.get(timeout=15)
        assert order["order_id"] == order_id and order["incident_id"] == "I1"
        assert wait_until(
            lambda: (
                store.query_value("SELECT count(*) FROM mqtt_outbox WHERE sent_at IS NULL") == 0
            ),
            timeout_s=10,
        )
        now = utcnow()
        ack = {"id": f"ack-{order_id}", "ts": _iso(now), "order_id": order_id}
        on_the_way = {"id": "p1", "ts": _iso(now + timedelta(seconds=1)), "lon": 116.66,
                      "lat": 23.67, "status": "dispatched"}  # fmt: skip
        there = {"id": "p2", "ts": _iso(now + timedelta(seconds=2)), "lon": 116.6466,
                 "lat": 23.6707, "status": "on_scene"}  # fmt: skip
        publish_all(port, [
            (f"{P}/dispatch/{unit_id}/ack", json.dumps(ack).encode()),
            (f"{P}/units/{unit_id}/position", json.dumps(on_the_way).encode()),
            (f"{P}/units/{unit_id}/position", json.dumps(there).encode()),
        ], user=SIMULATOR)  # fmt: skip
        assert wait_until(lambda: orders_of(store, "I1")[0]["status"] == "arrived", timeout_s=15)
        row = orders_of(store, "I1")[0]
        assert row["acked_at"] is not None and row["arrived_at"] is not None
        assert row["unit_status"] == "on_scene"
        assert [e["kind"] for e in timeline(store, "I1")] == ["order", "ack", "arrived"]
    finally:
        unit.close()


def test_an_unacknowledged_order_is_resent_once_then_red(env) -> None:
    store, port, sender = env
    sender.start()
    unit_id = store.query_value(
        "SELECT min(resource_id) FROM resources WHERE kind = 'team' AND status = 'available'"
    )
    unit = Unit(port, unit_id)
    try:
        order_id = _send(store, unit_id)
        assert unit.orders.get(timeout=15)["order_id"] == order_id
        issued = orders_of(store, "I1")[0]["issued_at"]

        def sweep(after_s: int) -> dict[str, int]:
            at = issued + timedelta(seconds=after_s)
            return store.write(
                lambda tx: sweep_unacknowledged(tx, now=at, ack_timeout_s=60, prefix=P)
            )

        assert sweep(61) == {"resent": 1, "unacked": 0}
        again = unit.orders.get(timeout=15)  # the same order, delivered a second time
        assert again["order_id"] == order_id
        assert sweep(122) == {"resent": 0, "unacked": 1}
        assert orders_of(store, "I1")[0]["status"] == "unacked"
        assert unit.orders.empty()
    finally:
        unit.close()


def test_the_outbox_keeps_messages_while_the_connection_is_down(env) -> None:
    store, port, sender = env
    unit_id = store.query_value(
        "SELECT min(resource_id) FROM resources WHERE kind = 'team' AND status = 'available'"
    )
    _send(store, unit_id)
    done = send_pending(store, lambda topic, payload: None)  # not connected
    assert done == {"sent": 0, "failed": 0, "waiting": 1}
    sender.start()
    assert wait_until(
        lambda: store.query_value("SELECT count(*) FROM mqtt_outbox WHERE sent_at IS NULL") == 0,
        timeout_s=10,
    )  # the running sender delivers it once connected


def test_a_patrol_report_does_not_undo_a_dispatch(env) -> None:
    # a unit's radio keeps saying "available" until its crew has read the order: the order
    # stands (the unit is not offered again as available) until it is acked, arrived or
    # cancelled
    store, port, _sender = env
    unit_id = store.query_value(
        "SELECT min(resource_id) FROM resources WHERE kind = 'vehicle' AND status = 'available'"
    )
    _send(store, unit_id)
    now = utcnow()
    far = {"id": "p-far", "ts": _iso(now), "lon": 116.70, "lat": 23.70, "status": "available"}
    publish_all(port, [(f"{P}/units/{unit_id}/position", json.dumps(far).encode())],
                user=SIMULATOR)  # fmt: skip
    assert wait_until(
        lambda: store.query_value(
            "SELECT lon FROM resources WHERE resource_id = ?", [unit_id]) == 116.70,
        timeout_s=15,
    )  # fmt: skip
    status = store.query_value("SELECT status FROM resources WHERE resource_id = ?", [unit_id])
    assert status == "dispatched"
