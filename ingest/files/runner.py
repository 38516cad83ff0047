"""Loading one file end to end: detect, check, write in one transaction, log, report, move."""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path

import pyarrow.parquet as pq

from ingest.files import cameras, grids, hotline, observations, sensors
from ingest.files.cap_file import prepare_cap
from ingest.files.report import FileFailure, FileResult, Plan, write_report
from ingest.files.source import Context, Source, open_source, shapefile_members
from ingest.files.tabular import Sheet, read_csv, read_xlsx
from ingest.time_window import DEFAULT_WINDOW, TimeWindow
from models.store import Store, WriteTx

log = logging.getLogger(__name__)
KINDS = ("grid", "sensors", "observations", "hotline", "cap", "cameras")
_KIND_ALIASES = {
    "grids": "grid",
    "boundaries": "grid",
    "sensor": "sensors",
    "obs": "observations",
    "orders": "hotline",
    "12345": "hotline",
    "alert": "cap",
    "camera": "cameras",
}
_GEO_FORMATS = ("geojson", "gpkg", "shp")


def detect_kind(columns: list[str]) -> str | None:
    """The tabular kind a header suggests (hotline, observations, cameras, sensors), or None."""

    def canonical(aliases: dict[str, str]) -> set[str]:
        return {aliases.get(c, c) for c in columns}

    if "order_no" in canonical(hotline.ALIASES):
        return "hotline"
    obs = canonical(observations.ALIASES)
    if "sensor_id" in obs and ({"ts", "ts_local"} & obs):
        return "observations"
    if {"camera_id", "camera_class", "lon", "lat"} <= canonical(cameras.ALIASES):
        return "cameras"
    if {"sensor_id", "kind", "lon", "lat"} <= canonical(sensors.ALIASES):
        return "sensors"
    return None


def _is_geoparquet(source: Source) -> bool:
    try:
        schema = pq.read_schema(source.path)
    except Exception:  # not Parquet at all: reading it as a sheet says why
        return False
    return b"geo" in (schema.metadata or {})


def _sheet(source: Source) -> Sheet | FileFailure:
    if source.fmt == "csv":
        return read_csv(source.data())
    if source.fmt == "xlsx":
        return read_xlsx(source.data())
    return observations.read_parquet_sheet(source)


def _plan(source: Source, kind: str | None, ctx: Context) -> Plan | FileFailure:
    if source.fmt == "cap":
        if kind not in (None, "cap"):
            return FileFailure(f"an XML file can only be a CAP alert, not {kind}")
        return prepare_cap(source, ctx)
    geo = source.fmt in _GEO_FORMATS or (source.fmt == "parquet" and _is_geoparquet(source))
    if geo or kind == "grid":
        if not geo:
            return FileFailure("a grid must be GeoJSON, GeoPackage, Shapefile or GeoParquet")
        return grids.prepare_grid(source, ctx)
    sheet = _sheet(source)
    if isinstance(sheet, FileFailure):
        return sheet
    kind = kind or detect_kind(sheet.columns)
    if kind is None:
        return FileFailure(
            f"cannot tell what this file holds from its columns ({', '.join(sheet.columns)}): "
            "expected a sensor or camera registry, observations or a 12345 hotline export"[:800]
        )
    if source.fmt == "parquet" and kind != "observations":
        return FileFailure(f"Parquet files hold observations or grids, not {kind}")
    prepare = {
        "sensors": sensors.prepare_sensors,
        "hotline": hotline.prepare_hotline,
        "observations": observations.prepare_observations,
        "cameras": cameras.prepare_cameras,
    }.get(kind)
    if prepare is None:
        return FileFailure(f"a {source.fmt} file cannot hold {kind}")
    return prepare(sheet, source, ctx)


def _free_name(folder: Path, name: str) -> Path:
    target = folder / name
    stem, dot, suffix = name.partition(".")
    n = 1
    while target.exists() or target.with_name(target.name + ".report.json").exists():
        target = folder / f"{stem}-{n}{dot}{suffix}"
        n += 1
    return target


