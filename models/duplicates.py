"""The one definition of a "possible duplicate": an open case of the same category within
50 m, reported in the three days before. The case builder marks a new case's duplicates with
it (one join per batch); the field app asks it before a report is sent."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pyarrow as pa

from models.coordinates import METRES_PER_DEGREE, distance_m
from models.store import Store, WriteTx

DUPLICATE_RADIUS_M = 50.0
DUPLICATE_WINDOW = timedelta(days=3)
#: Degrees of latitude spanning the radius: the search ellipse's half-height.
_DLAT = DUPLICATE_RADIUS_M / METRES_PER_DEGREE
_TS = pa.timestamp("us")


def _candidate(case: str) -> str:
    """SQL: case ``case`` can still be duplicated (open, at a drawable place)."""
    return (
        f"{case}.stage NOT IN ('closed', 'void') AND isfinite({case}.lon) AND isfinite({case}.lat)"
    )


def _near(case: str, probe: str) -> str:
    """SQL: case ``case`` lies within the radius of ``probe`` (which carries its ``dlon``)."""
    return (
        f"power(({case}.lon - {probe}.lon) / {probe}.dlon, 2) "
        f"+ power(({case}.lat - {probe}.lat) / {_DLAT!r}, 2) <= 1"
    )


def _dlon(lat: np.ndarray) -> np.ndarray:
    return _DLAT / np.maximum(np.cos(np.radians(lat)), 1e-6)


def find_duplicates(
    tx: WriteTx,
    new_ids: Sequence[str | None],
    category_codes: Sequence[str],
    lon: Sequence[float],
    lat: Sequence[float],
    at: Sequence[datetime],
) -> dict[str, tuple[str, ...]]:
    """The possible duplicates of each new report (aligned sequences), inside a write.

    One join for the whole batch: cases and reports meet on (category, grid square) with
    squares at least as wide as the search ellipse, each report probing its 3 × 3 squares.

    Returns
    -------
    dict
        ``new id -> case ids`` (oldest first) for the reports that have any.
    """
    if not new_ids:
        return {}
    lons = np.asarray(lon, float)
    lats = np.asarray(lat, float)
    dlon = _dlon(lats)
    size_lon = float(dlon.max())
    moments = pa.array(list(at), _TS).to_numpy(zero_copy_only=False)
    kx = np.floor(lons / size_lon).astype(np.int64)
    ky = np.floor(lats / _DLAT).astype(np.int64)
    shifts = [(dx, dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1)]
    probe = pa.table(
        {
            "new_id": np.repeat(np.array(list(new_ids), dtype=object), 9),
            "category_code": np.repeat(np.array(list(category_codes), dtype=object), 9),
            "lon": np.repeat(lons, 9),
            "lat": np.repeat(lats, 9),
            "dlon": np.repeat(dlon, 9),
            "at": pa.array(np.repeat(moments, 9)),
            "kx": (kx[:, None] + np.array([d[0] for d in shifts])[None, :]).ravel(),
            "ky": (ky[:, None] + np.array([d[1] for d in shifts])[None, :]).ravel(),
        }
    )
    with tx.registered(probe) as name:
        found = tx.fetch(
            "WITH c AS (SELECT case_id, category_code, lon, lat, reported_at, "
            "CAST(floor(lon / ?) AS BIGINT) AS kx, CAST(floor(lat / ?) AS BIGINT) AS ky "
            f"FROM cases k WHERE {_candidate('k')} AND reported_at >= ?) "
            "SELECT p.new_id, list(c.case_id ORDER BY c.reported_at, c.case_id) "
            f"FROM {name} p JOIN c ON c.category_code = p.category_code "
            "AND c.kx = p.kx AND c.ky = p.ky "
            f"WHERE c.reported_at BETWEEN p.at - ? AND p.at AND {_near('c', 'p')} "
            "GROUP BY p.new_id",
            [size_lon, _DLAT, moments.min().astype(datetime) - DUPLICATE_WINDOW, DUPLICATE_WINDOW],
        )
    return {new_id: tuple(cases) for new_id, cases in found}


def possible_duplicates(
    store: Store, category_code: str, lon: float, lat: float, at: datetime
) -> list[dict[str, Any]]:
    """The cases a report of ``category_code`` at (lon, lat) at ``at`` (naive UTC) would be
    marked a possible duplicate of, nearest first.

    Returns
    -------
    list of dict
        ``id``, ``stage``, ``distance_m`` (rounded to 0.1 m) and ``reported_at``; empty for
        coordinates that are not a finite place.
    """
    if not (isinstance(lon, int | float) and isinstance(lat, int | float)):
        return []
    if not (math.isfinite(lon) and math.isfinite(lat) and abs(lat) < 90):
        return []
    dlon = float(_dlon(np.array([lat]))[0])
    rows = store.query_rows(
        "WITH p AS (SELECT ?::DOUBLE AS lon, ?::DOUBLE AS lat, ?::DOUBLE AS dlon) "
        "SELECT c.case_id, c.stage, c.lon, c.lat, c.reported_at FROM cases c, p "
        f"WHERE {_candidate('c')} AND c.category_code = ? "
        f"AND c.reported_at BETWEEN ? AND ? AND {_near('c', 'p')}",
        [lon, lat, dlon, category_code, at - DUPLICATE_WINDOW, at],
    )
    found = [
        {
            "id": case_id,
            "stage": stage,
            "distance_m": round(distance_m(lon, lat, c_lon, c_lat), 1),
            "reported_at": reported_at,
        }
        for case_id, stage, c_lon, c_lat, reported_at in rows
    ]
    return sorted(found, key=lambda d: (d["distance_m"], d["id"]))
