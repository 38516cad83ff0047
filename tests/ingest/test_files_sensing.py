"""Sensor registry and historic observation files: formats, zone rule, line numbers, dedupe."""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ingest.demo_city.generate import generate_demo_city
from ingest.demo_city.load import load_demo_city
from ingest.files import detect_kind, ingest_file
from models.store import Store

DATA = Path(__file__).parent / "data"
NOW = datetime(2026, 11, 25, 9)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory):
    store = Store(tmp_path_factory.mktemp("sensing") / "x.duckdb")
    load_demo_city(store, generate_demo_city(), now=datetime(2026, 11, 24))
    yield store
    store.close()


def _obs_count(db: Store, name: str) -> int:
    return db.query_value("SELECT count(*) FROM observations WHERE source = ?", [f"file:{name}"])


def test_sensor_registry_inserts_new_and_updates_changed_sensors(db, tmp_path):
    path = tmp_path / "sensors_registry.csv"
    shutil.copy(DATA / "sensors_registry.csv", path)
    result = ingest_file(db, path, now=NOW)
    assert result.status == "loaded", (result.reason, result.bad_rows)
    assert result.kind == "sensors"
    assert result.details["inserted"] == 3 and result.details["updated"] == 1
    rows = db.query_df(
        "SELECT * FROM sensors WHERE sensor_id IN ('AIR-101', 'WL-101', 'AIR-001') "
        "ORDER BY sensor_id"
    )
    air1, air101, wl = (rows.iloc[i] for i in range(3))
    assert air101["cell_code"] == "445102007002001" and air101["grid_version"] == 1
    assert wl["cell_code"] == "445102008006001" and wl["warning_level"] == 0.3
    assert str(wl["installed_on"])[:10] == "2025-10-08" and not wl["synthetic"]
    assert air1["interval_s"] == 1800  # updated from the demo's 3600
    again = tmp_path / "renamed.csv"
    shutil.copy(path, again)
    assert ingest_file(db, again, now=NOW).duplicate_of == result.file_id


def test_bad_sensor_rows_load_nothing_and_are_all_reported(db, tmp_path):
    path = tmp_path / "bad_sensors.csv"
    path.write_text(
        "sensor_id,kind,lon,lat,interval_s\n"
        "NEW-1,air,116.65,23.67,3600\n"
        "NEW-2,radar,116.65,23.67,3600\n"
        "NEW-3,air,216.65,23.67,3600\n"
        "NEW-1,noise,116.65,23.67,60\n"
        "NEW 5,air,116.65,23.67,0\n",
        encoding="utf-8",
    )
    result = ingest_file(db, path, now=NOW)
    assert result.status == "failed"
    got = {(b.line, b.column) for b in result.bad_rows}
    assert got == {(3, "kind"), (4, "lon"), (5, "sensor_id"), (6, "sensor_id")}
    assert "duplicate" in next(b.reason for b in result.bad_rows if b.line == 5)
    assert db.query_value("SELECT count(*) FROM sensors WHERE sensor_id LIKE 'NEW-%'") == 0


def test_long_observations_csv_loads_in_utc_with_deterministic_ids(db, tmp_path):
    path = tmp_path / "observations_long.csv"
    shutil.copy(DATA / "observations_long.csv", path)
    result = ingest_file(db, path, now=NOW)
    assert result.status == "loaded", (result.reason, result.bad_rows)
    assert result.kind == "observations" and result.rows_loaded == 4
    rows = db.query_rows(
        "SELECT msg_id, sensor_id, ts, metric, value, received_at, source FROM observations "
        "WHERE source = 'file:observations_long.csv' ORDER BY msg_id"
    )
    prefix = f"file:{result.sha256[:16]}:"
    assert [r[0] for r in rows] == [f"{prefix}{n}" for n in (2, 3, 4, 5)]
    assert rows[0][1:5] == ("AIR-001", datetime(2026, 11, 24, 0), "pm25", 35.0)
    assert rows[2][2] == datetime(2026, 11, 24, 0) and rows[3][2] == datetime(2026, 11, 24, 1)
    assert rows[0][5] == NOW
    second = ingest_file(db, path, now=NOW)
    assert second.ok and second.duplicate_of == result.file_id
    assert _obs_count(db, "observations_long.csv") == 4


