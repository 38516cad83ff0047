"""Point-in-unit-grid-cell lookup (GridIndex): exact like sjoin, fast on lattice grids."""

from models.grid_index.cache import GridIndexCache, load_grid_index
from models.grid_index.index import BuildStats, GridIndex

__all__ = ["BuildStats", "GridIndex", "GridIndexCache", "load_grid_index"]
