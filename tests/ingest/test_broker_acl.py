"""The test broker is closed as the shipped one: log-in required, each user on its own topics,
and the server's persistent session held by the ingest user only (issue 10 item 5)."""

from __future__ import annotations

import threading
import time

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode

from tests.broker import CAP_FEED, DEVICE, INGEST, MONITOR, mosquitto
from tests.ingest.mqtt_helpers import wait_until


class Client:
    """A paho v5 client that records what happens to it."""

    def __init__(self, port: int, user: tuple[str, str] | None, client_id: str = ""):
        self.connected = threading.Event()
        self.refused: list[str] = []
        self.disconnects: list[str] = []
        self.granted: list[ReasonCode] = []
        self.subscribed = threading.Event()
        self.got: list[tuple[str, bytes]] = []
        c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
        if user is not None:
            c.username_pw_set(*user)
        c.on_connect = self._on_connect
        c.on_disconnect = lambda _c, _u, _f, rc, _p=None: self.disconnects.append(str(rc))
        c.on_subscribe = lambda _c, _u, _m, codes, _p=None: (
            self.granted.extend(codes),
            self.subscribed.set(),
        )
        c.on_message = lambda _c, _u, m: self.got.append((m.topic, m.payload))
        c.connect("127.0.0.1", port)
        c.loop_start()
        self.client = c

    def _on_connect(self, _c, _u, _f, rc, _p=None) -> None:
        if rc.is_failure:
            self.refused.append(str(rc))
        else:
            self.connected.set()

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def test_an_anonymous_client_is_refused(tmp_path):
    with mosquitto(tmp_path / "broker") as port:
        anon = Client(port, None)
        try:
            assert wait_until(lambda: anon.refused, timeout_s=5)
            assert not anon.connected.is_set()
            assert "authori" in anon.refused[0].lower()
        finally:
            anon.close()


def test_a_wrong_password_is_refused(tmp_path):
    with mosquitto(tmp_path / "broker") as port:
        bad = Client(port, (INGEST[0], "not-the-password"))
        try:
            assert wait_until(lambda: bad.refused, timeout_s=5)
            assert not bad.connected.is_set()
        finally:
            bad.close()


def test_a_device_cannot_publish_a_cap_warning_nor_read_inbound_topics(tmp_path):
    with mosquitto(tmp_path / "broker") as port:
        watcher = Client(port, MONITOR)
        device = Client(port, DEVICE)
        feed = Client(port, CAP_FEED)
        try:
            assert watcher.connected.wait(5) and device.connected.wait(5)
            assert feed.connected.wait(5)
            watcher.client.subscribe("cityops/v1/#", qos=1)
            assert watcher.subscribed.wait(5)
            device.client.subscribe("cityops/v1/obs/+/+", qos=1)
            assert device.subscribed.wait(5)  # mosquitto 2 grants it, then delivers nothing
            device.client.publish("cityops/v1/obs/air/AIR-001", b"{}", qos=1).wait_for_publish(5)
            # the broker refuses (and may drop the connection of) a device publishing CAP
            device.client.publish("cityops/v1/alerts/in", b"<alert>device</alert>", qos=1)
            feed.client.publish("cityops/v1/alerts/in", b"<alert>feed</alert>", qos=1)
            assert wait_until(lambda: len(watcher.got) >= 2, timeout_s=5)
            time.sleep(0.3)  # anything else would be here now
            assert watcher.got == [
                ("cityops/v1/obs/air/AIR-001", b"{}"),
                ("cityops/v1/alerts/in", b"<alert>feed</alert>"),
            ]
            assert device.got == []  # its own reading did not come back: it may not read
        finally:
            for c in (watcher, device, feed):
                c.close()


def test_nobody_but_ingest_takes_the_ingest_session(tmp_path):
    with mosquitto(tmp_path / "broker") as port:
        ingest = Client(port, INGEST, client_id=INGEST[0])
        try:
            assert ingest.connected.wait(5)
            intruder = Client(port, DEVICE, client_id="cityops-ingest")
            try:
                assert intruder.connected.wait(5)  # let in, but under its own user's id
                ingest.client.subscribe("cityops/v1/obs/+/+", qos=1)
                assert ingest.subscribed.wait(5)
                intruder.client.publish("cityops/v1/obs/air/AIR-9", b"{}", qos=1).wait_for_publish(
                    5
                )
                assert wait_until(lambda: ingest.got, timeout_s=5)
                assert ingest.disconnects == []  # the server's session was not taken over
            finally:
                intruder.close()
        finally:
            ingest.close()


def test_ingest_reads_inbound_topics_through_a_shared_subscription(tmp_path):
    with mosquitto(tmp_path / "broker") as port:
        ingest = Client(port, INGEST, client_id=INGEST[0])
        device = Client(port, DEVICE)
        try:
            assert ingest.connected.wait(5) and device.connected.wait(5)
            ingest.client.subscribe("$share/ingest/cityops/v1/reports", qos=1)  # mqtt.shared_group
            assert ingest.subscribed.wait(5)
            device.client.publish("cityops/v1/reports", b"{}", qos=1).wait_for_publish(5)
            assert wait_until(lambda: ingest.got, timeout_s=5)
            assert ingest.got == [("cityops/v1/reports", b"{}")]
        finally:
            ingest.close()
            device.close()
