"""Shared set-up of the /screen benchmarks: a demo folder, synthetic open cases, MQTT reports,
HTTP fetches with the browser's session cookie, machine facts.

Loopback only; every process started here is stopped by its owner (a context manager).
"""

from __future__ import annotations

import gzip
import json
import os
import platform
import subprocess
import sys
import time
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SECRET = "bench-secret-key-0123456789abcdef"
REPORT_TOPIC = "cityops/v1/reports"


def make_demo(folder: Path, *, mqtt_port: int | None = None) -> Path:
    """`cityops init` in ``folder`` (no case history); MQTT pointed at a private broker or off."""
    import yaml

    from app.cli import main as cli

    folder.mkdir(parents=True, exist_ok=True)
    data: dict[str, Any] = {
        "storage": {"path": "cityops.duckdb", "backup_dir": "backups"},
        "demo": {"history_days": 0},
    }
    if mqtt_port is None:
        data["ingest"] = {"mqtt_enabled": False}
    else:
        data["mqtt"] = {
            "host": "127.0.0.1",
            "port": mqtt_port,
            "embedded_fallback": False,
            "client_id": f"bench-{uuid.uuid4().hex[:8]}",
        }
    config = folder / "config.yaml"
    config.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    if cli(["--config", str(config), "init"]) != 0:
        raise RuntimeError("cityops init failed")
    return config


def demo_passwords(folder: Path) -> dict[str, str]:
    lines = (folder / "demo-users.txt").read_text(encoding="utf-8").splitlines()[1:]
    return {line.split()[0]: line.split()[2] for line in lines if line.strip()}


def load_cells(db: Path) -> pd.DataFrame:
    """Cells of the newest grid version with centroid and bounds (the store must be closed)."""
    from models.store import Store

    store = Store(db)
    try:
        version = store.query_value("SELECT max(version_id) FROM grid_versions")
        return store.query_df(
            "SELECT version_id, cell_code, centroid_lon, centroid_lat, min_lon, min_lat, "
            "max_lon, max_lat FROM grid_cells WHERE version_id = ? ORDER BY cell_code",
            [version],
        )
    finally:
        store.close()


#: stage -> the path of (action, to_stage) that leads to it
PATHS = {
    "reported": [("report", "reported")],
    "registered": [("report", "reported"), ("accept", "accepted"), ("register", "registered")],
    "dispatched": [
        ("report", "reported"),
        ("accept", "accepted"),
        ("register", "registered"),
        ("dispatch", "dispatched"),
    ],
    "handling": [
        ("report", "reported"),
        ("accept", "accepted"),
        ("register", "registered"),
        ("dispatch", "dispatched"),
        ("start", "handling"),
    ],
}
ROLE = {"report": "grid_worker", "start": "handler"}


