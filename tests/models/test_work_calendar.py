from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.config import CalendarSettings
from models.work_calendar import (
    WorkCalendar,
    add_working_time,
    is_working_instant,
    next_working_instant,
    working_time_between,
)

SH = ZoneInfo("Asia/Shanghai")
HOUR = timedelta(hours=1)
CAL = WorkCalendar()


def sh(*args: int) -> datetime:
    """Shanghai wall-clock time as an aware datetime."""
    return datetime(*args, tzinfo=SH)


def utc(t: datetime) -> datetime:
    """Naive UTC, the store's convention and the module's output."""
    return t.astimezone(UTC).replace(tzinfo=None)


# ---- worked examples ----------------------------------------------------------------------


def test_friday_evening_plus_one_hour_is_monday_morning():
    assert date(2026, 11, 20).weekday() == 4
    assert add_working_time(CAL, sh(2026, 11, 20, 17, 0), HOUR) == utc(sh(2026, 11, 23, 9, 0))
    assert working_time_between(CAL, sh(2026, 11, 20, 17, 0), sh(2026, 11, 23, 9, 0)) == HOUR


def test_lunch_break_is_skipped_to_the_second():
    assert add_working_time(CAL, sh(2026, 11, 24, 11, 30), HOUR) == utc(sh(2026, 11, 24, 14, 30))
    start = sh(2026, 11, 24, 11, 59, 30)
    assert add_working_time(CAL, start, timedelta(minutes=1)) == utc(sh(2026, 11, 24, 14, 0, 30))
    assert working_time_between(CAL, sh(2026, 11, 24, 8, 0), sh(2026, 11, 24, 18, 0)) == 7 * HOUR


def test_package_data_for_2026_national_day_is_what_the_examples_assume():
    # read from the package, not guessed: Oct 1-7 off, make-up Sun Sep 20 and Sat Oct 10
    off = [d for d in chinese_calendar.holidays if d.year == 2026 and d.month in (9, 10)]
    assert sorted(d for d in off if d.month == 10) == [date(2026, 10, d) for d in range(1, 8)]
    assert chinese_calendar.is_workday(date(2026, 9, 20))
    assert chinese_calendar.is_workday(date(2026, 10, 10))


def test_national_day_2026_holiday_and_make_up_days():
    # Wed Sep 30 evening -> Thu Oct 8 morning: the whole golden week is skipped
    assert add_working_time(CAL, sh(2026, 9, 30, 17, 0), HOUR) == utc(sh(2026, 10, 8, 9, 0))
    assert working_time_between(CAL, sh(2026, 9, 30, 17, 30), sh(2026, 10, 8, 8, 30)) == timedelta()
    # Fri Oct 9 evening -> make-up Saturday Oct 10
    assert add_working_time(CAL, sh(2026, 10, 9, 17, 0), HOUR) == utc(sh(2026, 10, 10, 9, 0))
    # Fri Sep 18 evening -> make-up Sunday Sep 20 (Saturday Sep 19 stays off)
    assert add_working_time(CAL, sh(2026, 9, 18, 17, 0), HOUR) == utc(sh(2026, 9, 20, 9, 0))


def test_five_working_days_across_national_day_ends_at_closing_time():
    # Sep 30, Oct 8, 9, 10 (make-up Sat), 12: the earliest instant is 17:30, not next 08:30
    due = add_working_time(CAL, sh(2026, 9, 30, 8, 30), CAL.working_days(5))
    assert due == utc(sh(2026, 10, 12, 17, 30))
    assert CAL.working_days(1) == CAL.day_length == 7 * HOUR


def test_spring_festival_2026():
    # Sat Feb 14 is a make-up day; Feb 15-23 off; back on Tue Feb 24
    assert add_working_time(CAL, sh(2026, 2, 13, 17, 0), HOUR) == utc(sh(2026, 2, 14, 9, 0))
    assert add_working_time(CAL, sh(2026, 2, 14, 17, 0), HOUR) == utc(sh(2026, 2, 24, 9, 0))
    assert not is_working_instant(CAL, sh(2026, 2, 17, 10, 0))


def test_one_working_day_from_mid_afternoon_is_same_time_next_working_day():
    assert add_working_time(CAL, sh(2026, 11, 20, 15, 0), CAL.working_days(1)) == utc(
        sh(2026, 11, 23, 15, 0)
    )


def test_year_boundary_new_year_2026():
    # Jan 1-3 2026 off, Sunday Jan 4 a make-up day
    assert add_working_time(CAL, sh(2025, 12, 31, 17, 0), HOUR) == utc(sh(2026, 1, 4, 9, 0))
    assert working_time_between(CAL, sh(2025, 12, 31, 17, 0), sh(2026, 1, 4, 9, 0)) == HOUR


