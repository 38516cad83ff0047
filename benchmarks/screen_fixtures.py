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
    """Append ``n`` open cases through the one case builder, then their later transitions
    and milestones through Arrow, in one transaction (as the demo history does).

    Stages: 25 % each reported / registered / dispatched / handling; dispatched and
    handling ones get a due time from 30 working hours past to 60 hours ahead; 1 % exercise.
    """
    from ingest.demo_city.history import TRANSITION_SCHEMA
    from models.case_builder import NewReport, prepare_cases, write_cases
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
        reports: list[NewReport] = []
        later: dict[str, list[Any]] = {k: [] for k in TRANSITION_SCHEMA.names}
        milestones: dict[str, list[Any]] = {k: [] for k in _MILESTONE_COLUMNS}
        for i in range(n):
            reported = now - timedelta(seconds=float(age_s[i]))
            reports.append(
                NewReport(
                    category_code=str(category[i]),
                    lon=float(lon[i]),
                    lat=float(lat[i]),
                    at=reported,
                    source="grid_worker",
                    actor="bench",
                    role="grid_worker",
                    text="bench",
                    reporter="bench",
                    external_id=f"bench:{seed}:{i + 1}",
                    exercise=bool(exercise[i]),
                    cell_code=codes[i],
                    grid_version=version,
                )
            )
            path = PATHS[stages[i]]
            step = (now - reported) / (len(path) + 1)
            frm = "reported"
            dispatched_at = registered_at = None
            for k, (action, to) in enumerate(path[1:], start=1):  # the report: the builder
                at = reported + step * k
                for key, value in zip(
                    TRANSITION_SCHEMA.names,
                    (
                        i, k + 1, at, "bench", ROLE.get(action, "dispatcher"), action, frm, to,
                        None, '{"unit": "U-BENCH"}' if action == "dispatch" else None,
                    ),
                    strict=True,
                ):  # fmt: skip
                    later[key].append(value)
                frm = to
                if action == "dispatch":
                    dispatched_at = at
                if action == "register":
                    registered_at = at
            clock = dispatched_at is not None
            for key, value in zip(
                _MILESTONE_COLUMNS,
                (
                    i, str(stages[i]), "U-BENCH" if clock else None,
                    now + timedelta(hours=float(due_h[i])) if clock else None,
                    registered_at, dispatched_at, 8 * 3600 if clock else None,
                ),
                strict=True,
            ):  # fmt: skip
                milestones[key].append(value)
        batch = prepare_cases(store, reports)

        def write(tx: Any) -> int:
            ids = write_cases(tx, batch).case_ids
            trans = pa.table({**later, "case_id": [ids[i] for i in later["case_id"]]})
            marks = pa.table({**milestones, "case_id": [ids[i] for i in milestones["case_id"]]})
            tx.append("case_transitions", trans.cast(TRANSITION_SCHEMA))
            with tx.registered(marks) as name:
                columns = [f for f in _MILESTONE_COLUMNS if f != "case_id"]
                tx.execute(
                    f"UPDATE cases SET {', '.join(f'{f} = m.{f}' for f in columns)} "
                    f"FROM {name} m WHERE cases.case_id = m.case_id"
                )
            return trans.num_rows + n

        transitions = store.write(write)
    finally:
        store.close()
    counts = {"cases": n, "transitions": transitions, "exercise": int(exercise.sum())}
    counts.update({f"stage:{s}": int((stages == s).sum()) for s in PATHS})
    return counts


_MILESTONE_COLUMNS = (
    "case_id", "stage", "assigned_unit", "due_at", "registered_at", "dispatched_at",
    "sla_limit_s",
)  # fmt: skip


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
