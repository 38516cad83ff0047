"""Air quality index per HJ 633-2012: IAQI breakpoints, AQI, primary pollutant, levels, colours.

Inputs use the MQTT metric names of air-quality stations: ``pm25``, ``pm10``, ``so2``,
``no2``, ``o3`` and ``co``. Concentrations are mass concentrations, CO in mg/m³ and all
others in µg/m³ (HJ 633-2012 Table 1).

HJ 633-2012 has two reports, chosen here by ``averaging``:

- ``"24h"``, the daily report (日报): SO2, NO2, PM10, PM2.5 and CO 24-hour means, the daily
  maximum 1-hour O3 mean (key ``o3``) and the daily maximum 8-hour moving O3 mean (key
  ``o3_8h``).
- ``"1h"``, the real-time report (实时报): SO2, NO2, CO and O3 1-hour means, the O3 8-hour
  moving mean (``o3_8h``) and the PM10 / PM2.5 24-hour moving means (keys ``pm10`` /
  ``pm25``). The standard has no 1-hour breakpoints for particulates, so particulates always
  use the 24-hour table.

The table's notes are applied: an SO2 1-hour mean above 800 µg/m³ is not indexed and SO2 is
reported by its 24-hour mean (key ``so2_24h``, real-time report only); an O3 8-hour mean
above 800 µg/m³ is not indexed and O3 is reported by its 1-hour mean. A concentration above
the top breakpoint of a full table scores 500, the top of the scale.

HJ 633-2026 (in force from 2026-03-01) changes the particulate breakpoints; this module
implements the 2012 edition only (``STANDARD``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from numbers import Real
from types import MappingProxyType
from typing import Literal

STANDARD = "HJ 633-2012"

Averaging = Literal["24h", "1h", "8h"]
Report = Literal["24h", "1h"]

#: The pollutants of HJ 633-2012, by their MQTT metric names.
POLLUTANTS: tuple[str, ...] = ("pm25", "pm10", "so2", "no2", "co", "o3")
UNITS: Mapping[str, str] = MappingProxyType(
    {p: "mg/m³" if p == "co" else "µg/m³" for p in POLLUTANTS}
)

#: IAQI at each breakpoint (HJ 633-2012 Table 1, first column).
IAQI_LEVELS: tuple[int, ...] = (0, 50, 100, 150, 200, 300, 400, 500)

#: Concentration breakpoints per (pollutant, averaging), aligned with ``IAQI_LEVELS``
#: (HJ 633-2012 Table 1). SO2 1-h stops at IAQI 200 and O3 8-h at IAQI 300: beyond them the
#: table's notes (1) and (3) send the index to the other averaging period.
BREAKPOINTS: Mapping[tuple[str, str], tuple[float, ...]] = MappingProxyType(
    {
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
)

#: The concentration above which the standard stops indexing a partial table.
_PARTIAL_TABLE_NOTES = {
    ("so2", "1h"): "HJ 633-2012 Table 1 note (1): an SO2 1-hour mean above 800 µg/m³ is not "
    "indexed; SO2 is reported by its 24-hour mean",
    ("o3", "8h"): "HJ 633-2012 Table 1 note (3): an O3 8-hour mean above 800 µg/m³ is not "
    "indexed; O3 is reported by its 1-hour mean",
}

#: Input key -> (pollutant, averaging) for each report. ``so2_24h`` only stands in for an
#: SO2 1-hour mean above 800 µg/m³.
_REPORT_KEYS: Mapping[str, Mapping[str, tuple[str, str]]] = MappingProxyType(
    {
        "24h": MappingProxyType(
            {
                "pm25": ("pm25", "24h"),
                "pm10": ("pm10", "24h"),
                "so2": ("so2", "24h"),
                "no2": ("no2", "24h"),
                "co": ("co", "24h"),
                "o3": ("o3", "1h"),
                "o3_8h": ("o3", "8h"),
            }
        ),
        "1h": MappingProxyType(
            {
                "pm25": ("pm25", "24h"),
                "pm10": ("pm10", "24h"),
                "so2": ("so2", "1h"),
                "no2": ("no2", "1h"),
                "co": ("co", "1h"),
                "o3": ("o3", "1h"),
                "o3_8h": ("o3", "8h"),
                "so2_24h": ("so2", "24h"),
            }
        ),
    }
)
#: Order in which keys are listed in results (primary pollutants, IAQI mapping).
_KEY_ORDER = ("pm25", "pm10", "so2", "no2", "co", "o3", "o3_8h", "so2_24h")


@dataclass(frozen=True)
class AqiLevel:
    """One AQI level of HJ 633-2012 Table 2 with its Appendix A colour."""

    level: int
    name_zh: str
    aqi_min: int
    aqi_max: int | None
    category_zh: str
    category_en: str
    colour_zh: str
    colour_rgb: tuple[int, int, int]
    health_effect_zh: str
    advice_zh: str

    @property
    def colour_hex(self) -> str:
        """The colour as ``#RRGGBB``."""
        return "#{:02X}{:02X}{:02X}".format(*self.colour_rgb)


