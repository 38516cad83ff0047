"""Measures over what the sensors report: air (HJ 633), surface water (GB 3838), noise
(GB 3096) and road congestion (GB/T 33171 bands). Each computes every asked period in one
query and returns one value per period (None where there is no data).

Sensors are placed by their ``cell_code``, so a scope keeps the stations inside it. Road
segments carry no cell: **traffic measures are city-wide** whatever the scope (the wall's
traffic layer is city-wide too). Readings flagged ``exercise`` (drills) never count.

Local days and clock hours are counted from the period's start, a local midnight: exact for
time zones without daylight saving (China Standard Time has none since 1992).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from models.environment import aqi, as_water_class, meets_target, noise_limit, water_class
from models.environment.aqi import POLLUTANTS
from models.environment.noise import DAY_START, NIGHT_START
from models.environment.water import WATER_PARAMETERS
from models.indicators.measure_kit import (
    Values,
    bounds_of,
    minutes,
    one_of,
    per_period,
    periods_cte,
    shared,
    spans,
    whole,
    with_params,
)
from models.security import Scope
from models.store import Store
from models.traffic import city_index_by, congestion_band, congestion_index, segment_weights

if TYPE_CHECKING:
    from models.indicators.periods import Period
    from models.indicators.registry import Indicator


#: GB 3095-2012 §8 (data validity): a 24-hour mean needs at least 20 hourly means.
MIN_HOURS_PER_DAY = 20
#: An O3 8-hour moving mean needs 6 hourly means; the daily maximum needs 14 such means.
MIN_HOURS_PER_8H = 6
MIN_8H_MEANS_PER_DAY = 14
#: Length of one traffic time slot (a city index is taken per slot, then averaged); an hour,
#: as the hourly index curves of city traffic reports (``params.slot_s`` may set 900).
TRAFFIC_SLOT_S = 3600
#: Peak hours (早晚高峰), local clock: the default of the ``peak_hours`` parameter.
PEAK_HOURS = ("07:00-09:00", "17:00-19:00")
#: The first congested band of ``models.traffic`` (2 轻度拥堵, then 中度 and 严重).
CONGESTED_BAND = 2


def _sensor_rows(
    store: Store,
    periods: Sequence[Period],
    scope: Scope,
    *,
    kind: str,
    metrics: Sequence[str],
    select: str,
    group: str,
) -> pd.DataFrame:
    """Observations of sensors of ``kind`` in ``scope``, joined to their periods, grouped."""
    cte, params = periods_cte(periods)
    where, scope_params = scope.sql_filter("s.cell_code")
    return store.query_df(
        f"WITH {cte} SELECT {select} FROM observations o JOIN sensors s USING (sensor_id) "
        "JOIN periods ON o.ts >= p_start AND o.ts < p_end "
        f"WHERE s.kind = ? AND list_contains(?, o.metric) AND NOT o.exercise AND {where} "
        f"GROUP BY {group}",
        [*params, kind, list(metrics), *scope_params],
    )


# -- air: HJ 633-2012 daily report ------------------------------------------------------


def city_daily_air(
    store: Store, periods: Sequence[Period], scope: Scope, *, min_hours: int = MIN_HOURS_PER_DAY
) -> pd.DataFrame:
    """The daily AQI of the stations in ``scope`` for every local day of every period.

    Per station and local day: 24-hour means of PM2.5, PM10, SO2, NO2 and CO, the daily
    maximum 1-hour O3 and the daily maximum 8-hour moving O3 mean, each kept only when
    valid (``min_hours`` hourly means, GB 3095-2012 §8). The city's (scope's) daily value
    of a pollutant is the mean over its stations (城市日均浓度); the AQI of the day is that
    of these means by HJ 633-2012 (``models.environment.aqi``, daily report).

    Returns
    -------
    pandas.DataFrame
        Columns ``p`` (period index), ``d`` (day of the period), ``aqi``, ``pm25``; one row
        per day with at least one valid pollutant.
    """
    cte, params = periods_cte(periods)
    where, scope_params = scope.sql_filter("s.cell_code")
    frame = store.query_df(
        f"WITH {cte}, hourly AS (SELECT p, o.sensor_id, o.metric, "
        "floor(epoch(o.ts - p_start) / 3600)::BIGINT AS h, avg(o.value) AS v "
        "FROM observations o JOIN sensors s USING (sensor_id) "
        "JOIN periods ON o.ts >= p_start AND o.ts < p_end "
        f"WHERE s.kind = 'air' AND list_contains(?, o.metric) AND NOT o.exercise AND {where} "
        "GROUP BY ALL), "
        "moving AS (SELECT p, sensor_id, h, avg(v) OVER w AS v8, count(v) OVER w AS n8 "
        "FROM hourly WHERE metric = 'o3' WINDOW w AS (PARTITION BY p, sensor_id ORDER BY h "
        "RANGE BETWEEN 7 PRECEDING AND CURRENT ROW)), "
        "station_day AS (SELECT p, sensor_id, h // 24 AS d, metric, "
        "CASE WHEN metric = 'o3' THEN max(v) ELSE avg(v) END AS v, count(*) AS n "
        "FROM hourly GROUP BY p, sensor_id, h // 24, metric HAVING count(*) >= ? "
        "UNION ALL SELECT p, sensor_id, h // 24 AS d, 'o3_8h' AS metric, max(v8) AS v, "
        "count(*) AS n FROM moving WHERE n8 >= ? GROUP BY p, sensor_id, h // 24 "
        "HAVING count(*) >= ?) "
        "SELECT p, d, metric, avg(v) AS v FROM station_day GROUP BY ALL ORDER BY p, d",
        [*params, list(POLLUTANTS), *scope_params, min_hours, MIN_HOURS_PER_8H,
         MIN_8H_MEANS_PER_DAY],
    )  # fmt: skip
    if frame.empty:
        return pd.DataFrame({"p": [], "d": [], "aqi": [], "pm25": []})
    wide = frame.pivot_table(index=["p", "d"], columns="metric", values="v", aggfunc="first")
    rows = []
    for (p, d), values in wide.iterrows():
        conc = {k: float(v) for k, v in values.items() if pd.notna(v)}
        try:
            result = aqi(conc, averaging="24h")
        except ValueError:  # e.g. only an O3 8-h mean above 800 without its 1-h stand-in
            continue
        rows.append((int(p), int(d), result.aqi, conc.get("pm25", np.nan)))
    return pd.DataFrame(rows, columns=["p", "d", "aqi", "pm25"])


def _air_measure(kind: str):
    def measure(
        store: Store, ind: Indicator, periods: list[Period], scope: Scope, now: datetime
    ) -> Values:
        hours = int(ind.params.get("min_hours", MIN_HOURS_PER_DAY))
        rows = store.query_value("SELECT count(*) FROM observations")
        key = (bounds_of(periods), scope, hours, now, rows)
        days = shared("air", store, key,
                      lambda: city_daily_air(store, periods, scope, min_hours=hours))  # fmt: skip
        grouped = days.groupby("p")
        if kind == "good_share":  # 优良天数比例: AQI ≤ 100, among days with an AQI
            values = grouped["aqi"].agg(lambda a: 100.0 * float((a <= 100).mean()))
        elif kind == "heavy_days":  # 重度及以上污染天数: AQI > 200
            values = grouped["aqi"].agg(lambda a: float((a > 200).sum()))
        else:  # mean of the daily city PM2.5 means, µg/m³
            values = grouped["pm25"].mean()
        return per_period(len(periods), values.to_dict())

    return measure


# -- surface water: GB 3838-2002 -------------------------------------------------------


def water_target_share(
    store: Store, ind: Indicator, periods: list[Period], scope: Scope, now: datetime
) -> Values:
    """Share (%) of water-quality sections meeting their target class (``sensors.zone``).

    A section's class in a period is that of its period means of pH, DO, COD, NH3-N and TP
    (GB 3838-2002, worst parameter decides; ``params.waterbody``: ``river`` (default) or
    ``lake``). Sections without readings or without a readable target are not counted.
    """
    frame = _sensor_rows(
        store, periods, scope, kind="water_quality", metrics=WATER_PARAMETERS,
        select="p, o.sensor_id, s.zone, o.metric, avg(o.value) AS v", group="ALL",
    )  # fmt: skip
    waterbody = str(ind.params.get("waterbody", "river"))
    met: dict[int, list[bool]] = {}
    for (p, _sid, zone), rows in frame.groupby(["p", "sensor_id", "zone"]):
        try:
            target = as_water_class(str(zone))
            result = water_class(dict(zip(rows["metric"], rows["v"].astype(float))),
                                 waterbody=waterbody)  # type: ignore[arg-type]
        except ValueError:
            continue
        met.setdefault(int(p), []).append(meets_target(result, target))
    return per_period(len(periods), {p: 100.0 * sum(v) / len(v) for p, v in met.items()})


# -- noise: GB 3096-2008 ----------------------------------------------------------------


def noise_assessments(store: Store, periods: Sequence[Period], scope: Scope) -> pd.DataFrame:
    """Day-time and night-time equivalent levels of each noise sensor per local day.

    The level of a (sensor, local day, day/night) is the energy mean of its ``leq``
    readings, 10·lg(mean(10^(L/10))); day is 06:00–22:00 (GB 3096-2008, the constants of
    ``models.environment.noise``), night the rest of the same calendar day. It is compared
    with the limit of the sensor's functional zone (``sensors.zone``); sensors without a
    known zone are left out.

    Returns
    -------
    pandas.DataFrame
        ``p``, ``sensor_id``, ``d``, ``is_day``, ``leq``, ``limit``, ``exceeded``.
    """
    day_s = DAY_START.hour * 3600 + DAY_START.minute * 60
    night_s = NIGHT_START.hour * 3600 + NIGHT_START.minute * 60
    second = "(epoch(o.ts - p_start) % 86400)"
    frame = _sensor_rows(
        store, periods, scope, kind="noise", metrics=["leq"],
        select=f"p, o.sensor_id, s.zone, floor(epoch(o.ts - p_start) / 86400)::BIGINT AS d, "
        f"({second} >= {day_s} AND {second} < {night_s}) AS is_day, "
        "10 * log10(avg(pow(10, o.value / 10))) AS leq",
        group="ALL",
    )  # fmt: skip
    limits: dict[tuple[str, bool], float | None] = {}
    for zone, is_day in set(zip(frame["zone"], frame["is_day"])):
        try:
            limits[zone, is_day] = noise_limit(str(zone), at=DAY_START if is_day else NIGHT_START)
        except ValueError:
            limits[zone, is_day] = None
    frame["limit"] = [limits[z, d] for z, d in zip(frame["zone"], frame["is_day"])]
    frame = frame[frame["limit"].notna()].copy()
    frame["exceeded"] = frame["leq"] > frame["limit"].astype(float)
    return frame


def _noise_measure(kind: str):
    def measure(
        store: Store, ind: Indicator, periods: list[Period], scope: Scope, now: datetime
    ) -> Values:
        rows = store.query_value("SELECT count(*) FROM observations")
        key = (bounds_of(periods), scope, now, rows)
        frame = shared("noise", store, key, lambda: noise_assessments(store, periods, scope))
        grouped = frame.groupby("p")["exceeded"]
        if kind == "exceedances":  # 超标点次: sensor-day-periods above the limit
            return per_period(len(periods), grouped.sum().astype(float).to_dict())
        return per_period(len(periods), (100.0 * (1 - grouped.mean())).to_dict())

    return measure


# -- traffic: congestion index (models.traffic), city-wide -------------------------------


def traffic_slots(
    store: Store, periods: Sequence[Period], slot_s: int = TRAFFIC_SLOT_S
) -> dict[str, np.ndarray]:
    """Per period and time slot: each segment's mean speed as a travel-time index
    (``models.traffic.congestion_index``) and the segment's weight in the city index
    (``segment_weights``). City-wide: segments carry no cell.

    Returns
    -------
    dict of numpy.ndarray
        ``p`` (period index), ``slot`` (slot of the period), ``minute`` (local minute of
        the day the slot starts at), ``index`` and ``weight``, one entry per segment-slot.
    """
    segments = store.query_df(
        "SELECT row_number() OVER (ORDER BY segment_id) - 1 AS k, free_flow_kmh, length_m, "
        "road_class FROM road_segments ORDER BY k"
    )
    cte, params = periods_cte(periods)
    frame = store.query_df(
        f"WITH {cte}, seg AS (SELECT segment_id, row_number() OVER (ORDER BY segment_id) - 1 "
        "AS k FROM road_segments) SELECT p, floor(epoch(t.ts - p_start) / ?)::BIGINT AS slot, "
        "seg.k, avg(t.speed_kmh) AS speed FROM traffic_samples t JOIN seg USING (segment_id) "
        "JOIN periods ON t.ts >= p_start AND t.ts < p_end WHERE t.speed_kmh IS NOT NULL "
        "GROUP BY ALL",
        [*params, slot_s],
    )
    k = frame["k"].to_numpy(np.int64)
    free = segments["free_flow_kmh"].to_numpy(float)[k]
    weight = segment_weights(segments["length_m"], segments["road_class"])[k]
    slot = frame["slot"].to_numpy(np.int64)
    return {
        "p": frame["p"].to_numpy(np.int64),
        "slot": slot,
        "minute": (slot * slot_s // 60) % 1440,
        "index": np.asarray(congestion_index(free, frame["speed"].to_numpy(float)), dtype=float),
        "weight": weight,
    }


def _per_p(n: int, p: np.ndarray, num: np.ndarray, den: np.ndarray) -> Values:
    """sum(num) / sum(den) for each period index in ``p`` (None where ``den`` sums to 0)."""
    top = np.bincount(p, weights=num, minlength=n)
    bottom = np.bincount(p, weights=den, minlength=n)
    return per_period(n, {i: top[i] / bottom[i] for i in range(n) if bottom[i] > 0})


def _traffic_measure(kind: str):
    def measure(
        store: Store, ind: Indicator, periods: list[Period], scope: Scope, now: datetime
    ) -> Values:
        del scope  # city-wide: road segments carry no cell (see the module docstring)
        n = len(periods)
        slot_s = int(ind.params.get("slot_s", TRAFFIC_SLOT_S))
        rows = store.query_value("SELECT count(*) FROM traffic_samples")
        key = (bounds_of(periods), slot_s, now, rows)
        t = shared("traffic", store, key, lambda: traffic_slots(store, periods, slot_s))
        if kind == "peak" and len(t["p"]):
            spans = [minutes(x) for x in ind.params.get("peak_hours", PEAK_HOURS)]
            keep = np.logical_or.reduce([(t["minute"] >= a) & (t["minute"] < b) for a, b in spans])
            t = {key: values[keep] for key, values in t.items()}
        if kind == "congested_share":  # share of weighted segment-slots in 轻度拥堵 or worse
            jam = np.asarray(congestion_band(t["index"]), dtype=np.int64) >= CONGESTED_BAND
            return _per_p(n, t["p"], 100.0 * t["weight"] * jam, t["weight"])
        # the city index of each slot, then the mean over the period's slots with data
        width = int(t["slot"].max()) + 1 if len(t["slot"]) else 1
        slots, values = city_index_by(t["p"] * width + t["slot"], t["index"], t["weight"])
        return _per_p(n, (slots // width).astype(np.int64), values, np.ones(len(values)))

    return measure


_HOURS = whole(1, 24)
_SLOT = whole(60, 86400)
MEASURES: dict[str, Any] = {
    "env.aqi_good_day_share": with_params(_air_measure("good_share"), min_hours=_HOURS),
    "env.pm25_mean": with_params(_air_measure("pm25"), min_hours=_HOURS),
    "env.heavy_pollution_days": with_params(_air_measure("heavy_days"), min_hours=_HOURS),
    "env.water_target_share": with_params(water_target_share,
                                          waterbody=one_of("river", "lake")),  # fmt: skip
    "env.noise_exceedances": with_params(_noise_measure("exceedances")),
    "env.noise_compliance_rate": with_params(_noise_measure("compliance")),
    "traffic.congestion_index_mean": with_params(_traffic_measure("mean"), slot_s=_SLOT),
    "traffic.congestion_index_peak": with_params(_traffic_measure("peak"), slot_s=_SLOT,
                                                 peak_hours=spans),  # fmt: skip
    "traffic.congested_share": with_params(_traffic_measure("congested_share"), slot_s=_SLOT),
}
