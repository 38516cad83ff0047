"""Time the demo-city generator and print the size of each layer.

Run: ``python benchmarks/bench_demo_city.py [--repeat N] [--seed S]``. The baseline, measured
in the same run, is a bare vectorised clip of 10,000 squares to the districts: the ratio says
how many such clips the whole generator costs, which is steadier across machines than seconds.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ingest.demo_city.boundaries import load_district_boundaries
from ingest.demo_city.generate import DEFAULT_SEED, generate_demo_city


def _baseline() -> float:
    city = shapely.union_all(load_district_boundaries().to_crs(32650).geometry.values)
    x0, y0, x1, y1 = city.bounds
    xs = np.linspace(x0, x1, 100, endpoint=False)
    ys = np.linspace(y0, y1, 100, endpoint=False)
    gx, gy = np.meshgrid(xs, ys)
    size = (x1 - x0) / 100
    squares = shapely.box(gx.ravel(), gy.ravel(), gx.ravel() + size, gy.ravel() + size)
    start = time.perf_counter()
    shapely.intersection(squares, city, grid_size=0.01)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs to time (best is reported)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)

    generate_demo_city(seed=args.seed)  # warm caches and imports once
    times = []
    city = None
    for _ in range(args.repeat):
        start = time.perf_counter()
        city = generate_demo_city(seed=args.seed)
        times.append(time.perf_counter() - start)
    base = min(_baseline() for _ in range(3))
    assert city is not None
    best = min(times)
    print(
        f"generate_demo_city(seed={args.seed}): best {best:.2f} s of {args.repeat} "
        f"(all: {', '.join(f'{t:.2f}' for t in times)})"
    )
    print(f"baseline (clip 10,000 squares to the city): {base:.3f} s; ratio {best / base:.1f}x")
    for name, frame in city.layers().items():
        print(f"  {name:12} {len(frame):6d}")
    cells = city.cells
    print("  cells by size class:", cells["size_class"].value_counts().to_dict())
    print("  sensors by kind:", city.sensors["kind"].value_counts().to_dict())
    print("  roads by class:", city.roads["road_class"].value_counts().to_dict())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
