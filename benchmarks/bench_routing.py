"""Routing throughput in bulk: 100,000 located reports on the demo city (target < 2 s).

    .venv/bin/python benchmarks/bench_routing.py [--cases 100000]

Locates the points on the current grid (GridIndex), reads the reference data once and
routes every report with its reasons. Prints the time of each step and the total.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    from app.cli import main as cli
    from ingest.locate import locate_points
    from models.bulk_routing import load_routing_tables, route_many
    from models.store import Store

    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=100_000)
    n = parser.parse_args().cases
    work = Path(tempfile.mkdtemp(prefix="bench-routing-"))
    (work / "config.yaml").write_text("storage:\n  path: b.duckdb\ndemo:\n  create_users: false\n")
    assert cli(["--config", str(work / "config.yaml"), "init"]) == 0
    store = Store(work / "b.duckdb")
    rng = np.random.default_rng(20261124)
    lon = np.concatenate(
        [rng.normal(116.64, 0.05, n * 7 // 10), rng.uniform(116.4, 117.15, n - n * 7 // 10)]
    )
    lat = np.concatenate(
        [rng.normal(23.66, 0.05, n * 7 // 10), rng.uniform(23.45, 24.2, n - n * 7 // 10)]
    )
    codes = [r[0] for r in store.query_rows("SELECT category_code FROM categories")]
    categories = [codes[i] for i in rng.integers(0, len(codes), n)]
    locate_points(store, lon[:10], lat[:10])  # build the grid index once (as a server has)
    t0 = time.perf_counter()
    located = locate_points(store, lon, lat)
    t1 = time.perf_counter()
    tables = load_routing_tables(store, [(located.version, c) for c in located.cells])
    t2 = time.perf_counter()
    routes = route_many(
        list(zip(categories, [located.version] * n, located.cells, strict=True)), tables
    )
    t3 = time.perf_counter()
    store.close()
    bases = {}
    for r in routes:
        bases[r.basis] = bases.get(r.basis, 0) + 1
    print(
        f"{n:,} reports: locate {t1 - t0:.3f} s, reference data {t2 - t1:.3f} s, "
        f"route {t3 - t2:.3f} s; total {t3 - t0:.3f} s (target < 2 s) -> "
        f"{n / (t3 - t0):,.0f} cases/s"
    )
    print("by basis:", dict(sorted(bases.items())))


if __name__ == "__main__":
    main()
