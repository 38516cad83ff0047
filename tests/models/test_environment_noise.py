"""Noise limits per GB 3096-2008 Table 1: zones, day/night at 06:00 and 22:00, Lmax +15 dB."""

import math
from datetime import UTC, datetime, time, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.environment import (
    CHINA_STANDARD_TIME,
    NOISE_LIMITS,
    assess_lmax,
    assess_noise,
    noise_limit,
    noise_period,
    noise_zone,
)

NOON, TWO_AM = time(12, 0), time(2, 0)

# GB 3096-2008 Table 1, transcribed independently of the module: zone → (day, night) dB(A).
TABLE_1 = {
    "0": (50, 40),
    "1": (55, 45),
    "2": (60, 50),
    "3": (65, 55),
    "4a": (70, 55),
    "4b": (70, 60),
}


def test_the_module_has_exactly_the_limits_of_the_standard():
    assert dict(NOISE_LIMITS) == TABLE_1


@pytest.mark.parametrize(("zone", "day", "night"), [(z, d, n) for z, (d, n) in TABLE_1.items()])
def test_day_and_night_limit_per_zone(zone, day, night):
    assert noise_limit(zone, at=NOON) == day
    assert noise_limit(zone, at=TWO_AM) == night


@pytest.mark.parametrize(
    ("clock", "period"),
    [
        (time(0, 0), "night"),
        (time(5, 59, 59, 999999), "night"),
        (time(6, 0), "day"),
        (time(6, 0, 0, 1), "day"),
        (time(12, 0), "day"),
        (time(21, 59, 59, 999999), "day"),
        (time(22, 0), "night"),
        (time(23, 59), "night"),
    ],
)
def test_day_is_0600_to_2200_and_night_the_rest(clock, period):
    assert noise_period(clock) == period
    # a naive datetime is local clock time too
    assert noise_period(datetime.combine(datetime(2026, 11, 24), clock)) == period


@pytest.mark.parametrize(
    ("at", "period", "limit"),
    [
        # aware datetimes are converted to China Standard Time (UTC+8)
        (datetime(2026, 11, 24, 14, 0, tzinfo=UTC), "night", 50),  # 22:00 CST
        (datetime(2026, 11, 24, 13, 59, tzinfo=UTC), "day", 60),  # 21:59 CST
        (datetime(2026, 11, 23, 22, 0, tzinfo=UTC), "day", 60),  # 06:00 CST next day
        (datetime(2026, 11, 23, 21, 59, tzinfo=UTC), "night", 50),  # 05:59 CST
        (datetime(2026, 11, 24, 22, 0, tzinfo=CHINA_STANDARD_TIME), "night", 50),
        # a naive datetime is taken as local: 14:00 local is day, not 22:00
        (datetime(2026, 11, 24, 14, 0), "day", 60),
    ],
)
def test_aware_times_are_converted_to_local_time(at, period, limit):
    assert noise_period(at) == period
    assert noise_limit("2", at=at) == limit


def test_the_local_zone_and_the_day_night_division_are_options():
    tokyo = timezone(timedelta(hours=9))
    at = datetime(2026, 11, 24, 13, 30, tzinfo=UTC)  # 21:30 CST, 22:30 in UTC+9
    assert noise_period(at) == "day"
    assert noise_period(at, tz=tokyo) == "night"
    # a local government may end the day at 23:00 instead
    assert noise_period(time(22, 30), night_start=time(23)) == "day"
    assert noise_period(time(6, 30), day_start=time(7)) == "night"
    assert noise_limit("1", at=time(22, 30), night_start=time(23)) == 55


@pytest.mark.parametrize(
    ("zone", "canonical"),
    [(0, "0"), (3, "3"), ("2", "2"), ("1类", "1"), (" 4A ", "4a"), ("4b类", "4b"), ("4B", "4b")],
)
def test_zone_spellings(zone, canonical):
    assert noise_zone(zone) == canonical


@pytest.mark.parametrize("zone", ["4", 4, 5, "5", "", None, True, 1.0, "4c"])
def test_unknown_zones_raise(zone):
    with pytest.raises(ValueError, match="unknown noise zone"):
        noise_zone(zone)


