"""Reporting periods: local midnights of Asia/Shanghai as naive UTC, ISO weeks, stepping back."""

from __future__ import annotations

from datetime import datetime

import pytest

from models.indicators.periods import (
    Period,
    last_periods,
    parse_period,
    period_containing,
    previous_period,
)

TZ = "Asia/Shanghai"


def test_day_is_local_midnight_to_midnight() -> None:
    p = parse_period("2026-11-05", TZ)
    assert p == Period("day", "2026-11-05", datetime(2026, 11, 4, 16), datetime(2026, 11, 5, 16))


def test_month_bounds_and_label() -> None:
    p = parse_period("2026-11")
    assert (p.kind, p.label) == ("month", "2026-11")
    assert (p.start, p.end) == (datetime(2026, 10, 31, 16), datetime(2026, 11, 30, 16))


@pytest.mark.parametrize(
    ("label", "start"),
    [
        ("2026-W01", datetime(2025, 12, 28, 16)),  # ISO week 1 of 2026 starts Mon 2025-12-29
        ("2021-W01", datetime(2021, 1, 3, 16)),  # 2021-01-04 (Jan 1-3 were 2020-W53)
        ("2020-W53", datetime(2020, 12, 27, 16)),
    ],
)
def test_iso_week_one(label: str, start: datetime) -> None:
    p = parse_period(label)
    assert (p.kind, p.label, p.start) == ("week", label, start)
    assert (p.end - p.start).days == 7


def test_week_containing_new_year_is_labelled_by_iso_year() -> None:
    p = period_containing("week", datetime(2021, 1, 1, 4), TZ)  # Fri 2021-01-01 local noon
    assert p.label == "2020-W53"


def test_quarter_four_steps_into_next_year() -> None:
    q4 = parse_period("2026-Q4")
    assert (q4.start, q4.end) == (datetime(2026, 9, 30, 16), datetime(2026, 12, 31, 16))
    assert previous_period(q4, -1).label == "2027-Q1"
    assert previous_period(parse_period("2027-Q1")).label == "2026-Q4"
    assert parse_period("2026").end == datetime(2026, 12, 31, 16)


def test_custom_span_includes_both_days_and_steps_by_its_length() -> None:
    p = parse_period("2026-11-01..2026-11-15")
    assert (p.kind, p.label) == ("custom", "2026-11-01..2026-11-15")
    assert (p.start, p.end) == (datetime(2026, 10, 31, 16), datetime(2026, 11, 15, 16))
    assert previous_period(p).label == "2026-10-17..2026-10-31"


def test_period_containing_uses_local_date() -> None:
    # 2026-11-30 17:00 UTC is 2026-12-01 01:00 in Chaozhou
    assert period_containing("month", datetime(2026, 11, 30, 17), TZ).label == "2026-12"
    assert period_containing("day", datetime(2026, 11, 30, 15, 59), TZ).label == "2026-11-30"
    assert period_containing("quarter", datetime(2026, 12, 31, 15), TZ).label == "2026-Q4"
    with pytest.raises(ValueError):
        period_containing("custom", datetime(2026, 1, 1), TZ)


def test_last_periods_oldest_first_across_a_year() -> None:
    months = last_periods(parse_period("2026-02"), 4)
    assert [m.label for m in months] == ["2025-11", "2025-12", "2026-01", "2026-02"]
    days = last_periods(parse_period("2026-03-01"), 2)
    assert [d.label for d in days] == ["2026-02-28", "2026-03-01"]
    weeks = last_periods(parse_period("2026-W01"), 2)
    assert [w.label for w in weeks] == ["2025-W52", "2026-W01"]
    assert all(a.end == b.start for a, b in zip(months, months[1:], strict=False))


@pytest.mark.parametrize(
    "text",
    ["", "2026-13", "2026-02-30", "2026-W54", "2025-W53", "2026-Q5", "26", "2026-11-15..2026-11-01",
     "november", "2026-11-01..", "2026/11"],
)  # fmt: skip
def test_bad_text_is_a_value_error(text: str) -> None:
    with pytest.raises(ValueError):
        parse_period(text)


def test_unknown_zone_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        parse_period("2026-11", "Mars/Olympus")


@pytest.mark.parametrize(
    "text", ["0001", "0001-01-01", "0001-Q1", "9999-W52", "0001-01-01..0001-01-02", "1899-12"]
)
def test_years_out_of_range_are_a_value_error_not_an_overflow(text: str) -> None:
    # found by the cockpit's fuzz test: year 1 overflowed converting local midnight to UTC
    with pytest.raises(ValueError, match="out of range"):
        parse_period(text)


def test_stepping_far_back_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="out of range"):
        previous_period(parse_period("2026-11-05"), 10**7)
