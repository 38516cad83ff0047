"""Historic observations (CSV or Parquet, long or wide) checked in bulk and appended via Arrow.

Long: ``sensor_id, ts, metric, value``. Wide: ``sensor_id, ts`` and one column per metric.
``msg_id`` is ``file:<first 16 hex of the file's sha256>:<line>``, so a reload dedupes.
Zone rule: see :mod:`ingest.files.times`; a ``ts_local`` column instead of ``ts`` declares
the file's times local (Asia/Shanghai). A reading dated ahead of the clock (more than
``ingest.max_clock_skew_s``) is a bad row; old readings load, whatever their age.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ingest.files.fields import metric_problem
from ingest.files.report import BadRow, FileFailure, Plan, Written, never_written
from ingest.files.source import Context, Source
from ingest.files.tabular import Sheet, normalize_header, rename_columns
from ingest.files.times import LOCAL_TZ, parse_time_array
from models.metric_ranges import METRIC_RANGES, describe_range
from models.store import WriteTx

ALIASES = {
    **dict.fromkeys(("sensor_id", "设备编号", "传感器编号", "站点编号"), "sensor_id"),
    **dict.fromkeys(("ts", "time", "timestamp", "datetime", "监测时间", "时间"), "ts"),
    **dict.fromkeys(("ts_local", "local_time", "本地时间"), "ts_local"),
    **dict.fromkeys(("metric", "指标", "监测项目"), "metric"),
    **dict.fromkeys(("value", "值", "监测值", "数值"), "value"),
}
#: Columns a wide file may carry that are not metrics.
NOT_METRICS = ("kind", "sensor_kind", "unit", "note", "station", "name", "备注")
HINT = "Observations are long (sensor_id, ts, metric, value) or wide (sensor_id, ts, pm25, ...)."
CHUNK_ROWS = 250_000
_NUMBER = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"


class _Bad:
    """Row-level reasons collected in bulk: the first reason per row wins."""

    def __init__(self, lines: np.ndarray):
        self.lines = lines
        self.reason = np.full(len(lines), None, dtype=object)
        self.column = np.full(len(lines), None, dtype=object)
        self.value = np.full(len(lines), None, dtype=object)

    def add(self, mask: np.ndarray, reason: str | list, column: str, values: pa.Array) -> None:
        rows = np.flatnonzero(mask & pd.isna(self.reason))
        if not len(rows):
            return
        texts = pc.take(values, pa.array(rows)).to_pylist()
        for k, row in enumerate(rows):
            self.reason[row] = reason if isinstance(reason, str) else reason[row]
            self.column[row] = column
            self.value[row] = None if texts[k] is None else str(texts[k])[:80]

    def rows(self) -> list[BadRow]:
        idx = np.flatnonzero(~pd.isna(self.reason))
        return [
            BadRow(int(self.lines[i]), self.reason[i], self.column[i], self.value[i]) for i in idx
        ]


def read_parquet_sheet(source: Source) -> Sheet | FileFailure:
    """A Parquet table as a sheet; "lines" are 1-based row numbers."""
    try:
        table = pq.read_table(source.path)
    except Exception as exc:  # unreadable file: the file's fault
        return FileFailure(f"cannot read the Parquet file: {exc}"[:500])
    names = [normalize_header(n) for n in table.column_names]
    table = table.rename_columns(names)
    return Sheet(table, np.arange(1, table.num_rows + 1, dtype=np.int64), "parquet", "row")


def _times(column: pa.ChunkedArray, local_tz: str | None) -> tuple[pa.Array, list] | FileFailure:
    column = column.combine_chunks()
    if pa.types.is_timestamp(column.type):
        if column.type.tz is None:
            if local_tz is None:
                return FileFailure(
                    "the ts column has no time zone: store it with a zone, or name "
                    "the column ts_local to declare Asia/Shanghai local time"
                )
            column = pc.assume_timezone(column, local_tz)
        utc = column.cast(pa.timestamp("us", tz="UTC")).cast(pa.timestamp("us"))
        return utc, [None if v else "missing time" for v in pc.is_valid(utc).to_pylist()]
    return parse_time_array(column.cast(pa.string()), local_tz=local_tz)


def _numbers(column: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """float64 values and a mask of present-but-not-a-number cells."""
    if pa.types.is_integer(column.type) or pa.types.is_floating(column.type):
        values = column.cast(pa.float64())
        finite = pc.fill_null(pc.is_finite(values), True)
        return pc.if_else(finite, values, None), ~np.asarray(finite)
    text = column.cast(pa.string())
    ok = pc.fill_null(pc.match_substring_regex(text, _NUMBER), False)
    values = pc.cast(pc.if_else(ok, text, None), pa.float64())
    return values, np.asarray(pc.and_(pc.is_valid(text), pc.invert(ok)))


def _outside(values: pa.Array, metric: str) -> np.ndarray:
    """Mask of readings outside ``metric``'s plausible range (all False when unranged)."""
    r = METRIC_RANGES.get(metric)
    if r is None:
        return np.zeros(len(values), dtype=bool)
    out = pc.or_(pc.less(values, r.low), pc.greater(values, r.high))
    return np.asarray(pc.fill_null(out, False))


