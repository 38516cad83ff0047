"""Backup, restore and exports on a demo city with months of history (issue 14's figures).

    .venv/bin/python benchmarks/bench_admin_ops.py [--folder DIR] [--days 90]

Without ``--folder`` a demo city is made in a temp folder (`cityops init` with
``demo.history_days``: about 40 s for 90 days). Then, in this order:

- ``cityops backup`` as the admin (no server: the CLI opens the file), against the baseline of
  copying the database file itself (``shutil.copy``) in the same run;
- ``cityops restore`` of that backup into a fresh folder;
- through the app (Flask's test client, the admin's bearer token): every layer as GeoJSON and
  GeoPackage, and the cases (all, closed included), evaluation, indicators and audit tables
  as CSV and XLSX, each body read to its end; the baseline is DuckDB's own
  ``COPY (SELECT * FROM cases) TO csv`` of the same database.

Times, sizes and ratios to the baselines are printed; nothing is asserted (the machine is
noisy; see docs in the README's "Backup and restore" and the issue's closing note).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LAYERS = (
    "grid-cells",
    "cases",
    "sensors",
    "traffic-segments",
    "incidents",
    "resources",
    "shelters",
    "warning-areas",
    "cameras",
)
TABLES = (
    ("cases", "include_closed=true"),
    ("evaluation", "period=last-month&by=street"),
    ("indicators", "period=last-month"),
    ("audit", ""),
)


def cli(config: Path, *args: str) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", "--config", str(config), "--user", "admin", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    took = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"cityops {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return took, done.stdout + done.stderr


def make_city(days: int) -> Path:
    from tests.conftest import write_config

    folder = Path(tempfile.mkdtemp(prefix="bench-admin-"))
    config = write_config(folder, demo={"history_days": days})
    print(f"making a demo city with {days} days of history in {folder} …", flush=True)
    cli(config, "init")
    return folder


def last_month() -> str:
    now = datetime.now(UTC)
    year, month = (now.year, now.month - 1) if now.month > 1 else (now.year - 1, 12)
    return f"{year}-{month:02d}"


def bench_backup(folder: Path) -> Path:
    config = folder / "config.yaml"
    from models.config import load_config

    database = load_config(config).database_path
    started = time.perf_counter()
    shutil.copy(database, folder / "baseline-copy.duckdb")
    baseline = time.perf_counter() - started
    (folder / "baseline-copy.duckdb").unlink()
    out = folder / "bench-backups"
    shutil.rmtree(out, ignore_errors=True)
    took, _ = cli(config, "backup", "--to", str(out))
    backup = next(out.glob("cityops-backup-*.tar"))
    size = backup.stat().st_size
    print(
        f"backup: {took:.2f} s (whole command), {size / 2**20:.1f} MiB; database "
        f"{database.stat().st_size / 2**20:.1f} MiB copied in {baseline:.3f} s "
        f"(ratio {took / max(baseline, 1e-6):.0f}×)"
    )
    fresh = Path(tempfile.mkdtemp(prefix="bench-restore-"))
    from tests.conftest import write_config

    fresh_config = write_config(fresh)
    took, _ = cli(fresh_config, "restore", str(backup))
    print(f"restore into a fresh folder: {took:.2f} s (whole command)")
    shutil.rmtree(fresh, ignore_errors=True)
    return backup


def bench_exports(folder: Path) -> None:
    from app.server import create_app
    from models.api_tokens import create_token
    from models.config import load_config
    from models.store import Store

    config = load_config(
        folder / "config.yaml", environ={**os.environ, "CITYOPS_SECRET_KEY": "b" * 32}
    )
    store = Store(config.database_path)
    try:
        _token, secret = create_token(
            store, "admin", label="bench", created_by="admin", at=datetime.now(UTC)
        )
        client = create_app(config, store).server.test_client()
        headers = {"Authorization": f"Bearer {secret}"}
        target = folder / "baseline-cases.csv"
        started = time.perf_counter()
        store.query_value(f"COPY (SELECT * FROM cases) TO '{target}' (HEADER)")
        baseline = time.perf_counter() - started
        cases = store.query_value("SELECT count(*) FROM cases")
        print(f"baseline: DuckDB COPY of {cases:,} cases to CSV {baseline:.3f} s")
        for layer in LAYERS:
            for ext in ("geojson", "gpkg"):
                get(client, f"/api/v1/layers/{layer}.{ext}", headers)
        month = last_month()
        for table, query in TABLES:
            query = query.replace("last-month", month)
            for ext in ("csv", "xlsx"):
                took = get(client, f"/api/v1/exports/{table}.{ext}?{query}", headers)
                if table == "cases":
                    print(f"  (ratio to the baseline: {took / max(baseline, 1e-6):.0f}×)")
    finally:
        store.close()


def get(client, path: str, headers: dict[str, str]) -> float:
    started = time.perf_counter()
    response = client.get(path, headers=headers)
    size = sum(len(chunk) for chunk in response.response)
    took = time.perf_counter() - started
    response.close()
    print(f"{path}: {response.status_code}, {size / 2**20:.2f} MiB, {took:.2f} s", flush=True)
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, help="a demo city folder (config.yaml)")
    parser.add_argument("--days", type=int, default=90)
    args = parser.parse_args()
    folder = args.folder or make_city(args.days)
    bench_backup(folder)
    bench_exports(folder)


if __name__ == "__main__":
    main()
