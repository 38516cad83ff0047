"""Surface-water class per GB 3838-2002 Table 1: limits, directions, worst parameter decides."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.environment import (
    WaterClass,
    as_water_class,
    exceeding_parameters,
    meets_target,
    parameter_class,
    water_class,
)

I, II, III, IV, V, BAD = (  # noqa: E741 - the standard names the classes so
    WaterClass.I,
    WaterClass.II,
    WaterClass.III,
    WaterClass.IV,
    WaterClass.V,
    WaterClass.WORSE_THAN_V,
)


@pytest.mark.parametrize(
    ("parameter", "value", "expected"),
    [
        # COD ≤ 15 / 15 / 20 / 30 / 40: classes I and II share 15, so II is never reached
        ("cod", 0, I),
        ("cod", 15, I),
        ("cod", 15.01, III),
        ("cod", 20, III),
        ("cod", 20.01, IV),
        ("cod", 30, IV),
        ("cod", 30.01, V),
        ("cod", 40, V),
        ("cod", 40.01, BAD),
        # NH3-N ≤ 0.15 / 0.5 / 1.0 / 1.5 / 2.0
        ("nh3n", 0.15, I),
        ("nh3n", 0.16, II),
        ("nh3n", 0.5, II),
        ("nh3n", 0.51, III),
        ("nh3n", 1.0, III),
        ("nh3n", 1.01, IV),
        ("nh3n", 1.5, IV),
        ("nh3n", 1.51, V),
        ("nh3n", 2.0, V),
        ("nh3n", 2.01, BAD),
        # TP (rivers) ≤ 0.02 / 0.1 / 0.2 / 0.3 / 0.4
        ("tp", 0.02, I),
        ("tp", 0.021, II),
        ("tp", 0.1, II),
        ("tp", 0.11, III),
        ("tp", 0.2, III),
        ("tp", 0.3, IV),
        ("tp", 0.31, V),
        ("tp", 0.4, V),
        ("tp", 0.41, BAD),
        # DO ≥ 7.5 / 6 / 5 / 3 / 2: higher is better, limits inclusive
        ("do", 12, I),
        ("do", 7.5, I),
        ("do", 7.49, II),
        ("do", 6, II),
        ("do", 5.99, III),
        ("do", 5, III),
        ("do", 4.99, IV),
        ("do", 3, IV),
        ("do", 2.99, V),
        ("do", 2, V),
        ("do", 1.99, BAD),
        ("do", 0, BAD),
        # pH 6–9 for every class
        ("ph", 6, I),
        ("ph", 7.2, I),
        ("ph", 9, I),
        ("ph", 5.99, BAD),
        ("ph", 9.01, BAD),
    ],
)
def test_class_boundaries_for_rivers(parameter, value, expected):
    assert parameter_class(parameter, value) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # TP lakes and reservoirs ≤ 0.01 / 0.025 / 0.05 / 0.1 / 0.2
        (0.01, I),
        (0.011, II),
        (0.02, II),  # class I in a river, II in a lake
        (0.025, II),
        (0.026, III),
        (0.05, III),
        (0.051, IV),
        (0.1, IV),
        (0.11, V),
        (0.2, V),
        (0.21, BAD),
        (0.4, BAD),  # class V in a river, worse than V in a lake
    ],
)
def test_tp_limits_for_lakes_and_reservoirs(value, expected):
    assert parameter_class("tp", value, waterbody="lake") is expected


def test_only_tp_depends_on_the_waterbody():
    for parameter, value in [("cod", 18), ("nh3n", 0.7), ("do", 5.5), ("ph", 8)]:
        river = parameter_class(parameter, value, waterbody="river")
        assert river is parameter_class(parameter, value, waterbody="lake")


def test_worst_parameter_decides():
    r = water_class({"ph": 7.4, "do": 5.5, "cod": 15, "nh3n": 1.2, "tp": 0.1})
    assert dict(r.classes) == {"ph": I, "do": III, "cod": I, "nh3n": IV, "tp": II}
    assert r.water_class is IV
    assert r.deciding == ("nh3n",)
    assert r.waterbody == "river"
    assert r.water_class.label_zh == "IV类"


def test_ties_name_every_deciding_parameter():
    r = water_class({"cod": 25, "nh3n": 1.2, "do": 4})
    assert r.water_class is IV and r.deciding == ("cod", "nh3n", "do")


def test_worse_than_v():
    r = water_class({"do": 1.5, "cod": 45, "nh3n": 0.4, "tp": 0.3})
    assert r.water_class is BAD
    assert r.deciding == ("do", "cod")
    assert (r.water_class.label_zh, r.water_class.roman) == ("劣V类", "劣V")
    assert r.water_class.label_en == "Worse than Class V"


def test_the_same_sample_is_worse_in_a_lake():
    sample = {"do": 8, "cod": 12, "nh3n": 0.1, "tp": 0.04}
    assert water_class(sample).water_class is II
    lake = water_class(sample, waterbody="lake")
    assert lake.water_class is III and lake.deciding == ("tp",)


def test_an_out_of_range_ph_alone_makes_the_sample_worse_than_v():
    assert water_class({"ph": 9.5, "do": 9, "cod": 10}).water_class is BAD


@pytest.mark.parametrize(
    ("target", "meets", "exceeding"),
    [
        (WaterClass.III, False, ("nh3n",)),
        (3, False, ("nh3n",)),
        ("III", False, ("nh3n",)),
        ("Ⅲ类", False, ("nh3n",)),
        ("IV类", True, ()),
        ("V", True, ()),
        ("劣V类", True, ()),
        (1, False, ("do", "nh3n", "tp")),
    ],
)
def test_meets_target_and_exceeding_parameters(target, meets, exceeding):
    r = water_class({"ph": 7.4, "do": 5.5, "cod": 15, "nh3n": 1.2, "tp": 0.1})
    assert meets_target(r, target) is meets
    assert exceeding_parameters(r, target) == exceeding


def test_meeting_the_target_exactly_counts():
    r = water_class({"cod": 20})
    assert r.water_class is III
    assert meets_target(r, "III") and not meets_target(r, "II")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("I", I), ("ii", II), (" Ⅲ ", III), ("Ⅳ类", IV), ("V类", V), ("劣Ⅴ类", BAD), (6, BAD)],
)
def test_as_water_class_reads_the_usual_spellings(text, expected):
    assert as_water_class(text) is expected


@pytest.mark.parametrize("bad", [0, 7, "VI", "", "class III", True, 3.0, None])
def test_as_water_class_rejects_anything_else(bad):
    with pytest.raises(ValueError, match="water class"):
        as_water_class(bad)


@pytest.mark.parametrize(
    ("values", "waterbody", "message"),
    [
        ({}, "river", "no water parameters"),
        ({"bod5": 3}, "river", "unknown parameter"),
        ({"DO": 7}, "river", "unknown parameter"),
        ({"cod": -1}, "river", "negative"),
        ({"cod": math.nan}, "river", "finite"),
        ({"cod": math.inf}, "river", "finite"),
        ({"tp": "0.1"}, "river", "number"),
        ({"ph": 15}, "river", "0–14"),
        ({"tp": 0.1}, "sea", "waterbody"),
    ],
)
def test_bad_input_raises(values, waterbody, message):
    with pytest.raises(ValueError, match=message):
        water_class(values, waterbody=waterbody)


# --- properties ---------------------------------------------------------------------------

_RANGES = {"ph": (0, 14), "do": (0, 15), "cod": (0, 80), "nh3n": (0, 5), "tp": (0, 1)}
_samples = st.fixed_dictionaries(
    {}, optional={k: st.floats(lo, hi, allow_nan=False) for k, (lo, hi) in _RANGES.items()}
).filter(bool)


def _worse(parameter: str, value: float, amount: float) -> float:
    """``value`` moved ``amount`` in the bad direction for ``parameter``."""
    lo, hi = _RANGES[parameter]
    if parameter == "do":
        return max(lo, value - amount)
    if parameter == "ph":  # away from the middle of 6–9
        return min(hi, value + amount) if value >= 7.5 else max(lo, value - amount)
    return min(hi, value + amount)


@given(_samples, st.data(), st.sampled_from(["river", "lake"]))
def test_worsening_any_parameter_never_improves_the_class(sample, data, waterbody):
    parameter = data.draw(st.sampled_from(sorted(sample)))
    amount = data.draw(st.floats(0, 20, allow_nan=False))
    worse = {**sample, parameter: _worse(parameter, sample[parameter], amount)}
    before = water_class(sample, waterbody=waterbody)
    after = water_class(worse, waterbody=waterbody)
    assert after.water_class >= before.water_class
    assert after.classes[parameter] >= before.classes[parameter]


@given(_samples, st.sampled_from(["river", "lake"]))
def test_the_class_is_the_worst_of_the_parameters(sample, waterbody):
    r = water_class(sample, waterbody=waterbody)
    assert r.water_class == max(r.classes.values())
    assert r.deciding and all(r.classes[p] == r.water_class for p in r.deciding)
    assert meets_target(r, r.water_class)
    assert exceeding_parameters(r, r.water_class) == ()