def test_wide_observations_with_declared_local_time(db, tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text(
        "sensor_id,ts_local,pm25,pm10,o3\n"
        "AIR-003,2026-11-24 08:00:00,30,55.5,\n"
        "AIR-004,2026-11-24 08:00:00,,,\n"
        "AIR-004,2026-11-24 09:00:00+08:00,41,70,88\n",
        encoding="utf-8",
    )
    result = ingest_file(db, path, now=NOW)
    assert result.status == "loaded", (result.reason, result.bad_rows)
    assert result.rows_loaded == 5 and result.rows_total == 3
    assert any("without any metric value" in w for w in result.warnings)
    rows = db.query_rows(
        "SELECT sensor_id, ts, metric, value FROM observations "
        "WHERE source = 'file:wide.csv' ORDER BY sensor_id, metric"
    )
    assert rows[0] == ("AIR-003", datetime(2026, 11, 24, 0), "pm10", 55.5)
    assert {r[1] for r in rows if r[0] == "AIR-004"} == {datetime(2026, 11, 24, 1)}


def test_times_without_zone_are_refused_unless_declared(db, tmp_path):
    path = tmp_path / "naive.csv"
    path.write_text("sensor_id,ts,metric,value\nAIR-005,2026-11-24 08:00:00,pm25,1\n", "utf-8")
    result = ingest_file(db, path, now=NOW)
    assert result.status == "failed" and result.bad_rows[0].line == 2
    assert "no zone" in result.bad_rows[0].reason
    declared = ingest_file(db, path, now=NOW, local_tz="Asia/Shanghai")
    assert declared.ok
    assert db.query_value("SELECT ts FROM observations WHERE source = 'file:naive.csv'") == (
        datetime(2026, 11, 24, 0)
    )


def test_one_bad_value_among_many_fails_the_file_at_its_exact_line(db, tmp_path):
    rows = [
        f"AIR-00{1 + i % 9},2026-11-{1 + i // 1440:02d}T{i % 1440 // 60:02d}:"
        f"{i % 60:02d}:00+08:00,pm25,{i % 300}.5"
        for i in range(5000)
    ]
    rows[3456] = rows[3456].rsplit(",", 1)[0] + ",abc"
    # a blank line and a quoted value shift nothing: the line is the physical one
    body = "\n".join(rows[:100]) + "\n\n" + "\n".join(rows[100:])
    path = tmp_path / "one_bad.csv"
    path.write_text("sensor_id,ts,metric,value\n" + body + "\n", encoding="utf-8")
    result = ingest_file(db, path, now=NOW)
    assert result.status == "failed"
    assert [(b.line, b.column, b.value) for b in result.bad_rows] == [(3456 + 3, "value", "abc")]
    physical = path.read_text("utf-8").splitlines()[3456 + 2]
    assert physical.endswith(",abc")
    assert _obs_count(db, "one_bad.csv") == 0
    report = json.loads(Path(result.report_path).read_text("utf-8"))
    assert report["bad_rows"] == [
        {"line": 3459, "reason": "value is not a finite number", "column": "value", "value": "abc"}
    ]
    text = Path(result.report_path.replace(".json", ".txt")).read_text("utf-8")
    assert "line 3459: value is not a finite number" in text


def test_unknown_sensor_and_duplicate_reading_are_bad_rows(db, tmp_path):
    path = tmp_path / "unknown.csv"
    path.write_text(
        "sensor_id,ts,metric,value\n"
        "AIR-006,2026-11-24T08:00:00+08:00,pm25,10\n"
        "NOPE-1,2026-11-24T08:00:00+08:00,pm25,10\n"
        "AIR-006,2026-11-24T00:00:00Z,pm25,11\n"
        "AIR-006,2026-11-24T08:00:00+08:00,PM2.5,10\n",
        encoding="utf-8",
    )
    result = ingest_file(db, path, now=NOW)
    reasons = {b.line: b.reason for b in result.bad_rows}
    assert result.status == "failed" and set(reasons) == {3, 4, 5}
    assert "unknown sensor_id" in reasons[3]
    assert "duplicate reading" in reasons[4] and "line 2" in reasons[4]
    assert "lower_snake_case" in reasons[5]


def test_parquet_observations_with_zoned_timestamps(db, tmp_path):
    n = 300_000  # more than one append chunk
    table = pa.table(
        {
            "sensor_id": pa.array(np.where(np.arange(n) % 2, "AIR-007", "AIR-008")),
            "ts": pa.array(pd.date_range("2025-01-01", periods=n, freq="min", tz="Asia/Shanghai")),
            "metric": pa.array(["pm25"] * n),
            "value": pa.array(np.arange(n, dtype=float) % 150),
        }
    )
    path = tmp_path / "history.parquet"
    pq.write_table(table, path)
    result = ingest_file(db, path, now=NOW, progress=True)
    assert result.status == "loaded", (result.reason, result.bad_rows[:3])
    assert result.rows_loaded == n and result.line_unit == "row"
    first = db.query_value("SELECT min(ts) FROM observations WHERE source = 'file:history.parquet'")
    assert first == datetime(2024, 12, 31, 16)


def test_naive_parquet_timestamps_need_a_declared_zone(db, tmp_path):
    table = pa.table(
        {"sensor_id": ["AIR-009"], "ts": pa.array([datetime(2026, 1, 1)]), "pm25": [3.0]}
    )
    path = tmp_path / "naive.parquet"
    pq.write_table(table, path)
    result = ingest_file(db, path, now=NOW)
    assert result.status == "failed" and "no time zone" in result.reason


def test_kind_detection_and_unknown_columns(db, tmp_path):
    assert detect_kind(["设备编号", "监测时间", "pm25"]) == "observations"
    assert detect_kind(["sensor_id", "kind", "经度", "纬度", "interval_s"]) == "sensors"
    assert detect_kind(["工单编号", "受理时间"]) == "hotline"
    path = tmp_path / "what.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    result = ingest_file(db, path, now=NOW)
    assert result.status == "failed" and "cannot tell" in result.reason
    missing = tmp_path / "missing.csv"
    missing.write_text("sensor_id,kind,lon,lat\nX-1,air,116.6,23.6\n", encoding="utf-8")
    result = ingest_file(db, missing, now=NOW)
    assert result.status == "failed" and "missing column(s) interval_s" in result.reason


def test_observations_from_the_future_are_bad_rows_but_old_ones_load(db, tmp_path):
    future = tmp_path / "future.csv"
    future.write_text(
        "sensor_id,ts,metric,value\n"
        "AIR-001,2026-11-25T09:03:00Z,pm25,11\n"  # 3 minutes ahead: within the skew
        "AIR-001,2099-01-01T00:00:00+08:00,pm25,12\n",
        encoding="utf-8",
    )
    result = ingest_file(db, future, now=NOW)
    assert result.status == "failed" and [b.line for b in result.bad_rows] == [3]
    assert "ingest.max_clock_skew_s" in result.bad_rows[0].reason
    assert result.bad_rows[0].column == "ts"
    historic = tmp_path / "historic.csv"
    historic.write_text(
        "sensor_id,ts,metric,value\nAIR-001,2019-03-01T08:00:00+08:00,pm25,13\n",
        encoding="utf-8",
    )
    old = ingest_file(db, historic, now=NOW)
    assert old.status == "loaded", old.bad_rows  # historic files are exactly for old data


def test_readings_outside_their_metric_plausible_range_are_bad_rows(db, tmp_path):
    """Issue 10 part R (a): the same range table as MQTT, long and wide files alike."""
    long = tmp_path / "implausible_long.csv"
    long.write_text(
        "sensor_id,ts,metric,value\n"
        "AIR-006,2026-11-24T08:00:00+08:00,pm25,10\n"
        "AIR-006,2026-11-24T09:00:00+08:00,pm25,1e308\n"
        "AIR-006,2026-11-24T10:00:00+08:00,co,-0.5\n"
        "AIR-006,2026-11-24T11:00:00+08:00,pm10,2000\n",
        encoding="utf-8",
    )
    result = ingest_file(db, long, now=NOW)
    reasons = {b.line: (b.column, b.reason) for b in result.bad_rows}
    assert result.status == "failed" and set(reasons) == {3, 4}, reasons
    assert reasons[3][0] == "value" and "pm25" in reasons[3][1] and "0–2000" in reasons[3][1]
    assert "co" in reasons[4][1] and "0–200 mg/m³" in reasons[4][1]
    assert _obs_count(db, "implausible_long.csv") == 0
    wide = tmp_path / "implausible_wide.csv"
    wide.write_text(
        "sensor_id,ts,pm25,pm10\n"
        "AIR-006,2026-11-24T08:00:00+08:00,10,20\n"
        "AIR-006,2026-11-24T09:00:00+08:00,10,2500\n",
        encoding="utf-8",
    )
    result = ingest_file(db, wide, now=NOW)
    assert result.status == "failed"
    assert [(b.line, b.column) for b in result.bad_rows] == [(3, "pm10")]
    assert "pm10" in result.bad_rows[0].reason and "0–2000" in result.bad_rows[0].reason
