"""The drop folder: settled files load and move to done/ or failed/ with their reports."""

from __future__ import annotations

import json
import shutil
import threading
import time
from datetime import datetime
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from ingest.files import FileResult, ingest_paths, scan_once, watch_folder
from ingest.files.watch import FolderState
from models.store import Store

DATA = Path(__file__).parent / "data"
NOW = datetime(2026, 11, 24, 3)


@pytest.fixture
def db(tmp_path):
    store = Store(tmp_path / "watch.duckdb")
    yield store
    store.close()


def _wait_for(condition, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_watched_folder_loads_good_files_and_keeps_bad_ones(db, tmp_path):
    drop = tmp_path / "drop"
    drop.mkdir()
    results: list[FileResult] = []
    stop = threading.Event()
    thread = threading.Thread(
        target=watch_folder,
        args=(db, drop),
        kwargs={"poll_s": 0.1, "stop": stop, "now": lambda: NOW, "on_result": results.append},
        daemon=True,
    )
    thread.start()
    try:
        # a partial upload and a dotfile are never touched
        (drop / "upload.xml.part").write_text("<alert", "utf-8")
        (drop / ".hidden.xml").write_text("<alert", "utf-8")
        staged = drop / "rain.xml.part"
        shutil.copy(DATA / "cap_rainstorm_polygon.xml", staged)
        staged.rename(drop / "rain.xml")
        (drop / "broken.xml").write_text("<alert>not CAP</alert>", "utf-8")
        assert _wait_for(lambda: len(results) == 2), results
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()
    assert (drop / "done" / "rain.xml").exists() and not (drop / "rain.xml").exists()
    report = json.loads((drop / "done" / "rain.xml.report.json").read_text("utf-8"))
    assert report["status"] == "loaded" and report["kind"] == "cap"
    assert "status:   LOADED" in (drop / "done" / "rain.xml.report.txt").read_text("utf-8")
    assert (drop / "failed" / "broken.xml").exists()
    failed = json.loads((drop / "failed" / "broken.xml.report.json").read_text("utf-8"))
    assert failed["status"] == "failed" and "CAP refused" in failed["reason"]
    assert (drop / "upload.xml.part").exists() and (drop / ".hidden.xml").exists()
    logged = db.query_rows("SELECT path, status, report_path FROM ingest_files ORDER BY path")
    assert logged == [
        (str(drop / "done" / "rain.xml"), "loaded", str(drop / "done" / "rain.xml.report.json")),
        (
            str(drop / "failed" / "broken.xml"),
            "failed",
            str(drop / "failed" / "broken.xml.report.json"),
        ),
    ]
    audit = db.query_rows(
        "SELECT actor, outcome FROM audit_log WHERE action = 'ingest.file' ORDER BY outcome"
    )
    assert audit == [("drop-folder", "failed"), ("drop-folder", "ok")]


def test_a_file_is_loaded_only_once_its_size_is_stable(db, tmp_path):
    drop = tmp_path / "drop"
    drop.mkdir()
    state = FolderState()
    growing = drop / "rain.xml"
    text = (DATA / "cap_rainstorm_polygon.xml").read_text("utf-8")
    growing.write_text(text[:200], "utf-8")
    assert scan_once(db, drop, state, lambda: NOW) == []  # first sight
    growing.write_text(text, "utf-8")
    assert scan_once(db, drop, state, lambda: NOW) == []  # it grew: wait again
    results = scan_once(db, drop, state, lambda: NOW)
    assert [r.status for r in results] == ["loaded"]
    assert (drop / "done" / "rain.xml").exists()
    # the same name again later gets its own place in done/, reported as a duplicate
    shutil.copy(drop / "done" / "rain.xml", growing)
    scan_once(db, drop, state, lambda: NOW)
    again = scan_once(db, drop, state, lambda: NOW)
    assert again[0].duplicate_of == results[0].file_id
    assert (drop / "done" / "rain-1.xml").exists()
    assert (drop / "done" / "rain-1.xml.report.json").exists()


def test_ingest_paths_loads_each_file_in_turn(db, tmp_path):
    paths = []
    for name in ("cap_rainstorm_polygon.xml", "cap_typhoon_circle.xml"):
        shutil.copy(DATA / name, tmp_path / name)
        paths.append(tmp_path / name)
    paths.append(tmp_path / "missing.csv")
    results = ingest_paths(db, paths, now=NOW, report_dir=tmp_path / "reports")
    assert [r.status for r in results] == ["loaded", "loaded", "failed"]
    assert "no such file" in results[2].reason
    assert (tmp_path / "reports" / "cap_typhoon_circle.xml.report.json").exists()


def test_a_shapefile_set_moves_as_one_and_loads_once(db, tmp_path):
    drop = tmp_path / "drop"
    drop.mkdir()
    squares = [
        shapely.box(668_000 + i * 100, 2_618_000, 668_100 + i * 100, 2_618_100) for i in range(3)
    ]
    grid = gpd.GeoDataFrame(
        {"code": [f"445102008006{901 + i}" for i in range(3)]}, geometry=squares, crs="EPSG:32650"
    )
    grid.to_file(drop / "cells.shp", engine="pyogrio")
    parts = sorted(p.name for p in drop.iterdir())
    state = FolderState()
    assert scan_once(db, drop, state, lambda: NOW) == []
    results = scan_once(db, drop, state, lambda: NOW)
    assert [(r.kind, r.status, r.rows_loaded) for r in results] == [("grid", "loaded", 3)]
    assert sorted(p.name for p in (drop / "done").iterdir() if ".report." not in p.name) == parts
    assert not any(p.is_file() for p in drop.iterdir())
    assert any("no administrative areas" in w for w in results[0].warnings)


def test_files_over_the_size_limit_are_refused(db, tmp_path):
    path = tmp_path / "rain.xml"
    shutil.copy(DATA / "cap_rainstorm_polygon.xml", path)
    result = ingest_paths(db, [path], now=NOW, max_bytes=100)[0]
    assert result.status == "failed" and "larger than the limit 100" in result.reason
    assert db.query_value("SELECT count(*) FROM alerts") == 0
