"""Benchmark: rebuilding the whole one-map picture at 20 random moments of 90 days (replay)."""

from __future__ import annotations

import json
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.pages.screen.picture import picture_payload
from ingest.demo_city.generate import generate_demo_city
from ingest.demo_city.history import generate_case_history
from ingest.demo_city.load import load_demo_city
from models.categories import seed_categories
from models.map_state import (
    case_counts_by_cell,
    cases_at,
    incidents_at,
    kpis_at,
    resources_at,
    sensors_at,
    traffic_at,
    warning_areas_at,
)
from models.security import Scope
from models.store import Store
from models.work_calendar import WorkCalendar

END = datetime(2026, 11, 24, 4, 0)
DAYS = 90
DENSE = timedelta(days=2)  # one reading per interval; older history every SPARSE_EVERY
SPARSE_EVERY = timedelta(hours=6)
TZ = "Asia/Shanghai"
METRICS = {
    "air": {"pm25": 35.0, "pm10": 60.0, "o3": 80.0, "no2": 30.0, "so2": 8.0, "co": 0.6},
    "water_quality": {"ph": 7.4, "do": 6.5, "cod": 15.0, "nh3n": 0.6, "tp": 0.12},
    "noise": {"leq": 55.0},
    "water_level": {"water_level_m": 0.2},
    "manhole": {"tilt_deg": 1.0, "open": 0.0},
    "streetlamp": {"on": 0.0, "fault": 0.0},
    "smoke": {"smoke": 0.0},
    "gas": {"gas_ppm": 2.0},
}


def _times(interval_s: int) -> np.ndarray:
    start = np.datetime64(END - timedelta(days=DAYS), "s")
    dense_from = np.datetime64(END - DENSE, "s")
    end = np.datetime64(END, "s")
    sparse = np.arange(start, dense_from, np.timedelta64(int(SPARSE_EVERY.total_seconds()), "s"))
    dense = np.arange(dense_from, end, np.timedelta64(interval_s, "s"))
    return np.concatenate([sparse, dense])


def add_observations(store: Store, rng: np.random.Generator) -> int:
    sensors = store.query_df("SELECT sensor_id, kind, interval_s, segment_id FROM sensors")
    total = 0
    for kind, group in sensors.groupby("kind"):
        metrics = METRICS.get(str(kind))
        if metrics is None:
            continue
        times = _times(int(group["interval_s"].iloc[0]))
        ids = group["sensor_id"].to_numpy()
        sid = np.repeat(ids, len(times))
        ts = np.tile(times, len(ids))
        msg = np.char.add(np.char.add(sid.astype(str), "@"), ts.astype("int64").astype(str))
        for metric, base in metrics.items():
            value = np.abs(base * (1 + 0.3 * rng.standard_normal(len(sid))))
            table = pa.table(
                {
                    "msg_id": msg,
                    "sensor_id": sid,
                    "ts": ts.astype("datetime64[us]"),
                    "metric": np.full(len(sid), metric),
                    "value": value,
                    "received_at": (ts + np.timedelta64(2, "s")).astype("datetime64[us]"),
                }
            )
            total += store.append("observations", table)
    segments = store.query_df("SELECT segment_id, free_flow_kmh FROM road_segments")
    times = _times(300)
    seg = np.repeat(segments["segment_id"].to_numpy(), len(times))
    free = np.repeat(segments["free_flow_kmh"].to_numpy(float), len(times))
    ts = np.tile(times, len(segments))
    table = pa.table(
        {
            "msg_id": np.char.add(
                np.char.add(seg.astype(str), "@"), ts.astype("int64").astype(str)
            ),
            "segment_id": seg,
            "ts": ts.astype("datetime64[us]"),
            "speed_kmh": free * rng.uniform(0.2, 1.0, len(seg)),
            "flow_vph": rng.uniform(100, 2000, len(seg)),
            "received_at": (ts + np.timedelta64(2, "s")).astype("datetime64[us]"),
        }
    )
    total += store.append("traffic_samples", table)
    units = store.query_df("SELECT resource_id, lon, lat FROM resources WHERE kind IN "
                           "('team', 'vehicle')")  # fmt: skip
    times = _times(60)
    uid = np.repeat(units["resource_id"].to_numpy(), len(times))
    ts = np.tile(times, len(units))
    positions = pd.DataFrame(
        {
            "msg_id": np.char.add(
                np.char.add(uid.astype(str), "@"), ts.astype("int64").astype(str)
            ),
            "unit_id": uid,
            "ts": ts.astype("datetime64[us]"),
            "lon": np.repeat(units["lon"].to_numpy(float), len(times))
            + rng.normal(0, 0.01, len(uid)),
            "lat": np.repeat(units["lat"].to_numpy(float), len(times))
            + rng.normal(0, 0.01, len(uid)),
            "status": "available",
            "received_at": (ts + np.timedelta64(2, "s")).astype("datetime64[us]"),
        }
    )
    total += store.append("unit_positions", positions)
    return total


