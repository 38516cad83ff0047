"""Sensors and roads on the map at an instant: latest readings, levels, colours, congestion."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from models.environment import aqi, aqi_level, noise_limit, water_class
from models.environment.water import WaterClass
from models.freshness import is_stale
from models.security import Scope
from models.store import Store
from models.traffic import congestion_band, congestion_index

#: The longest reporting interval of any sensor kind (water quality, 4 h) x 3: the scan window.
MAX_WINDOW = timedelta(hours=12)
TRAFFIC_WINDOW = timedelta(minutes=15)
SENSOR_COLUMNS = [
    "sensor_id",
    "kind",
    "lon",
    "lat",
    "cell_code",
    "last_ts",
    "interval_s",
    "stale",
    "values",
    "level",
    "level_zh",
    "level_en",
    "rgb",
    "headline",
    "alarm",
]
TRAFFIC_COLUMNS = [
    "segment_id",
    "name_zh",
    "road_class",
    "free_flow_kmh",
    "length_m",
    "speed_kmh",
    "flow_vph",
    "ts",
    "index",
    "band",
    "geometry",
]
GREY = [128, 128, 128]
#: level key -> (zh, en, rgb) of the levels that are not AQI or water classes.
LEVELS: dict[str, tuple[str, str, list[int]]] = {
    "no_data": ("无数据", "No data", GREY),
    "ok": ("正常", "OK", [0, 200, 83]),
    "alarm": ("告警", "Alarm", [230, 0, 0]),
    "noise_ok": ("达标", "Within limit", [0, 200, 83]),
    "noise_over": ("超标", "Over limit", [255, 80, 0]),
    "normal": ("正常水位", "Normal", [0, 200, 83]),
    "warning": ("超警戒", "Above warning", [255, 200, 0]),
    "danger": ("超保证", "Above danger", [230, 0, 0]),
}
_POLLUTANT_NAMES = {"pm25": "PM2.5", "pm10": "PM10", "o3": "O3", "o3_8h": "O3", "no2": "NO2",
                    "so2": "SO2", "co": "CO", "so2_24h": "SO2"}  # fmt: skip
_WATER_NAMES = {"ph": "pH", "do": "DO", "cod": "COD", "nh3n": "NH3-N", "tp": "TP"}
_ROMAN = {1: "Ⅰ", 2: "Ⅱ", 3: "Ⅲ", 4: "Ⅳ", 5: "Ⅴ", 6: "劣Ⅴ"}


def sensors_at(
    store: Store,
    scope: Scope,
    *,
    at: datetime,
    tz: str,
    sensor_ids: list[str] | None = None,
) -> pd.DataFrame:
    """Every registered sensor of ``scope`` with its latest readings at ``at`` (naive UTC).

    A reading counts when ``at - 3 x interval_s < ts <= at``; a sensor with none is
    ``stale`` and gets level ``no_data`` (``last_ts`` is then its last reading within 12 h
    before ``at``, or ``sensors.last_seen`` when that is not after ``at``, else NaT).

    Levels: air — the real-time AQI of HJ 633-2012 (``aqi(..., averaging="1h")``): SO2,
    NO2, CO and O3 are the latest hourly means, PM2.5 and PM10 the 24-hour moving means of
    the hourly readings, O3 also as its 8-hour moving mean (``aqi_1`` … ``aqi_6`` with the
    standard's colours); water quality — GB 3838 class (``wq_1`` … ``wq_6``, 6 = 劣V);
    noise — LAeq against the GB 3096 limit of the sensor's zone for the local day/night
    period of ``at`` in ``tz`` (``noise_ok`` / ``noise_over``); water level — ``normal``,
    ``warning``, ``danger`` against the sensor's levels; every other kind — ``alarm`` when
    an alarm is open at ``at`` on it, else ``ok``. ``alarm`` is that open-alarm flag for
    every kind. Traffic detectors read their segment's samples (speed, flow).

    Parameters
    ----------
    sensor_ids
        Only these sensors (used by :func:`sensors_changed_since`).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`SENSOR_COLUMNS`, one row per sensor, by ``sensor_id``.
    """
    where, params = scope.sql_filter("s.cell_code")
    only, only_params = "TRUE", []
    if sensor_ids is not None:
        only, only_params = "list_contains(?, s.sensor_id)", [list(sensor_ids)]
    sensors = store.query_df(
        "SELECT s.sensor_id, s.kind, s.lon, s.lat, s.cell_code, s.interval_s, s.zone, "
        "s.warning_level, s.danger_level, s.segment_id, s.last_seen, "
        "EXISTS (SELECT 1 FROM alarms a WHERE a.sensor_id = s.sensor_id AND a.opened_at <= ? "
        "AND (a.cleared_at IS NULL OR a.cleared_at > ?)) AS alarm "
        f"FROM sensors s WHERE {where} AND {only} ORDER BY s.sensor_id",
        [at, at, *params, *only_params],
    )
    readings = _latest_readings(store, sensors, at=at)
    air = _air_means(store, sensors, at=at)
    return _levels(sensors, readings, air, at=at, tz=tz)


def _latest_readings(store: Store, sensors: pd.DataFrame, *, at: datetime) -> pd.DataFrame:
    ids = sensors["sensor_id"].tolist()
    observed = store.query_df(
        "SELECT o.sensor_id, o.metric, arg_max(o.value, o.ts) AS value, max(o.ts) AS ts "
        "FROM observations o "
        "WHERE o.ts > ? AND o.ts <= ? AND list_contains(?, o.sensor_id) "
        "GROUP BY o.sensor_id, o.metric",
        [at - MAX_WINDOW, at, ids],
    )
    detectors = sensors[sensors["kind"] == "traffic"]
    if detectors.empty:
        return _with_freshness(observed, sensors, at=at)
    # a detector reports on its segment's topic: its readings are the segment's samples
    samples = store.query_df(
        "WITH d AS (SELECT s.sensor_id, "
        "arg_max(t.speed_kmh, t.ts) AS speed_kmh, arg_max(t.flow_vph, t.ts) AS flow_vph, "
        "max(t.ts) AS ts FROM traffic_samples t JOIN sensors s USING (segment_id) "
        "WHERE t.ts > ? AND t.ts <= ? AND list_contains(?, s.sensor_id) GROUP BY s.sensor_id) "
        "SELECT sensor_id, m.metric, CASE m.metric WHEN 'speed_kmh' THEN speed_kmh "
        "ELSE flow_vph END AS value, ts "
        "FROM d, (VALUES ('speed_kmh'), ('flow_vph')) m(metric)",
        [at - MAX_WINDOW, at, detectors["sensor_id"].tolist()],
    )
    samples = samples[samples["value"].notna()]
    return _with_freshness(pd.concat([observed, samples], ignore_index=True), sensors, at=at)


def _with_freshness(readings: pd.DataFrame, sensors: pd.DataFrame, *, at: datetime) -> pd.DataFrame:
    """Mark each latest reading ``fresh`` unless its sensor went stale since (models.freshness)."""
    interval = readings["sensor_id"].map(sensors.set_index("sensor_id")["interval_s"])
    age = (pd.Timestamp(at) - pd.to_datetime(readings["ts"])).dt.total_seconds()
    return readings.assign(fresh=~is_stale(age, interval.astype(float)))


def _air_means(store: Store, sensors: pd.DataFrame, *, at: datetime) -> pd.DataFrame:
    ids = sensors.loc[sensors["kind"] == "air", "sensor_id"].tolist()
    if not ids:
        return pd.DataFrame(columns=["sensor_id", "pm25", "pm10", "o3_8h"])
    return store.query_df(
        "SELECT sensor_id, avg(value) FILTER (WHERE metric = 'pm25') AS pm25, "
        "avg(value) FILTER (WHERE metric = 'pm10') AS pm10, "
        "avg(value) FILTER (WHERE metric = 'o3' AND ts > ?::TIMESTAMP - INTERVAL 8 HOUR) "
        "AS o3_8h FROM observations WHERE ts > ?::TIMESTAMP - INTERVAL 24 HOUR AND ts <= ? "
        "AND list_contains(?, sensor_id) GROUP BY sensor_id",
        [at, at, at, ids],
    )


def _air_level(values: dict[str, float], means: dict[str, float]) -> tuple[str, str, str, list]:
    conc = {k: v for k, v in values.items() if k in ("so2", "no2", "co", "o3")}
    for key in ("pm25", "pm10", "o3_8h"):
        value = means.get(key)
        if value is not None and np.isfinite(value):
            conc[key] = float(value)
    if not conc:
        return _plain("no_data")
    try:
        result = aqi(conc, averaging="1h")
    except ValueError:
        return _plain("no_data")
    level = aqi_level(result.aqi)
    primary = sorted({_POLLUTANT_NAMES.get(p, p) for p in result.primary_pollutants})
    headline = f"AQI {result.aqi}" + (f" · {'/'.join(primary)}" if primary else "")
    key = f"aqi_{level.level}"
    return key, f"{level.category_zh}", level.category_en, list(level.colour_rgb), headline  # type: ignore[return-value]


def _plain(key: str, headline: str = "") -> tuple:
    zh, en, rgb = LEVELS[key]
    return key, zh, en, list(rgb), headline


def _water_quality(values: dict[str, float]) -> tuple:
    known = {k: v for k, v in values.items() if k in _WATER_NAMES}
    if not known:
        return _plain("no_data")
    try:
        result = water_class(known)
    except ValueError:
        return _plain("no_data")
    c = int(result.water_class)
    deciding = "/".join(_WATER_NAMES.get(p, p) for p in result.deciding)
    headline = f"{_ROMAN[c]}类" + (f" · {deciding}" if deciding and c >= 3 else "")
    wc = WaterClass(c)
    return f"wq_{c}", wc.label_zh, wc.label_en, list(wc.colour_rgb), headline


def _levels(
    sensors: pd.DataFrame, readings: pd.DataFrame, air: pd.DataFrame, *, at: datetime, tz: str
) -> pd.DataFrame:
    fresh = readings[readings["fresh"].astype(bool)] if not readings.empty else readings
    values: dict[str, dict[str, float]] = {}
    for sid, metric, value in zip(fresh["sensor_id"], fresh["metric"], fresh["value"], strict=True):
        values.setdefault(sid, {})[metric] = float(value)
    last = (
        readings.groupby("sensor_id")["ts"].max()
        if not readings.empty
        else pd.Series(dtype="datetime64[us]")
    )
    means = air.set_index("sensor_id").to_dict("index") if not air.empty else {}
    local_at = at.replace(tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo(tz))
    rows = []
    for s in sensors.itertuples(index=False):
        v = values.get(s.sensor_id, {})
        rows.append(
            _level_of(s, v, means.get(s.sensor_id, {}), local_at) if v else _plain("no_data")
        )
    out = sensors.copy()
    out["values"] = [values.get(sid, {}) for sid in sensors["sensor_id"]]
    out["level"], out["level_zh"], out["level_en"], out["rgb"], out["headline"] = (
        [r[i] for r in rows] for i in range(5)
    )
    seen = sensors["last_seen"].where(sensors["last_seen"] <= pd.Timestamp(at))
    latest = last.to_dict()
    out["last_ts"] = pd.to_datetime(
        [latest.get(sid, old) for sid, old in zip(sensors["sensor_id"], seen, strict=True)]
    )
    out["stale"] = [not values.get(sid) for sid in sensors["sensor_id"]]
    out["alarm"] = sensors["alarm"].astype(bool)
    alarmed = out["alarm"] & ~out["kind"].isin(["air", "water_quality", "noise", "water_level"])
    for col, value in zip(("level", "level_zh", "level_en"), _plain("alarm")[:3], strict=True):
        out.loc[alarmed & ~out["stale"], col] = value
    out.loc[alarmed & ~out["stale"], "rgb"] = pd.Series(
        [LEVELS["alarm"][2]] * int((alarmed & ~out["stale"]).sum()),
        index=out.index[alarmed & ~out["stale"]],
        dtype=object,
    )
    return out[SENSOR_COLUMNS].reset_index(drop=True)


def _level_of(s: object, v: dict[str, float], means: dict[str, float], local_at: datetime) -> tuple:
    kind = s.kind  # type: ignore[attr-defined]
    if kind == "air":
        return _air_level(v, means)
    if kind == "water_quality":
        return _water_quality(v)
    if kind == "noise" and "leq" in v:
        try:
            limit = noise_limit(s.zone, at=local_at, tz=local_at.tzinfo)  # type: ignore[attr-defined,arg-type]
        except ValueError:
            return _plain("no_data", f"{v['leq']:.0f} dB(A)")
        return _plain("noise_over" if v["leq"] > limit else "noise_ok", f"{v['leq']:.0f} dB(A)")
    if kind == "water_level" and "water_level_m" in v:
        level = v["water_level_m"]
        danger, warning = s.danger_level, s.warning_level  # type: ignore[attr-defined]
        key = (
            "danger"
            if pd.notna(danger) and level >= danger
            else "warning"
            if pd.notna(warning) and level >= warning
            else "normal"
        )
        return _plain(key, f"{level:.2f} m")
    return _plain("ok", _headline(kind, v))


def _headline(kind: str, v: dict[str, float]) -> str:
    if kind == "manhole":
        return f"{v.get('tilt_deg', 0):.0f}°" + (" · open" if v.get("open") else "")
    if kind == "streetlamp":
        return ("on" if v.get("on") else "off") + (" · fault" if v.get("fault") else "")
    if kind == "smoke":
        return "smoke" if v.get("smoke") else "clear"
    if kind == "gas" and "gas_ppm" in v:
        return f"{v['gas_ppm']:.1f} ppm"
    if kind == "traffic" and "speed_kmh" in v:
        return f"{v['speed_kmh']:.0f} km/h"
    return ""


def sensors_changed_since(
    store: Store,
    scope: Scope,
    *,
    received_after: datetime,
    at: datetime,
    tz: str,
    since_seq: int | None = None,
) -> pd.DataFrame:
    """:func:`sensors_at` for only the sensors heard from after ``received_after`` (an
    observation, or a traffic sample on a detector's segment, with a later ``received_at``)
    or, with ``since_seq``, whose alarm rows' ``change_seq`` moved above it."""
    alarm_sql, alarm_params = "FALSE", []
    if since_seq is not None:
        alarm_sql = "sensor_id IN (SELECT sensor_id FROM alarms WHERE change_seq > ?)"
        alarm_params = [int(since_seq)]
    ids = store.query_df(
        "SELECT DISTINCT sensor_id FROM observations WHERE received_at > ? AND ts <= ? "
        "UNION SELECT s.sensor_id FROM sensors s WHERE s.kind = 'traffic' AND s.segment_id IN "
        "(SELECT segment_id FROM traffic_samples WHERE received_at > ? AND ts <= ?) "
        f"UNION SELECT sensor_id FROM sensors WHERE {alarm_sql}",
        [received_after, at, received_after, at, *alarm_params],
    )["sensor_id"].tolist()
    return sensors_at(store, scope, at=at, tz=tz, sensor_ids=ids)


def _traffic(store: Store, *, at: datetime, extra: str, params: list) -> gpd.GeoDataFrame:
    frame = store.query_df(
        "WITH latest AS (SELECT segment_id, arg_max(speed_kmh, ts) AS speed_kmh, "
        "arg_max(flow_vph, ts) AS flow_vph, max(ts) AS ts FROM traffic_samples "
        "WHERE ts > ? AND ts <= ? GROUP BY segment_id) "
        "SELECT r.segment_id, r.name_zh, r.road_class, r.free_flow_kmh, r.length_m, "
        "l.speed_kmh, l.flow_vph, l.ts, r.geom_wkb FROM road_segments r "
        f"LEFT JOIN latest l USING (segment_id) WHERE {extra} ORDER BY r.segment_id",
        [at - TRAFFIC_WINDOW, at, *params],
    )
    index = congestion_index(
        frame["free_flow_kmh"].to_numpy(float), frame["speed_kmh"].to_numpy(float)
    )
    frame["index"] = index
    frame["band"] = congestion_band(np.asarray(index, dtype=float))
    geometry = shapely.from_wkb(frame.pop("geom_wkb").map(bytes).to_numpy())
    return gpd.GeoDataFrame(frame, geometry=geometry, crs="EPSG:4326")[TRAFFIC_COLUMNS]


def traffic_at(store: Store, *, at: datetime) -> gpd.GeoDataFrame:
    """Every road segment with its latest sample in the 15 minutes up to ``at`` (naive UTC).

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4326, columns :data:`TRAFFIC_COLUMNS`; ``index`` is the travel-time index and
        ``band`` 0..4 (``models.traffic``); a segment without a recent sample has NaN speed
        and index and band -1.
    """
    return _traffic(store, at=at, extra="TRUE", params=[])


def traffic_changed_since(
    store: Store, *, received_after: datetime, at: datetime
) -> gpd.GeoDataFrame:
    """:func:`traffic_at` for only the segments with a sample received after ``received_after``."""
    return _traffic(
        store,
        at=at,
        extra="r.segment_id IN (SELECT segment_id FROM traffic_samples "
        "WHERE received_at > ? AND ts <= ?)",
        params=[received_after, at],
    )