@pytest.mark.parametrize(
    ("leq", "zone", "at", "period", "limit", "exceedance", "exceeded"),
    [
        (55.0, "4a", time(22, 0), "night", 55, 0.0, False),  # exactly on the limit meets it
        (56.3, "4a", time(22, 0), "night", 55, 1.3, True),
        (56.3, "4a", time(21, 59), "day", 70, 0.0, False),
        (60.0, "4b", time(5, 59), "night", 60, 0.0, False),  # 4b nights allow 60
        (60.5, "4b", time(6, 0), "day", 70, 0.0, False),
        (52.0, 0, time(6, 0), "day", 50, 2.0, True),
        (40.1, 0, time(3, 0), "night", 40, 0.1, True),
        (30.0, "3", time(3, 0), "night", 55, 0.0, False),
    ],
)
def test_assess_noise(leq, zone, at, period, limit, exceedance, exceeded):
    r = assess_noise(leq, zone, at=at)
    assert (r.period, r.limit_db, r.exceeded) == (period, limit, exceeded)
    assert r.exceedance_db == pytest.approx(exceedance)
    assert r.leq_db == leq and r.zone == noise_zone(zone)


@pytest.mark.parametrize(
    ("lmax", "zone", "at", "applies", "lmax_limit", "exceedance", "exceeded"),
    [
        (65.0, "2", time(23, 0), True, 65, 0.0, False),  # night 50 + 15, exactly on it
        (65.1, "2", time(23, 0), True, 65, 0.1, True),
        (70.0, "4b", time(22, 0), True, 75, 0.0, False),
        (56.0, "0", time(5, 0), True, 55, 1.0, True),
        (95.0, "2", time(12, 0), False, None, 0.0, False),  # no Lmax limit by day
        (95.0, "2", time(6, 0), False, None, 0.0, False),
    ],
)
def test_assess_lmax_at_night_only(lmax, zone, at, applies, lmax_limit, exceedance, exceeded):
    r = assess_lmax(lmax, zone, at=at)
    assert (r.applies, r.lmax_limit_db, r.exceeded) == (applies, lmax_limit, exceeded)
    assert r.exceedance_db == pytest.approx(exceedance)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: assess_noise(-1, "2", at=NOON), "non-negative"),
        (lambda: assess_noise(math.nan, "2", at=NOON), "finite"),
        (lambda: assess_noise("60", "2", at=NOON), "number"),
        (lambda: assess_lmax(math.inf, "2", at=TWO_AM), "finite"),
        (lambda: assess_noise(60, "9", at=NOON), "unknown noise zone"),
        (lambda: assess_noise(60, "2", at=12), "datetime or a time"),
        (lambda: noise_limit("2", at="12:00"), "datetime or a time"),
        (lambda: noise_period(time(12, tzinfo=UTC)), "naive time"),
        (lambda: noise_period(NOON, day_start=time(22), night_start=time(6)), "before"),
    ],
)
def test_bad_input_raises(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@given(
    st.datetimes(
        min_value=datetime(2000, 1, 1),
        max_value=datetime(2100, 1, 1),
        timezones=st.sampled_from([UTC, CHINA_STANDARD_TIME, timezone(timedelta(hours=-5))]),
    )
)
def test_night_is_exactly_the_hours_22_to_06_in_china(at):
    local_hour = at.astimezone(CHINA_STANDARD_TIME).hour
    expected = "night" if local_hour >= 22 or local_hour < 6 else "day"
    assert noise_period(at) == expected


@given(st.sampled_from(sorted(TABLE_1)), st.times(), st.floats(0, 150, allow_nan=False))
def test_night_is_never_more_lenient_and_exceedance_is_consistent(zone, clock, leq):
    assert noise_limit(zone, at=TWO_AM) <= noise_limit(zone, at=NOON)
    r = assess_noise(leq, zone, at=clock)
    assert r.exceeded == (r.exceedance_db > 0) == (leq > r.limit_db)