def _implausible(metric: str) -> str:
    return f"implausible reading: {describe_range(metric)}"


def prepare_observations(sheet: Sheet, source: Source, ctx: Context) -> Plan | FileFailure:
    """Check every reading in bulk; the plan appends them in chunks in one transaction."""
    sheet_or_fail = rename_columns(sheet, ALIASES)
    if isinstance(sheet_or_fail, FileFailure):
        return sheet_or_fail
    sheet = sheet_or_fail
    cols = sheet.columns
    local_tz = ctx.local_tz
    if "ts_local" in cols and "ts" not in cols:
        table = sheet.table.rename_columns(["ts" if c == "ts_local" else c for c in cols])
        local_tz, cols = LOCAL_TZ, table.column_names
    else:
        table = sheet.table
    if "sensor_id" not in cols or "ts" not in cols:
        return FileFailure(f"missing column(s) sensor_id and ts; found: {', '.join(cols)}. {HINT}")
    long = "metric" in cols and "value" in cols
    metrics = [] if long else [c for c in cols if c not in ("sensor_id", "ts", *NOT_METRICS)]
    for name in metrics:
        if metric_problem(name):
            return FileFailure(
                f"column {name!r} is not a metric name (lower_snake_case, e.g. "
                f"pm25); wide files have sensor_id, ts and metric columns"
            )
    if not long and not metrics:
        return FileFailure(f"no metric columns; found: {', '.join(cols)}. {HINT}")
    n = table.num_rows
    bad = _Bad(sheet.lines)
    for row in sheet.bad:  # structural CSV errors (field counts) come first
        hit = np.flatnonzero(sheet.lines == row.line)
        bad.reason[hit], bad.column[hit] = row.reason, None
    sensor = table["sensor_id"].combine_chunks().cast(pa.string())
    bad.add(~np.asarray(pc.is_valid(sensor)), "missing sensor_id", "sensor_id", sensor)
    known = pa.array(
        [r[0] for r in ctx.store.query_rows("SELECT sensor_id FROM sensors")], pa.string()
    )
    unknown = ~np.asarray(pc.fill_null(pc.is_in(sensor, value_set=known), True))
    bad.add(unknown, "unknown sensor_id (not in the sensor registry)", "sensor_id", sensor)
    ts_or_fail = _times(table["ts"], local_tz)
    if isinstance(ts_or_fail, FileFailure):
        return ts_or_fail
    ts, reasons = ts_or_fail
    ts_bad = np.array([r is not None for r in reasons], dtype=bool)
    bad.add(ts_bad, np.array(reasons, dtype=object), "ts", table["ts"].combine_chunks())
    # readings from the future are refused; old ones are what historic files are for
    ahead = ctx.window.problems(ts, now=ctx.now, check_age=False)
    ahead_bad = np.array([r is not None for r in ahead], dtype=bool)
    bad.add(ahead_bad, np.array(ahead, dtype=object), "ts", table["ts"].combine_chunks())
    lines = pa.array(sheet.lines)
    if long:
        metric = table["metric"].combine_chunks().cast(pa.string())
        metric = pc.utf8_lower(metric)
        names = [m for m in pc.unique(metric).to_pylist() if m is not None]
        wrong = pa.array([m for m in names if metric_problem(m)], pa.string())
        bad.add(~np.asarray(pc.is_valid(metric)), "missing metric", "metric", metric)
        bad.add(
            np.asarray(pc.fill_null(pc.is_in(metric, value_set=wrong), False)),
            "metric name is not lower_snake_case (e.g. pm25)",
            "metric",
            metric,
        )
        raw = table["value"].combine_chunks()
        values, not_number = _numbers(raw)
        bad.add(not_number, "value is not a finite number", "value", raw)
        bad.add(~np.asarray(pc.is_valid(raw)), "missing value", "value", raw)
        for name in names:
            if name in METRIC_RANGES:
                is_name = np.asarray(pc.fill_null(pc.equal(metric, name), False))
                bad.add(is_name & _outside(values, name), _implausible(name), "value", raw)
        parts = [(pa.array(np.arange(n)), metric, values)]
    else:
        parts = []
        for name in metrics:
            raw = table[name].combine_chunks()
            values, not_number = _numbers(raw)
            bad.add(not_number, f"{name} is not a finite number", name, raw)
            bad.add(_outside(values, name), _implausible(name), name, raw)
            present = np.flatnonzero(np.asarray(pc.is_valid(values)))
            parts.append((pa.array(present), pa.array([name] * len(present)), values.take(present)))
    rows = pa.concat_arrays([p[0] for p in parts]) if parts else pa.array([], pa.int64())
    long_table = pa.table(
        {
            "row": rows,
            "sensor_id": sensor.take(rows),
            "ts": ts.take(rows),
            "metric": pa.concat_arrays([p[1] for p in parts]),
            "value": pa.concat_arrays([p[2] for p in parts]),
        }
    )
    _duplicates(long_table, bad, sheet.lines)
    bad_rows = bad.rows()
    warnings = []
    has_value = np.zeros(n, dtype=bool)
    has_value[np.asarray(rows)] = True
    empty = int(n - has_value.sum())
    if not long and empty:
        warnings.append(f"{empty} row(s) without any metric value (nothing to load from them)")
    if bad_rows:
        return Plan(
            "observations",
            n,
            never_written,
            bad_rows=bad_rows,
            warnings=warnings,
            line_unit=sheet.line_unit,
        )
    prefix = f"file:{source.sha256[:16]}:"
    row_lines = pc.take(lines, long_table["row"])
    batch = pa.table(
        {
            "msg_id": pc.binary_join_element_wise(prefix, pc.cast(row_lines, pa.string()), ""),
            "sensor_id": long_table["sensor_id"],
            "ts": long_table["ts"],
            "metric": long_table["metric"],
            "value": long_table["value"],
            "received_at": pa.array(np.full(long_table.num_rows, np.datetime64(ctx.now, "us"))),
            "source": pa.array([f"file:{source.name}"] * long_table.num_rows, pa.string()),
        }
    )
    return Plan(
        "observations",
        n,
        _writer(batch, prefix, ctx),
        warnings=warnings,
        line_unit=sheet.line_unit,
        details={"readings": batch.num_rows},
    )


