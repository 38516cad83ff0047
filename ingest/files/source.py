"""A file handed to the loader: its format from name and content, its sha256, its load context."""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ingest.time_window import DEFAULT_WINDOW, TimeWindow
from models.store import Store

SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx", ".shp.xml")
FORMATS = {
    ".csv": "csv",
    ".txt": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".xls": "xlsx",
    ".parquet": "parquet",
    ".geoparquet": "parquet",
    ".geojson": "geojson",
    ".json": "geojson",
    ".gpkg": "gpkg",
    ".shp": "shp",
    ".zip": "zip",
    ".xml": "cap",
    ".cap": "cap",
}


@dataclass
class Context:
    """What every loader may use: the store, the clock value, the zone and CRS rules."""

    store: Store
    now: datetime
    local_tz: str | None = None
    metric_crs: str = "EPSG:32650"
    progress: bool = False
    window: TimeWindow = DEFAULT_WINDOW  # believable times (future rows are bad in any kind)
    valid_from: datetime | None = None  # a grid version's start when not ``now``


@dataclass
class Source:
    """One input: a file, or a folder holding one shapefile."""

    path: Path
    fmt: str
    sha256: str
    size: int
    _data: bytes | None = field(default=None, repr=False)

    @property
    def name(self) -> str:
        return self.path.name

    def data(self) -> bytes:
        if self._data is None:
            self._data = self.path.read_bytes()
        return self._data


def shapefile_members(shp: Path) -> list[Path]:
    """The .shp and its sidecar files (same stem, any case) in its folder."""
    stem = shp.name[: -len(".shp")].lower()
    return sorted(
        p
        for p in shp.parent.iterdir()
        if p.is_file()
        and p.name.lower().startswith(stem + ".")
        and p.name.lower()[len(stem) :] in SHAPEFILE_PARTS
    )


def _files_of(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.is_file())
    if path.suffix.lower() == ".shp":
        return shapefile_members(path)
    return [path]


def sha256_of(path: Path) -> tuple[str, int]:
    """sha256 and total size of the file (or of every file of a folder or shapefile set)."""
    digest = hashlib.sha256()
    total = 0
    files = _files_of(path)
    for item in files:
        if len(files) > 1:
            digest.update(item.name.lower().encode("utf-8") + b"\0")
        with item.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
                total += len(chunk)
    return digest.hexdigest(), total


def detect_format(path: Path) -> str | None:
    """``csv``/``xlsx``/``parquet``/``geojson``/``gpkg``/``shp``/``cap``, from name and content."""
    if path.is_dir():
        return "shp" if any(p.suffix.lower() == ".shp" for p in path.iterdir()) else None
    fmt = FORMATS.get(path.suffix.lower())
    if fmt == "zip":
        try:
            with zipfile.ZipFile(path) as archive:
                names = [n.lower() for n in archive.namelist()]
        except (zipfile.BadZipFile, OSError):
            return None
        return "shp" if any(n.endswith(".shp") for n in names) else None
    if fmt is None:
        with path.open("rb") as handle:
            head = handle.read(512).lstrip(b"\xef\xbb\xbf \t\r\n")
        if head.startswith(b"<?xml") or head.startswith(b"<alert"):
            return "cap"
        if head.startswith(b"PAR1"):
            return "parquet"
    return fmt


def open_source(path: Path) -> Source | str:
    """The :class:`Source` of ``path``, or the reason it cannot be read at all."""
    if not path.exists():
        return f"no such file: {path}"
    fmt = detect_format(path)
    if fmt is None:
        return (
            f"unknown file type {path.suffix or '(no extension)'}: expected CSV, XLSX, Parquet, "
            "GeoJSON, GeoPackage, Shapefile (.shp, zipped or a folder), GeoParquet or CAP XML"
        )
    sha, size = sha256_of(path)
    return Source(path=path, fmt=fmt, sha256=sha, size=size)
