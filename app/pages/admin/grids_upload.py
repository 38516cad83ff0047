"""A grid file uploaded on /admin: checked (size, type), staged under the database's folder
by a random token until confirmed or discarded, and its topology report built with the file
importer's own reader and checks (ingest.files.grids, ingest.files.topology): nothing is
written to the grid tables here."""

from __future__ import annotations

import base64
import binascii
import json
import re
import secrets
import shutil
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from pyproj import Transformer

from ingest.files.grids import file_reason, prepare_grid, read_grid
from ingest.files.report import FileFailure
from ingest.files.source import Context, open_source
from ingest.files.topology import gap_polygons
from models.grid_versions import loaded_file
from models.store import Store

#: Largest grid file taken through the browser (the 10k-cell demo grid is ~5 MB of GeoJSON);
#: larger grids load with `cityops ingest`.
MAX_UPLOAD_MB = 64
MAX_UPLOAD_BYTES = MAX_UPLOAD_MB * 2**20
#: Staged uploads older than this are removed at the next upload.
STAGING_TTL_S = 2 * 3600
#: Accepted file names (lower-case suffix) and what their first bytes must be.
SUFFIXES = (".geojson", ".json", ".gpkg", ".zip", ".parquet", ".geoparquet")
_MAGIC = {
    ".gpkg": (b"SQLite format 3\x00",),
    ".zip": (b"PK\x03\x04",),
    ".parquet": (b"PAR1",),
    ".geoparquet": (b"PAR1",),
}
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
META = "upload.json"
#: Most problems listed on the screen (all are counted).
MAX_LISTED = 200


@dataclass(frozen=True)
class Staged:
    """An upload waiting for its confirmation."""

    token: str
    path: Path
    filename: str
    actor: str
    size: int


@dataclass(frozen=True)
class Problem:
    """A blocking problem of one feature: ``kind`` is bad_code, duplicate, invalid,
    overlap or data (another bad value, e.g. population)."""

    kind: str
    feature: int
    code: str
    detail: str


@dataclass
class TopologyReport:
    """What the importer found in a staged file, ready to show (and to draw)."""

    features: int = 0
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    failure: str | None = None
    duplicate_of: int | None = None
    sha256: str = ""
    cells: gpd.GeoDataFrame | None = None  # cell_code, kind (ok/problem), note
    gaps: list[Any] = field(default_factory=list)  # polygons in EPSG:4326
    gap_notes: list[str] = field(default_factory=list)
    #: what the carry-over of bodies and workers will do (models.grid_carryover details)
    duties: dict[str, Any] = field(default_factory=dict)

    @property
    def blocking(self) -> bool:
        return bool(self.failure or self.problems or self.duplicate_of is not None)

    def counts(self) -> dict[str, int]:
        out = {k: 0 for k in ("bad_code", "duplicate", "invalid", "overlap", "data")}
        for p in self.problems:
            out[p.kind] = out.get(p.kind, 0) + 1
        out["gaps"] = len(self.gaps)
        out["features"] = self.features
        out["warnings"] = len(self.warnings)
        return out


def decode_upload(contents: Any, *, max_bytes: int) -> bytes | str:
    """The bytes of a ``dcc.Upload`` data URL, or a message key saying why not (the size is
    judged from the text's length before anything is decoded)."""
    if not isinstance(contents, str) or not contents.startswith("data:"):
        return "admin.grids.bad_upload"
    _, sep, payload = contents.partition(";base64,")
    if not sep:
        return "admin.grids.bad_upload"
    if len(payload) * 3 // 4 > max_bytes:
        return "admin.grids.too_big"
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        return "admin.grids.bad_upload"
    if not data.strip():
        return "admin.grids.empty"
    if len(data) > max_bytes:
        return "admin.grids.too_big"
    return data


def check_type(filename: Any, data: bytes) -> str | None:
    """None when the name's suffix is a grid format and the first bytes agree; else the
    message key of the refusal."""
    if not isinstance(filename, str) or not filename.strip():
        return "admin.grids.wrong_type"
    suffix = Path(filename.strip()).suffix.lower()
    if suffix not in SUFFIXES:
        return "admin.grids.wrong_type"
    if suffix in (".geojson", ".json"):
        head = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
        return None if head.startswith(b"{") else "admin.grids.not_geo"
    return None if data.startswith(_MAGIC[suffix]) else "admin.grids.not_geo"


def safe_name(filename: str) -> str:
    """The upload's name as stored (the importer names the version after it): letters,
    digits, ``._-`` only, at most 60 characters before its grid suffix."""
    path = Path(filename.strip().replace("\\", "/").rsplit("/", 1)[-1])
    suffix = path.suffix.lower()
    stem = re.sub(r"[^\w.-]+", "_", path.stem).strip("._")[:60] or "grid"
    return f"{stem}{suffix}"


def _sweep(root: Path, now_s: float) -> None:
    if not root.is_dir():
        return
    for folder in root.iterdir():
        try:
            if folder.is_dir() and now_s - folder.stat().st_mtime > STAGING_TTL_S:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            continue


