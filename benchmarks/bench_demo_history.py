"""Benchmark: generating the 90-day demo case history (counts by stage and the time taken)."""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ingest.demo_city.generate import generate_demo_city
from ingest.demo_city.history import generate_case_history
from ingest.demo_city.load import load_demo_city
from models.categories import seed_categories
from models.store import Store
from models.work_calendar import WorkCalendar

END = datetime(2026, 11, 24, 4, 0)


def main(days: int = 90) -> None:
    city = generate_demo_city()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "bench.duckdb")
        try:
            load_demo_city(store, city, now=END)
            seed_categories(store)
            calendar = WorkCalendar()
            started = time.perf_counter()
            counts = generate_case_history(store, end=END, days=days, seed=7, calendar=calendar)
            elapsed = time.perf_counter() - started
            # baseline in the same run: one bulk read of what was written
            started = time.perf_counter()
            store.query_df("SELECT * FROM case_transitions")
            read_s = time.perf_counter() - started
        finally:
            store.close()
    print(f"history of {days} days: {counts['cases']} cases, {counts['transitions']} transitions")
    for key, value in counts.items():
        if key.startswith("stage:"):
            print(f"  {key[6:]:22} {value:7d}")
    print(f"generation time: {elapsed:.2f} s ({counts['cases'] / elapsed:,.0f} cases/s)")
    print(f"baseline (read all transitions back): {read_s:.2f} s; ratio {elapsed / read_s:.1f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 90)
