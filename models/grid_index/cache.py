"""Building the grid index from the store's current grid version, cached per version."""

from __future__ import annotations

import threading

from models.geography import current_grid_version, load_cells
from models.grid_index.index import GridIndex
from models.store import Store

DEFAULT_METRIC_CRS = "EPSG:32650"


def load_grid_index(store: Store, *, metric_crs: str = DEFAULT_METRIC_CRS) -> GridIndex | None:
    """A :class:`GridIndex` over the store's current grid version, or None without a grid.

    Row positions refer to the cells as :func:`models.geography.load_cells` returns them
    (ordered by cell code); ``assign_codes`` gives the codes directly.
    """
    version = current_grid_version(store)
    if version is None:
        return None
    return _build(store, version, metric_crs)


def _build(store: Store, version: int, metric_crs: str) -> GridIndex:
    cells = load_cells(store, version=version)
    return GridIndex.build(cells, metric_crs=metric_crs, version=version)


class GridIndexCache:
    """The current grid's index, rebuilt only when the current grid version changes.

    ``get(store)`` costs one small query when the version is unchanged. Thread-safe: one
    caller builds a new version's index while the others wait for it rather than
    building it again.
    """

    def __init__(self, *, metric_crs: str = DEFAULT_METRIC_CRS):
        self.metric_crs = metric_crs
        self.builds = 0
        self._index: GridIndex | None = None
        self._lock = threading.Lock()

    def get(self, store: Store) -> GridIndex | None:
        """The index for the current grid version (None when the store has no grid)."""
        version = current_grid_version(store)
        if version is None:
            return None
        index = self._index
        if index is not None and index.version == version:
            return index
        with self._lock:
            index = self._index
            if index is None or index.version != version:
                index = _build(store, version, self.metric_crs)
                self._index = index
                self.builds += 1
            return index

    def clear(self) -> None:
        """Forget the cached index (the next ``get`` rebuilds)."""
        with self._lock:
            self._index = None
