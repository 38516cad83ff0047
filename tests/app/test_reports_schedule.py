"""The report schedule's due logic (pure): local time zone, month boundaries, idempotence;
and the file store's strict names and retention."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from app.reports.schedule import due_reports, latest_daily, latest_monthly
from app.reports.store import BadReport, ReportKey, check_period, expired, parse_file_name

TZ = "Asia/Shanghai"


def test_daily_is_the_previous_local_day_once_its_time_has_come():
    # 2026-12-06 22:59 UTC is 2026-12-07 06:59 in Shanghai: before 07:00, so the 5th
    assert latest_daily(datetime(2026, 12, 6, 22, 59), tz=TZ, daily_at="07:00") == "2026-12-05"
    # 23:00 UTC is 07:00 local: the 6th is due
    assert latest_daily(datetime(2026, 12, 6, 23, 0), tz=TZ, daily_at="07:00") == "2026-12-06"
    # the UTC date is still the 6th but the local day is the 7th: the local day counts
    assert latest_daily(datetime(2026, 12, 6, 16, 30), tz=TZ, daily_at="00:15") == "2026-12-06"


def test_monthly_waits_for_its_day_and_crosses_the_year():
    at = {"tz": TZ, "daily_at": "07:00", "monthly_day": 1}
    # 2026-11-30 23:00 UTC = 2026-12-01 07:00 local: November is due
    assert latest_monthly(datetime(2026, 11, 30, 23, 0), **at) == "2026-11"
    assert latest_monthly(datetime(2026, 11, 30, 22, 59), **at) == "2026-10"
    # January 1st local, after 07:00: December of the year before
    assert latest_monthly(datetime(2026, 12, 31, 23, 30), **at) == "2026-12"
    assert latest_monthly(datetime(2027, 1, 1, 2, 0), **at) == "2026-12"
    # a later monthly day: on the 3rd the month before the last is still the latest
    later = {**at, "monthly_day": 5}
    assert latest_monthly(datetime(2027, 3, 3, 12, 0), **later) == "2027-01"
    assert latest_monthly(datetime(2027, 3, 5, 0, 0), **later) == "2027-02"  # 08:00 local
    # March 1st after a February of 28 days
    assert latest_monthly(datetime(2027, 3, 1, 0, 0), **at) == "2027-02"


def test_due_reports_skip_what_is_made():
    now = datetime(2026, 12, 6, 23, 30)
    args = {"tz": TZ, "daily_at": "07:00", "monthly_day": 1}
    due = due_reports(now, **args, is_made=lambda k: False)
    assert due == [ReportKey("daily", "2026-12-06"), ReportKey("monthly", "2026-11")]
    made = {ReportKey("monthly", "2026-11")}
    assert due_reports(now, **args, is_made=made.__contains__) == [ReportKey("daily", "2026-12-06")]
    made.add(ReportKey("daily", "2026-12-06"))
    assert due_reports(now, **args, is_made=made.__contains__) == []


@pytest.mark.parametrize(
    ("kind", "period"),
    [
        ("daily", "2026-13-01"),
        ("daily", "2026-02-30"),
        ("daily", "2026-11"),
        ("monthly", "2026-11-01"),
        ("monthly", "../../etc/passwd"),
        ("monthly", "2026-1"),
        ("weekly", "2026-W01"),
        ("monthly", "1999-12"),
        ("monthly", "２０２６-11"),  # full-width digits match \d in Python: refused anyway
    ],
)
def test_bad_periods_are_refused(kind, period):
    with pytest.raises(BadReport):
        check_period(kind, period)


def test_file_names_round_trip_and_other_names_are_ignored():
    key = ReportKey("monthly", "2026-11", "445102")
    assert key.file_name("pdf") == "monthly-2026-11-445102.pdf"
    assert parse_file_name("monthly-2026-11-445102.pdf") == (key, "pdf")
    assert parse_file_name("daily-2026-12-06.xlsx") == (ReportKey("daily", "2026-12-06"), "xlsx")
    for name in (
        "daily-2026-12-06.pdf.tmp",
        ".daily-2026-12-06.pdf.1.tmp",
        "x.pdf",
        "monthly-2026-11-44510.pdf",
        "daily-2026-12-32.pdf",
    ):
        assert parse_file_name(name) is None, name


def test_expired_files_are_past_keep_days(tmp_path):
    for name in (
        "daily/daily-2026-01-01.pdf",
        "daily/daily-2026-12-01.pdf",
        "monthly/monthly-2025-10.xlsx",
        "monthly/monthly-2026-11.pdf",
        "daily/notes.txt",
    ):
        path = tmp_path / name
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(b"x")
    old = expired(tmp_path, keep_days=300, today=date(2026, 12, 7))
    assert [p.name for p in old] == ["daily-2026-01-01.pdf", "monthly-2025-10.xlsx"]


def test_run_once_makes_what_is_due_once_and_survives_a_failure(demo_copy, caplog):
    """On a real demo copy: the due reports are made, a second look makes nothing, and a
    report folder that cannot be written is logged, not raised."""
    from app.reports.schedule import run_once
    from models.config import load_config
    from models.store import Store
    from tests.conftest import write_config

    folder = demo_copy()
    now = datetime(2026, 12, 6, 23, 30)  # 07:30 on the 7th in Shanghai
    config = load_config(folder / "config.yaml")
    with Store(config.database_path) as store:
        made = run_once(config, store, now)
        assert made == [ReportKey("daily", "2026-12-06"), ReportKey("monthly", "2026-11")]
        assert (config.report_dir / "monthly" / "monthly-2026-11.xlsx").is_file()
        assert run_once(config, store, now) == []
        (folder / "blocked").write_text("a file where the folder should be")
        write_config(folder, demo={"history_days": 0}, reports={"dir": "blocked"})
        broken = load_config(folder / "config.yaml")
        assert run_once(broken, store, now) == []
    assert "report failed" in caplog.text
