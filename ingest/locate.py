"""Locating points on the current grid version (one grid-index cache per store), shared by
MQTT and file ingest."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from weakref import WeakKeyDictionary

import numpy as np

from ingest.rows import Locator
from models.grid_index import GridIndexCache
from models.store import Store

#: One index cache per store and metric CRS: rebuilt only when the current grid changes.
_CACHES: WeakKeyDictionary[Store, dict[str, GridIndexCache]] = WeakKeyDictionary()
_LOCK = threading.Lock()


@dataclass(frozen=True)
class Located:
    """Cell codes (None outside the grid) of a batch of points, and the grid version used."""

    version: int | None
    cells: np.ndarray


def _cache(store: Store, metric_crs: str) -> GridIndexCache:
    with _LOCK:
        per_store = _CACHES.setdefault(store, {})
        if metric_crs not in per_store:
            per_store[metric_crs] = GridIndexCache(metric_crs=metric_crs)
        return per_store[metric_crs]


def locate_points(
    store: Store, lon: np.ndarray, lat: np.ndarray, *, metric_crs: str = "EPSG:32650"
) -> Located:
    """Cell code of each lon/lat point on the current grid version (None where none)."""
    index = _cache(store, metric_crs).get(store)
    if index is None:
        return Located(None, np.full(len(lon), None, dtype=object))
    codes = index.assign_codes(np.asarray(lon, float), np.asarray(lat, float))
    return Located(int(index.version), np.asarray(codes, dtype=object))


def store_locator(store: Store, *, metric_crs: str = "EPSG:32650") -> Locator:
    """A :data:`ingest.rows.Locator` over ``store``; it follows new grid versions by itself."""

    def locate(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, int | None]:
        located = locate_points(store, lon, lat, metric_crs=metric_crs)
        return located.cells, located.version

    return locate