#: HJ 633-2012 Table 2 (levels, categories, health effects, advice) and Appendix A (RGB).
AQI_LEVELS: tuple[AqiLevel, ...] = (
    AqiLevel(1, "一级", 0, 50, "优", "Excellent", "绿色", (0, 228, 0),
             "空气质量令人满意，基本无空气污染",
             "各类人群可正常活动"),
    AqiLevel(2, "二级", 51, 100, "良", "Good", "黄色", (255, 255, 0),
             "空气质量可接受，但某些污染物可能对极少数异常敏感人群健康有较弱影响",
             "极少数异常敏感人群应减少户外活动"),
    AqiLevel(3, "三级", 101, 150, "轻度污染", "Lightly polluted", "橙色", (255, 126, 0),
             "易感人群症状有轻度加剧，健康人群出现刺激症状",
             "儿童、老年人及心脏病、呼吸系统疾病患者应减少长时间、高强度的户外锻炼"),
    AqiLevel(4, "四级", 151, 200, "中度污染", "Moderately polluted", "红色", (255, 0, 0),
             "进一步加剧易感人群症状，可能对健康人群心脏、呼吸系统有影响",
             "儿童、老年人及心脏病、呼吸系统疾病患者避免长时间、高强度的户外锻炼，"
             "一般人群适量减少户外运动"),
    AqiLevel(5, "五级", 201, 300, "重度污染", "Heavily polluted", "紫色", (153, 0, 76),
             "心脏病和肺病患者症状显著加剧，运动耐受力降低，健康人群普遍出现症状",
             "儿童、老年人和心脏病、肺病患者应停留在室内，停止户外运动，一般人群减少户外运动"),
    AqiLevel(6, "六级", 301, None, "严重污染", "Severely polluted", "褐红色", (126, 0, 35),
             "健康人群运动耐受力降低，有明显强烈症状，提前出现某些疾病",
             "儿童、老年人和病人应当留在室内，避免体力消耗，一般人群应避免户外活动"),
)  # fmt: skip


