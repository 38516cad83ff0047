"""AQI per HJ 633-2012: Table 1 breakpoints, interpolation, rounding, notes, Table 2 levels."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.environment import AQI_LEVELS, BREAKPOINTS, IAQI_LEVELS, aqi, aqi_level, iaqi

# HJ 633-2012 Table 1, transcribed here independently of the module (IAQI 0,50,…,500).
TABLE_1 = {
    ("so2", "24h"): (0, 50, 150, 475, 800, 1600, 2100, 2620),
    ("so2", "1h"): (0, 150, 500, 650, 800),
    ("no2", "24h"): (0, 40, 80, 180, 280, 565, 750, 940),
    ("no2", "1h"): (0, 100, 200, 700, 1200, 2340, 3090, 3840),
    ("pm10", "24h"): (0, 50, 150, 250, 350, 420, 500, 600),
    ("co", "24h"): (0, 2, 4, 14, 24, 36, 48, 60),
    ("co", "1h"): (0, 5, 10, 35, 60, 90, 120, 150),
    ("o3", "1h"): (0, 160, 200, 300, 400, 800, 1000, 1200),
    ("o3", "8h"): (0, 100, 160, 215, 265, 800),
    ("pm25", "24h"): (0, 35, 75, 115, 150, 250, 350, 500),
}
BOUNDARIES = [
    (pollutant, averaging, c, IAQI_LEVELS[i])
    for (pollutant, averaging), row in TABLE_1.items()
    for i, c in enumerate(row)
]


def test_the_module_has_exactly_the_tables_of_the_standard():
    assert dict(BREAKPOINTS) == TABLE_1
    assert IAQI_LEVELS == (0, 50, 100, 150, 200, 300, 400, 500)


@pytest.mark.parametrize(("pollutant", "averaging", "c", "expected"), BOUNDARIES)
def test_every_breakpoint_gives_its_iaqi(pollutant, averaging, c, expected):
    assert iaqi(pollutant, c, averaging=averaging) == expected


@pytest.mark.parametrize(
    ("pollutant", "averaging", "c", "expected"),
    [
        (p, a, row[i] + (0.01 if p == "co" else 0.1), IAQI_LEVELS[i] + 1)
        for (p, a), row in TABLE_1.items()
        for i in range(len(row) - 1)
    ],
)
def test_just_above_a_breakpoint_rounds_up_to_the_next_integer(pollutant, averaging, c, expected):
    # The steepest segment is CO 24h 0–2 mg/m³ (25 IAQI per mg/m³), so these steps add
    # between 0 and 1 to the breakpoint's IAQI, e.g. PM2.5 35.1 → 50.125 → 51.
    assert iaqi(pollutant, c, averaging=averaging) == expected


@pytest.mark.parametrize(
    ("pollutant", "averaging", "c", "expected"),
    [
        # PM2.5 24h 35.1: 50 + (100−50)/(75−35) × (35.1−35) = 50.125 → rounded up 51
        ("pm25", "24h", 35.1, 51),
        # PM2.5 24h 80: 100 + (150−100)/(115−75) × (80−75) = 106.25 → 107
        ("pm25", "24h", 80, 107),
        # PM2.5 24h 400: 400 + (500−400)/(500−350) × (400−350) = 433.33… → 434
        ("pm25", "24h", 400, 434),
        # PM10 24h 200: 100 + (150−100)/(250−150) × (200−150) = 125 exactly → 125
        ("pm10", "24h", 200, 125),
        # SO2 24h 300: 100 + (150−100)/(475−150) × (300−150) = 123.08 → 124
        ("so2", "24h", 300, 124),
        # SO2 1h 200: 50 + (100−50)/(500−150) × (200−150) = 57.14 → 58
        ("so2", "1h", 200, 58),
        # NO2 1h 150: 50 + (100−50)/(200−100) × 50 = 75
        ("no2", "1h", 150, 75),
        # NO2 24h 600: 300 + (400−300)/(750−565) × (600−565) = 318.92 → 319
        ("no2", "24h", 600, 319),
        # CO 24h 2.2 mg/m³: 50 + 50/2 × 0.2 = 55 exactly; naive floats give 55.000…01 → 56
        ("co", "24h", 2.2, 55),
        # CO 1h 65.4: 200 + 100/30 × 5.4 = 218 exactly (floats: 218.000…03)
        ("co", "1h", 65.4, 218),
        # CO 24h 0.5: 0 + 50/2 × 0.5 = 12.5 → 13
        ("co", "24h", 0.5, 13),
        # O3 1h 250: 100 + (150−100)/(300−200) × 50 = 125
        ("o3", "1h", 250, 125),
        # O3 8h 170: 100 + (150−100)/(215−160) × 10 = 109.09 → 110
        ("o3", "8h", 170, 110),
        # O3 8h 500: 200 + (300−200)/(800−265) × 235 = 243.93 → 244
        ("o3", "8h", 500, 244),
        ("pm25", "24h", 0.0, 0),
        ("pm25", "24h", 0.01, 1),
    ],
)
def test_worked_examples(pollutant, averaging, c, expected):
    assert iaqi(pollutant, c, averaging=averaging) == expected


@pytest.mark.parametrize(
    ("pollutant", "averaging", "c"),
    [("pm25", "24h", 501), ("pm10", "24h", 1000), ("co", "1h", 151), ("no2", "1h", 9999)],
)
def test_above_the_top_of_a_full_table_is_500(pollutant, averaging, c):
    assert iaqi(pollutant, c, averaging=averaging) == 500


def test_names_are_case_and_space_insensitive_and_numpy_numbers_are_numbers():
    assert iaqi(" PM25 ", np.float64(80.0)) == 107
    assert iaqi("pm10", np.int64(200)) == 125


@pytest.mark.parametrize(
    ("pollutant", "c", "averaging", "message"),
    [
        ("so2", 800.1, "1h", r"note \(1\)"),
        ("o3", 801, "8h", r"note \(3\)"),
        ("pm25", -1, "24h", "negative"),
        ("pm25", math.nan, "24h", "finite"),
        ("pm25", math.inf, "24h", "finite"),
        ("pm25", "80", "24h", "number"),
        ("pm25", True, "24h", "number"),
        ("pm2.5", 80, "24h", "unknown pollutant"),
        ("pm25", 80, "1h", "no 1h breakpoints for pm25"),
        ("o3", 80, "24h", "no 24h breakpoints for o3"),
        ("so2", 80, "8h", "no 8h breakpoints for so2"),
        ("pm25", 80, "daily", "averaging must be"),
    ],
)
def test_bad_iaqi_input_raises(pollutant, c, averaging, message):
    with pytest.raises(ValueError, match=message):
        iaqi(pollutant, c, averaging=averaging)


# --- AQI, primary pollutant, levels -------------------------------------------------------


def test_daily_report_worked_example():
    # PM2.5 80 → 107, PM10 150 → 100, O3 1h 100 → 32 (50/160 × 100 = 31.25 → 32),
    # O3 8h 170 → 110: AQI 110, 轻度污染, primary O3 8-hour, exceeding PM2.5 and O3 8h.
    r = aqi({"pm25": 80, "pm10": 150, "o3": 100, "o3_8h": 170})
    assert dict(r.iaqi) == {"pm25": 107, "pm10": 100, "o3": 32, "o3_8h": 110}
    assert r.aqi == 110
    assert r.primary_pollutants == ("o3_8h",)
    assert r.exceeding_pollutants == ("pm25", "o3_8h")
    assert (r.level.level, r.level.name_zh) == (3, "三级")
    assert (r.category_zh, r.category_en, r.colour_zh) == ("轻度污染", "Lightly polluted", "橙色")
    assert r.colour_rgb == (255, 126, 0) and r.level.colour_hex == "#FF7E00"
    assert "户外锻炼" in r.advice_zh
    assert r.averaging == "24h"


def test_the_report_decides_which_table_a_key_uses():
    # SO2 200 as a 24h mean: 100 + 50/325 × 50 = 107.7 → 108; as a 1h mean: 57.1 → 58.
    assert aqi({"so2": 200}, averaging="24h").aqi == 108
    assert aqi({"so2": 200}, averaging="1h").aqi == 58
    # NO2 150: 24h → 100 + 50/100 × 70 = 135; 1h → 75.
    # CO 12: 24h → 100 + 50/10 × 8 = 140; 1h → 100 + 50/25 × 2 = 104.
    assert aqi({"no2": 150}).aqi == 135 and aqi({"no2": 150}, averaging="1h").aqi == 75
    assert aqi({"co": 12}).aqi == 140 and aqi({"co": 12}, averaging="1h").aqi == 104
    # Particulates keep the 24-hour table in the real-time report; O3 "o3" is 1-hour in both.
    assert aqi({"pm25": 80}, averaging="1h").aqi == aqi({"pm25": 80}).aqi == 107
    assert aqi({"o3": 250}, averaging="1h").aqi == aqi({"o3": 250}).aqi == 125


@pytest.mark.parametrize(
    ("concentrations", "expected_aqi", "primary"),
    [
        ({"pm25": 35, "pm10": 50}, 50, ()),  # AQI exactly 50: no primary pollutant
        ({"pm25": 10, "no2": 20}, 25, ()),
        ({"pm25": 35.1, "pm10": 50}, 51, ("pm25",)),  # AQI 51: now there is one
        ({"pm25": 75, "pm10": 150, "no2": 40}, 100, ("pm25", "pm10")),  # a tie lists both
        ({"pm10": 150, "pm25": 75}, 100, ("pm25", "pm10")),  # listed in a fixed order
        ({"co": 4, "so2": 150, "no2": 80}, 100, ("so2", "no2", "co")),
    ],
)
def test_primary_pollutant_only_above_50_and_ties_are_all_listed(
    concentrations, expected_aqi, primary
):
    r = aqi(concentrations)
    assert r.aqi == expected_aqi
    assert r.primary_pollutants == primary


def test_exceeding_pollutants_are_those_above_100():
    r = aqi({"pm25": 75, "pm10": 151, "no2": 181})
    # PM2.5 75 → 100 (not exceeding); PM10 151 → 101; NO2 181 → 201
    assert r.exceeding_pollutants == ("pm10", "no2")
    assert r.primary_pollutants == ("no2",)


def test_so2_1h_above_800_is_reported_by_its_24h_mean():
    # SO2 1h 800 is still indexed (200); above it the 24h mean 300 → 124 stands in.
    assert aqi({"so2": 800}, averaging="1h").aqi == 200
    r = aqi({"so2": 900, "so2_24h": 300, "pm25": 50}, averaging="1h")
    assert r.iaqi["so2"] == 124 and "so2_24h" not in r.iaqi
    assert r.aqi == 124 and r.primary_pollutants == ("so2",)
    # The stand-in is ignored while the 1-hour mean is indexable.
    assert aqi({"so2": 200, "so2_24h": 2000}, averaging="1h").aqi == 58
    with pytest.raises(ValueError, match="pass 'so2_24h'"):
        aqi({"so2": 900}, averaging="1h")


def test_o3_8h_above_800_is_reported_by_the_1h_mean():
    # O3 8h 800 → 300 still indexed; at 900 the 1h mean 900 → 300 + 100/200 × 100 = 350.
    assert aqi({"o3_8h": 800}).aqi == 300
    r = aqi({"o3": 900, "o3_8h": 900, "pm25": 50})
    assert "o3_8h" not in r.iaqi
    assert r.aqi == 350 and r.primary_pollutants == ("o3",)
    with pytest.raises(ValueError, match="pass 'o3'"):
        aqi({"o3_8h": 801, "pm25": 50})


def test_the_standards_partial_tables_make_so2_non_monotone_at_800():
    # Documented behaviour of note (1), not a bug: 800 → 200, 801 with a low 24h mean → 74.
    assert aqi({"so2": 800}, averaging="1h").aqi == 200
    assert aqi({"so2": 801, "so2_24h": 100}, averaging="1h").aqi == 75


@pytest.mark.parametrize(
    ("value", "level", "name_zh", "category_zh", "category_en", "colour_zh", "rgb"),
    [
        (0, 1, "一级", "优", "Excellent", "绿色", (0, 228, 0)),
        (50, 1, "一级", "优", "Excellent", "绿色", (0, 228, 0)),
        (51, 2, "二级", "良", "Good", "黄色", (255, 255, 0)),
        (100, 2, "二级", "良", "Good", "黄色", (255, 255, 0)),
        (101, 3, "三级", "轻度污染", "Lightly polluted", "橙色", (255, 126, 0)),
        (150, 3, "三级", "轻度污染", "Lightly polluted", "橙色", (255, 126, 0)),
        (151, 4, "四级", "中度污染", "Moderately polluted", "红色", (255, 0, 0)),
        (200, 4, "四级", "中度污染", "Moderately polluted", "红色", (255, 0, 0)),
        (201, 5, "五级", "重度污染", "Heavily polluted", "紫色", (153, 0, 76)),
        (300, 5, "五级", "重度污染", "Heavily polluted", "紫色", (153, 0, 76)),
        (301, 6, "六级", "严重污染", "Severely polluted", "褐红色", (126, 0, 35)),
        (500, 6, "六级", "严重污染", "Severely polluted", "褐红色", (126, 0, 35)),
    ],
)
def test_levels_of_table_2_and_colours_of_appendix_a(
    value, level, name_zh, category_zh, category_en, colour_zh, rgb
):
    got = aqi_level(value)
    assert (got.level, got.name_zh, got.category_zh, got.category_en) == (
        level,
        name_zh,
        category_zh,
        category_en,
    )
    assert (got.colour_zh, got.colour_rgb) == (colour_zh, rgb)
    assert got.health_effect_zh and got.advice_zh


def test_every_level_has_distinct_advice_and_contiguous_ranges():
    assert len({lv.advice_zh for lv in AQI_LEVELS}) == 6
    for lower, upper in zip(AQI_LEVELS, AQI_LEVELS[1:]):
        assert upper.aqi_min == lower.aqi_max + 1
    assert AQI_LEVELS[0].aqi_min == 0 and AQI_LEVELS[-1].aqi_max is None


@pytest.mark.parametrize(
    ("concentrations", "averaging", "message"),
    [
        ({}, "24h", "no concentrations"),
        ({"pm2.5": 80}, "24h", "unknown key"),
        ({"PM25": 80}, "24h", "unknown key"),
        ({"so2_24h": 80}, "24h", "unknown key"),  # the daily "so2" already is the 24h mean
        ({"so2_24h": 80}, "1h", "no indexable"),
        ({"pm25": -0.1}, "24h", "negative"),
        ({"pm25": 80, "co": math.nan}, "24h", "co: concentration must be finite"),
        ({"pm25": None}, "24h", "number"),
        ({"pm25": 80, "so2_24h": -1, "so2": 5}, "1h", "negative"),  # stand-ins are checked too
        ({"pm25": 80}, "8h", "averaging must be"),
    ],
)
def test_bad_aqi_input_raises(concentrations, averaging, message):
    with pytest.raises(ValueError, match=message):
        aqi(concentrations, averaging=averaging)


@pytest.mark.parametrize("value", [-1, math.nan, "50", None, True])
def test_bad_aqi_level_input_raises(value):
    with pytest.raises(ValueError):
        aqi_level(value)


# --- properties ---------------------------------------------------------------------------

_CAPS = {"pm25": 700, "pm10": 700, "so2": 3000, "no2": 4000, "co": 200, "o3": 1300}
_CAPS_1H = {**_CAPS, "so2": 800, "o3_8h": 800}


def _concentrations(caps: dict[str, float]) -> st.SearchStrategy[dict[str, float]]:
    values = {k: st.floats(0, v, allow_nan=False) for k, v in caps.items()}
    return st.fixed_dictionaries({}, optional=values).filter(bool)


@given(st.data())
def test_aqi_is_monotone_in_each_concentration(data):
    averaging = data.draw(st.sampled_from(["24h", "1h"]))
    caps = _CAPS_1H if averaging == "1h" else {**_CAPS, "o3_8h": 800}
    base = data.draw(_concentrations(caps))
    key = data.draw(st.sampled_from(sorted(base)))
    higher = data.draw(st.floats(base[key], caps[key], allow_nan=False))
    before = aqi(base, averaging=averaging)
    after = aqi({**base, key: higher}, averaging=averaging)
    assert after.aqi >= before.aqi
    assert after.level.level >= before.level.level


@given(st.sampled_from(sorted(TABLE_1)), st.data())
def test_iaqi_is_monotone_and_within_the_scale(table, data):
    pollutant, averaging = table
    top = TABLE_1[table][-1] if len(TABLE_1[table]) < 8 else TABLE_1[table][-1] * 1.5
    a = data.draw(st.floats(0, top, allow_nan=False))
    b = data.draw(st.floats(a, top, allow_nan=False))
    low, high = iaqi(pollutant, a, averaging=averaging), iaqi(pollutant, b, averaging=averaging)
    assert 0 <= low <= high <= 500


@given(_concentrations({**_CAPS, "o3_8h": 800}))
def test_aqi_is_the_largest_iaqi_and_its_level_matches(concentrations):
    r = aqi(concentrations)
    assert r.aqi == max(r.iaqi.values())
    assert r.level == aqi_level(r.aqi)
    assert bool(r.primary_pollutants) == (r.aqi > 50)
    assert all(r.iaqi[p] == r.aqi for p in r.primary_pollutants)
