"""Time the monthly report (PDF and XLSX) over a demo-sized database.

Run: ``python benchmarks/bench_report.py [--days D] [--repeat R] [--folder DIR]``.
A demo city is made with ``cityops init``, D days of case history (default 90, the
demo's own ``demo.history_days``) and 45 days of readings (``demo.readings_days``) in a
temporary folder (or DIR, reused when it holds one).
The report of the last whole local month is made R times (``force``: made again each
time), each time split into gathering (indicators, rankings, cases, incidents), PDF and
XLSX. The baseline, measured in the same run, is a plain ``count(*)`` of the month's cases:
the least any report over those rows pays. Target: the monthly PDF under 15 s.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.cli import main as cityops
from app.reports.content import gather
from app.reports.make import make_report
from app.reports.pdf import render_pdf
from app.reports.schedule import latest_monthly
from app.reports.store import ReportKey
from app.reports.xlsx import render_xlsx
from models.clock import utcnow
from models.config import load_config
from models.indicators.periods import parse_period
from models.store import Store

TARGET_S = 15.0
#: Days of past sensor readings and traffic samples, as the shipped config.yaml's demo.
READINGS_DAYS = 45


def _best(fn, repeat: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - started)
    return best, out


def run(folder: Path, days: int, repeat: int) -> dict:
    config_path = folder / "config.yaml"
    if not config_path.exists():
        config_path.write_text(
            "storage: {path: cityops.duckdb, backup_dir: backups}\n"
            "ingest: {mqtt_enabled: false}\n"
            f"demo: {{history_days: {days}, readings_days: {READINGS_DAYS}}}\n",
            encoding="utf-8",
        )
        started = time.perf_counter()
        assert cityops(["--config", str(config_path), "init"]) == 0
        print(f"demo city with {days} days of cases: {time.perf_counter() - started:.1f} s")
    config = load_config(config_path)
    tz = config.settings.calendar.timezone
    now = utcnow()
    key = ReportKey("monthly", latest_monthly(now, tz=tz, daily_at="00:00", monthly_day=1))
    period = parse_period(key.period, tz)
    with Store(config.database_path) as store:
        baseline, count = _best(
            lambda: store.query_value(
                "SELECT count(*) FROM cases WHERE reported_at >= ? AND reported_at < ?",
                [period.start, period.end],
            ),
            repeat,
        )
        total, paths = _best(lambda: make_report(store, config, key, now=now, force=True), repeat)
        gathered, content = _best(lambda: gather(store, config, key, now=now), repeat)
        pdf_s, pdf = _best(lambda: render_pdf(content), repeat)
        xlsx_s, xlsx = _best(lambda: render_xlsx(content), repeat)
        cases = store.query_value("SELECT count(*) FROM cases")
    return {
        "report": key.file_name("pdf"),
        "cases_in_db": int(cases),
        "cases_in_month": int(count),
        "baseline_count_s": round(baseline, 4),
        "monthly_report_s": round(total, 2),
        "gather_s": round(gathered, 2),
        "pdf_render_s": round(pdf_s, 2),
        "xlsx_render_s": round(xlsx_s, 2),
        "pdf_bytes": len(pdf),
        "xlsx_bytes": len(xlsx),
        "ratio_to_baseline": round(total / baseline) if baseline else None,
        "target_s": TARGET_S,
        "met": total < TARGET_S,
        "files": [str(p) for p in paths.values()],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--folder", type=Path)
    args = parser.parse_args()
    if args.folder is not None:
        args.folder.mkdir(parents=True, exist_ok=True)
        result = run(args.folder, args.days, args.repeat)
    else:
        with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp:
            result = run(Path(tmp), args.days, args.repeat)
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0 if result["met"] else 1


if __name__ == "__main__":
    sys.exit(main())
