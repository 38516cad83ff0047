"""Helpers for MQTT ingest tests: messages of every topic, a QoS 1 publisher, waiting."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from tests.broker import DEVICE

P = "cityops/v1"


def obs(
    i: int, sensor: str = "AIR-001", *, ts: str = "2026-11-24T09:30:00+08:00"
) -> tuple[str, bytes]:
    body = {"id": f"obs-{i}", "ts": ts, "values": {"pm25": 30 + i % 50, "pm10": 55.5}}
    return f"{P}/obs/air/{sensor}", json.dumps(body).encode()


def report(i: int, lon: float = 116.6465, lat: float = 23.6707) -> tuple[str, bytes]:
    body = {
        "id": f"rep-{i}",
        "ts": "2026-11-24T09:31:00+08:00",
        "source": "grid_worker",
        "category": "0201",
        "lon": lon,
        "lat": lat,
        "text": "道路不洁，有积存垃圾",
        "reporter": "GW445102007002-01",
    }
    return f"{P}/reports", json.dumps(body, ensure_ascii=False).encode()


def traffic(i: int, segment: str = "R00001") -> tuple[str, bytes]:
    body = {
        "id": f"tr-{i}",
        "ts": "2026-11-24T08:15:00+08:00",
        "speed_kmh": 23.0,
        "flow_vph": 1400,
        "occupancy": 0.42,
    }
    return f"{P}/traffic/{segment}", json.dumps(body).encode()


def position(
    i: int, unit: str, lon: float = 116.65, lat: float = 23.66, *, ts: datetime | None = None
) -> tuple[str, bytes]:
    at = (ts or datetime.now(UTC)) + timedelta(seconds=i)
    body = {"id": f"pos-{i}", "ts": at.isoformat(), "lon": lon, "lat": lat, "status": "dispatched"}
    return f"{P}/units/{unit}/position", json.dumps(body).encode()


def publish_all(
    port: int,
    messages: Iterable[tuple[str, bytes]],
    *,
    qos: int = 1,
    window: int = 5000,
    user: tuple[str, str] = DEVICE,
) -> int:
    """Publish as ``user`` (a device gateway) and wait for every PUBACK; returns the count."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.username_pw_set(*user)
    client.max_inflight_messages_set(200)
    client.connect("127.0.0.1", port)
    client.loop_start()
    pending = []
    n = 0
    for topic, payload in messages:
        pending.append(client.publish(topic, payload, qos=qos))
        n += 1
        if len(pending) >= window:
            for info in pending:
                info.wait_for_publish(30)
            pending.clear()
    for info in pending:
        info.wait_for_publish(30)
    client.loop_stop()
    client.disconnect()
    return n


def wait_until(
    predicate: Callable[[], bool], *, timeout_s: float = 60, step_s: float = 0.1
) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step_s)
    return predicate()
