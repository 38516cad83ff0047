"""The dispatch queue at 100,000 open cases, and a bulk "dispatch as suggested" of 500.

    .venv/bin/python benchmarks/bench_queue.py [--cases 100000] [--bulk 500] [--repeat 5]

A demo folder (`cityops init`, no history) gets N open cases made as people make them: the
reports through the one case builder (``prepare_cases``/``write_cases``, 5 days of them, at
random places of the demo grid, every enabled category), then moved by
``models.case_service.act_many`` in two-hour cohorts, oldest first (accept, register,
dispatch as suggested, start), so units, deadlines and histories are the real ones: a
quarter each stays reported, registered, dispatched, handling. Then, each the median of ``--repeat``
runs, ``models.case_queue.queue_page`` answers: the first page (open cases by deadline), a
filter change (a district and two stages), the SLA filters (``near``, ``overdue``, exact
against the calendar), a text search, and a sort (newest report first). The baseline of each
is a plain DuckDB query of the same rows on the same store (count plus one ordered page of
the same columns, no names, no SLA): the ratio is what the queue costs on top of reading.
Last, ``models.case_service.act_many`` dispatches ``--bulk`` registered cases as suggested,
against a plain UPDATE of the same rows in one transaction. Targets: each queue answer
< 300 ms, the bulk dispatch < 2 s.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from screen_fixtures import make_demo

from models.case_builder import NewReport, prepare_cases, write_cases
from models.case_queue import QueueFilter, queue_page
from models.case_service import Actor, act_many
from models.clock import utcnow
from models.security import Scope
from models.store import Store
from models.work_calendar import WorkCalendar

PAGE = 100
_COLUMNS = (
    "case_id, stage, category_code, source, district_code, street_code, reported_at, due_at, "
    "assigned_unit, claimed_by, exercise, description, lon, lat, escalation_level, change_seq"
)


#: stage -> the actions after the report that lead there
PATHS = {
    "reported": (),
    "registered": ("accept", "register"),
    "dispatched": ("accept", "register", "dispatch"),
    "handling": ("accept", "register", "dispatch", "start"),
}
COHORT = timedelta(hours=2)


def seed_cases(store: Store, n: int, *, seed: int = 11) -> dict[str, int]:
    """``n`` reports over the last 5 days through the case builder, moved along the workflow
    through ``act_many`` in two-hour cohorts (each cohort's actions after its last report)."""
    rng = np.random.default_rng(seed)
    now = utcnow().replace(microsecond=0)
    version = int(store.query_value("SELECT max(version_id) FROM grid_versions"))
    cells = store.query_df(
        "SELECT cell_code, centroid_lon, centroid_lat, min_lon, min_lat, max_lon, max_lat "
        "FROM grid_cells WHERE version_id = ?",
        [version],
    )
    cats = [r[0] for r in store.query_rows(
        "SELECT category_code FROM categories WHERE enabled ORDER BY 1")]  # fmt: skip
    pick = cells.iloc[rng.integers(0, len(cells), n)].reset_index(drop=True)
    jit = rng.uniform(-0.4, 0.4, size=(n, 2))
    lon = pick["centroid_lon"] + jit[:, 0] * (pick["max_lon"] - pick["min_lon"])
    lat = pick["centroid_lat"] + jit[:, 1] * (pick["max_lat"] - pick["min_lat"])
    first = now - timedelta(days=5)
    span = (now - COHORT * 2 - first).total_seconds()
    at = sorted(first + timedelta(seconds=float(s)) for s in rng.uniform(0, span, n))
    stages = np.array(list(PATHS))[rng.integers(0, len(PATHS), n)]
    reports = [
        NewReport(
            category_code=cats[int(k)], lon=float(x), lat=float(y), at=t, source="grid_worker",
            actor="bench", role="grid_worker", text=f"bench 道路问题 {i}", reporter="bench",
            exercise=bool(e), cell_code=code, grid_version=version,
        )
        for i, (k, x, y, t, code, e) in enumerate(zip(
            rng.integers(0, len(cats), n), lon, lat, at, pick["cell_code"],
            rng.random(n) < 0.01, strict=True,
        ))
    ]  # fmt: skip
    batch = prepare_cases(store, reports)
    ids = store.write(lambda tx: write_cases(tx, batch)).case_ids
    calendar = WorkCalendar()
    boss = Actor("bench", "admin", Scope("city"))
    moved = 0
    start = first
    while start < now:
        end = start + COHORT
        cohort = [i for i, t in enumerate(at) if start <= t < end]
        for step, action in enumerate(("accept", "register", "dispatch", "start"), start=1):
            todo = [ids[i] for i in cohort if action in PATHS[stages[i]]]
            if todo:
                out = act_many(store, boss, todo, action, at=end + timedelta(minutes=step),
                               calendar=calendar)  # fmt: skip
                moved += sum(o.ok for o in out)
        start = end
    counts = {"cases": n, "moves": moved}
    counts.update({f"stage:{s}": int((stages == s).sum()) for s in PATHS})
    return counts


def _median_ms(fn: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def _plain(store: Store, where: str, params: list[Any], order: str) -> Callable[[], Any]:
    def run() -> Any:
        store.query_value(f"SELECT count(*) FROM cases c WHERE {where}", params)
        return store.query_df(
            f"SELECT {_COLUMNS} FROM cases c WHERE {where} ORDER BY {order} LIMIT {PAGE}",
            params,
        )

    return run


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--bulk", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-queue-"))
    make_demo(work)
    store = Store(work / "cityops.duckdb")
    t0 = time.perf_counter()
    counts = seed_cases(store, args.cases)
    seeded = time.perf_counter() - t0
    print(f"seeded in {seeded:.1f} s: {counts}")
    calendar = WorkCalendar()
    city = Scope("city")
    now = utcnow()
    open_ = "c.stage NOT IN ('closed', 'void')"
    runs: list[tuple[str, Callable[[], Any], Callable[[], Any]]] = [
        (
            "first page (open, by deadline)",
            lambda: queue_page(store, city, QueueFilter(), now=now, calendar=calendar),
            _plain(store, open_, [], "c.due_at NULLS LAST, c.case_id"),
        ),
        (
            "filter: district + 2 stages",
            lambda: queue_page(
                store,
                city,
                QueueFilter(district="445102", stages=("dispatched", "handling")),
                now=now,
                calendar=calendar,
            ),
            _plain(
                store,
                "c.district_code = ? AND c.stage IN ('dispatched', 'handling')",
                ["445102"],
                "c.due_at NULLS LAST, c.case_id",
            ),
        ),
        (
            "filter: near deadline (yellow)",
            lambda: queue_page(store, city, QueueFilter(due="near"), now=now, calendar=calendar),
            _plain(store, open_ + " AND c.due_at > ?", [now], "c.due_at NULLS LAST, c.case_id"),
        ),
        (
            "filter: overdue",
            lambda: queue_page(store, city, QueueFilter(due="overdue"), now=now, calendar=calendar),
            _plain(store, open_ + " AND c.due_at < ?", [now], "c.due_at NULLS LAST, c.case_id"),
        ),
        (
            "filter: text search",
            lambda: queue_page(store, city, QueueFilter(text="bench"), now=now, calendar=calendar),
            _plain(
                store,
                open_ + " AND c.description ILIKE ?",
                ["%bench%"],
                "c.due_at NULLS LAST, c.case_id",
            ),
        ),  # fmt: skip
        (
            "sort: newest report first",
            lambda: queue_page(
                store,
                city,
                QueueFilter(),
                now=now,
                calendar=calendar,
                sort=[("reported_at", True)],
            ),
            _plain(store, open_, [], "c.reported_at DESC NULLS LAST, c.case_id"),
        ),  # fmt: skip
    ]
    rows = []
    for name, ours, base in runs:
        ours()  # warm: the first read of a column pays for loading it
        base()
        ours_ms = _median_ms(ours, args.repeat)
        base_ms = _median_ms(base, args.repeat)
        page = ours()
        rows.append((name, page.total, ours_ms, base_ms, ours_ms < 300))
    registered = [
        r[0]
        for r in store.query_rows(
            "SELECT case_id FROM cases WHERE stage = 'registered' ORDER BY case_id LIMIT ?",
            [args.bulk],
        )
    ]
    t0 = time.perf_counter()
    store.write(
        lambda tx: tx.execute(
            "UPDATE cases SET assigned_unit = assigned_unit, change_seq = nextval('change_seq') "
            "WHERE case_id IN (SELECT unnest(?))",
            [registered],
        )
    )
    base_s = time.perf_counter() - t0
    dispatcher = Actor("bench", "dispatcher", city)
    t0 = time.perf_counter()
    outcomes = act_many(
        store, dispatcher, registered, "dispatch", at=utcnow(), calendar=calendar,
        note="bulk: as suggested",
    )  # fmt: skip
    bulk_s = time.perf_counter() - t0
    done = sum(o.ok for o in outcomes)
    store.close()
    print()
    print(f"| measurement ({args.cases:,} open cases) | rows | ours ms | plain DuckDB ms | ratio "
          "| target < 300 ms |")  # fmt: skip
    print("| --- | ---: | ---: | ---: | ---: | --- |")
    for name, total, ours_ms, base_ms, ok in rows:
        print(
            f"| {name} | {total:,} | {ours_ms:.1f} | {base_ms:.1f} | {ours_ms / base_ms:.2f} "
            f"| {'yes' if ok else 'NO'} |"
        )
    print()
    print("| bulk | cases | ours s | plain UPDATE s | ratio | target < 2 s |")
    print("| --- | ---: | ---: | ---: | ---: | --- |")
    print(
        f"| dispatch as suggested | {done:,} of {len(registered):,} | {bulk_s:.3f} "
        f"| {base_s:.3f} | {bulk_s / base_s:.1f} | {'yes' if bulk_s < 2 else 'NO'} |"
    )


if __name__ == "__main__":
    main()
