"""Peak memory of the case exports as the number of cases grows: it must stay flat.

    .venv/bin/python benchmarks/bench_exports.py [--csv 2000,8000,32000] [--xlsx 2000,8000]
                                                 [--batch 500]

A bare store (migrations, the category table) gets the largest N cases as the case builder
leaves them (half closed, half in handling, each with its report, dispatch and, when closed,
close transitions, so the SLA standing folds real histories), appended through Arrow. For
each N the export of the first N cases (``q=`` is not used; a ``reported_at`` cut keeps the
same query) runs through the real pipeline, :func:`models.case_export.case_export_batches`
into :func:`app.exports.tables.csv_stream` (consumed and dropped piece by piece, as a
response does) or :func:`app.exports.tables.xlsx_file`, under ``tracemalloc``. Reported:
the Python peak per N and the ratio of the largest N's peak to the smallest's, against the
ratio of the rows (a whole-table export would grow with the rows; a streamed one stays
flat; every N is several batches, ``--batch`` rows each). The run fails (exit 1) when the
peak ratio passes 2. Times are printed for information only.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import tracemalloc
from datetime import datetime, timedelta
from pathlib import Path

import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.exports.tables import csv_stream, xlsx_file
from models.case_export import CASE_EXPORT_COLUMNS, case_export_batches
from models.case_queue import QueueFilter
from models.categories import seed_categories
from models.security import Scope
from models.store import Store
from models.work_calendar import WorkCalendar

T0 = datetime(2026, 1, 5, 1, 0)
CAL = WorkCalendar()
BATCH = 500


def _fill(store: Store, n: int) -> None:
    """``n`` cases one minute apart from T0, and their transitions."""
    ids = [f"B{i:09d}" for i in range(n)]
    reported = [T0 + timedelta(minutes=i) for i in range(n)]
    closed = [i % 2 == 0 for i in range(n)]
    cases = pa.table(
        {
            "case_id": ids,
            "source": ["grid_worker"] * n,
            "category_code": ["0201"] * n,
            "lon": [116.6 + (i % 1000) * 1e-4 for i in range(n)],
            "lat": [23.6 + (i % 997) * 1e-4 for i in range(n)],
            "reported_at": reported,
            "cell_code": ["445102007002001"] * n,
            "district_code": ["445102"] * n,
            "street_code": ["445102007"] * n,
            "stage": ["closed" if c else "handling" for c in closed],
            "dispatched_at": [r + timedelta(minutes=30) for r in reported],
            "due_at": [r + timedelta(days=2) for r in reported],
            "closed_at": [r + timedelta(hours=5) if c else None for r, c in zip(reported, closed)],
            "sla_limit_s": [7 * 8 * 3600] * n,
            "assigned_unit": ["CG-445102"] * n,
            "description": [f"道路不洁 第{i}号，电话13812345678" for i in range(n)],
        }
    )
    steps = [("report", "reported", 0), ("dispatch", "dispatched", 30), ("start", "handling", 60)]
    rows: dict[str, list] = {k: [] for k in ("case_id", "seq", "occurred_at", "actor", "action",
                                             "from_stage", "to_stage")}  # fmt: skip
    for cid, at, c in zip(ids, reported, closed, strict=True):
        prev = None
        path = [*steps, ("close", "closed", 300)] if c else steps
        for seq, (action, to, minutes) in enumerate(path, start=1):
            for key, value in zip(rows, (cid, seq, at + timedelta(minutes=minutes), "bench",
                                         action, prev, to), strict=True):  # fmt: skip
                rows[key].append(value)
            prev = to
    store.append("cases", cases)
    store.append("case_transitions", pa.table(rows))


def _peak(run) -> tuple[int, float]:
    tracemalloc.start()
    tracemalloc.reset_peak()
    start = time.perf_counter()
    run()
    elapsed = time.perf_counter() - start
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak, elapsed


def _csv(store: Store, cut: datetime) -> None:
    flt = QueueFilter(include_closed=True)
    rows = case_export_batches(store, Scope("city"), flt, now=cut, calendar=CAL, batch_rows=BATCH)
    total = 0
    for piece in csv_stream(CASE_EXPORT_COLUMNS, rows):
        total += len(piece)  # sent and dropped, as a streamed response does


def _xlsx(store: Store, cut: datetime) -> None:
    flt = QueueFilter(include_closed=True)
    rows = case_export_batches(store, Scope("city"), flt, now=cut, calendar=CAL, batch_rows=BATCH)
    xlsx_file(CASE_EXPORT_COLUMNS, rows, sheet="cases").close()


def _series(name: str, sizes: list[int], run, folder: Path) -> bool:
    """Each size in a store of its own (the export takes every case of the store)."""
    peaks = []
    for n in sizes:
        with Store(folder / f"{name}-{n}.duckdb") as store:
            seed_categories(store)
            _fill(store, n)
            cut = T0 + timedelta(minutes=n + 1)
            peak, elapsed = _peak(lambda s=store, c=cut: run(s, c))
        peaks.append(peak)
        print(f"{name:5s} {n:>8,} cases  peak {peak / 2**20:7.1f} MiB  ({elapsed:5.1f} s)")
    ratio = peaks[-1] / peaks[0]
    rows = sizes[-1] / sizes[0]
    print(f"{name:5s} peak ratio {ratio:.2f} for {rows:.0f}x the cases (flat: < 2)")
    return ratio < 2


def main(argv: list[str] | None = None) -> int:
    global BATCH
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", default="2000,8000,32000")
    parser.add_argument("--xlsx", default="2000,8000")
    parser.add_argument("--batch", type=int, default=BATCH, help="rows per batch")
    args = parser.parse_args(argv)
    BATCH = args.batch
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        ok &= _series("csv", [int(v) for v in args.csv.split(",")], _csv, folder)
        ok &= _series("xlsx", [int(v) for v in args.xlsx.split(",")], _xlsx, folder)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
