"""Time ``evaluate`` per district, street, department and post over a month of synthetic cases.

Run: ``python benchmarks/bench_evaluation.py [--cases N] [--repeat R] [--db PATH]``.
N cases (default 1,000,000) registered uniformly over October 2026, generated vectorised
from a fixed seed and appended through the store in Arrow batches. The baseline, measured
in the same run, is a bare ``count(*) ... GROUP BY`` over the same cohort: the scan and
grouping every evaluation pays; the ratio shows what the figures and the score cost on top.
Best of ``--repeat`` runs each. Target: under 1 s per grouping.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from models.evaluation import GROUPS, evaluate
from models.store import Store

START, END = datetime(2026, 10, 1), datetime(2026, 11, 1)
NOW = END + timedelta(days=5)
BATCH = 250_000
SEC = np.timedelta64(1, "s")


def make_cases(first: int, n: int, rng: np.random.Generator) -> pa.Table:
    """One batch of plausible cases: most dispatched, handled and closed, some late."""
    ids = pc.binary_join_element_wise(
        "C", pc.cast(pa.array(np.arange(first, first + n)), pa.string()), ""
    )
    span = int((END - START).total_seconds())
    reg = np.datetime64(START, "s") + rng.integers(0, span, n) * SEC
    district = rng.integers(0, 4, n)
    street = district * 10 + rng.integers(0, 10, n)
    dispatched = rng.random(n) < 0.95
    disp = reg + (rng.exponential(3_600, n).astype(np.int64)) * SEC
    sla = rng.choice([1, 2, 3], n) * 86_400
    handled = dispatched & (rng.random(n) < 0.85)
    used = rng.exponential(sla * 0.6).astype(np.int64)
    handled_at = disp + (used * 2) * SEC
    closed = handled & (rng.random(n) < 0.9)
    closed_at = handled_at + rng.exponential(14_400, n).astype(np.int64) * SEC
    rework = (rng.random(n) < 0.06).astype(np.int32)
    open_stage = np.where(dispatched, "handling", "registered")
    stage = np.where(closed, "closed", np.where(handled, "handled", open_stage))

    def ts(values: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
        return pa.array(values.astype("datetime64[us]"), mask=None if mask is None else ~mask)

    return pa.table(
        {
            "case_id": ids,
            "source": pa.array(np.full(n, "grid_worker")),
            "reported_at": ts(reg),
            "registered_at": ts(reg),
            "exercise": pa.array(rng.random(n) < 0.02),
            "stage": pa.array(stage),
            "district_code": pa.array((445100 + district).astype(str)),
            "street_code": pa.array(np.char.add("445100", street.astype(str))),
            "assigned_unit": pa.array(
                np.char.add("D", rng.integers(0, 60, n).astype(str)), mask=~dispatched
            ),
            "assignee": pa.array(
                np.char.add("w", rng.integers(0, 3_000, n).astype(str)), mask=~dispatched
            ),
            "dispatch_due_at": ts(reg + 7_200 * SEC),
            "dispatched_at": ts(disp, dispatched),
            "due_at": ts(disp + sla * SEC, dispatched),
            "sla_limit_s": pa.array(sla, mask=~dispatched),
            "handled_at": ts(handled_at, handled),
            "handling_used_s": pa.array(used, mask=~handled),
            "closed_at": ts(closed_at, closed),
            "rework_count": pa.array(rework),
        }
    )


def best_of(repeat: int, fn) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--db", type=Path, default=None, help="database file (default: temp)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.db or Path(tmp) / "bench.duckdb"
        with Store(path) as store:
            rng = np.random.default_rng(20261001)
            t0 = time.perf_counter()
            for first in range(0, args.cases, BATCH):
                store.append("cases", make_cases(first, min(BATCH, args.cases - first), rng))
            load = time.perf_counter() - t0
            total = store.query_value("SELECT count(*) FROM cases")
            print(f"loaded {total:,} cases in {load:.1f} s ({total / load:,.0f} rows/s)")
            print(f"{'by':<11}{'groups':>7}{'baseline s':>12}{'evaluate s':>12}{'ratio':>8}")
            for by, (column, _, _) in GROUPS.items():
                base, _ = best_of(
                    args.repeat,
                    lambda column=column: store.query_df(
                        f"SELECT {column}, count(*) FROM cases WHERE NOT exercise "
                        "AND registered_at >= ? AND registered_at < ? GROUP BY ALL",
                        [START, END],
                    ),
                )
                took, frame = best_of(
                    args.repeat,
                    lambda by=by: evaluate(
                        store, period_start=START, period_end=END, by=by, now=NOW
                    ),
                )
                verdict = "" if took < 1 else "  (over the 1 s target)"
                print(
                    f"{by:<11}{len(frame):>7}{base:>12.3f}{took:>12.3f}{took / base:>8.1f}{verdict}"
                )
            print("\nby district:")
            cols = [
                "group_value", "registered", "on_time_dispatch_rate", "on_time_handling_rate",
                "closure_rate", "rework_rate", "overdue_count", "mean_handling_hours", "score",
            ]  # fmt: skip
            frame = evaluate(store, period_start=START, period_end=END, by="district", now=NOW)
            print(frame[cols].round(3).to_string(index=False))


if __name__ == "__main__":
    main()
