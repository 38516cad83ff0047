"""Camera registry CSV/XLSX (视频监控点位): validated rows upserted into cameras, all or none.

Columns (English or Chinese headers): camera id, longitude, latitude, class 1/2/3, and
optionally the stream URL (http, https or rtsp; a link only, never fetched), owner, name.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pyarrow as pa

from ingest.files.fields import id_problem, missing_columns, parse_float
from ingest.files.report import BadRow, FileFailure, Plan, Written, never_written
from ingest.files.source import Context, Source
from ingest.files.tabular import Sheet, rename_columns
from ingest.locate import locate_points
from models.emergency.cameras import stream_url_problem, upsert_cameras
from models.store import WriteTx

ALIASES = {
    **dict.fromkeys(("camera_id", "camera", "id", "摄像机编号", "点位编号", "设备编码",
                     "国标编码"), "camera_id"),
    **dict.fromkeys(("lon", "lng", "longitude", "x", "经度"), "lon"),
    **dict.fromkeys(("lat", "latitude", "y", "纬度"), "lat"),
    **dict.fromkeys(("camera_class", "class", "category", "点位类别", "类别", "点位等级"),
                    "camera_class"),
    **dict.fromkeys(("stream_url", "url", "stream", "视频流地址", "取流地址"), "stream_url"),
    **dict.fromkeys(("owner", "权属单位", "管理单位", "建设单位"), "owner"),
    **dict.fromkeys(("name", "camera_name", "名称", "点位名称", "安装位置"), "name"),
}  # fmt: skip
REQUIRED = ("camera_id", "lon", "lat", "camera_class")
OPTIONAL = ("stream_url", "owner", "name")
HINT = f"A camera registry has {', '.join(REQUIRED)} and optionally {', '.join(OPTIONAL)}."
TEXT_MAX = 200
#: Class words a registry may use for 1, 2, 3.
_CLASSES = {
    **dict.fromkeys(("1", "一类", "一", "i", "class 1"), 1),
    **dict.fromkeys(("2", "二类", "二", "ii", "class 2"), 2),
    **dict.fromkeys(("3", "三类", "三", "iii", "class 3"), 3),
}


def _text(value: str | None, column: str) -> str | None | tuple[str, str]:
    if value is None:
        return None
    if len(value) > TEXT_MAX or not value.isprintable():
        return f"{column} is longer than {TEXT_MAX} characters or not printable", column
    return value


def parse_camera(values: dict[str, str | None]) -> dict | tuple[str, str]:
    """One registry row as a ``cameras`` row, or (reason, column) when it is bad."""
    camera_id = values["camera_id"]
    if problem := id_problem(camera_id, "camera_id"):
        return problem, "camera_id"
    row: dict = {"camera_id": camera_id}
    for column, lo, hi in (("lon", -180.0, 180.0), ("lat", -90.0, 90.0)):
        parsed = parse_float(values[column], lo=lo, hi=hi)
        if isinstance(parsed, str):
            return parsed, column
        row[column] = parsed
    klass = _CLASSES.get((values["camera_class"] or "").strip().lower().removesuffix(".0"))
    if klass is None:
        return f"class {values['camera_class']!r} is not 1, 2 or 3 (一类/二类/三类)", "camera_class"
    row["camera_class"] = klass
    url = values.get("stream_url")
    if url is not None and (problem := stream_url_problem(url)):
        return problem, "stream_url"
    row["stream_url"] = url
    for column in ("owner", "name"):
        text = _text(values.get(column), column)
        if isinstance(text, tuple):
            return text
        row[column] = text
    return row


def camera_table(rows: list[dict], *, imported_at: datetime) -> pa.Table:
    """The rows as the Arrow batch :func:`models.emergency.cameras.upsert_cameras` takes."""
    return pa.table(
        {
            "camera_id": pa.array([r["camera_id"] for r in rows], pa.string()),
            "name": pa.array([r["name"] for r in rows], pa.string()),
            "lon": pa.array([r["lon"] for r in rows], pa.float64()),
            "lat": pa.array([r["lat"] for r in rows], pa.float64()),
            "camera_class": pa.array([r["camera_class"] for r in rows], pa.int32()),
            "stream_url": pa.array([r["stream_url"] for r in rows], pa.string()),
            "owner": pa.array([r["owner"] for r in rows], pa.string()),
            "imported_at": pa.array([imported_at] * len(rows), pa.timestamp("us")),
        }
    )


def prepare_cameras(sheet: Sheet, source: Source, ctx: Context) -> Plan | FileFailure:
    """Check a registry; every bad row is reported with its line and nothing is loaded, or
    the plan inserts the new cameras and updates the changed ones."""
    renamed = rename_columns(sheet, ALIASES)
    if isinstance(renamed, FileFailure):
        return renamed
    if failure := missing_columns(renamed.columns, REQUIRED, HINT):
        return failure
    bad = list(renamed.bad)
    rows: list[dict] = []
    first_at: dict[str, int] = {}
    records = renamed.table.to_pylist()
    for line, values in zip(renamed.lines.tolist(), records):
        parsed = parse_camera(values)
        if isinstance(parsed, tuple):
            reason, column = parsed
            bad.append(BadRow(line, reason, column=column, value=values.get(column)))
            continue
        if parsed["camera_id"] in first_at:
            reason = f"duplicate camera_id (first at line {first_at[parsed['camera_id']]})"
            bad.append(BadRow(line, reason, column="camera_id", value=parsed["camera_id"]))
            continue
        first_at[parsed["camera_id"]] = line
        rows.append(parsed)
    bad.sort(key=lambda b: b.line)
    if bad:
        return Plan("cameras", len(records), never_written, bad_rows=bad,
                    line_unit=sheet.line_unit)  # fmt: skip
    warnings = []
    if rows:
        lon = np.array([r["lon"] for r in rows], float)
        lat = np.array([r["lat"] for r in rows], float)
        located = locate_points(ctx.store, lon, lat, metric_crs=ctx.metric_crs)
        outside = [r["camera_id"] for r, c in zip(rows, located.cells) if c is None]
        if outside and located.version is not None:
            warnings.append(
                f"{len(outside)} camera(s) outside the current grid: " + ", ".join(outside[:20])
            )
    batch = camera_table(rows, imported_at=ctx.now)

    def write(tx: WriteTx) -> Written:
        if not rows:
            return Written(0)
        counts = upsert_cameras(tx, batch)
        return Written(counts["inserted"] + counts["updated"], duplicates=counts["unchanged"],
                       details=counts)  # fmt: skip

    return Plan("cameras", len(records), write, warnings=warnings, line_unit=sheet.line_unit)
