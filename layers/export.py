"""The map's layers as plain feature tables for GIS users, and their RFC 7946 GeoJSON (pure).

Each builder takes what :mod:`models.map_state` (or the geography and camera readers) gave
the wall for an instant and keeps the columns a GIS user needs: no colours, no tooltip
text, times as ISO 8601 UTC text, nested values as JSON text, one geometry per row in
EPSG:4326. :func:`geojson_bytes` writes a feature table as RFC 7946 GeoJSON: WGS 84
longitude/latitude, no ``crs`` member, polygons wound counter-clockwise (right-hand rule),
coordinates rounded to 6 decimals (about 0.1 m), properties JSON (no NaN).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pandas.api.extensions import ExtensionDtype

from layers.legend import require_4326

#: Decimals of a degree kept (about 0.1 m): RFC 7946 §11.2 asks for no more than needed.
DECIMALS = 6
CRS = "EPSG:4326"


def _iso(value: Any) -> str | None:
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    stamp = pd.Timestamp(value)
    if pd.isna(stamp):
        return None
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return stamp.strftime("%Y-%m-%dT%H:%M:%SZ")


def _json_text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, str):
        return value
    return json.dumps(json_safe(value), ensure_ascii=False, sort_keys=True)


def json_safe(value: Any) -> Any:
    """``value`` as plain JSON: NaN, NaT and pandas' NA as None, numpy scalars as Python
    ones, times as ISO 8601 UTC text, containers converted all the way down."""
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [json_safe(v) for v in value]
    if isinstance(value, datetime | date | pd.Timestamp | np.datetime64):
        return _iso(value)
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    return value


def feature_table(
    frame: pd.DataFrame,
    columns: Sequence[str],
    geometry: Any,
    *,
    times: Sequence[str] = (),
    texts: Sequence[str] = (),
) -> gpd.GeoDataFrame:
    """Rows of ``frame`` with a geometry, ``columns`` only: ``times`` as ISO text,
    ``texts`` (dicts, lists) as JSON text, nullable integers as floats, NaN kept (JSON
    writers make it null); ``lon`` and ``lat`` rounded as the geometry is."""
    out = pd.DataFrame(index=frame.index)
    for name in columns:
        column = frame[name] if name in frame else pd.Series(None, index=frame.index, dtype=object)
        if name in times:
            column = column.map(_iso).astype(object)
        elif name in texts:
            column = column.map(_json_text).astype(object)
        elif isinstance(column.dtype, ExtensionDtype) and column.dtype.kind in "iuf":
            column = column.astype("float64")
        elif column.dtype.kind == "O" or str(column.dtype) in ("str", "string"):
            column = column.astype(object).where(column.notna(), None)
        if name in ("lon", "lat"):
            column = pd.to_numeric(column, errors="coerce").round(DECIMALS)
        out[name] = column
    table = gpd.GeoDataFrame(out, geometry=list(geometry), crs=CRS)
    has = ~(table.geometry.isna() | table.geometry.is_empty)
    return table[has].reset_index(drop=True)


def points(frame: pd.DataFrame) -> np.ndarray:
    """Points from ``lon``/``lat`` (None where either is missing or not finite)."""
    lon = pd.to_numeric(frame["lon"], errors="coerce").to_numpy(dtype=float)
    lat = pd.to_numeric(frame["lat"], errors="coerce").to_numpy(dtype=float)
    ok = np.isfinite(lon) & np.isfinite(lat)
    out = np.full(len(frame), None, dtype=object)
    if ok.any():
        out[ok] = shapely.points(lon[ok], lat[ok])
    return out


def _rounded(geoms: np.ndarray) -> np.ndarray:
    rounded = shapely.transform(geoms, lambda xy: np.round(xy, DECIMALS))
    # right-hand rule (RFC 7946 §3.1.6): exteriors counter-clockwise, holes clockwise
    return shapely.orient_polygons(rounded, exterior_cw=False)


def geojson_bytes(table: gpd.GeoDataFrame, *, id_column: str | None = None) -> bytes:
    """``table`` as an RFC 7946 FeatureCollection (UTF-8 bytes).

    Parameters
    ----------
    table
        A feature table in EPSG:4326 (see :func:`feature_table`).
    id_column
        The column whose value becomes each feature's ``id``.

    Raises
    ------
    ValueError
        If a non-empty ``table`` is not in EPSG:4326.
    """
    require_4326(table, "an exported layer")
    geoms = _rounded(np.asarray(table.geometry.array, dtype=object))
    texts = shapely.to_geojson(geoms) if len(geoms) else []
    props = table.drop(columns=table.geometry.name).to_dict("records")
    parts = []
    for geometry, row in zip(texts, props, strict=True):
        feature = {"type": "Feature", "properties": json_safe(row)}
        if id_column is not None and row.get(id_column) is not None:
            feature["id"] = json_safe(row[id_column])
        body = json.dumps(feature, ensure_ascii=False, allow_nan=False)
        parts.append(body[:-1] + ', "geometry": ' + geometry + "}")
    return ('{"type": "FeatureCollection", "features": [' + ", ".join(parts) + "]}").encode()