def stage(root: Path, data: bytes, filename: str, *, actor: str) -> Staged:
    """Write the upload under ``root/<token>/`` (a fresh random token) with who sent it."""
    _sweep(root, time.time())
    token = secrets.token_urlsafe(18)
    folder = root / token
    folder.mkdir(parents=True)
    path = folder / safe_name(filename)
    path.write_bytes(data)
    meta = {
        "filename": filename.strip()[:200],
        "stored": path.name,
        "actor": actor,
        "size": len(data),
    }
    (folder / META).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    return Staged(token, path, meta["filename"], actor, len(data))


def staged(root: Path, token: Any, *, actor: str) -> Staged | None:
    """The upload of ``token`` staged by ``actor``, or None (unknown, malformed, another's)."""
    if not isinstance(token, str) or not _TOKEN.match(token):
        return None
    folder = root / token
    try:
        meta = json.loads((folder / META).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(meta, dict) or meta.get("actor") != actor:
        return None
    stored = meta.get("stored")
    if (
        not isinstance(stored, str)
        or stored != safe_name(stored)
        or not (folder / stored).is_file()
    ):
        return None
    return Staged(
        token, folder / stored, str(meta.get("filename", "")), actor, int(meta.get("size", 0))
    )


def discard(root: Path, token: Any, *, actor: str) -> bool:
    found = staged(root, token, actor=actor)
    if found is None:
        return False
    shutil.rmtree(found.path.parent, ignore_errors=True)
    return True


def _problem(reason: str, column: str | None) -> str:
    if column == "cell_code":
        return "duplicate" if reason.startswith("duplicate") else "bad_code"
    if column == "geometry":
        return "overlap" if " overlaps " in reason else "invalid"
    return "data"


def topology_report(
    store: Store, upload: Staged, *, now: datetime, metric_crs: str
) -> TopologyReport:
    """Read and check a staged grid as `cityops ingest` would (same reader, same rules: bad
    rows block, gaps and slivers warn), plus what the map needs: the cells, each marked ok
    or problem, and the gaps as polygons. Never raises: a surprise is the file's failure."""
    report = TopologyReport()
    try:
        source = open_source(upload.path)
        if isinstance(source, str):
            report.failure = source
            return report
        report.sha256 = source.sha256
        report.duplicate_of = loaded_file(store, source.sha256)
        gdf = read_grid(source)
        if isinstance(gdf, FileFailure):
            report.failure = gdf.reason
            return report
        plan = prepare_grid(source, Context(store, now, metric_crs=metric_crs))
        if isinstance(plan, FileFailure):
            report.failure = plan.reason
            return report
        report.features = plan.rows_total
        report.warnings = list(plan.warnings)
        report.duties = {} if plan.bad_rows else dict(plan.details)
        notes = [""] * len(gdf)
        for bad in plan.bad_rows:
            code = str(bad.value or "") if bad.column == "cell_code" else ""
            if 0 <= bad.line < len(gdf):
                code = code or str(gdf["cell_code"].iloc[bad.line])
                notes[bad.line] = (notes[bad.line] + "; " if notes[bad.line] else "") + bad.reason
            report.problems.append(
                Problem(_problem(bad.reason, bad.column), bad.line, code, bad.reason)
            )
        cells = gpd.GeoDataFrame(
            {
                "cell_code": [str(c) for c in gdf["cell_code"]],
                "kind": ["problem" if n else "ok" for n in notes],
                "note": notes,
            },
            geometry=list(gdf.geometry.values),
            crs="EPSG:4326",
        )
        report.cells = cells
        if any(w.startswith("gap of ") for w in report.warnings):  # the importer found gaps
            report.gaps, report.gap_notes = _gaps(cells, metric_crs)
    except Exception as exc:  # totality: a surprise in a file is the file's failure
        report.failure = f"{upload.path.name}: {file_reason(exc, upload.path)}"
    return report


def _gaps(cells: gpd.GeoDataFrame, metric_crs: str) -> tuple[list[Any], list[str]]:
    geoms = np.asarray(cells.geometry.values, dtype=object)
    usable = np.array(
        [
            g is not None and not g.is_empty and g.geom_type in ("Polygon", "MultiPolygon")
            for g in geoms
        ],
        dtype=bool,
    )
    usable[usable] = shapely.is_valid(geoms[usable])
    if not usable.any():
        return [], []
    metric = gpd.GeoSeries(geoms[usable], crs="EPSG:4326").to_crs(metric_crs).values
    holes, _slivers = gap_polygons(np.asarray(metric, dtype=object))
    if not holes:
        return [], []
    back = Transformer.from_crs(metric_crs, "EPSG:4326", always_xy=True)
    out = [shapely.ops.transform(back.transform, h) for h in holes[:MAX_LISTED]]
    notes = [f"{h.area:.1f} m²" for h in holes[:MAX_LISTED]]
    return out, notes
