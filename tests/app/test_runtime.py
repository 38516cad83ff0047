"""The demo's background: with no broker answering, an embedded one starts and ingest uses it."""

import http.cookiejar
import json
import re
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from app.runtime import start_background
from ingest.mqtt.embedded import broker_reachable
from models.config import load_config
from models.store import Store
from tests.browser import free_port
from tests.conftest import demo_passwords
from tests.ingest.mqtt_helpers import wait_until

#: The demo copy's test config has MQTT ingest off (tests/conftest.write_config); these
#: tests give it a broker of their own and turn it on.
MQTT_ON = {"CITYOPS_INGEST__MQTT_ENABLED": "true"}


def test_demo_falls_back_to_the_embedded_broker(demo_copy):
    folder = demo_copy()
    port = free_port()
    assert not broker_reachable("127.0.0.1", port)
    config = load_config(
        folder / "config.yaml", environ={"CITYOPS_MQTT__PORT": str(port), **MQTT_ON}
    )
    store = Store(config.database_path)
    bg = start_background(config, store, allow_embedded=True)
    try:
        assert bg.broker is not None and broker_reachable("127.0.0.1", port)
        assert wait_until(lambda: bg.ingest.stats.connected, timeout_s=15)
        client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv311)
        client.connect("127.0.0.1", port)
        client.loop_start()
        body = {"id": "emb-1", "ts": datetime.now(UTC).isoformat(), "values": {"pm25": 12.0}}
        client.publish("cityops/v1/obs/air/AIR-002", json.dumps(body), qos=1).wait_for_publish(10)
        client.loop_stop()
        client.disconnect()
        assert wait_until(lambda: bg.ingest.stats.received >= 1, timeout_s=15)
        assert store.query_value("SELECT value FROM observations WHERE msg_id = 'emb-1'") == 12.0
        assert bg.health()["embedded_broker"] is True
    finally:
        bg.stop()
        store.close()
    assert not broker_reachable("127.0.0.1", port)


def test_without_fallback_serve_does_not_start_a_broker(demo_copy):
    folder = demo_copy()
    port = free_port()
    config = load_config(
        folder / "config.yaml", environ={"CITYOPS_MQTT__PORT": str(port), **MQTT_ON}
    )
    store = Store(config.database_path)
    bg = start_background(config, store, allow_embedded=False)
    try:
        assert bg.broker is None
        assert not bg.ingest.stats.connected  # retrying in the background, nothing blocks
        assert bg.health()["mqtt"]["connected"] is False
    finally:
        bg.stop()
        store.close()


def _admin_opener(base: str, password: str) -> urllib.request.OpenerDirector:
    """A urllib opener holding an admin's session on the server at ``base``."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(f"{base}/login", timeout=5) as r:
        token = re.search(r"name='csrf' value='([^']+)'", r.read().decode()).group(1)
    form = {"username": "admin", "password": password, "csrf": token, "next": "/admin"}
    with opener.open(f"{base}/login", data=urllib.parse.urlencode(form).encode(), timeout=10):
        pass
    return opener


def _children(pid: int) -> list[int]:
    from pathlib import Path

    kids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            kids.append(int(stat.parent.name))
    return kids


def test_demo_with_simulator_stops_cleanly_on_sigterm(demo_copy, tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    from tests.broker import INGEST, SIMULATOR, mosquitto
    from tests.conftest import ROOT

    folder = demo_copy()
    with mosquitto(tmp_path / "broker") as mqtt_port:
        port = free_port()
        env = {
            **os.environ,
            "CITYOPS_MQTT__PORT": str(mqtt_port),
            **MQTT_ON,
            "CITYOPS_SECRET_KEY": "k" * 32,
            # the test broker is closed as the demo's: ingest and simulator log in
            "CITYOPS_MQTT__USERNAME": INGEST[0],
            "CITYOPS_MQTT_PASSWORD": INGEST[1],
            "CITYOPS_MQTT__SIMULATOR_USERNAME": SIMULATOR[0],
            "CITYOPS_SIMULATOR_MQTT_PASSWORD": SIMULATOR[1],
        }
        log = open(folder / "demo.log", "wb")
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "app.cli",
                "--config",
                str(folder / "config.yaml"),
                "demo",
                "--simulate",
                "--port",
                str(port),
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            admin: list[urllib.request.OpenerDirector] = []

            def healthy() -> bool:
                try:
                    if not admin:  # the ingest counters are shown to a logged-in admin only
                        admin.append(_admin_opener(base, demo_passwords(folder)["admin"]))
                    with admin[0].open(f"{base}/health/details", timeout=2) as r:
                        body = json.load(r)
                    return body["ingest"]["mqtt"]["received"] > 0  # simulated data arrives
                except OSError:
                    return False

            assert wait_until(healthy, timeout_s=90, step_s=0.5), (folder / "demo.log").read_text()
            kids = _children(proc.pid)
            assert kids, "the simulator child is missing"
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(30) == 0
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline and any(Path(f"/proc/{k}").exists() for k in kids):
                time.sleep(0.2)
            assert not any(Path(f"/proc/{k}").exists() for k in kids), "simulator left behind"
        finally:
            if proc.poll() is None:
                proc.kill()
            log.close()


def test_health_is_degraded_when_a_background_thread_has_stopped():
    import threading

    from app.runtime import Background

    done = threading.Thread(target=lambda: None, name="sensor-rules")
    done.start()
    done.join()
    bg = Background(rules=done)
    health = bg.health()
    assert health["status"] == "degraded" and health["problems"] == [
        "the sensor rules thread is not running"
    ]
    bg.stop_event.set()  # stopping on purpose is not a problem
    assert bg.health()["status"] == "ok"
    assert Background().health()["status"] == "ok"
