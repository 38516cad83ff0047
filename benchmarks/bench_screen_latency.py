"""MQTT report → live feed item on /screen: end-to-end latency in a real browser, one run.

A private mosquitto on a free loopback port, a demo folder (no history, optionally N
synthetic open cases) whose config points MQTT at it, `cityops serve`, headless Chromium on
/screen as ``operator``. A MutationObserver on ``#screen-feed`` records ``Date.now()`` when
each ``li[data-ext]`` appears; reports are published with paho (QoS 1, ~4 per second, random
points inside real cells) recording ``time.time()`` at publish. Latency = appeared −
published. Baseline in the same run: the screen's own poll interval (``refresh.live_ms``),
the floor of what a polling screen can reach.

    .venv/bin/python benchmarks/bench_screen_latency.py [--reports 200] [--rate 4] [--cases 0]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from screen_fixtures import (
    REPORT_TOPIC,
    SECRET,
    add_open_cases,
    demo_passwords,
    load_cells,
    machine,
    make_demo,
    pct,
    report_body,
)

FEED_PROBE = """
(() => {
  window.__seen = {};
  const record = (node) => {
    if (node.nodeType !== 1) return;
    const items = node.matches('li[data-ext]') ? [node] : node.querySelectorAll('li[data-ext]');
    for (const li of items) {
      const ext = li.dataset.ext;
      if (ext && window.__seen[ext] === undefined) window.__seen[ext] = Date.now();
    }
  };
  const feed = document.getElementById('screen-feed');
  for (const li of feed.querySelectorAll('li[data-ext]')) record(li);
  new MutationObserver((muts) => {
    for (const m of muts) for (const n of m.addedNodes) record(n);
  }).observe(feed, {childList: true, subtree: true});
  return true;
})()
"""

LOST_AFTER_S = 10.0
TAIL_S = 60.0


def _bare(seen: dict[str, float]) -> dict[str, float]:
    """data-ext carries cases.external_id, which ingest writes as ``mqtt:<message id>``."""
    return {k.removeprefix("mqtt:"): v for k, v in seen.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, default=200)
    parser.add_argument("--rate", type=float, default=4.0, help="reports per second")
    parser.add_argument("--cases", type=int, default=0, help="synthetic open cases first")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    from tests.broker import Mosquitto
    from tests.browser import chromium, login, served

    out: dict[str, Any] = {"machine": machine()}
    problems: list[str] = []
    work = Path(tempfile.mkdtemp(prefix="bench-screen-latency-"))
    folder = work / "demo"
    broker = Mosquitto(work / "broker", open_=True)  # benchmarks measure throughput: no log-in
    broker.start()
    published: dict[str, float] = {}
    seen: dict[str, float] = {}
    try:
        make_demo(folder, mqtt_port=broker.port)
        if args.cases:
            out["cases_added"] = add_open_cases(folder / "cityops.duckdb", args.cases)
        cells = load_cells(folder / "cityops.duckdb")  # before serving: one process per file
        live_ms = 1000
        try:
            from models.config import load_config

            cfg = load_config(folder / "config.yaml", environ={"CITYOPS_SECRET_KEY": SECRET})
            live_ms = cfg.settings.refresh.live_ms
        except Exception:
            pass
        out["poll_ms"] = live_ms
        rng = np.random.default_rng(5)
        pick = rng.integers(0, len(cells), size=args.reports)
        jit = rng.uniform(-0.3, 0.3, size=(args.reports, 2))
        points = [
            (
                float(c.centroid_lon + j[0] * (c.max_lon - c.min_lon)),
                float(c.centroid_lat + j[1] * (c.max_lat - c.min_lat)),
            )
            for c, j in zip(cells.iloc[pick].itertuples(), jit, strict=True)
        ]
        password = demo_passwords(folder)["operator"]

        with (
            served(folder, secret=SECRET, timeout_s=120) as url,
            chromium(work, width=1920, height=1080) as page,
        ):
            page.set_default_timeout(180_000)
            login(page, url, "operator", password, "/screen")
            page.wait_for_selector("#screen-map[data-drawn]", timeout=180_000)
            page.wait_for_selector("#screen-feed")
            page.evaluate(FEED_PROBE)

            client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
            client.connect("127.0.0.1", broker.port)
            client.loop_start()
            acks: list[Any] = []
            interval = 1.0 / args.rate
            start = time.monotonic()
            for i, (lon, lat) in enumerate(points):
                target = start + i * interval
                delay = target - time.monotonic()
                if delay > 0:
                    # keep the page's event loop turning while we wait (Playwright is sync)
                    page.wait_for_timeout(delay * 1000)
                msg_id, payload = report_body(lon, lat, category="0201")
                published[msg_id] = time.time()
                acks.append(client.publish(REPORT_TOPIC, payload, qos=1))
            for info in acks:
                info.wait_for_publish(30)
            last_pub = time.monotonic()
            out["publish_s"] = last_pub - start
            client.loop_stop()
            client.disconnect()
            while time.monotonic() - last_pub < TAIL_S:
                seen = _bare(page.evaluate("window.__seen"))
                if all(m in seen for m in published):
                    break
                page.wait_for_timeout(500)
            seen = _bare(page.evaluate("window.__seen"))
            dbg = page.evaluate("window.cityopsMap.current.debug()")
            out["polls"] = dbg["stats"]["polls"]
            print("poll stats", dbg["stats"])
            # the ingest details are for an admin (the public /health is up/down only)
            login(page, url, "admin", demo_passwords(folder)["admin"], "/admin")
            health = page.evaluate(
                "fetch('/health/details').then(r => r.json()).catch(e => String(e))"
            )
            out["health_ingest"] = health.get("ingest") if isinstance(health, dict) else health
    finally:
        broker.stop()
        log = folder / "server.log"
        tail = log.read_text(errors="replace").splitlines()[-400:] if log.exists() else []
        out["server_log_errors"] = [ln for ln in tail if "Traceback" in ln or "ERROR" in ln][:10]
        if args.keep:
            print("kept", work)
        else:
            shutil.rmtree(work, ignore_errors=True)

    lat = [seen[m] / 1000.0 - t for m, t in published.items() if m in seen]
    never = [m for m in published if m not in seen]
    late = [x for x in lat if x > LOST_AFTER_S]
    m = out["machine"]
    print("\n=== /screen live latency: MQTT report -> feed item ===")
    print(f"machine: nproc {m['nproc']}, {m['cpu']}, {m['memory']}, Python {m['python']}")
    print(f"browser: {m['chromium']} (headless), viewport 1920x1080")
    if "cases_added" in out:
        print(f"background: {out['cases_added']['cases']:,} open cases in the store")
    print(
        f"published {len(published)} reports (QoS 1) in {out['publish_s']:.1f} s "
        f"({len(published) / max(out['publish_s'], 1e-9):.2f}/s); screen polls {out['polls']}"
    )
    rows = [
        ("seen in the feed", f"{len(lat)} / {len(published)}"),
        ("latency p50", f"{pct(lat, 50):.2f} s"),
        ("latency p95", f"{pct(lat, 95):.2f} s (target <= 2 s)"),
        ("latency max", f"{max(lat) if lat else float('nan'):.2f} s"),
        ("latency min", f"{min(lat) if lat else float('nan'):.2f} s"),
        (
            f"not seen within {LOST_AFTER_S:.0f} s",
            f"{len(never) + len(late)} "
            f"({len(never)} never, {len(late)} later than {LOST_AFTER_S:.0f} s)",
        ),
        (
            "baseline: poll interval",
            f"{out['poll_ms'] / 1000:.2f} s -> p95/poll "
            f"{pct(lat, 95) / (out['poll_ms'] / 1000):.1f}x",
        ),
    ]
    width = max(len(r[0]) for r in rows)
    for k, v in rows:
        print(f"  {k:<{width}}  {v}")
    print(f"ingest health: {out.get('health_ingest')}")
    if out.get("server_log_errors"):
        print("server log:", *out["server_log_errors"], sep="\n  ")
    if lat and pct(lat, 95) > 2.0:
        problems.append(f"p95 {pct(lat, 95):.2f} s above the 2 s target")
    if never or late:
        problems.append(f"{len(never) + len(late)} reports not on the feed within 10 s")
    print("problems:", *(problems or ["none"]), sep="\n  ")


if __name__ == "__main__":
    main()
