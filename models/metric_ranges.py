"""Plausible physical range of each published metric: a reading outside it is refused."""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple


class MetricRange(NamedTuple):
    """Lowest and highest believable value of a metric, and its unit (for the reason)."""

    low: float
    high: float
    unit: str


#: Metric → plausible range. Wide enough for any real extreme (HJ 633-2012's top PM2.5
#: breakpoint is 500 µg/m³), narrow enough to refuse a broken or hostile device's value.
METRIC_RANGES: Mapping[str, MetricRange] = {
    "pm25": MetricRange(0, 2000, "µg/m³"),
    "pm10": MetricRange(0, 2000, "µg/m³"),
    "o3": MetricRange(0, 2000, "µg/m³"),
    "no2": MetricRange(0, 4000, "µg/m³"),
    "so2": MetricRange(0, 3000, "µg/m³"),
    "co": MetricRange(0, 200, "mg/m³"),
    "ph": MetricRange(0, 14, ""),
    "do": MetricRange(0, 20, "mg/L"),
    "cod": MetricRange(0, 1000, "mg/L"),
    "nh3n": MetricRange(0, 100, "mg/L"),
    "tp": MetricRange(0, 50, "mg/L"),
    "leq": MetricRange(0, 150, "dB"),
    "water_level_m": MetricRange(-50, 200, "m"),
    "rain_mm_h": MetricRange(0, 500, "mm/h"),
    "tilt_deg": MetricRange(0, 180, "°"),
    "open": MetricRange(0, 1, ""),
    "on": MetricRange(0, 1, ""),
    "fault": MetricRange(0, 1, ""),
    "smoke": MetricRange(0, 1, ""),
    "gas_ppm": MetricRange(0, 100000, "ppm"),
}


def describe_range(metric: str) -> str:
    """The range of ``metric`` in words, e.g. ``pm25 must be within 0–2000 µg/m³``.

    Parameters
    ----------
    metric
        A metric name of :data:`METRIC_RANGES`.

    Returns
    -------
    str
        The rule, for a rejection's reason.
    """
    r = METRIC_RANGES[metric]
    unit = f" {r.unit}" if r.unit else ""
    return f"{metric} must be within {r.low:g}–{r.high:g}{unit}"


def range_problem(metric: str, value: float) -> str | None:
    """Why ``value`` is not a plausible reading of ``metric`` (None when it is, or unranged).

    Parameters
    ----------
    metric
        The metric name.
    value
        The reading (finite).

    Returns
    -------
    str | None
        The reason naming the metric, the value and the range, or None.
    """
    r = METRIC_RANGES.get(metric)
    if r is None or r.low <= value <= r.high:
        return None
    return f"{metric} = {value:g} is implausible: {describe_range(metric)}"
