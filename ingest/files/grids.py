"""Grid imports: unit cells from GeoJSON, GPKG, Shapefile or GeoParquet as a new grid version."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import shapely
from pyproj import Transformer

from ingest.files.report import BadRow, FileFailure, Plan, Written, never_written
from ingest.files.source import Context, Source
from ingest.files.tabular import normalize_header
from ingest.files.topology import gap_warnings, overlap_rows
from models.grid_carryover import carry_duties, current_duties
from models.store import WriteTx

ALIASES = {
    **dict.fromkeys(
        ("cell_code", "code", "grid_code", "网格编码", "网格编号", "网格代码", "单元网格编码"),
        "cell_code",
    ),
    **dict.fromkeys(("responsible_body", "responsibl", "责任主体", "责任单位"), "responsible_body"),
    **dict.fromkeys(("grid_workers", "grid_worke", "grid_worker", "网格员"), "grid_workers"),
    **dict.fromkeys(("size_class", "网格类型"), "size_class"),
    **dict.fromkeys(("population", "pop", "人口", "常住人口", "人口数"), "population"),
}
#: Most residents one cell may hold (a larger figure is a bad row, not a dense city).
MAX_CELL_POPULATION = 1_000_000
_CODE = re.compile(r"^\d{15}$")
_WORKER_SPLIT = re.compile(r"[;,，、|；]")


def _read(source: Source) -> gpd.GeoDataFrame | FileFailure:
    path = source.path
    try:
        if path.suffix.lower() in (".parquet", ".geoparquet"):
            if b"geo" not in (pq.read_schema(path).metadata or {}):
                return FileFailure("Parquet file without GeoParquet 'geo' metadata")
            return gpd.read_parquet(path)
        target = path
        if path.is_dir():
            shps = sorted(p for p in path.iterdir() if p.suffix.lower() == ".shp")
            if len(shps) != 1:
                return FileFailure(f"the folder must hold exactly one .shp, found {len(shps)}")
            target = shps[0]
        elif path.suffix.lower() == ".zip":
            with zipfile.ZipFile(path) as archive:
                shps = [n for n in archive.namelist() if n.lower().endswith(".shp")]
            if len(shps) != 1:
                return FileFailure(f"the zip must hold exactly one .shp, found {len(shps)}")
            return gpd.read_file(f"/vsizip/{path.resolve()}/{shps[0]}", engine="pyogrio")
        return gpd.read_file(target, engine="pyogrio")
    except Exception as exc:  # any reader error is the file's fault, reported as such
        return FileFailure(
            f"cannot read the {source.fmt} file {source.name}: {file_reason(exc, path)}"
        )


#: A path left in a reader's message (GDAL names the file it opened, /vsizip/ and all).
_PATH = re.compile(r"(?:/vsi\w+/)?/(?:[^\s'\"/]+/)+([^\s'\"/]+)")


def file_reason(exc: BaseException, path: Path) -> str:
    """A reader's error as a short reason naming the file by its own name: never the
    server's (staging) path, only the message's first sentence, at most 160 characters."""
    text = str(exc).strip() or type(exc).__name__
    for where in (f"/vsizip/{path.resolve()}", str(path.resolve()), str(path)):
        text = text.replace(where, path.name)
    text = _PATH.sub(r"\1", text).split(";")[0].splitlines()[0].strip()
    return text if len(text) <= 160 else text[:159] + "…"


def _code_text(value: Any) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _workers(value: Any) -> list[str]:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return []
    if isinstance(value, list | tuple | np.ndarray):
        return [str(v).strip() for v in value if str(v).strip()]
    text = str(value).strip()
    if text.startswith("["):
        try:
            return [str(v).strip() for v in json.loads(text) if str(v).strip()]
        except ValueError:
            pass
    return [w.strip() for w in _WORKER_SPLIT.split(text) if w.strip()]


def _optional_text(frame: pd.DataFrame, column: str) -> list[str | None]:
    if column not in frame:
        return [None] * len(frame)
    return [None if pd.isna(v) or not str(v).strip() else str(v).strip() for v in frame[column]]


def _whole_number(value: Any) -> int | None:
    """A whole number from a cell's value (text of ASCII digits, an integer, an integral
    float), or None when it is not one."""
    if isinstance(value, str):
        text = value.strip().replace(",", "")
        return int(text) if text.isascii() and text.isdigit() else None
    if isinstance(value, bool):
        return None
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating) and np.isfinite(value) and float(value).is_integer():
        return int(value)
    return None


def _empty(value: Any) -> bool:
    if isinstance(value, str):
        return not value.strip()
    return value is None or (np.ndim(value) == 0 and bool(pd.isna(value)))


def _populations(frame: pd.DataFrame) -> tuple[list[int | None], list[BadRow]]:
    """The optional ``population`` column: whole residents per cell, empty for unknown."""
    if "population" not in frame:
        return [None] * len(frame), []
    out: list[int | None] = []
    bad = []
    for i, value in enumerate(frame["population"]):
        if _empty(value):
            out.append(None)
            continue
        number = _whole_number(value)
        if number is None or not 0 <= number <= MAX_CELL_POPULATION:
            out.append(None)
            reason = f"population {str(value)[:20]!r} is not a whole number 0-{MAX_CELL_POPULATION}"
            bad.append(BadRow(i, reason, column="population", value=str(value)[:40]))
        else:
            out.append(number)
    return out, bad


def _row_checks(codes: list[str], geoms: np.ndarray) -> tuple[list[BadRow], np.ndarray]:
    bad: list[BadRow] = []
    usable = np.ones(len(codes), dtype=bool)
    first_at: dict[str, int] = {}
    for i, (code, geom) in enumerate(zip(codes, geoms)):
        reason = None
        if not _CODE.match(code):
            reason = (f"cell code {code[:40]!r} is not 15 digits", "cell_code", code)
        elif code in first_at:
            reason = (
                f"duplicate cell code {code} (first at feature {first_at[code]})",
                "cell_code",
                code,
            )
        if reason is None:
            first_at[code] = i
        if geom is None or shapely.is_empty(geom):
            reason = reason or ("no geometry", "geometry", code)
            usable[i] = False
        elif shapely.get_type_id(geom) not in (3, 6):
            reason = reason or (f"geometry is a {geom.geom_type}, not a polygon", "geometry", code)
            usable[i] = False
        elif not shapely.is_valid(geom):
            why = shapely.is_valid_reason(geom)
            reason = reason or (f"invalid polygon: {why}", "geometry", code)
            usable[i] = False
        if reason is not None:
            bad.append(BadRow(i, reason[0], column=reason[1], value=reason[2]))
    return bad, usable


def _unknown_areas(ctx: Context, codes: list[str]) -> list[str]:
    known = {r[0] for r in ctx.store.query_rows("SELECT code FROM admin_areas")}
    if not known:
        return ["no administrative areas loaded: district/street/community codes not checked"]
    warnings = []
    for label, n in (("district", 6), ("street", 9), ("community", 12)):
        missing = sorted({c[:n] for c in codes} - known)
        if missing:
            shown = ", ".join(missing[:10]) + (" ..." if len(missing) > 10 else "")
            warnings.append(f"{len(missing)} {label} code(s) not in admin_areas: {shown}")
    return warnings


def read_grid(source: Source) -> gpd.GeoDataFrame | FileFailure:
    """The grid file's features in EPSG:4326 with canonical column names (``cell_code``,
    ``responsible_body``, ...), or why it cannot be a grid (unreadable, no CRS, no code
    column, no features). Rows are not judged here: see :func:`prepare_grid`."""
    gdf = _read(source)
    if isinstance(gdf, FileFailure):
        return gdf
    if gdf.crs is None:
        if source.fmt != "geojson":
            return FileFailure(
                "the file has no CRS (a shapefile without .prj?): refusing to "
                "guess; add the CRS and load again"
            )
        gdf = gdf.set_crs("EPSG:4326")
    try:
        gdf = gdf.to_crs("EPSG:4326")
    except Exception as exc:
        return FileFailure(
            f"cannot reproject from {gdf.crs} to EPSG:4326: {file_reason(exc, source.path)}"
        )
    renamed = {c: ALIASES.get(normalize_header(c), c) for c in gdf.columns if c != "geometry"}
    gdf = gdf.rename(columns=renamed)
    if "cell_code" not in gdf.columns:
        shown = ", ".join(c for c in gdf.columns if c != gdf.geometry.name)
        return FileFailure(f"no cell code column (cell_code / code / grid_code); found: {shown}")
    if len(gdf) == 0:
        return FileFailure("the file holds no features")
    west, south, east, north = bounds = gdf.total_bounds
    lonlat = -180 <= west <= east <= 180 and -90 <= south <= north <= 90
    if np.isfinite(bounds).all() and not lonlat:
        return FileFailure(
            f"coordinates ({west:.6g}, {south:.6g}, {east:.6g}, {north:.6g}) are not lon/lat: "
            f"the file's CRS ({gdf.crs}) is wrong or missing; declare the right one"
        )
    return gdf


def prepare_grid(source: Source, ctx: Context) -> Plan | FileFailure:
    """Read and check a grid file; the plan writes it as a new current grid version, valid
    from ``ctx.valid_from`` (default ``ctx.now``), closing the version in force then. Cells
    the file leaves without a responsible body or grid workers keep those of the closed
    version's cell of the same code (models.grid_carryover); the plan's details preview the
    counts against the version in force now, the written details are the final ones."""
    gdf = read_grid(source)
    if isinstance(gdf, FileFailure):
        return gdf
    codes = [_code_text(v) for v in gdf["cell_code"]]
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    bad, usable = _row_checks(codes, geoms)
    populations, bad_populations = _populations(gdf)
    bad += bad_populations
    metric_all = gpd.GeoSeries(gdf.geometry.values, crs="EPSG:4326").to_crs(ctx.metric_crs).values
    metric = np.asarray(metric_all, dtype=object)
    features = np.flatnonzero(usable)
    good_codes = [codes[i] for i in features]
    overlaps, warnings = overlap_rows(metric[features], good_codes, features)
    bad += overlaps
    back = Transformer.from_crs(ctx.metric_crs, "EPSG:4326", always_xy=True)
    warnings += gap_warnings(metric[features], back.transform)
    bad.sort(key=lambda b: b.line)
    if bad:
        return Plan(
            "grid", len(gdf), never_written, bad_rows=bad, warnings=warnings, line_unit="feature"
        )
    warnings += _unknown_areas(ctx, codes)
    bodies = _optional_text(gdf, "responsible_body")
    crews = [_workers(v) for v in gdf.get("grid_workers", pd.Series([None] * len(gdf)))]
    # what the carry-over will do against the version in force now (done again on writing)
    in_force, duties = current_duties(ctx.store.query_rows)
    preview = carry_duties(codes, bodies, crews, duties, previous_version=in_force)
    warnings += preview.warnings()
    centroids = shapely.centroid(metric)
    c_lon, c_lat = back.transform(shapely.get_x(centroids), shapely.get_y(centroids))
    bounds = shapely.bounds(geoms)
    seq = [int(c[12:]) for c in codes]
    cells = pa.table(
        {
            "cell_code": codes,
            "district_code": [c[:6] for c in codes],
            "street_code": [c[:9] for c in codes],
            "community_code": [c[:12] for c in codes],
            "seq": pa.array(seq, pa.int32()),
            "size_class": _optional_text(gdf, "size_class"),
            "responsible_body": pa.array(bodies, pa.string()),
            "grid_workers": pa.array(crews, pa.list_(pa.string())),
            "area_m2": shapely.area(metric).astype(float),
            "centroid_lon": np.asarray(c_lon, float),
            "centroid_lat": np.asarray(c_lat, float),
            "min_lon": bounds[:, 0],
            "min_lat": bounds[:, 1],
            "max_lon": bounds[:, 2],
            "max_lat": bounds[:, 3],
            "geom_wkb": pa.array(list(shapely.to_wkb(geoms, output_dimension=2)), pa.binary()),
            "synthetic": pa.array([False] * len(codes)),
            "population": pa.array(populations, pa.int32()),
        }
    )

    valid_from = ctx.valid_from or ctx.now

    def write(tx: WriteTx) -> Written:
        if ctx.valid_from is not None:  # a chosen start: checked again inside the transaction
            latest = tx.fetch("SELECT max(valid_from) FROM grid_versions WHERE valid_to IS NULL")
            if latest[0][0] is not None and latest[0][0] >= valid_from:
                raise ValueError(
                    f"valid_from {valid_from} is not after the current version's start "
                    f"{latest[0][0]}"
                )
        version = int(tx.fetch("SELECT coalesce(max(version_id), 0) + 1 FROM grid_versions")[0][0])
        # the closing version's bodies and workers fill what the file leaves empty
        previous_version, previous = current_duties(tx.fetch)
        carried = carry_duties(codes, bodies, crews, previous, previous_version=previous_version)
        table = cells.set_column(
            cells.schema.get_field_index("responsible_body"),
            "responsible_body",
            pa.array(carried.bodies, pa.string()),
        )
        table = table.set_column(
            table.schema.get_field_index("grid_workers"),
            "grid_workers",
            pa.array(carried.workers, pa.list_(pa.string())),
        )
        closed = [
            r[0]
            for r in tx.fetch(
                "UPDATE grid_versions SET valid_to = ? WHERE valid_to IS NULL RETURNING version_id",
                [valid_from],
            )
        ]
        tx.execute(
            "INSERT INTO grid_versions (version_id, name, valid_from, valid_to, source, "
            "imported_at, cell_count, note) VALUES (?, ?, ?, NULL, ?, ?, ?, ?)",
            [
                version,
                f"导入网格 imported grid {source.name}",
                valid_from,
                f"file:{source.name}",
                ctx.now,
                len(codes),
                f"sha256 {source.sha256}",
            ],
        )
        column = pa.array(np.full(len(codes), version, dtype=np.int32))
        tx.append("grid_cells", table.append_column("version_id", column))
        details = {"grid_version": version, "closed_versions": closed, **carried.details()}
        return Written(len(codes), details=details)

    return Plan(
        "grid",
        len(gdf),
        write,
        warnings=warnings,
        line_unit="feature",
        details=preview.details(),
    )
