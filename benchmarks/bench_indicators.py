"""Time the cockpit's indicators for one month (values, previous period, 12-month trend) and a
drill-down list, over N synthetic cases.

Run: ``python benchmarks/bench_indicators.py [--cases N] [--months M] [--repeat R] [--db PATH]``.
N cases (default 1,000,000) registered uniformly over the M months (default 12) ending with
November 2026, made in the database by one ``INSERT … SELECT`` over ``range(N)`` with
hash-drawn categories, sources, districts and milestones (about 5 % late dispatch, 15 % late
handling, 6 % rework, some open and overdue). The month asked for is 2026-11; with a trend
of 12 months every indicator's query reads all the cases.

Baselines, measured in the same run, best of ``--repeat``: a plain ``count(*)`` of the cases
registered in the trend's months (the rows every indicator reads) for the indicators, and of
the month's cases for the drill-down; and, since DuckDB answers a bare count almost for
free, the same count grouped by local month (``GROUP BY date_trunc``), which must read every
row's timestamp. Targets: all indicators < 1 s; a drill-down list
(200 rows) < 300 ms.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from models.indicators.compute import cases_behind, compute_indicators
from models.indicators.periods import last_periods, parse_period
from models.indicators.registry import load_indicators
from models.security import Scope
from models.store import Store

MONTH = parse_period("2026-11")
NOW = datetime(2026, 12, 3)
CATEGORIES = [
    "0101", "0102", "0103", "0104", "0105", "0106", "0107", "0108", "0115", "0201", "0202", "0203",
    "0204", "0205", "0206", "0207", "0301", "0302", "0303", "0304", "0305", "0306", "0308", "0309",
    "0311", "0401", "0402", "0403", "0405", "0409", "0501", "0502", "0503", "0504", "0601", "0602",
    "0603", "0604", "0605", "0606", "0701", "0702", "0801", "0804", "0805",
]  # fmt: skip
DISTRICTS = ("445102", "445103", "445122")


def insert_sql(n: int, start: datetime, end: datetime) -> str:
    """One INSERT of ``n`` cases registered in ``[start, end)``, all drawn from ``hash(i, k)``."""
    span = int((end - start).total_seconds())
    cats = ", ".join(f"'{c}'" for c in CATEGORIES)
    dists = ", ".join(f"'{d}'" for d in DISTRICTS)

    def u(k: int) -> str:  # a uniform draw in [0, 1) per case and key
        return f"(hash(i, {k}) % 1000000) / 1000000.0"

    return f"""
INSERT INTO cases (case_id, source, category_code, cell_code, district_code, street_code,
  reported_at, registered_at, exercise, stage, assigned_unit, assignee, dispatch_due_at,
  dispatched_at, due_at, sla_limit_s, handled_at, handling_used_s, closed_at, rework_count)
WITH d AS (
  SELECT i,
    TIMESTAMP '{start:%Y-%m-%d %H:%M:%S}' + to_seconds((hash(i, 1) % {span})::BIGINT) AS reg,
    [{dists}][1 + (hash(i, 2) % 3)::INTEGER] AS dist,
    lpad(((hash(i, 3) % 20) + 1)::VARCHAR, 3, '0') AS street,
    lpad((hash(i, 4) % 999)::VARCHAR, 6, '0') AS cell,
    [{cats}][1 + (hash(i, 5) % {len(CATEGORIES)})::INTEGER] AS cat,
    CASE WHEN {u(6)} < 0.45 THEN 'hotline' WHEN {u(6)} < 0.9 THEN 'grid_worker'
         ELSE 'iot' END AS source,
    {u(7)} < 0.97 AS dispatched,
    {u(8)} < 0.95 AS dispatch_on_time,
    {u(9)} < 0.88 AS handled,
    {u(10)} < 0.85 AS handle_on_time,
    {u(11)} < 0.92 AS closed,
    {u(12)} < 0.06 AS reworked,
    (1 + hash(i, 13) % 3)::BIGINT * 86400 AS sla
  FROM range({n}) t(i)
), m AS (
  SELECT *, reg + INTERVAL 2 HOUR AS disp_due,
    reg + to_seconds(CASE WHEN dispatch_on_time THEN 3600 ELSE 10800 END) AS disp_at,
    CASE WHEN handle_on_time THEN sla / 2 ELSE sla + 7200 END AS used
  FROM d
)
SELECT 'C' || i, source, cat, dist || street || cell, dist, dist || street, reg, reg,
  {u(14)} < 0.01,
  CASE WHEN NOT dispatched THEN 'registered' WHEN handled AND closed THEN 'closed'
       WHEN handled THEN 'handled' ELSE 'handling' END,
  CASE WHEN dispatched THEN 'U' || (hash(i, 15) % 60) END,
  CASE WHEN dispatched THEN 'w' || (hash(i, 16) % 3000) END,
  disp_due,
  CASE WHEN dispatched THEN disp_at END,
  CASE WHEN dispatched THEN disp_at + to_seconds(sla * 2) END,
  CASE WHEN dispatched THEN sla END,
  CASE WHEN dispatched AND handled THEN disp_at + to_seconds(used * 2) END,
  CASE WHEN dispatched AND handled THEN used END,
  CASE WHEN dispatched AND handled AND closed THEN disp_at + to_seconds(used * 2 + 7200) END,
  CASE WHEN dispatched AND handled AND reworked THEN 1 ELSE 0 END