def test_extra_holiday_overrides_the_package():
    cal = WorkCalendar(extra_holidays=["2026-11-23"])
    assert add_working_time(cal, sh(2026, 11, 20, 17, 0), HOUR) == utc(sh(2026, 11, 24, 9, 0))


def test_extra_workday_on_a_sunday_and_it_wins_over_extra_holiday():
    assert date(2026, 11, 22).weekday() == 6
    cal = WorkCalendar(extra_workdays=[date(2026, 11, 22)], extra_holidays=["2026-11-22"])
    assert add_working_time(cal, sh(2026, 11, 20, 17, 0), HOUR) == utc(sh(2026, 11, 22, 9, 0))
    assert cal.is_working_day(date(2026, 11, 22))


def test_2027_statutory_holidays_are_not_working_time():
    """Defect 14: chinese-calendar 1.11 stops at 2026; 2027 must not fall back to Mon-Fri."""
    cal = WorkCalendar()
    assert not cal.is_covered(2027) and cal.is_covered(2026)
    # New Year's Day 2027 is a Friday: not a working day
    assert not cal.is_working_day(date(2027, 1, 1))
    assert not is_working_instant(cal, sh(2027, 1, 1, 10, 0))
    assert add_working_time(cal, sh(2026, 12, 31, 17, 0), HOUR) == utc(sh(2027, 1, 4, 9, 0))
    # Spring Festival 2027 (6 February is the first day of the lunar year)
    for day in (5, 6, 7, 8, 9, 10):
        assert not cal.is_working_day(date(2027, 2, day)), day
    assert working_time_between(cal, sh(2027, 2, 5, 0, 0), sh(2027, 2, 11, 0, 0)) == timedelta()
    assert cal.is_working_day(date(2027, 2, 11))
    assert cal.uncovered_years == {2027}
    add_working_time(cal, sh(2026, 3, 3, 9, 0), HOUR)
    assert cal.uncovered_years == {2027}


def test_extra_days_still_override_a_year_from_the_fallback():
    cal = WorkCalendar(extra_workdays=["2027-02-20"], extra_holidays=["2027-03-01"])
    assert cal.is_working_day(date(2027, 2, 20))  # a Saturday made a make-up day (调休)
    assert not cal.is_working_day(date(2027, 3, 1))  # a Monday
    assert not cal.is_working_day(date(2027, 10, 1))  # National Day from the fallback


def test_uncovered_year_is_logged_once(caplog, monkeypatch):
    import models.work_calendar

    monkeypatch.setattr(models.work_calendar, "_warned_years", set())  # other tests warned
    cal = WorkCalendar()
    with caplog.at_level("WARNING", logger="models.work_calendar"):
        cal.is_working_day(date(2028, 5, 1))
        cal.is_working_day(date(2028, 5, 2))
        WorkCalendar().is_working_day(date(2028, 6, 1))
    warnings = [r for r in caplog.records if "2028" in r.getMessage()]
    assert len(warnings) == 1
    assert "调休" in warnings[0].getMessage()


# ---- time zones and instants ----------------------------------------------------------------


def test_naive_inputs_are_utc_and_aware_inputs_in_any_zone_agree():
    assert not is_working_instant(CAL, datetime(2026, 11, 24, 0, 29))  # 08:29 in Shanghai
    assert is_working_instant(CAL, datetime(2026, 11, 24, 0, 30))  # 08:30 in Shanghai
    ny = sh(2026, 11, 24, 9, 0).astimezone(ZoneInfo("America/New_York"))
    naive = datetime(2026, 11, 24, 1, 0)
    assert add_working_time(CAL, ny, HOUR) == add_working_time(CAL, naive, HOUR)
    assert add_working_time(CAL, naive, HOUR) == datetime(2026, 11, 24, 2, 0)
    assert add_working_time(CAL, naive.replace(tzinfo=UTC), HOUR).tzinfo is None


def test_calendar_time_zone_changes_working_hours():
    cal = WorkCalendar(tz="UTC")
    assert is_working_instant(cal, datetime(2026, 11, 24, 10, 0))
    assert not is_working_instant(CAL, datetime(2026, 11, 24, 10, 0))  # 18:00 in Shanghai
    nine = datetime(2026, 11, 24, 9, 0)
    assert add_working_time(cal, nine, HOUR) == datetime(2026, 11, 24, 10, 0)


def test_periods_are_half_open_and_next_working_instant():
    assert is_working_instant(CAL, sh(2026, 11, 24, 11, 59))
    assert not is_working_instant(CAL, sh(2026, 11, 24, 12, 0))
    assert next_working_instant(CAL, sh(2026, 11, 24, 12, 0)) == utc(sh(2026, 11, 24, 14, 0))
    assert next_working_instant(CAL, sh(2026, 11, 20, 17, 30)) == utc(sh(2026, 11, 23, 8, 30))
    inside = sh(2026, 11, 24, 10, 15, 7)
    assert next_working_instant(CAL, inside) == utc(inside)
    # from the last period of a year into the next year's first working day
    assert next_working_instant(CAL, sh(2025, 12, 31, 18, 0)) == utc(sh(2026, 1, 4, 8, 30))


