"""Which stored positions the wall can draw: finite lon/lat on the globe; the rest are blanked
(and logged once), so one bad row from an old database or another writer never breaks a map."""

from __future__ import annotations

import logging
from collections.abc import Iterable

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

#: How many undrawable row keys are remembered so each is logged once (bounded memory).
LOGGED_LIMIT = 10_000
_logged: set[str] = set()


def drawable_sql(lon: str, lat: str) -> str:
    """SQL condition: the position ``(lon, lat)`` (column expressions) can be drawn."""
    return (
        f"(isfinite({lon}) AND isfinite({lat}) AND {lon} BETWEEN -180 AND 180 "
        f"AND {lat} BETWEEN -90 AND 90)"
    )


def drawable_mask(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """True where ``(lon, lat)`` is finite and on the globe (lon in [-180, 180], lat in
    [-90, 90]); NaN (no position) is not drawable."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    with np.errstate(invalid="ignore"):
        return np.isfinite(lon) & np.isfinite(lat) & (np.abs(lon) <= 180.0) & (np.abs(lat) <= 90.0)


def blank_undrawable(frame: pd.DataFrame, *, key: str, what: str) -> pd.DataFrame:
    """``frame`` with ``lon``/``lat`` set to NaN where they cannot be drawn.

    Rows that had a position (not both missing) yet an undrawable one are logged once per
    ``key`` value, as a warning naming ``what`` (e.g. ``"case"``).
    """
    if frame.empty:
        return frame
    lon = pd.to_numeric(frame["lon"], errors="coerce").to_numpy(dtype=float)
    lat = pd.to_numeric(frame["lat"], errors="coerce").to_numpy(dtype=float)
    ok = drawable_mask(lon, lat)
    if ok.all():
        return frame
    had = ~(np.isnan(lon) & np.isnan(lat))
    _log_once(frame.loc[~ok & had, key].astype(str), what)
    out = frame.copy()
    out["lon"] = np.where(ok, lon, np.nan)
    out["lat"] = np.where(ok, lat, np.nan)
    return out


def _log_once(keys: Iterable[str], what: str) -> None:
    new = [k for k in keys if k not in _logged]
    if not new:
        return
    if len(_logged) + len(new) <= LOGGED_LIMIT:
        _logged.update(new)
    log.warning(
        "position cannot be drawn: skipped on the map",
        extra={"kind": what, "keys": new[:20], "count": len(new)},
    )
