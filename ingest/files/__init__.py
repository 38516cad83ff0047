"""File ingest (SPEC §3.2): `cityops ingest PATH...` and the watched drop folder.

Kinds: grids (GeoJSON, GPKG, Shapefile, GeoParquet), sensor registries (CSV/XLSX),
historic observations (CSV/Parquet), 12345 hotline exports (CSV/XLSX), CAP 1.2 XML, camera
registries (CSV/XLSX).
Each file loads in one transaction (all rows or none) and gets a report of every bad row.
"""

from ingest.files.report import BadRow, FileResult, render_text
from ingest.files.runner import KINDS, detect_kind, ingest_file, ingest_paths
from ingest.files.watch import scan_once, watch_folder

__all__ = [
    "KINDS",
    "BadRow",
    "FileResult",
    "detect_kind",
    "ingest_file",
    "ingest_paths",
    "render_text",
    "scan_once",
    "watch_folder",
]