def picture(store: Store, scope: Scope, at: datetime, calendar: WorkCalendar) -> dict[str, int]:
    cases = cases_at(store, scope, at=at, calendar=calendar)
    cells = case_counts_by_cell(store, scope, at=at, calendar=calendar, cases=cases)
    sensors = sensors_at(store, scope, at=at, tz=TZ)
    traffic = traffic_at(store, at=at)
    incidents = incidents_at(store, scope, at=at)
    resources = resources_at(store, scope, at=at)
    areas = warning_areas_at(store, scope, at=at)
    kpis = kpis_at(
        store, scope, at=at, tz=TZ, calendar=calendar, cases=cases, sensors=sensors,
        traffic=traffic,
    )  # fmt: skip
    return {
        "cases": len(cases),
        "cells": len(cells),
        "sensors": len(sensors),
        "segments": len(traffic),
        "incidents": len(incidents),
        "resources": len(resources),
        "areas": len(areas),
        "open": kpis["open_cases"],
    }


def main(moments: int = 20) -> None:
    rng = np.random.default_rng(11)
    calendar = WorkCalendar()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "bench.duckdb")
        try:
            started = time.perf_counter()
            load_demo_city(store, generate_demo_city(), now=END)
            seed_categories(store)
            counts = generate_case_history(store, end=END, days=DAYS, seed=7, calendar=calendar)
            rows = add_observations(store, rng)
            print(
                f"built in {time.perf_counter() - started:.0f} s: {counts['cases']} cases, "
                f"{counts['transitions']} transitions, {rows:,} observation/sample/position rows"
            )
            scope = Scope("city")
            span = DAYS * 86400
            ats = [END - timedelta(seconds=int(s)) for s in rng.integers(0, span, moments)]
            picture(store, scope, END, calendar)  # warm the caches once, as a server would be
            took, sizes = [], []
            for at in ats:
                t0 = time.perf_counter()
                sizes.append(picture(store, scope, at, calendar))
                took.append(time.perf_counter() - t0)
            # the whole server answer of /screen/api/layers?at=…: every layer built and JSON-encoded
            payload_took, payload_bytes = [], []
            for at in ats:
                t0 = time.perf_counter()
                body = picture_payload(
                    store,
                    scope,
                    at=at,
                    now=END,
                    lang="zh",
                    tz="Asia/Shanghai",
                    calendar=calendar,
                    zoom=9.1,
                )
                payload_bytes.append(len(json.dumps(body, separators=(",", ":"))))
                payload_took.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            for _ in range(3):
                store.query_df("SELECT * FROM cases WHERE stage NOT IN ('closed', 'void')")
            baseline = (time.perf_counter() - t0) / 3
        finally:
            store.close()
    arr = np.array(took)
    p50, p95 = np.percentile(arr, 50), np.percentile(arr, 95)
    print(f"whole picture at {moments} random moments: p50 {p50 * 1000:.0f} ms, "
          f"p95 {p95 * 1000:.0f} ms, max {arr.max() * 1000:.0f} ms (target < 1000 ms)")  # fmt: skip
    print(f"sizes at the last moment: {sizes[-1]}")
    pay = np.array(payload_took)
    print(f"/screen/api/layers?at=… body (layers built, JSON-encoded): p50 "
          f"{np.percentile(pay, 50) * 1000:.0f} ms, p95 {np.percentile(pay, 95) * 1000:.0f} ms, "
          f"max {pay.max() * 1000:.0f} ms; "
          f"{np.median(payload_bytes) / 1e6:.2f} MB median")  # fmt: skip
    print(f"baseline (read the open cases of the current table): {baseline * 1000:.0f} ms; "
          f"ratio p50/baseline {p50 / baseline:.1f}x")  # fmt: skip


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
