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
