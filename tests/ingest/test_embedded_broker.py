"""The demo's embedded fallback broker (amqtt) refuses anonymous clients when CityOps has
broker credentials (issue 10 item 5)."""

from __future__ import annotations

import threading

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from ingest.mqtt.embedded import start_embedded_broker
from tests.browser import free_port


def _connect(port: int, user: tuple[str, str] | None) -> str:
    """The CONNACK reason of a client logging in as ``user`` (None: anonymous)."""
    result: list[str] = []
    done = threading.Event()
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv311)
    if user is not None:
        client.username_pw_set(*user)
    client.on_connect = lambda _c, _u, _f, rc, _p=None: (result.append(str(rc)), done.set())
    client.on_disconnect = lambda *_a: done.set()
    client.connect("127.0.0.1", port)
    client.loop_start()
    done.wait(10)
    client.loop_stop()
    client.disconnect()
    return result[0] if result else "closed"


def test_the_embedded_broker_takes_only_its_users():
    port = free_port()
    broker = start_embedded_broker("127.0.0.1", port, users={"cityops-ingest": "s3cret-pw"})
    try:
        assert _connect(port, ("cityops-ingest", "s3cret-pw")) == "Success"
        assert _connect(port, None) != "Success"
        assert _connect(port, ("cityops-ingest", "wrong")) != "Success"
        assert _connect(port, ("someone", "s3cret-pw")) != "Success"
    finally:
        broker.stop()


def test_without_users_the_embedded_broker_stays_open_for_the_bare_demo():
    port = free_port()
    broker = start_embedded_broker("127.0.0.1", port)
    try:
        assert _connect(port, None) == "Success"
    finally:
        broker.stop()


def test_the_demo_gives_the_embedded_broker_its_ingest_and_simulator_logins(tmp_path):
    from app.runtime import _broker_users
    from models.config import load_config
    from tests.conftest import write_config

    path = write_config(tmp_path, mqtt={"username": "ing", "simulator_username": "sim"})
    env = {"CITYOPS_MQTT_PASSWORD": "p1", "CITYOPS_SIMULATOR_MQTT_PASSWORD": "p2"}
    assert _broker_users(load_config(path, environ=env)) == {"ing": "p1", "sim": "p2"}
    assert _broker_users(load_config(path, environ={})) is None
