"""The publisher and `cityops simulate` against a private mosquitto: everything arrives."""

from __future__ import annotations

import argparse
import threading
import time

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from ingest.mqtt.publisher import Publisher, PublisherError
from ingest.payloads import Rejected, parse_message
from ingest.simulator.cli import add_simulate_parser, run_simulate
from models.config import load_config
from tests.broker import MONITOR, SIMULATOR, mosquitto
from tests.conftest import write_config

#: a topic the simulator user may publish (the broker's ACL), and its credentials
T = "cityops/v1/obs/test"
SIM = {"username": SIMULATOR[0], "password": SIMULATOR[1]}


class Subscriber:
    """A plain paho subscriber that counts (and keeps) what arrives on a topic filter."""

    def __init__(self, port: int, topic: str, *, keep: bool = False) -> None:
        self.count = 0
        self.kept: list[tuple[str, bytes]] = []
        self.keep = keep
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        self.client.username_pw_set(*MONITOR)
        self.client.on_message = self._on_message
        subscribed = threading.Event()
        self.client.on_subscribe = lambda *a: subscribed.set()
        self.client.connect("127.0.0.1", port)
        self.client.subscribe(topic, qos=1)
        self.client.loop_start()
        assert subscribed.wait(5)

    def _on_message(self, client, userdata, message) -> None:
        self.count += 1
        if self.keep:
            self.kept.append((message.topic, message.payload))

    def wait_for(self, n: int, timeout: float = 60.0) -> int:
        deadline = time.monotonic() + timeout
        while self.count < n and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)  # anything beyond n would show up now
        return self.count

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def simulate_args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="cityops")
    add_simulate_parser(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(["simulate", *argv])


def test_simulate_rate_max_delivers_20000_qos1_messages(tmp_path):
    with mosquitto(tmp_path / "broker") as port:
        config = load_config(
            write_config(tmp_path, mqtt={"port": port, "simulator_username": SIMULATOR[0]}),
            environ={"CITYOPS_SIMULATOR_MQTT_PASSWORD": SIMULATOR[1]},
        )
        sub = Subscriber(port, "cityops/v1/#", keep=True)
        try:
            args = simulate_args(
                "--rate",
                "max",
                "--count",
                "20000",
                "--qos",
                "1",
                "--start",
                "2026-11-24T07:30",
                "--scenario",
                "typhoon",
            )
            assert run_simulate(args, config) == 0
            assert sub.wait_for(20_000) == 20_000
        finally:
            sub.close()
    rejected = [r for t, p in sub.kept if isinstance(r := parse_message(t, p), Rejected)]
    assert not rejected
    topics = {t.split("/")[2] for t, _ in sub.kept}
    assert {"obs", "traffic", "units", "reports", "alerts"} <= topics


def test_publisher_keeps_unacknowledged_messages_within_its_window(tmp_path):
    with mosquitto(tmp_path / "broker") as port:
        sub = Subscriber(port, f"{T}/#")
        pub = Publisher(
            "127.0.0.1", port, client_id="t-window", qos=1, max_inflight_window=500, **SIM
        )
        try:
            highest = 0
            for _ in range(30_000):
                pub.publish(f"{T}/window", b"x" * 100)
                highest = max(highest, pub.pending)
            assert highest <= 500
            assert pub.flush(30)
            assert pub.stats() == {"published": 30_000, "acked": 30_000, "failed": 0,
                                   "dropped": 0, "pending": 0}  # fmt: skip
            assert sub.wait_for(30_000) == 30_000
        finally:
            pub.close()
            sub.close()


def test_publisher_qos0_delivers_and_needs_no_acks(tmp_path):
    with mosquitto(tmp_path / "broker") as port:
        sub = Subscriber(port, f"{T}/#")
        with Publisher(
            "127.0.0.1", port, client_id="t-q0", qos=0, max_inflight_window=2000, **SIM
        ) as pub:
            for _ in range(20_000):
                pub.publish(f"{T}/q0", b"y" * 100)
            assert pub.flush(30) and pub.published == 20_000 and pub.acked == 0
        try:
            assert sub.wait_for(20_000) == 20_000
        finally:
            sub.close()


def test_publisher_gives_up_on_an_unreachable_broker(tmp_path):
    with mosquitto(tmp_path / "broker") as port:
        pass  # the port is free again once the broker stopped
    started = time.monotonic()
    with pytest.raises(PublisherError, match="cannot reach"):
        Publisher("127.0.0.1", port, client_id="t-none", connect_timeout_s=1.0)
    assert time.monotonic() - started < 5
    with pytest.raises(ValueError):
        Publisher("127.0.0.1", port, client_id="t-bad", max_inflight_window=70_000)
    config = load_config(write_config(tmp_path, mqtt={"port": port}), environ={})
    args = simulate_args("--count", "5", "--rate", "max", "--connect-timeout", "1")
    # the command reports the broker and exits non-zero instead of crashing
    assert run_simulate(args, config) == 4