def _duplicates(long_table: pa.Table, bad: _Bad, lines: np.ndarray) -> None:
    """The same sensor, time and metric twice in one file is a bad row (the later one)."""
    frame = pd.DataFrame(
        {
            "s": long_table["sensor_id"].to_numpy(zero_copy_only=False),
            "t": long_table["ts"].cast(pa.int64()).to_numpy(zero_copy_only=False),
            "m": long_table["metric"].to_numpy(zero_copy_only=False),
        }
    )
    dupes = frame.duplicated(keep="first").to_numpy()
    if not dupes.any():
        return
    first = frame.drop_duplicates(keep="first").reset_index().set_index(["s", "t", "m"])["index"]
    keys = frame[dupes]
    rows = long_table["row"].to_numpy()
    for k, (s, t, m) in zip(np.flatnonzero(dupes), keys.itertuples(index=False)):
        row = rows[k]
        if bad.reason[row] is None:
            origin = lines[rows[first.loc[(s, t, m)]]]
            bad.reason[row] = f"duplicate reading of {s} {m} at this time (first at line {origin})"
            bad.column[row] = "ts"


def _writer(batch: pa.Table, prefix: str, ctx: Context) -> Callable[[WriteTx], Written]:
    def write(tx: WriteTx) -> Written:
        existing = tx.fetch(
            "SELECT count(*) FROM observations WHERE starts_with(msg_id, ?)", [prefix]
        )[0][0]
        if existing:  # a reload of this very file: nothing new to add
            return Written(0, duplicates=batch.num_rows)
        bar = _progress(batch.num_rows) if ctx.progress else None
        for start in range(0, batch.num_rows, CHUNK_ROWS):
            written = tx.append("observations", batch.slice(start, CHUNK_ROWS))
            if bar is not None:
                bar.update(written)
        if bar is not None:
            bar.close()
        return Written(batch.num_rows, details={"readings": batch.num_rows})

    return write


def _progress(total: int) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, unit="rows", desc="observations", disable=total < CHUNK_ROWS)
