"""A frame of units read column-wise into plain rows (a ranking walks them one by one:
Python values, not pandas scalars, keep that walk cheap)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

import numpy as np
import pandas as pd


class UnitRow(NamedTuple):
    """One unit's fields as plain Python values (read column-wise once per ranking)."""

    unit: str
    name_zh: str
    name_en: str | None
    kind: str
    subtype: str | None
    status: str | None
    stock: str | None
    district: str | None
    district_zh: str | None
    district_en: str | None
    lon: float
    lat: float
    age_s: float
    capacity: float
    occupancy: float

    def fields(self) -> dict[str, Any]:
        return {
            "unit": self.unit,
            "name_zh": self.name_zh,
            "name_en": self.name_en,
            "kind": self.kind,
            "subtype": self.subtype,
            "district": self.district,
            "district_zh": self.district_zh,
            "district_en": self.district_en,
        }


def _texts(units: pd.DataFrame, column: str) -> list[str | None]:
    if column not in units.columns:
        return [None] * len(units)
    values = units[column]
    missing = values.isna().to_numpy()
    return [
        None if gap else (v if isinstance(v, str) else str(v))
        for v, gap in zip(values.to_numpy(dtype=object), missing)
    ]


def _numbers(units: pd.DataFrame, column: str) -> np.ndarray:
    if column not in units.columns:
        return np.full(len(units), np.nan)
    values = pd.to_numeric(units[column], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return np.where(np.isfinite(values), values, np.nan)


def _ages(units: pd.DataFrame, now: datetime) -> np.ndarray:
    """Seconds since each position (NaN without one; a position ahead of ``now`` is 0)."""
    if "position_at" not in units.columns or not len(units):
        return np.full(len(units), np.nan)
    stamps = pd.to_datetime(units["position_at"], errors="coerce")
    if stamps.dt.tz is not None:
        stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
    at = pd.Timestamp(now)
    if at.tzinfo is not None:
        at = at.tz_convert("UTC").tz_localize(None)
    seconds = (at - stamps).dt.total_seconds().to_numpy(dtype=float)
    return np.maximum(seconds, 0.0)


def unit_rows(units: pd.DataFrame, now: datetime) -> list[UnitRow]:
    """The units of a :func:`models.emergency.resources.load_units` frame as plain rows:
    missing texts None; positions off the Earth, missing numbers and missing ages NaN;
    ``age_s`` the seconds from ``position_at`` to ``now`` (naive UTC; never negative)."""
    ids = _texts(units, "resource_id")
    names = _texts(units, "name_zh")
    lon, lat = _numbers(units, "lon"), _numbers(units, "lat")
    on_earth = (np.abs(lon) <= 180) & (np.abs(lat) <= 90)  # NaN fails both
    columns = [
        [str(u) for u in ids],
        [n or str(u) for n, u in zip(names, ids)],
        *(_texts(units, c) for c in ("name_en", "kind", "subtype", "status", "stock")),
        *(_texts(units, c) for c in ("district_code", "district_zh", "district_en")),
        np.where(on_earth, lon, np.nan).tolist(),
        np.where(on_earth, lat, np.nan).tolist(),
        _ages(units, now).tolist(),
        _numbers(units, "capacity").tolist(),
        _numbers(units, "occupancy").tolist(),
    ]
    return [UnitRow(*values) for values in zip(*columns)]
