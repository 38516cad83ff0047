"""Making a report's files: gather once, write the PDF and the XLSX atomically."""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from app.reports.content import gather, report_period
from app.reports.pdf import render_pdf
from app.reports.store import FORMATS, BadReport, ReportKey, write_atomic
from app.reports.xlsx import render_xlsx
from models.config import Config
from models.store import Store

log = logging.getLogger(__name__)
#: One report made at a time per process: a second request for the same file waits and
#: finds it made instead of making it again.
_MAKING = threading.Lock()


def made(config: Config, key: ReportKey) -> bool:
    """Whether both files of ``key`` exist."""
    return all(key.path(config.report_dir, fmt).is_file() for fmt in FORMATS)


def period_over(config: Config, key: ReportKey, now: datetime) -> bool:
    """Whether the report's period has ended at ``now`` (naive UTC)."""
    return report_period(key, config.settings.calendar.timezone).end <= now


def past_retention(config: Config, key: ReportKey, now: datetime) -> bool:
    """Whether the report's period began more than ``reports.keep_days`` local days before
    ``now`` (such a file would be removed by the next look of the schedule)."""
    zone = ZoneInfo(config.settings.calendar.timezone)
    local_today = now.replace(tzinfo=UTC).astimezone(zone).date()
    return (local_today - key.first_day()).days > config.settings.reports.keep_days


def make_report(
    store: Store, config: Config, key: ReportKey, *, now: datetime, force: bool = False
) -> dict[str, Path]:
    """Write the PDF and XLSX of ``key`` (as of ``now``), unless made already (``force``
    makes them again). Returns the paths by format.

    Raises
    ------
    BadReport
        The period has not ended yet at ``now``.
    """
    paths = {fmt: key.path(config.report_dir, fmt) for fmt in FORMATS}
    with _MAKING:
        if not force and made(config, key):
            return paths
        if not period_over(config, key, now):
            raise BadReport(f"the period {key.period} is not over yet")
        started = time.perf_counter()
        content = gather(store, config, key, now=now)
        write_atomic(paths["xlsx"], render_xlsx(content))
        write_atomic(paths["pdf"], render_pdf(content))
    log.info(
        "report made",
        extra={
            "report": key.file_name("pdf"),
            "seconds": round(time.perf_counter() - started, 2),
        },
    )
    return paths
