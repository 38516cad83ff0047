"""The IoT sensor and environment-station layers: points by level colour, stale greyed, alarm rings.

Three layers, switchable apart on the wall screen:

- ``env-points``: environment stations (air, surface water, noise), filled with the colour of
  their level (AQI per HJ 633-2012, water class, noise);
- ``sensor-points``: every other IoT sensor (water level, manhole, street lamp, smoke, gas);
- ``sensor-alarms``: a red ring around each sensor in alarm, of either group, drawn above
  both so an alarm stands out even when its point is small or greyed.

Traffic detectors are left out by default: the traffic layer already shows the speed of
their road segments, and hundreds of detector dots would hide the segment colours
(``include_traffic=True`` keeps them in ``sensor-points``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import pandas as pd

from layers.legend import (
    AgeFormat,
    LegendItem,
    age_seconds,
    flag,
    format_age,
    labels_for,
    pick,
    rgba,
    text,
)
from layers.spec import LayerSpec, clickable_points
from models.environment import AQI_LEVELS, WATER_CLASS_RGB, WaterClass

SENSOR_LAYER_ID = "sensor-points"
ENV_LAYER_ID = "env-points"
ALARM_LAYER_ID = "sensor-alarms"

#: Kinds drawn in ``env-points``; every other kind goes to ``sensor-points``.
ENV_KINDS = ("air", "water_quality", "noise")
TRAFFIC_KIND = "traffic"

#: Built-in kind names (zh, en), overridden by ``kind_labels``.
KIND_NAMES: dict[str, tuple[str, str]] = {
    "air": ("空气质量站", "Air quality station"),
    "water_quality": ("水质断面", "Water quality section"),
    "noise": ("噪声监测点", "Noise monitor"),
    "water_level": ("水位监测点", "Water level gauge"),
    "manhole": ("井盖传感器", "Manhole cover sensor"),
    "streetlamp": ("路灯", "Street lamp"),
    "smoke": ("烟感", "Smoke detector"),
    "gas": ("燃气监测", "Gas detector"),
    "traffic": ("交通检测器", "Traffic detector"),
}

#: Point radius in metres by kind: stations read from afar, street furniture stays small.
KIND_RADIUS_M: dict[str, float] = {
    "air": 220.0,
    "water_quality": 200.0,
    "noise": 120.0,
    "water_level": 120.0,
    "gas": 60.0,
    "smoke": 50.0,
    "traffic": 50.0,
    "manhole": 35.0,
    "streetlamp": 30.0,
}
DEFAULT_RADIUS_M = 50.0
#: An alarm ring is this many times its sensor's radius.
ALARM_RING_FACTOR = 2.5

POINT_ALPHA = 230
STALE_RGBA = [120, 128, 140, 90]
#: Fill of a fresh sensor whose row has no level colour (no reading yet to grade).
NO_LEVEL_RGB = (150, 165, 185)
ALARM_RGB = (255, 40, 40)


def _record(
    row: Mapping[str, Any],
    *,
    now: datetime,
    lang: str,
    kinds: Mapping[str, str],
    stale_label: str,
    age_fmt: AgeFormat,
) -> dict[str, Any]:
    kind = text(row.get("kind"))
    stale = flag(row.get("stale"))
    alarm = flag(row.get("alarm"))
    age = age_fmt(age_seconds(row.get("last_ts"), now))
    level = text(row.get("level_en") if lang.startswith("en") else row.get("level_zh"))
    rgb = row.get("rgb")
    has_rgb = rgb is not None and not isinstance(rgb, float) and len(rgb) >= 3
    color = STALE_RGBA if stale else rgba(rgb if has_rgb else NO_LEVEL_RGB, POINT_ALPHA)
    headline = text(row.get("headline"))
    lines = [line for line in dict.fromkeys((headline, level)) if line]  # no echo of a level
    if stale:
        lines.append(stale_label if age == "—" else f"{stale_label} · {age}")
    else:
        lines.append(age)
    return {
        "id": str(row["sensor_id"]),
        "title": f"{kinds.get(kind, kind)} {row['sensor_id']}",
        "lines": lines,
        "kind": kind,
        "level": text(row.get("level")),
        "cell_code": text(row.get("cell_code")),
        "stale": stale,
        "alarm": alarm,
        "position": [round(float(row["lon"]), 6), round(float(row["lat"]), 6)],
        "radius": KIND_RADIUS_M.get(kind, DEFAULT_RADIUS_M),
        "color": list(color),
    }


def _points(layer_id: str, records: list[dict[str, Any]]) -> LayerSpec:
    return clickable_points(layer_id, records, min_px=2.5, max_px=30)


def build_sensor_layers(
    sensors: pd.DataFrame,
    *,
    now: datetime,
    lang: str = "zh",
    kind_labels: Mapping[str, str] | None = None,
    stale_label: str | None = None,
    alarm_label: str | None = None,
    age_fmt: AgeFormat | None = None,
    include_traffic: bool = False,
) -> list[LayerSpec]:
    """Build the environment, IoT-sensor and alarm-ring layers, in drawing order.

    Parameters
    ----------
    sensors
        One row per sensor: ``sensor_id, kind, lon, lat, cell_code, last_ts (naive UTC),
        interval_s, stale, values, level, level_zh, level_en, rgb, headline, alarm``.
    now
        The moment the map shows (naive UTC), for the data age in tooltips.
    lang
        ``"zh"`` or ``"en"``: picks ``level_zh``/``level_en`` and the built-in labels.
    kind_labels, stale_label, alarm_label
        Display texts (from the app's catalog); built-in Chinese/English when None.
    age_fmt
        Seconds -> text for the data age; :func:`layers.legend.format_age` when None.
    include_traffic
        Keep traffic detectors (left out by default: the traffic layer shows them).

    Returns
    -------
    list of LayerSpec
        ``env-points``, ``sensor-points``, ``sensor-alarms``. Records carry ``id``,
        ``title``, ``lines`` (tooltip), ``kind``, ``level``, ``cell_code``, ``stale``,
        ``alarm``, ``position`` [lon, lat], ``radius`` (m) and ``color`` (RGBA); stale
        sensors are grey whatever their last level.
    """
    kinds = labels_for(lang, KIND_NAMES, kind_labels)
    stale_text = stale_label if stale_label is not None else pick(lang, "离线", "Stale")
    alarm_text = alarm_label if alarm_label is not None else pick(lang, "告警", "ALARM")
    fmt = age_fmt or (lambda s: format_age(s, lang))
    env: list[dict[str, Any]] = []
    iot: list[dict[str, Any]] = []
    rings: list[dict[str, Any]] = []
    for row in sensors.to_dict("records"):
        kind = text(row.get("kind"))
        if kind == TRAFFIC_KIND and not include_traffic:
            continue
        record = _record(row, now=now, lang=lang, kinds=kinds, stale_label=stale_text, age_fmt=fmt)
        (env if kind in ENV_KINDS else iot).append(record)
        if record["alarm"]:
            rings.append(
                {
                    **record,
                    "title": f"{alarm_text} · {record['title']}",
                    "radius": record["radius"] * ALARM_RING_FACTOR,
                    "color": [*ALARM_RGB, 255],
                }
            )
    alarms = LayerSpec(
        "ScatterplotLayer",
        ALARM_LAYER_ID,
        rings,
        {
            "getPosition": "position",
            "getRadius": "radius",
            "getLineColor": "color",
            "stroked": True,
            "filled": False,
            "lineWidthUnits": "pixels",
            "getLineWidth": 3,
            "lineWidthMinPixels": 2,
            "radiusMinPixels": 9,
            "radiusMaxPixels": 60,
            "pickable": True,
        },
        key="id",
    )
    return [_points(ENV_LAYER_ID, env), _points(SENSOR_LAYER_ID, iot), alarms]


def _status_items(lang: str) -> list[LegendItem]:
    return [
        LegendItem(
            pick(lang, "离线（超过三个上报周期）", "Stale (3 intervals silent)"), _rgb3(STALE_RGBA)
        ),
        LegendItem(pick(lang, "告警", "Alarm"), ALARM_RGB),
    ]


def _rgb3(rgb: Sequence[int]) -> tuple[int, int, int]:
    return (int(rgb[0]), int(rgb[1]), int(rgb[2]))


def sensor_legend(
    lang: str = "zh", *, levels: Mapping[str, tuple[str, str, Sequence[int]]] | None = None
) -> list[LegendItem]:
    """Legend of ``sensor-points``.

    Parameters
    ----------
    lang
        ``"zh"`` or ``"en"``.
    levels
        The data producer's level table, key -> (zh, en, rgb), listed first (the fills come
        with each sensor's ``rgb``, so only the producer knows them).

    Returns
    -------
    list of LegendItem
        The given levels, then "no reading", stale and alarm.
    """
    given = [LegendItem(pick(lang, zh, en), _rgb3(rgb)) for zh, en, rgb in (levels or {}).values()]
    no_reading = LegendItem(pick(lang, "无读数", "No reading"), NO_LEVEL_RGB)
    return [*given, no_reading, *_status_items(lang)]


def environment_legend(
    lang: str = "zh", *, water_rgb: Mapping[int, Sequence[int]] | None = None
) -> list[LegendItem]:
    """Legend of ``env-points``: the six AQI levels (HJ 633-2012), the six surface-water
    classes (GB 3838-2002), stale and alarm.

    Parameters
    ----------
    lang
        ``"zh"`` or ``"en"``.
    water_rgb
        Class number (1..6) -> RGB as the data producer colours water sections; when None,
        ``models.environment.WATER_CLASS_RGB``, the table the map's points use.
    """
    aqi = [
        LegendItem(
            f"AQI {lv.category_zh}" if not lang.startswith("en") else f"AQI {lv.category_en}",
            lv.colour_rgb,
        )
        for lv in AQI_LEVELS
    ]
    colours = {int(k): _rgb3(v) for k, v in (water_rgb or WATER_CLASS_RGB).items()}
    water = [
        LegendItem(pick(lang, f"水质 {c.label_zh}", f"Water {c.label_en}"), colours[int(c)])
        for c in WaterClass
    ]
    return [*aqi, *water, *_status_items(lang)]
