"""Legend items and the small helpers (language pick, data age, CRS check, JSON-clean values)
the sensor, traffic and emergency layers share."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, NamedTuple

import geopandas as gpd
import pandas as pd

#: Languages the built-in labels cover; anything else falls back to Chinese.
LANGS = ("zh", "en")

#: A function turning an age in seconds into short text ("12 分钟前", "12 min ago").
AgeFormat = Callable[[float], str]


class LegendItem(NamedTuple):
    """One legend entry: a label and the RGB colour it stands for."""

    label: str
    rgb: tuple[int, int, int]


def pick(lang: str, zh: str, en: str) -> str:
    """The Chinese or English text for ``lang`` (Chinese unless ``lang`` starts with "en")."""
    return en if lang.startswith("en") else zh


def labels_for(
    lang: str, builtin: Mapping[Any, tuple[str, str]], given: Mapping[Any, str] | None
) -> dict[Any, str]:
    """Built-in (zh, en) labels in ``lang``, overridden by the caller's ``given`` labels."""
    out = {key: pick(lang, zh, en) for key, (zh, en) in builtin.items()}
    out.update(given or {})
    return out


def format_age(seconds: float, lang: str = "zh") -> str:
    """Short text for a data age: "刚刚"/"just now", "5 分钟前"/"5 min ago", and so on.

    Parameters
    ----------
    seconds
        Age in seconds; NaN or negative (a clock ahead of ``now``) gives "—".
    lang
        ``"zh"`` or ``"en"``.
    """
    if seconds is None or math.isnan(seconds) or seconds < 0:
        return "—"
    if seconds < 60:
        return pick(lang, "刚刚", "just now")
    for size, zh, en in ((86400, "天", "d"), (3600, "小时", "h"), (60, "分钟", "min")):
        if seconds >= size:
            n = int(seconds // size)
            return pick(lang, f"{n} {zh}前", f"{n} {en} ago")
    return "—"  # unreachable: seconds >= 60 matches the minute row


def age_seconds(ts: Any, now: datetime) -> float:
    """Seconds from ``ts`` (naive UTC, may be None/NaT) to ``now``; NaN when unknown."""
    if ts is None or (not isinstance(ts, str) and pd.isna(ts)):
        return math.nan
    return float((pd.Timestamp(now) - pd.Timestamp(ts)).total_seconds())


def require_4326(gdf: gpd.GeoDataFrame, name: str) -> None:
    """Raise ValueError unless a non-empty ``gdf`` is in EPSG:4326 (lon/lat degrees)."""
    if len(gdf) and (gdf.crs is None or gdf.crs.to_epsg() != 4326):
        raise ValueError(f"{name} must be in EPSG:4326, got {gdf.crs}")


def rows_and_geometries(gdf: gpd.GeoDataFrame) -> list[tuple[dict[str, Any], Any]]:
    """Each row's non-geometry fields with its geometry; [] for an empty frame, even one
    without a geometry column."""
    if not len(gdf):
        return []
    rows = gdf.drop(columns=gdf.geometry.name).to_dict("records")
    return list(zip(rows, gdf.geometry))


def rgba(rgb: Any, alpha: int) -> list[int]:
    """An RGBA list from the first three items of ``rgb`` and ``alpha``."""
    return [int(c) for c in list(rgb)[:3]] + [int(alpha)]


def number(value: Any) -> float | None:
    """A plain float, or None for missing/NaN values (records must be JSON-clean)."""
    if value is None:
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(out) else out


def flag(value: Any) -> bool:
    """True only for a true value; None, NaN and pandas' NA count as false."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return False
    return bool(value)


def text(value: Any, default: str = "") -> str:
    """A plain string, ``default`` for None/NaN."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return default
    return str(value)
