"""The test broker works: a QoS 1 round trip through a private mosquitto with paho, logged in."""

import threading

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from tests.broker import MONITOR, SIMULATOR, mosquitto


def test_private_mosquitto_round_trip(tmp_path):
    with mosquitto(tmp_path / "broker") as port:
        got: list[bytes] = []
        done = threading.Event()
        sub = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        sub.username_pw_set(*MONITOR)
        sub.on_message = lambda c, u, m: (got.append(m.payload), done.set())
        subscribed = threading.Event()
        sub.on_subscribe = lambda *a: subscribed.set()
        sub.connect("127.0.0.1", port)
        sub.subscribe("cityops/v1/reports", qos=1)
        sub.loop_start()
        assert subscribed.wait(5)
        pub = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        pub.username_pw_set(*SIMULATOR)
        pub.connect("127.0.0.1", port)
        pub.loop_start()
        pub.publish("cityops/v1/reports", b'{"id": "1"}', qos=1).wait_for_publish(5)
        assert done.wait(5)
        assert got == [b'{"id": "1"}']
        for c in (pub, sub):
            c.loop_stop()
            c.disconnect()


def test_a_test_config_without_its_own_broker_never_reaches_the_default_one(tmp_path):
    """A served test demo connected to 127.0.0.1:1883 as ``cityops-ingest``: the client id of
    a running demo's ingest, so the broker dropped one for the other every second (found in
    the field app's server log); tests use their own broker on a free port, or none."""
    from models.config import load_config
    from tests.conftest import write_config

    config = load_config(write_config(tmp_path, demo={"history_days": 0}), environ={})
    assert not config.settings.ingest.mqtt_enabled
    config = load_config(write_config(tmp_path, ingest={"poll_s": 1.0}), environ={})
    assert not config.settings.ingest.mqtt_enabled
    config = load_config(write_config(tmp_path, mqtt={"port": 18999}), environ={})
    assert config.settings.ingest.mqtt_enabled and config.settings.mqtt.port == 18999
