"""Finding the unit grid cell of points: the current grid index, loaded once per file."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any
from weakref import WeakKeyDictionary

import numpy as np
import shapely

from models.store import Store


@dataclass(frozen=True)
class Located:
    """Cell codes (None outside the grid) of a batch of points, and the grid version used."""

    version: int | None
    cells: np.ndarray


class _StandInIndex:
    """Point-in-polygon over the current cells until models.grid_index lands (same API)."""

    def __init__(self, version: int, codes: np.ndarray, polygons: np.ndarray):
        self.version = version
        self._codes = codes
        self._polygons = polygons
        self._tree = shapely.STRtree(polygons)

    def assign_codes(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        out = np.full(len(lon), None, dtype=object)
        points = shapely.points(np.asarray(lon, float), np.asarray(lat, float))
        point_idx, cell_idx = self._tree.query(points, predicate="intersects")
        first = np.unique(point_idx, return_index=True)[1]
        out[point_idx[first]] = self._codes[cell_idx[first]]
        return out


#: One index cache per store: rebuilt only when the store's current grid version changes.
_CACHES: WeakKeyDictionary[Store, Any] = WeakKeyDictionary()
_CACHES_LOCK = threading.Lock()


def _load_index(store: Store, metric_crs: str) -> Any:
    try:
        from models.grid_index import GridIndexCache
    except ImportError:
        return _stand_in(store)
    with _CACHES_LOCK:
        cache = _CACHES.get(store)
        if cache is None:
            cache = _CACHES[store] = GridIndexCache(metric_crs=metric_crs)
    return cache.get(store)


def _stand_in(store: Store) -> _StandInIndex | None:
    version = store.query_value("SELECT max(version_id) FROM grid_versions WHERE valid_to IS NULL")
    if version is None:
        return None
    rows = store.query_rows(
        "SELECT cell_code, geom_wkb FROM grid_cells WHERE version_id = ? ORDER BY cell_code",
        [version],
    )
    codes = np.array([r[0] for r in rows], dtype=object)
    polygons = shapely.from_wkb(np.array([bytes(r[1]) for r in rows], dtype=object))
    return _StandInIndex(int(version), codes, polygons)


def locate_points(
    store: Store, lon: np.ndarray, lat: np.ndarray, *, metric_crs: str = "EPSG:32650"
) -> Located:
    """Cell code of each lon/lat point on the current grid version (None where none)."""
    index = _load_index(store, metric_crs)
    if index is None:
        return Located(None, np.full(len(lon), None, dtype=object))
    codes = index.assign_codes(np.asarray(lon, float), np.asarray(lat, float))
    return Located(int(index.version), np.asarray(codes, dtype=object))