@dataclass(frozen=True)
class AqiResult:
    """The AQI of one set of concentrations, with everything HJ 633-2012 says to publish.

    ``iaqi`` has one entry per input key that was indexed (``so2`` carries the 24-hour
    index when the 1-hour mean was above 800; ``o3_8h`` is absent when above 800).
    ``primary_pollutants`` (首要污染物) is empty when the AQI is 50 or less; ties are all
    listed. ``exceeding_pollutants`` (超标污染物) are those with IAQI above 100.
    """

    aqi: int
    level: AqiLevel
    iaqi: Mapping[str, int]
    primary_pollutants: tuple[str, ...]
    exceeding_pollutants: tuple[str, ...]
    averaging: Report

    @property
    def category_zh(self) -> str:
        """优 / 良 / 轻度污染 / 中度污染 / 重度污染 / 严重污染."""
        return self.level.category_zh

    @property
    def category_en(self) -> str:
        """Excellent / Good / Lightly … Severely polluted."""
        return self.level.category_en

    @property
    def colour_zh(self) -> str:
        """The standard's colour name (绿色 … 褐红色)."""
        return self.level.colour_zh

    @property
    def colour_rgb(self) -> tuple[int, int, int]:
        """The standard's colour as an RGB triple (Appendix A)."""
        return self.level.colour_rgb

    @property
    def advice_zh(self) -> str:
        """The recommended measures (建议采取的措施) for this level."""
        return self.level.advice_zh


