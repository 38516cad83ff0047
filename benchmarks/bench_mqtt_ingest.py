"""MQTT → DuckDB throughput against a raw paho subscriber, on one private mosquitto, one run.

QoS 1: N messages wait in the broker for each subscriber's offline persistent session; the
subscriber then connects and drains them. The raw subscriber does nothing with a message;
CityOps ingest parses, locates, writes through Arrow into DuckDB and acks after commit.
QoS 0: a publisher process streams N messages while the subscriber is connected.
Each subscriber runs in its own process; peak RSS of the ingest process is reported.

    .venv/bin/python benchmarks/bench_mqtt_ingest.py [--messages 200000]
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

P = "cityops/v1"


def _payloads(n: int, tag: str):
    # a recent time: readings outside ingest.max_age_days would be dead letters
    ts = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    for i in range(n):
        body = {
            "id": f"{tag}-{i}",
            "ts": ts,
            "values": {"pm25": float(i % 300), "pm10": 55.5},
        }
        yield f"{P}/obs/air/AIR-{1 + i % 12:03d}", json.dumps(body).encode()


def publish(port: int, n: int, qos: int, tag: str) -> float:
    from tests.ingest.mqtt_helpers import publish_all

    started = time.perf_counter()
    publish_all(port, _payloads(n, tag), qos=qos)
    return time.perf_counter() - started


def raw_subscriber(port: int, n: int, qos: int, client_id: str, ready_file: str | None) -> dict:
    import threading

    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion
    from paho.mqtt.packettypes import PacketTypes
    from paho.mqtt.properties import Properties

    got = 0
    first = last = 0.0
    done = threading.Event()

    def on_message(client, userdata, msg):
        nonlocal got, first, last
        if got == 0:
            first = time.perf_counter()
        got += 1
        last = time.perf_counter()
        if got >= n:
            done.set()

    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
    client.on_message = on_message
    client.on_connect = lambda c, *a: c.subscribe(f"{P}/obs/+/+", qos=qos)
    props = Properties(PacketTypes.CONNECT)
    props.SessionExpiryInterval = 3600
    props.ReceiveMaximum = 20000
    client.connect("127.0.0.1", port, clean_start=False, properties=props)
    client.loop_start()
    if ready_file:
        time.sleep(1)
        Path(ready_file).write_text("ready")
    if n == 0:  # only create the persistent session
        time.sleep(1.5)
        done.set()
    done.wait(600)
    client.loop_stop()
    client.disconnect()
    return {"received": got, "seconds": last - first, "rate": got / max(last - first, 1e-9)}


def ingest_subscriber(
    port: int, n: int, qos: int, client_id: str, db: str, ready: str | None
) -> dict:
    from ingest.locate import store_locator
    from ingest.mqtt.consumer import MqttIngest
    from models.store import Store

    store = Store(db)
    ingest = MqttIngest(
        store,
        locate=store_locator(store),
        host="127.0.0.1",
        port=port,
        client_id=client_id,
        topic_prefix=P,
        qos=qos,
        batch_rows=2000,
        batch_ms=100,
    )
    started = None
    ingest.start()
    if n == 0:  # only create the persistent session
        time.sleep(1.5)
    if ready:
        time.sleep(1)
        Path(ready).write_text("ready")
    deadline = time.monotonic() + 600
    while ingest.stats.received < n and time.monotonic() < deadline:
        if started is None and ingest.stats.received > 0:
            started = time.perf_counter()
        time.sleep(0.005)
    ended = time.perf_counter()
    received = ingest.stats.received
    ingest.stop()
    rows = store.query_value("SELECT count(DISTINCT msg_id) FROM observations")
    store.close()
    elapsed = ended - (started or ended)
    return {
        "received": received,
        "rows": rows,
        "seconds": elapsed,
        "rate": received / max(elapsed, 1e-9),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _child(args: list[str]) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", *args],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=ROOT,
    )
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def _connect_session(kind: str, port: int, client_id: str, db: str) -> None:
    """Create the persistent session (subscribe once, then go away)."""
    _child([kind, str(port), "0", "1", client_id, db])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=200_000)
    parser.add_argument("--child", nargs="*")
    args = parser.parse_args()
    if args.child is not None:
        kind, port, n, qos, client_id, db, *rest = args.child
        ready = rest[0] if rest else None
        if kind == "raw":
            result = raw_subscriber(int(port), int(n), int(qos), client_id, ready)
        else:
            result = ingest_subscriber(int(port), int(n), int(qos), client_id, db, ready)
        print(json.dumps(result))
        return

    from app.cli import main as cli
    from tests.broker import Mosquitto

    n = args.messages
    work = Path(tempfile.mkdtemp(prefix="bench-mqtt-"))
    (work / "config.yaml").write_text(
        "storage:\n  path: bench.duckdb\ndemo:\n  create_users: false\n"
    )
    assert cli(["--config", str(work / "config.yaml"), "init"]) == 0
    template = work / "bench.duckdb"
    broker = Mosquitto(work / "broker", open_=True)  # benchmarks measure throughput: no log-in
    broker.start()
    results: dict[str, dict] = {}
    try:
        # QoS 1 from a backlog: both sessions exist first, then the stream waits in the broker
        for kind in ("raw", "ingest"):
            db = str(work / f"{kind}-q1.duckdb")
            shutil.copy(template, db)
            _connect_session(kind, broker.port, f"bench-{kind}-q1", db)
            publish(broker.port, n, 1, f"{kind}-q1")
            results[f"{kind}_qos1"] = _child(
                [kind, str(broker.port), str(n), "1", f"bench-{kind}-q1", db]
            )
        # QoS 0 live: the subscriber is up, a publisher process streams as fast as it can
        for kind in ("raw", "ingest"):
            db = str(work / f"{kind}-q0.duckdb")
            shutil.copy(template, db)
            ready = work / f"{kind}.ready"
            proc = subprocess.Popen(
                [
                    sys.executable,
                    __file__,
                    "--child",
                    kind,
                    str(broker.port),
                    str(n),
                    "0",
                    f"bench-{kind}-q0",
                    db,
                    str(ready),
                ],
                stdout=subprocess.PIPE,
                text=True,
                cwd=ROOT,
            )
            while not ready.exists():
                time.sleep(0.1)
            publish(broker.port, n, 0, f"{kind}-q0")
            try:
                out, _ = proc.communicate(timeout=20)
                results[f"{kind}_qos0"] = json.loads(out.strip().splitlines()[-1])
            except subprocess.TimeoutExpired:
                proc.kill()
                results[f"{kind}_qos0"] = {"received": "lost messages (QoS 0)", "rate": 0}
    finally:
        broker.stop()
    print(json.dumps(results, indent=2))
    r1 = results["ingest_qos1"]["rate"] / results["raw_qos1"]["rate"]
    print(
        f"\nQoS 1: raw paho {results['raw_qos1']['rate']:,.0f} msg/s, "
        f"CityOps ingest {results['ingest_qos1']['rate']:,.0f} msg/s -> ratio {r1:.2f}"
        " (target >= 0.8)"
    )
    if results["raw_qos0"]["rate"]:
        r0 = results["ingest_qos0"]["rate"] / results["raw_qos0"]["rate"]
        print(
            f"QoS 0: raw paho {results['raw_qos0']['rate']:,.0f} msg/s, "
            f"CityOps ingest {results['ingest_qos0']['rate']:,.0f} msg/s -> ratio {r0:.2f}"
        )
    print(
        f"peak RSS of the ingest process: {results['ingest_qos1']['peak_rss_mb']:.0f} MB (QoS 1), "
        f"{results['ingest_qos0'].get('peak_rss_mb', 0):.0f} MB (QoS 0)"
    )
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
