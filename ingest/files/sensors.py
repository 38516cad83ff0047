"""Sensor registry CSV/XLSX: validated rows upserted into sensors, each placed in its grid cell."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from ingest.files.fields import id_problem, missing_columns, parse_date, parse_float, parse_int
from ingest.files.report import BadRow, FileFailure, Plan, Written, never_written
from ingest.files.source import Context, Source
from ingest.files.tabular import Sheet, rename_columns
from ingest.locate import locate_points
from ingest.payloads import SENSOR_KINDS
from models.store import WriteTx

ALIASES = {
    **dict.fromkeys(("sensor_id", "id", "设备编号", "传感器编号", "设备编码"), "sensor_id"),
    **dict.fromkeys(("kind", "sensor_kind", "type", "设备类型", "类型"), "kind"),
    **dict.fromkeys(("lon", "lng", "longitude", "x", "经度"), "lon"),
    **dict.fromkeys(("lat", "latitude", "y", "纬度"), "lat"),
    **dict.fromkeys(("interval_s", "interval", "上报间隔", "上报间隔(秒)"), "interval_s"),
    **dict.fromkeys(("owner", "权属单位", "所属单位", "管理单位"), "owner"),
    **dict.fromkeys(("installed_on", "install_date", "安装日期"), "installed_on"),
    **dict.fromkeys(("zone", "功能区", "声环境功能区", "水质目标"), "zone"),
    **dict.fromkeys(("warning_level", "warning_level_m", "警戒值", "警戒水位"), "warning_level"),
    **dict.fromkeys(("danger_level", "danger_level_m", "危险值", "危险水位"), "danger_level"),
    **dict.fromkeys(("segment_id", "路段编号"), "segment_id"),
}
REQUIRED = ("sensor_id", "kind", "lon", "lat", "interval_s")
OPTIONAL = ("owner", "installed_on", "zone", "warning_level", "danger_level", "segment_id")
HINT = f"A sensor registry has {', '.join(REQUIRED)} and optionally {', '.join(OPTIONAL)}."
_COLUMNS = (
    "sensor_id",
    "kind",
    "lon",
    "lat",
    "grid_version",
    "cell_code",
    "owner",
    "installed_on",
    "interval_s",
    "zone",
    "warning_level",
    "danger_level",
    "segment_id",
)

_BATCH_DDL = (
    "sensor_id VARCHAR, kind VARCHAR, lon DOUBLE, lat DOUBLE, grid_version INTEGER, "
    "cell_code VARCHAR, owner VARCHAR, installed_on DATE, interval_s INTEGER, zone VARCHAR, "
    "warning_level DOUBLE, danger_level DOUBLE, segment_id VARCHAR"
)


def _row(values: dict[str, str | None]) -> dict | tuple[str, str]:
    sensor_id = values["sensor_id"]
    problem = id_problem(sensor_id, "sensor_id")
    if problem:
        return problem, "sensor_id"
    kind = (values["kind"] or "").lower()
    if kind not in SENSOR_KINDS:
        return f"kind {values['kind']!r} is not one of {', '.join(SENSOR_KINDS)}", "kind"
    row: dict = {"sensor_id": sensor_id, "kind": kind}
    for column, lo, hi in (("lon", -180.0, 180.0), ("lat", -90.0, 90.0)):
        parsed = parse_float(values[column], lo=lo, hi=hi)
        if isinstance(parsed, str):
            return parsed, column
        row[column] = parsed
    interval = parse_int(values["interval_s"], lo=1, hi=31 * 86400)
    if isinstance(interval, str):
        return interval, "interval_s"
    row["interval_s"] = interval
    for column in ("warning_level", "danger_level"):
        parsed = None if values.get(column) is None else parse_float(values[column])
        if isinstance(parsed, str):
            return parsed, column
        row[column] = parsed
    levels = (row["warning_level"], row["danger_level"])
    if None not in levels and levels[0] > levels[1]:
        return "warning_level is above danger_level", "warning_level"
    installed = values.get("installed_on")
    row["installed_on"] = None if installed is None else parse_date(installed)
    if isinstance(row["installed_on"], str):
        return row["installed_on"], "installed_on"
    for column in ("owner", "zone", "segment_id"):
        row[column] = values.get(column)
    return row


def check_sensor_row(values: dict[str, str | None]) -> dict | tuple[str, str]:
    """One registry row (column → text) checked as a file's row is: the parsed row, or
    ``(reason, column)`` (also for an edit on /admin, so both accept the same rows)."""
    return _row(values)


def prepare_sensors(sheet: Sheet, source: Source, ctx: Context) -> Plan | FileFailure:
    """Check a registry; the plan inserts new sensors and updates changed ones."""
    renamed = rename_columns(sheet, ALIASES)
    if isinstance(renamed, FileFailure):
        return renamed
    failure = missing_columns(renamed.columns, REQUIRED, HINT)
    if failure:
        return failure
    bad = list(renamed.bad)
    rows: list[dict] = []
    first_at: dict[str, int] = {}
    records = renamed.table.to_pylist()
    for line, values in zip(renamed.lines.tolist(), records):
        parsed = _row(values)
        if isinstance(parsed, tuple):
            column = parsed[1]
            bad.append(BadRow(line, parsed[0], column=column, value=values.get(column)))
            continue
        if parsed["sensor_id"] in first_at:
            reason = f"duplicate sensor_id (first at line {first_at[parsed['sensor_id']]})"
            bad.append(BadRow(line, reason, column="sensor_id", value=parsed["sensor_id"]))
            continue
        first_at[parsed["sensor_id"]] = line
        rows.append(parsed)
    bad.sort(key=lambda b: b.line)
    if bad:
        return Plan("sensors", len(records), never_written, bad_rows=bad, line_unit=sheet.line_unit)
    lon = np.array([r["lon"] for r in rows], float)
    lat = np.array([r["lat"] for r in rows], float)
    located = locate_points(ctx.store, lon, lat, metric_crs=ctx.metric_crs)
    warnings = []
    outside = [r["sensor_id"] for r, c in zip(rows, located.cells) if c is None]
    if outside:
        warnings.append(
            f"{len(outside)} sensor(s) outside the current grid (no cell): "
            + ", ".join(outside[:20])
        )
    for row, cell in zip(rows, located.cells):
        row["cell_code"] = cell
        row["grid_version"] = None if cell is None else located.version
    batch = pa.Table.from_pylist(rows).select(list(_COLUMNS)) if rows else None

    def write(tx: WriteTx) -> Written:
        if batch is None:
            return Written(0)
        tx.execute("DROP TABLE IF EXISTS __sensor_batch")
        # Explicit DDL: DuckDB 2.0.0 scans a CREATE TABLE AS ... LIMIT 0 table filled with
        # more than one row group in the same transaction as empty.
        tx.execute(f"CREATE TEMP TABLE __sensor_batch ({_BATCH_DDL})")
        tx.append("__sensor_batch", batch)
        same = " AND ".join(f"s.{c} IS NOT DISTINCT FROM b.{c}" for c in _COLUMNS)
        unchanged = tx.fetch(
            f"SELECT count(*) FROM __sensor_batch b JOIN sensors s USING (sensor_id) WHERE {same}"
        )[0][0]
        sets = ", ".join(f"{c} = b.{c}" for c in _COLUMNS if c != "sensor_id")
        updated = tx.fetch(
            f"UPDATE sensors s SET {sets}, synthetic = FALSE FROM __sensor_batch b "
            f"WHERE s.sensor_id = b.sensor_id AND NOT ({same}) RETURNING s.sensor_id"
        )
        inserted = tx.fetch(
            "INSERT INTO sensors BY NAME SELECT * FROM __sensor_batch "
            "WHERE sensor_id NOT IN (SELECT sensor_id FROM sensors) RETURNING sensor_id"
        )
        tx.execute("DROP TABLE __sensor_batch")
        if len(inserted) + len(updated) + unchanged != batch.num_rows:
            raise RuntimeError("sensor upsert did not account for every row; rolled back")
        details = {
            "inserted": len(inserted),
            "updated": len(updated),
            "unchanged": unchanged,
            "grid_version": located.version,
        }
        return Written(len(inserted) + len(updated), duplicates=int(unchanged), details=details)

    return Plan("sensors", len(records), write, warnings=warnings, line_unit=sheet.line_unit)
