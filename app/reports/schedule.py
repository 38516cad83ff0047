"""The report schedule inside the server: what is due at a moment (a pure function), and the
loop that makes it, removes files past retention, and never dies of a failure.

Daily: the previous local day's report, once the local time has reached ``reports.daily_at``.
Monthly: the previous local month's, once ``reports.monthly_day`` at ``daily_at`` has come.
Before a day's time, the one before is what is due (a server started at 06:00 makes the day
before yesterday's if it is missing). A report already made is not made again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from app.reports.store import ReportKey, expired
from models.clock import utcnow
from models.config import Config
from models.store import Store

log = logging.getLogger(__name__)

#: Seconds between two looks at the schedule.
CHECK_EVERY_S = 60.0


def _local(now: datetime, tz: str) -> datetime:
    return now.replace(tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo(tz)).replace(tzinfo=None)


def _at(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def latest_daily(now: datetime, *, tz: str, daily_at: str) -> str:
    """The label of the last day whose report time has come at ``now`` (naive UTC)."""
    local = _local(now, tz)
    back = 1 if local.time() >= _at(daily_at) else 2
    return (local.date() - timedelta(days=back)).isoformat()


def latest_monthly(now: datetime, *, tz: str, daily_at: str, monthly_day: int) -> str:
    """The label of the last month whose report time (its next month's ``monthly_day`` at
    ``daily_at``, local) has come at ``now``."""
    local = _local(now, tz)
    first = local.date().replace(day=1)
    scheduled = datetime.combine(first.replace(day=monthly_day), _at(daily_at))
    month_end = (
        first - timedelta(days=1)
        if local >= scheduled
        else ((first - timedelta(days=1)).replace(day=1) - timedelta(days=1))
    )
    return f"{month_end.year:04d}-{month_end.month:02d}"


def due_reports(
    now: datetime,
    *,
    tz: str,
    daily_at: str,
    monthly_day: int,
    is_made: Callable[[ReportKey], bool],
) -> list[ReportKey]:
    """The city reports to make at ``now``: the latest daily and monthly whose time has
    come, unless ``is_made`` says they exist."""
    keys = [
        ReportKey("daily", latest_daily(now, tz=tz, daily_at=daily_at)),
        ReportKey(
            "monthly",
            latest_monthly(now, tz=tz, daily_at=daily_at, monthly_day=monthly_day),
        ),
    ]
    return [k for k in keys if not is_made(k)]


def run_once(config: Config, store: Store, now: datetime) -> list[ReportKey]:
    """Make what is due and remove expired files; a failed report is logged and tried
    again at the next look. Returns the reports made."""
    from app.reports.make import made, make_report

    settings = config.settings.reports
    done = []
    for key in due_reports(
        now,
        tz=config.settings.calendar.timezone,
        daily_at=settings.daily_at,
        monthly_day=settings.monthly_day,
        is_made=lambda k: made(config, k),
    ):
        try:
            make_report(store, config, key, now=now)
            done.append(key)
        except Exception:
            log.exception("report failed", extra={"report": key.file_name("pdf")})
    today = _local(now, config.settings.calendar.timezone).date()
    remove_expired(config, today)
    return done


def remove_expired(config: Config, today: date) -> None:
    for path in expired(config.report_dir, keep_days=config.settings.reports.keep_days,
                        today=today):  # fmt: skip
        try:
            path.unlink()
            log.info("old report removed", extra={"file": path.name})
        except OSError:
            log.exception("old report not removed", extra={"file": path.name})


def run_schedule(
    config: Config, store: Store, stop: threading.Event, *, every_s: float = CHECK_EVERY_S
) -> None:
    """The schedule thread: a look every ``every_s`` seconds until ``stop`` (the first one
    ``every_s`` after start: a server started for a moment makes nothing); nothing raised
    inside a look ends the thread."""
    while not stop.wait(every_s):
        try:
            run_once(config, store, utcnow())
        except Exception:
            log.exception("report schedule pass failed")