def add_open_cases(db: Path, n: int, *, seed: int = 11) -> dict[str, int]:
    """Append ``n`` open cases and their transitions through Arrow in one transaction.

    Stages: 25 % each reported / registered / dispatched / handling; dispatched and
    handling ones get a due time from 30 working hours past to 60 hours ahead; 1 % exercise.
    """
    from ingest.demo_city.history import _CASES_SCHEMA, _TRANS_SCHEMA
    from models.store import Store

    rng = np.random.default_rng(seed)
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    store = Store(db)
    try:
        version = int(store.query_value("SELECT max(version_id) FROM grid_versions"))
        cells = store.query_df(
            "SELECT cell_code, centroid_lon, centroid_lat, min_lon, min_lat, max_lon, max_lat "
            "FROM grid_cells WHERE version_id = ?",
            [version],
        )
        cats = [
            r[0]
            for r in store.query_rows(
                "SELECT category_code FROM categories WHERE enabled ORDER BY 1"
            )
        ]
        idx = rng.integers(0, len(cells), size=n)
        c = cells.iloc[idx].reset_index(drop=True)
        jit = rng.uniform(-0.4, 0.4, size=(n, 2))
        lon = c["centroid_lon"].to_numpy() + jit[:, 0] * (c["max_lon"] - c["min_lon"]).to_numpy()
        lat = c["centroid_lat"].to_numpy() + jit[:, 1] * (c["max_lat"] - c["min_lat"]).to_numpy()
        stages = np.array(list(PATHS))[rng.integers(0, len(PATHS), size=n)]
        category = np.array(cats, dtype=object)[rng.integers(0, len(cats), size=n)]
        age_s = rng.uniform(600, 48 * 3600, size=n)
        due_h = rng.uniform(-30, 60, size=n)
        exercise = rng.random(n) < 0.01
        codes = c["cell_code"].tolist()
        case_rows: dict[str, list[Any]] = {f.name: [] for f in _CASES_SCHEMA}
        trans: dict[str, list[Any]] = {f.name: [] for f in _TRANS_SCHEMA}
        for i in range(n):
            case_id = f"B{i + 1:07d}"
            reported = now - timedelta(seconds=float(age_s[i]))
            path = PATHS[stages[i]]
            step = (now - reported) / (len(path) + 1)
            frm = None
            dispatched_at = registered_at = None
            for k, (action, to) in enumerate(path):
                at = reported + step * k
                trans["case_id"].append(case_id)
                trans["seq"].append(k + 1)
                trans["occurred_at"].append(at)
                trans["actor"].append("bench")
                trans["role"].append(ROLE.get(action, "dispatcher"))
                trans["action"].append(action)
                trans["from_stage"].append(frm)
                trans["to_stage"].append(to)
                trans["note"].append(None)
                trans["data"].append('{"unit": "U-BENCH"}' if action == "dispatch" else None)
                frm = to
                if action == "dispatch":
                    dispatched_at = at
                if action == "register":
                    registered_at = at
            clock = dispatched_at is not None
            code = codes[i]
            row = {
                "case_id": case_id,
                "external_id": f"bench:{i + 1}",
                "source": "grid_worker",
                "category_code": category[i],
                "lon": float(lon[i]),
                "lat": float(lat[i]),
                "description": "bench",
                "reporter": "bench",
                "reported_at": reported,
                "grid_version": version,
                "cell_code": code,
                "district_code": code[:6],
                "street_code": code[:9],
                "community_code": code[:12],
                "exercise": bool(exercise[i]),
                "stage": str(stages[i]),
                "assigned_unit": "U-BENCH" if clock else None,
                "assignee": None,
                "due_at": now + timedelta(hours=float(due_h[i])) if clock else None,
                "closed_at": None,
                "rework_count": 0,
                "registered_at": registered_at,
                "dispatched_at": dispatched_at,
                "dispatch_due_at": None,
                "handled_at": None,
                "sla_limit_s": 8 * 3600 if clock else None,
                "handling_used_s": None,
                "returns_count": 0,
            }
            for key, value in row.items():
                case_rows[key].append(value)
        cases_tbl = pa.table(case_rows, schema=_CASES_SCHEMA)
        trans_tbl = pa.table(trans, schema=_TRANS_SCHEMA)

        def write(tx: Any) -> None:
            tx.append("cases", cases_tbl)
            tx.append("case_transitions", trans_tbl)

        store.write(write)
    finally:
        store.close()
    counts = {"cases": n, "transitions": trans_tbl.num_rows, "exercise": int(exercise.sum())}
    counts.update({f"stage:{s}": int((stages == s).sum()) for s in PATHS})
    return counts


def report_body(lon: float, lat: float, *, category: str = "0201") -> tuple[str, bytes]:
    msg_id = str(uuid.uuid4())
    body = {
        "id": msg_id,
        "ts": datetime.now(UTC).isoformat(timespec="seconds"),
        "source": "grid_worker",
        "category": category,
        "lon": round(lon, 6),
        "lat": round(lat, 6),
        "text": "bench: 道路不洁，有积存垃圾",
        "reporter": "GW-BENCH-01",
    }
    return msg_id, json.dumps(body, ensure_ascii=False).encode()


def fetch(url: str, cookie: str, *, gzip_ok: bool) -> tuple[bytes, float, str]:
    """GET ``url`` as the browser's session: (body as sent, seconds, Content-Encoding)."""
    req = urllib.request.Request(
        url,
        headers={
            "Cookie": cookie,
            "Accept-Encoding": "gzip" if gzip_ok else "identity",
            "Cache-Control": "no-store",
        },
    )
    started = time.perf_counter()
    with urllib.request.urlopen(req, timeout=120) as resp:
        raw = resp.read()
        encoding = resp.headers.get("Content-Encoding", "") or "identity"
    return raw, time.perf_counter() - started, encoding


def decode(raw: bytes, encoding: str) -> Any:
    return json.loads(gzip.decompress(raw) if encoding == "gzip" else raw)


def cookie_header(page: Any) -> str:
    return "; ".join(f"{c['name']}={c['value']}" for c in page.context.cookies())


def machine() -> dict[str, str]:
    from tests.browser import chromium_path

    try:
        version = subprocess.run(
            [chromium_path(), "--version"], capture_output=True, text=True, timeout=20
        ).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        version = "?"
    mem = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "memory": mem,
        "python": platform.python_version(),
        "chromium": version,
    }


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values, float), q)) if values else float("nan")