FROM m
"""


def best_of(repeat: int, fn):  # type: ignore[no-untyped-def]
    best, result = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def count_between(store: Store, start: datetime, end: datetime) -> int:
    return store.query_value(
        "SELECT count(*) FROM cases WHERE registered_at >= ? AND registered_at < ?", [start, end]
    )


def line(name: str, took: float, base: float, target: float) -> str:
    verdict = "ok" if took < target else f"over the {target * 1000:.0f} ms target"
    return f"{name:<44}{took * 1000:>9.1f}{base * 1000:>11.1f}{took / base:>8.1f}  {verdict}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--db", type=Path, default=None, help="database file (default: temp)")
    args = parser.parse_args()
    months = last_periods(MONTH, args.months)
    trend = last_periods(MONTH, 12)
    indicators = load_indicators()
    case_only = tuple(i for i in indicators if i.case_based)
    city, district = Scope("city"), Scope("district", ("445102",))
    with tempfile.TemporaryDirectory() as tmp:
        path = args.db or Path(tmp) / "bench.duckdb"
        with Store(path) as store:
            t0 = time.perf_counter()
            sql = insert_sql(args.cases, months[0].start, months[-1].end)
            store.write(lambda tx: tx.execute(sql))
            load = time.perf_counter() - t0
            total = store.query_value("SELECT count(*) FROM cases")
            in_month = count_between(store, MONTH.start, MONTH.end)
            print(f"made {total:,} cases over {args.months} months in {load:.1f} s; "
                  f"{in_month:,} registered in {MONTH.label}")  # fmt: skip
            base_trend, _ = best_of(args.repeat, lambda: count_between(
                store, trend[0].start, trend[-1].end))  # fmt: skip
            base_month, _ = best_of(args.repeat, lambda: count_between(
                store, MONTH.start, MONTH.end))  # fmt: skip
            grouped, _ = best_of(args.repeat, lambda: store.query_df(
                "SELECT date_trunc('month', registered_at + INTERVAL 8 HOUR) AS m, count(*) "
                "FROM cases WHERE registered_at >= ? AND registered_at < ? GROUP BY m",
                [trend[0].start, trend[-1].end]))  # fmt: skip
            print(f"count(*) per month over the trend's rows (second baseline): "
                  f"{grouped * 1000:.1f} ms")  # fmt: skip
            print(f"\n{'':<44}{'ms':>9}{'base ms':>11}{'ratio':>8}")

            def run(inds, scope):  # type: ignore[no-untyped-def]
                return lambda: compute_indicators(
                    store, period=MONTH, scope=scope, now=NOW, indicators=inds, trend_periods=12
                )

            took, rows = best_of(args.repeat, run(indicators, city))
            print(line(f"all {len(indicators)} indicators + trend, city", took, base_trend, 1.0))
            took, _ = best_of(args.repeat, run(case_only, city))
            print(line(f"{len(case_only)} case indicators + trend, city", took, base_trend, 1.0))
            took, _ = best_of(args.repeat, run(indicators, district))
            print(line("all indicators + trend, one district", took, base_trend, 1.0))
            for ident, scope, name in (
                ("governance.on_time_handling", city, "drill-down 200 rows, city, all cases"),
                ("urban.overdue", city, "drill-down 200 rows, city, 城市管理 overdue"),
                ("service.response", district, "drill-down 200 rows, district, 12345"),
            ):
                took, frame = best_of(args.repeat, lambda ident=ident, scope=scope: cases_behind(
                    store, ident, period=MONTH, scope=scope, now=NOW, limit=200))  # fmt: skip
                assert len(frame) == 200
                print(line(name, took, base_month, 0.3))
            print("\nsample (city, 2026-11):")
            for row in rows[:8]:
                value = "—" if row["value"] is None else f"{row['value']:.2f}"
                print(f"  {row['id']:<32}{value:>10} {row['unit']:<3} {row['status'] or ''}")


if __name__ == "__main__":
    main()