def _concentration(name: str, value: object) -> Fraction:
    """``value`` as an exact fraction of its shortest decimal form, or ValueError."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ValueError(f"{name}: concentration must be a number, got {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{name}: concentration must be finite, got {number!r}")
    if number < 0:
        raise ValueError(f"{name}: concentration must not be negative, got {number!r}")
    # Interpolate on the decimal the sensor reported: 0.2 mg/m³ CO is 5, not 5.000…01 → 6.
    return Fraction(repr(number))


def _table(pollutant: object, averaging: object) -> tuple[str, tuple[float, ...]]:
    if not isinstance(pollutant, str) or pollutant.strip().lower() not in POLLUTANTS:
        expected = ", ".join(POLLUTANTS)
        raise ValueError(f"unknown pollutant {pollutant!r}; expected one of {expected}")
    name = pollutant.strip().lower()
    if averaging not in ("24h", "1h", "8h"):
        raise ValueError(f"averaging must be '24h', '1h' or '8h', got {averaging!r}")
    breakpoints = BREAKPOINTS.get((name, averaging))
    if breakpoints is None:
        defined = [a for (p, a) in BREAKPOINTS if p == name]
        raise ValueError(
            f"HJ 633-2012 defines no {averaging} breakpoints for {name}; "
            f"defined: {', '.join(defined)}"
        )
    return name, breakpoints


def iaqi(pollutant: str, concentration: float, *, averaging: Averaging = "24h") -> int:
    """Individual air quality index (IAQI) of one pollutant, HJ 633-2012 formula (1).

    IAQI = (IAQI_Hi − IAQI_Lo) / (BP_Hi − BP_Lo) × (C − BP_Lo) + IAQI_Lo, rounded up to an
    integer. Above the top breakpoint of a full table the index is 500.

    Parameters
    ----------
    pollutant
        ``pm25``, ``pm10``, ``so2``, ``no2``, ``co`` or ``o3``.
    concentration
        Mass concentration; CO in mg/m³, the others in µg/m³.
    averaging
        ``"24h"`` (all but O3), ``"1h"`` (SO2, NO2, CO, O3) or ``"8h"`` (O3 only).

    Raises
    ------
    ValueError
        Unknown pollutant, an averaging period the table lacks, a negative, NaN, infinite
        or non-numeric concentration, or an SO2 1-hour / O3 8-hour mean above 800 µg/m³,
        which the standard does not index.
    """
    name, breakpoints = _table(pollutant, averaging)
    c = _concentration(name, concentration)
    if c > breakpoints[-1]:
        note = _PARTIAL_TABLE_NOTES.get((name, averaging))
        if note is not None:
            raise ValueError(f"{name} {averaging} = {float(c):g} µg/m³: {note}")
        return IAQI_LEVELS[-1]
    for i in range(1, len(breakpoints)):
        bp_lo, bp_hi = breakpoints[i - 1], breakpoints[i]
        if c <= bp_hi:
            i_lo, i_hi = IAQI_LEVELS[i - 1], IAQI_LEVELS[i]
            value = Fraction(i_hi - i_lo, 1) / (bp_hi - bp_lo) * (c - bp_lo) + i_lo
            return math.ceil(value)
    raise AssertionError("unreachable: c is within the table")  # pragma: no cover


def aqi_level(value: float) -> AqiLevel:
    """The HJ 633-2012 level (一级 … 六级) an AQI value falls in.

    Raises
    ------
    ValueError
        A negative, NaN or non-numeric value.
    """
    if isinstance(value, bool) or not isinstance(value, Real) or math.isnan(float(value)):
        raise ValueError(f"AQI must be a number, got {value!r}")
    if value < 0:
        raise ValueError(f"AQI must not be negative, got {value!r}")
    for level in AQI_LEVELS:
        if level.aqi_max is None or value <= level.aqi_max:
            return level
    raise AssertionError("unreachable: the last level is open-ended")  # pragma: no cover


def aqi(concentrations: Mapping[str, float], *, averaging: Report = "24h") -> AqiResult:
    """AQI, level and primary pollutant(s) of one station's concentrations (HJ 633-2012).

    Parameters
    ----------
    concentrations
        Metric name → concentration (CO mg/m³, others µg/m³). Keys: ``pm25``, ``pm10``,
        ``so2``, ``no2``, ``co``, ``o3`` (a 1-hour mean: the daily maximum in the daily
        report) and ``o3_8h`` (8-hour moving mean; daily maximum in the daily report). The
        real-time report also takes ``so2_24h``, used only when ``so2`` exceeds 800 µg/m³.
        Any subset will do; missing pollutants are simply not indexed.
    averaging
        ``"24h"`` for the daily report (SO2, NO2, CO, PM as 24-hour means) or ``"1h"`` for
        the real-time report (SO2, NO2, CO as 1-hour means; PM as 24-hour moving means).

    Returns
    -------
    AqiResult
        AQI = max IAQI; primary pollutants only when AQI > 50.

    Raises
    ------
    ValueError
        Empty input, an unknown key, a bad concentration, or a value the standard sends to
        another averaging period when that period's value is missing.
    """
    keys = _REPORT_KEYS.get(averaging)
    if keys is None:
        raise ValueError(f"averaging must be '24h' (daily) or '1h' (real-time), got {averaging!r}")
    if not concentrations:
        raise ValueError("no concentrations given")
    unknown = sorted(str(k) for k in concentrations if k not in keys)
    if unknown:
        raise ValueError(
            f"unknown key(s) {', '.join(unknown)} for the {averaging} report; "
            f"expected some of {', '.join(keys)}"
        )
    for key, value in concentrations.items():
        _concentration(key, value)

    sub: dict[str, int] = {}
    for key in (k for k in _KEY_ORDER if k in concentrations and k != "so2_24h"):
        pollutant, period = keys[key]
        c = concentrations[key]
        if (pollutant, period) in _PARTIAL_TABLE_NOTES and c > BREAKPOINTS[pollutant, period][-1]:
            stand_in = "so2_24h" if pollutant == "so2" else "o3"
            if stand_in not in concentrations:
                note = _PARTIAL_TABLE_NOTES[pollutant, period]
                raise ValueError(f"{key} = {float(c):g} µg/m³: {note}; pass {stand_in!r}")
            if pollutant == "so2":
                sub[key] = iaqi("so2", concentrations["so2_24h"], averaging="24h")
            # O3: the 1-hour index is already in ``sub`` under "o3".
            continue
        sub[key] = iaqi(pollutant, c, averaging=period)
    if not sub:
        raise ValueError("no indexable concentration: 'so2_24h' only stands in for 'so2' > 800")

    top = max(sub.values())
    primary = tuple(k for k, v in sub.items() if v == top) if top > 50 else ()
    exceeding = tuple(k for k, v in sub.items() if v > 100)
    return AqiResult(
        aqi=top,
        level=aqi_level(top),
        iaqi=MappingProxyType(sub),
        primary_pollutants=primary,
        exceeding_pollutants=exceeding,
        averaging=averaging,
    )
