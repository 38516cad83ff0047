"""The traffic layer: road segments coloured by congestion band, wider for bigger roads."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import geopandas as gpd

from layers.geometry import line_paths
from layers.legend import (
    AgeFormat,
    LegendItem,
    age_seconds,
    format_age,
    labels_for,
    number,
    pick,
    require_4326,
    rgba,
    rows_and_geometries,
    text,
)
from layers.spec import LayerSpec

TRAFFIC_LAYER_ID = "traffic-segments"

#: Congestion bands (SPEC §2.5) with their names (zh, en).
BAND_NAMES: dict[int, tuple[str, str]] = {
    0: ("畅通", "Free flow"),
    1: ("基本畅通", "Mostly free"),
    2: ("轻度拥堵", "Light congestion"),
    3: ("中度拥堵", "Moderate congestion"),
    4: ("严重拥堵", "Heavy congestion"),
}
#: The usual Chinese traffic-map colours: green, yellow-green, yellow, orange, dark red.
BAND_RGB: dict[int, tuple[int, int, int]] = {
    0: (0, 190, 80),
    1: (150, 215, 40),
    2: (255, 215, 0),
    3: (255, 120, 0),
    4: (175, 10, 25),
}
BAND_ALPHA = 235
#: Segments without a current sample: faint, so they read as "unknown", not as "free".
NO_DATA_RGB = (120, 130, 145)
NO_DATA_RGBA = [*NO_DATA_RGB, 60]
NO_DATA_BAND = -1

#: Line width in pixels by road class.
ROAD_CLASS_WIDTH_PX: dict[str, float] = {
    "expressway": 6.0,
    "arterial": 4.5,
    "secondary": 3.0,
    "local": 2.0,
}
DEFAULT_WIDTH_PX = 2.0


def _band(value: Any) -> int:
    band = number(value)
    if band is None or int(band) not in BAND_RGB:
        return NO_DATA_BAND
    return int(band)


def build_traffic_layer(
    traffic: gpd.GeoDataFrame,
    *,
    now: datetime,
    lang: str = "zh",
    band_labels: Mapping[int, str] | None = None,
    no_data_label: str | None = None,
    index_label: str | None = None,
    age_fmt: AgeFormat | None = None,
) -> LayerSpec:
    """Build the ``traffic-segments`` PathLayer.

    Parameters
    ----------
    traffic
        Segments in EPSG:4326: ``segment_id, name_zh, road_class, free_flow_kmh, length_m,
        speed_kmh (NaN: no data), flow_vph, ts (naive UTC), index, band (0..4; -1 or NaN:
        no data), geometry`` (LineString or MultiLineString).
    now
        The moment the map shows (naive UTC), for the data age.
    lang
        ``"zh"`` or ``"en"`` for the built-in labels.
    band_labels, no_data_label, index_label
        Display texts (from the app's catalog); built-in Chinese/English when None.
    age_fmt
        Seconds -> text for the data age; :func:`layers.legend.format_age` when None.

    Returns
    -------
    LayerSpec
        One record per line part (a MultiLineString gives several with the same ``id``):
        ``id``, ``title``, ``lines``, ``path``, ``color`` (RGBA), ``width`` (px), ``band``
        (-1: no data), ``speed_kmh`` and ``index`` (None: no data).

    Raises
    ------
    ValueError
        If a non-empty ``traffic`` is not in EPSG:4326.
    """
    require_4326(traffic, "traffic segments")
    bands = labels_for(lang, BAND_NAMES, band_labels)
    no_data = no_data_label if no_data_label is not None else pick(lang, "无数据", "No data")
    index_text = index_label if index_label is not None else pick(lang, "拥堵指数", "Index")
    fmt = age_fmt or (lambda s: format_age(s, lang))
    records: list[dict[str, Any]] = []
    for row, geom in rows_and_geometries(traffic):
        if geom is None or geom.is_empty:
            continue
        speed = number(row.get("speed_kmh"))
        band = _band(row.get("band")) if speed is not None else NO_DATA_BAND
        index = number(row.get("index")) if band != NO_DATA_BAND else None
        if band == NO_DATA_BAND:
            lines = [no_data]
        else:
            lines = [
                f"{speed:.0f} km/h",
                f"{index_text} {index:.2f}" if index is not None else "",
                bands[band],
            ]
            lines = [line for line in lines if line]
            lines.append(fmt(age_seconds(row.get("ts"), now)))
        road_class = text(row.get("road_class"))
        base = {
            "id": str(row["segment_id"]),
            "title": text(row.get("name_zh")) or str(row["segment_id"]),
            "lines": lines,
            "band": band,
            "speed_kmh": None if speed is None else round(speed, 1),
            "index": None if index is None else round(index, 2),
            "color": NO_DATA_RGBA if band == NO_DATA_BAND else rgba(BAND_RGB[band], BAND_ALPHA),
            "width": ROAD_CLASS_WIDTH_PX.get(road_class, DEFAULT_WIDTH_PX),
        }
        for path in line_paths(geom):
            records.append({**base, "path": path})
    return LayerSpec(
        "PathLayer",
        TRAFFIC_LAYER_ID,
        records,
        {
            "getPath": "path",
            "getColor": "color",
            "getWidth": "width",
            "widthUnits": "pixels",
            "widthMinPixels": 1,
            "capRounded": True,
            "jointRounded": True,
            "pickable": True,
            "autoHighlight": True,
            "highlightColor": [255, 255, 255, 140],
        },
        key="id",
    )


def traffic_legend(lang: str = "zh") -> list[LegendItem]:
    """Legend of ``traffic-segments``: the five congestion bands and "no data"."""
    items = [LegendItem(pick(lang, zh, en), BAND_RGB[b]) for b, (zh, en) in BAND_NAMES.items()]
    return [*items, LegendItem(pick(lang, "无数据", "No data"), NO_DATA_RGB)]
