"""Grid versions as the admin sees them: the list with validity and who imported each, and
the cells of two versions for a diff (SQL here; the comparison is models.grid_diff)."""

from __future__ import annotations

from datetime import datetime

import geopandas as gpd
import pandas as pd

from models.geography import load_cells
from models.grid_diff import GridDiff, diff_cells
from models.store import Store

#: The audit action of a grid version confirmed on /admin (its target names the version).
IMPORT_ACTION = "admin.grids.import"


def version_target(version: int) -> str:
    return f"grid_version:{version}"


def list_versions(store: Store) -> pd.DataFrame:
    """Every grid version, newest first: version_id, name, valid_from, valid_to, source,
    imported_at, cell_count, note and imported_by (the admin who confirmed it on /admin;
    empty for versions loaded by the demo or the command line)."""
    return store.query_df(
        "SELECT v.version_id, v.name, v.valid_from, v.valid_to, v.source, v.imported_at, "
        "v.cell_count, v.note, a.actor AS imported_by FROM grid_versions v "
        "LEFT JOIN (SELECT target, max(actor) AS actor FROM audit_log "
        "WHERE action = ? AND outcome = 'ok' GROUP BY target) a "
        "ON a.target = 'grid_version:' || CAST(v.version_id AS VARCHAR) "
        "ORDER BY v.version_id DESC",
        [IMPORT_ACTION],
    )


def version_ids(store: Store) -> list[int]:
    return [int(r[0]) for r in store.query_rows("SELECT version_id FROM grid_versions")]


def current_valid_from(store: Store) -> datetime | None:
    """When the version in force now started (None before any grid)."""
    value = store.query_value("SELECT max(valid_from) FROM grid_versions WHERE valid_to IS NULL")
    return value if isinstance(value, datetime) else None


def loaded_file(store: Store, sha256: str) -> int | None:
    """The load log id of an earlier successful load of the same file (the importer refuses
    it again as a duplicate), or None."""
    value = store.query_value(
        "SELECT min(file_id) FROM ingest_files WHERE sha256 = ? AND status = 'loaded'", [sha256]
    )
    return None if value is None else int(value)


def version_cells(store: Store, version: int) -> gpd.GeoDataFrame:
    return load_cells(store, version=version)


def diff_versions(store: Store, older: int, newer: int) -> tuple[GridDiff, gpd.GeoDataFrame]:
    """The diff of two stored versions and the cells to draw it: the newer version's cells
    and the older version's removed ones (with a ``kind`` column: added, removed, geometry,
    duty or unchanged)."""
    old, new = version_cells(store, older), version_cells(store, newer)
    diff = diff_cells(old, new)
    kinds = diff.kind_of()
    removed = old[old["cell_code"].isin(diff.removed)]
    drawn = pd.concat([new, removed], ignore_index=True)
    drawn = gpd.GeoDataFrame(drawn, geometry="geometry", crs=new.crs or old.crs)
    drawn["kind"] = [kinds.get(code, "unchanged") for code in drawn["cell_code"]]
    return diff, drawn


def record_import(
    store: Store, version: int | None, *, actor: str, outcome: str, detail: str
) -> None:
    """Audit a confirmation on /admin and wait until it is committed (the version list read
    right after names who imported)."""
    target = version_target(version) if version is not None else None
    store.audit(IMPORT_ACTION, actor=actor, outcome=outcome, target=target, detail=detail[:1000])
    store.write(lambda tx: None)  # the writer runs in order: the audit row is in once this is