def _move(path: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".shp" and path.is_file():
        stem = target.name[: -len(path.suffix)]
        for member in shapefile_members(path):
            shutil.move(member, target.with_name(stem + member.name[len(path.stem) :]))
        return
    shutil.move(path, target)


def _log_row(result: FileResult, final_path: str, tx: WriteTx) -> int:
    row = tx.fetch(
        "INSERT INTO ingest_files (path, kind, sha256, status, rows_loaded, rows_rejected, "
        "started_at, finished_at, report_path, summary) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "RETURNING file_id",
        [
            final_path,
            result.kind,
            result.sha256,
            result.status,
            result.rows_loaded,
            len(result.bad_rows),
            result.started_at,
            result.finished_at,
            result.report_path,
            result.summary,
        ],
    )
    return int(row[0][0])


def ingest_file(
    store: Store,
    path: Path | str,
    *,
    kind: str | None = None,
    now: datetime,
    done_dir: Path | None = None,
    failed_dir: Path | None = None,
    report_dir: Path | None = None,
    progress: bool = False,
    local_tz: str | None = None,
    metric_crs: str = "EPSG:32650",
    max_bytes: int | None = None,
    actor: str = "cli",
    window: TimeWindow = DEFAULT_WINDOW,
    valid_from: datetime | None = None,
) -> FileResult:
    """Load one file in one transaction (all rows or none) and report on it; never raises.

    Parameters
    ----------
    store
        The database; everything is written through its single writer.
    path
        A CSV, XLSX, Parquet, GeoJSON, GPKG, Shapefile (``.shp``, zipped, or a folder),
        GeoParquet or CAP XML file.
    kind
        ``grid``, ``sensors``, ``observations``, ``hotline``, ``cap`` or ``cameras``;
        detected when None.
    now
        The load time (UTC-naive): ``started_at``, grid ``valid_from``, ``received_at``.
    done_dir, failed_dir
        Where the file is moved after a load / a failure (left in place when None); the
        report (``<name>.report.json`` and ``.report.txt``) goes beside it.
    report_dir
        Where the report goes when the file is not moved (default: beside the file).
    progress
        Show a progress bar (tqdm) on long observation loads.
    local_tz
        Declare zone-less times of observation files as local time in this zone.
    metric_crs
        Projected CRS for areas, overlaps and CAP circles.
    max_bytes
        Refuse larger files.
    actor
        Who loads, for the audit log.
    window
        Believable times at ``now``: rows dated ahead of it are bad in every kind; hotline
        orders and CAP alerts older than its age limit too (historic observations load).
    valid_from
        A grid's ``valid_from`` (and the previous version's ``valid_to``) when not ``now``.

    Returns
    -------
    FileResult
        Status ``loaded`` or ``failed``, counts, every bad row, warnings, report path.
    """
    path = Path(path)
    clock = time.monotonic()
    result = FileResult(path=str(path), name=path.name, status="failed", started_at=now)
    ctx = Context(store, now, local_tz, metric_crs, progress, window=window, valid_from=valid_from)
    plan: Plan | None = None
    try:
        kind = _KIND_ALIASES.get(kind, kind) if kind else None
        if kind is not None and kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}: one of {', '.join(KINDS)}")
        source = open_source(path)
        if isinstance(source, str):
            result.reason = source
        else:
            result.sha256 = source.sha256
            previous = store.query_rows(
                "SELECT file_id, kind FROM ingest_files WHERE sha256 = ? AND status = 'loaded' "
                "ORDER BY file_id LIMIT 1",
                [source.sha256],
            )
            if max_bytes is not None and source.size > max_bytes:
                result.reason = f"file is {source.size} bytes, larger than the limit {max_bytes}"
            elif previous:
                result.status, result.duplicate_of, result.kind = "loaded", *previous[0]
            else:
                outcome = _plan(source, kind, ctx)
                if isinstance(outcome, FileFailure):
                    result.reason = outcome.reason
                else:
                    plan = outcome
                    result.kind, result.rows_total = plan.kind, plan.rows_total
                    result.bad_rows, result.warnings = plan.bad_rows, plan.warnings
                    result.line_unit, result.details = plan.line_unit, dict(plan.details)
    except Exception as exc:  # totality: a surprise fails this file, never the caller's loop
        log.exception("file load failed unexpectedly", extra={"path": str(path)})
        result.reason = f"unexpected error: {type(exc).__name__}: {exc}"[:1000]
        plan = None
    if plan is not None and not plan.bad_rows:
        result.status = "loaded"
    if plan is not None and plan.bad_rows:
        result.reason = f"{len(plan.bad_rows)} bad {plan.line_unit}(s): nothing loaded"
    _finish(store, path, result, plan, clock, done_dir, failed_dir, report_dir, actor)
    return result


def _destination(
    path: Path, result: FileResult, done: Path | None, failed: Path | None, report_dir: Path | None
) -> tuple[Path | None, Path]:
    folder = done if result.status == "loaded" else failed
    if folder is not None and path.exists():
        target = _free_name(folder, path.name)
        return target, target.with_name(target.name + ".report.json")
    base = report_dir or path.parent
    return None, base / (path.name + ".report.json")


def _finish(
    store: Store,
    path: Path,
    result: FileResult,
    plan: Plan | None,
    clock: float,
    done_dir: Path | None,
    failed_dir: Path | None,
    report_dir: Path | None,
    actor: str,
) -> None:
    assert result.started_at is not None
    target, report = _destination(path, result, done_dir, failed_dir, report_dir)
    result.report_path = str(report)
    result.moved_to = None if target is None else str(target)
    result.finished_at = result.started_at + timedelta(seconds=time.monotonic() - clock)
    final_path = str(target or path)
    if result.status == "loaded" and plan is not None:

        def load(tx: WriteTx) -> int:
            written = plan.write(tx)
            result.rows_loaded, result.rows_duplicate = written.loaded, written.duplicates
            result.details.update(written.details)
            return _log_row(result, final_path, tx)

        try:
            result.file_id = store.write(load)
        except Exception as exc:  # the transaction rolled back: nothing of this file is stored
            log.exception("file load rolled back", extra={"path": str(path)})
            result.status, result.rows_loaded, result.rows_duplicate = "failed", 0, 0
            result.reason = f"the database refused the load, nothing written: {exc}"[:1000]
            target, report = _destination(path, result, done_dir, failed_dir, report_dir)
            result.report_path = str(report)
            result.moved_to = None if target is None else str(target)
            final_path = str(target or path)
    if result.file_id is None:
        result.file_id = store.write(lambda tx: _log_row(result, final_path, tx))
    try:
        write_report(result, report)
        if target is not None:
            _move(path, target)
    except OSError as exc:
        log.error("cannot write the report or move the file: %s", exc)
    store.audit(
        "ingest.file",
        actor=actor,
        outcome="ok" if result.status == "loaded" else "failed",
        target=final_path,
        detail=result.summary,
        at=result.started_at,
    )
    log.info("file %s %s: %s", result.name, result.status, result.summary)


def ingest_paths(store: Store, paths: Iterable[Path | str], **options: object) -> list[FileResult]:
    """:func:`ingest_file` for each path in turn (each in its own transaction)."""
    return [ingest_file(store, p, **options) for p in paths]  # type: ignore[arg-type]
