"""The grid version in force: its number, name, start and size (the wall's grid badge and age)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from models.store import Store


@dataclass(frozen=True)
class GridVersionInfo:
    """A grid version: ``valid_from`` is when it took effect (naive UTC)."""

    version_id: int
    name: str | None
    valid_from: datetime
    cell_count: int | None


def current_grid_info(store: Store) -> GridVersionInfo | None:
    """The newest grid version in force (``valid_to`` unset), or None before any import."""
    rows = store.query_rows(
        "SELECT version_id, name, valid_from, cell_count FROM grid_versions "
        "WHERE valid_to IS NULL ORDER BY version_id DESC LIMIT 1"
    )
    if not rows:
        return None
    version_id, name, valid_from, cell_count = rows[0]
    return GridVersionInfo(int(version_id), name, valid_from, cell_count)