def test_zero_added_outside_hours_is_unchanged_and_negative_is_refused():
    night = sh(2026, 11, 24, 22, 0)
    assert add_working_time(CAL, night, timedelta()) == utc(night)
    with pytest.raises(ValueError):
        add_working_time(CAL, night, -HOUR)


def test_between_is_negative_when_reversed():
    a, b = sh(2026, 11, 24, 9, 0), sh(2026, 11, 25, 9, 0)
    assert working_time_between(CAL, a, b) == 7 * HOUR
    assert working_time_between(CAL, b, a) == -7 * HOUR


def test_from_settings_and_bad_periods():
    cal = WorkCalendar.from_settings(
        CalendarSettings(work_periods=["09:00-12:00"], extra_workdays=["2026-11-22"])
    )
    assert cal.day_length == 3 * HOUR
    assert cal.is_working_day(date(2026, 11, 22))
    assert WorkCalendar.from_settings(CalendarSettings()).day_length == 7 * HOUR
    with pytest.raises(ValueError):
        WorkCalendar(["08:00-12:00", "11:00-13:00"])
    with pytest.raises(ValueError):
        WorkCalendar(["12:00-08:00"])


# ---- properties ---------------------------------------------------------------------------

instants = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2026, 12, 31))
spans = st.integers(min_value=0, max_value=120 * 8 * 3600).map(lambda s: timedelta(seconds=s))


@given(instants, spans)
def test_adding_then_measuring_gives_back_the_span(t, d):
    end = add_working_time(CAL, t, d)
    assert end >= t
    assert working_time_between(CAL, t, end) == d
    if d:  # earliest such instant: a second earlier, less has elapsed
        assert working_time_between(CAL, t, end - timedelta(seconds=1)) < d


@given(st.lists(instants, min_size=3, max_size=3))
def test_additive_and_antisymmetric(points):
    a, b, c = sorted(points)
    assert working_time_between(CAL, a, c) == working_time_between(
        CAL, a, b
    ) + working_time_between(CAL, b, c)
    assert working_time_between(CAL, c, a) == -working_time_between(CAL, a, c)


@given(instants, spans, spans)
def test_monotone(t, d1, d2):
    lo, hi = sorted((d1, d2))
    assert add_working_time(CAL, t, lo) <= add_working_time(CAL, t, hi)
    a, b = add_working_time(CAL, t, lo), add_working_time(CAL, t, hi)
    assert timedelta() <= working_time_between(CAL, t, a) <= working_time_between(CAL, t, b)


def _reference_between(a: datetime, b: datetime) -> timedelta:
    """Independent, slow oracle: walk Shanghai days, intersect with the default periods."""
    a_local, b_local = a.replace(tzinfo=UTC).astimezone(SH), b.replace(tzinfo=UTC).astimezone(SH)
    total = timedelta()
    day = a_local.date()
    while day <= b_local.date():
        if chinese_calendar.is_workday(day):
            for (h1, m1), (h2, m2) in (((8, 30), (12, 0)), ((14, 0), (17, 30))):
                lo = max(a_local, datetime(day.year, day.month, day.day, h1, m1, tzinfo=SH))
                hi = min(b_local, datetime(day.year, day.month, day.day, h2, m2, tzinfo=SH))
                total += max(hi - lo, timedelta())
        day += timedelta(days=1)
    return total


@settings(max_examples=200)
@given(instants, st.integers(min_value=0, max_value=40 * 24 * 3600))
def test_between_matches_a_day_walking_reference(a, seconds):
    b = min(a + timedelta(seconds=seconds), datetime(2026, 12, 31, 15, 0))
    if b < a:
        a, b = b, a
    assert working_time_between(CAL, a, b) == _reference_between(a, b)


def test_years_ahead_without_published_data_for_the_admin_warning():
    cal = WorkCalendar()
    assert cal.unpublished_years(datetime(2026, 12, 6, 12, 0)) == [2027]
    assert cal.unpublished_years(datetime(2027, 3, 1)) == [2027, 2028]
    assert cal.unpublished_years(datetime(2025, 6, 1)) == []


def test_asking_for_unpublished_years_warns_once_at_start(caplog, monkeypatch):
    import models.work_calendar

    monkeypatch.setattr(models.work_calendar, "_warned_years", set())
    with caplog.at_level("WARNING", logger="models.work_calendar"):
        WorkCalendar().unpublished_years(datetime(2026, 12, 6))
        WorkCalendar().unpublished_years(datetime(2026, 12, 7))
    assert [r.getMessage()[:22] for r in caplog.records] == ["holidays of 2027 are c"]
