"""Measure MQTT publish rates of ingest.mqtt.publisher against a private mosquitto.

Run: ``python benchmarks/bench_publish.py [--count N]``. Needs ``mosquitto`` and
``mosquitto_sub`` (Debian ``mosquitto``, ``mosquitto-clients``). A separate ``mosquitto_sub``
process subscribes and counts what arrives. The baseline, measured in the same run, is raw
paho-mqtt (a publish loop, then waiting for the last message): the ratio says what the
throttling, counters and connection handling of :class:`Publisher` cost. The last rows run
the whole simulator (signal models, JSON, pacing) at ``--rate max``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import paho.mqtt.client as mqtt  # baseline only; the product imports paho in ingest/mqtt/
from paho.mqtt.enums import CallbackAPIVersion

from ingest.mqtt.publisher import Publisher
from tests.broker import mosquitto

PAYLOAD = (
    b'{"id":"GAS-001-1795500000","ts":"2026-11-24T08:00:00+08:00",'
    b'"values":{"gas_ppm":1.84},"pad":"0123456789012345678"}'
)


class Counter:
    """A mosquitto_sub process that counts the messages of one run."""

    def __init__(self, port: int, topic: str, expected: int, out: Path) -> None:
        self.out = out
        self.handle = open(out, "wb")  # noqa: SIM115 - closed in wait(), after the process
        self.proc = subprocess.Popen(
            ["mosquitto_sub", "-p", str(port), "-t", topic, "-q", "1", "-C", str(expected)],
            stdout=self.handle,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(0.4)  # let it subscribe before anything is published

    def wait(self, timeout: float = 60.0) -> int:
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.terminate()
            self.proc.wait(5)
        self.handle.close()
        return len(self.out.read_bytes().splitlines())


def raw_paho(port: int, qos: int, n: int, topic: str) -> float:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.connect("127.0.0.1", port)
    client.loop_start()
    time.sleep(0.2)
    start = time.perf_counter()
    info = None
    for _ in range(n):
        info = client.publish(topic, PAYLOAD, qos=qos)
    assert info is not None
    info.wait_for_publish(120)
    elapsed = time.perf_counter() - start
    client.disconnect()
    client.loop_stop()
    return elapsed


def publisher(port: int, qos: int, n: int, topic: str, **options: int) -> float:
    pub = Publisher("127.0.0.1", port, client_id=f"bench-{time.time_ns()}", qos=qos, **options)
    start = time.perf_counter()
    for _ in range(n):
        pub.publish(topic, PAYLOAD)
    assert pub.flush(120)
    elapsed = time.perf_counter() - start
    pub.close()
    return elapsed


def simulator(port: int, qos: int, n: int, topic: str) -> float:
    """The whole simulator at --rate max; ``topic`` is used as its topic prefix."""
    from ingest.simulator.runner import Pacing, PublisherSink, run_stream
    from ingest.simulator.stream import simulate_messages

    messages = simulate_messages(_world(), start=1_795_478_400, seed=1, prefix=topic)
    pub = Publisher("127.0.0.1", port, client_id=f"bench-sim-{time.time_ns()}", qos=qos)
    start = time.perf_counter()
    stats = run_stream(messages, PublisherSink(pub), pacing=Pacing(speed=None), count=n)
    elapsed = time.perf_counter() - start
    pub.close()
    assert stats.sent == n
    return elapsed


def generate_only(n: int) -> float:
    """Build and serialise ``n`` simulator messages without publishing them."""
    from ingest.simulator.stream import simulate_messages

    messages = simulate_messages(_world(), start=1_795_478_400, seed=1)
    start = time.perf_counter()
    for _ in zip(range(n), messages):
        pass
    return time.perf_counter() - start


_WORLD: list = []


def _world():
    from ingest.simulator.world import build_world

    if not _WORLD:
        _WORLD.append(build_world())
    return _WORLD[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000, help="messages per run")
    args = parser.parse_args(argv)
    n = args.count
    n_raw1 = min(n, 60_000)  # raw paho fails past 65,535 unacknowledged QoS 1 messages
    runs = [
        ("raw paho QoS 0 (baseline)", raw_paho, 0, n, {}),
        ("raw paho QoS 1 (baseline)", raw_paho, 1, n_raw1, {}),
        ("Publisher QoS 0", publisher, 0, n, {}),
        ("Publisher QoS 1, paho inflight 20", publisher, 1, n, {"paho_inflight": 20}),
        ("Publisher QoS 1, paho inflight 100 (default)", publisher, 1, n, {"paho_inflight": 100}),
        ("Publisher QoS 1, paho inflight 1000", publisher, 1, n, {"paho_inflight": 1000}),
        ("simulator --rate max QoS 0", simulator, 0, n, {}),
        ("simulator --rate max QoS 1", simulator, 1, n, {}),
    ]
    rows: list[tuple[str, int, float, int]] = []
    _world()
    with tempfile.TemporaryDirectory() as tmp, mosquitto(Path(tmp) / "broker", open_=True) as port:
        raw_paho(port, 0, 20_000, "warmup/x")  # first connections and allocations, not timed
        for i, (name, fn, qos, count, options) in enumerate(runs):
            topic = f"bench{i}"
            counter = Counter(port, f"{topic}/#", count, Path(tmp) / f"sub{i}.txt")
            elapsed = fn(port, qos, count, topic if fn is simulator else f"{topic}/x", **options)
            rows.append((name, count, elapsed, counter.wait()))
    base = {0: n / rows[0][2], 1: n_raw1 / rows[1][2]}
    print(f"{'run':46} {'msgs':>7} {'s':>6} {'msg/s':>7} {'ratio':>6} {'arrived':>8}")
    for (name, count, elapsed, arrived), (_, _, qos, _, _) in zip(rows, runs):
        rate = count / elapsed
        print(
            f"{name:46} {count:7d} {elapsed:6.2f} {rate:7.0f} {rate / base[qos]:6.2f} {arrived:8d}"
        )
    gen = generate_only(n)
    print(f"simulator messages built without publishing: {n / gen:,.0f} msg/s")
    print("ratio: against raw paho at the same QoS, measured in this run")
    return 0


if __name__ == "__main__":
    sys.exit(main())
