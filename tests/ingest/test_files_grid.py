"""Grid file imports: every format, CRS rules, topology checks, versioning, idempotent reloads."""

from __future__ import annotations

import json
import shutil
import zipfile
from datetime import datetime
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from ingest.demo_city.generate import DemoCity, generate_demo_city
from ingest.demo_city.load import load_demo_city
from ingest.files import ingest_file
from models.store import Store

pytestmark = pytest.mark.filterwarnings("ignore:.*(truncated|Normalized/laundered).*")
DEMO_NOW = datetime(2026, 11, 24)
COMMUNITY = "445102008006"  # 14 cells in the demo city
UTM = "EPSG:32650"


@pytest.fixture(scope="module")
def city() -> DemoCity:
    return generate_demo_city()


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory, city: DemoCity):
    store = Store(tmp_path_factory.mktemp("grid") / "x.duckdb")
    load_demo_city(store, city, now=DEMO_NOW)
    yield store
    store.close()


@pytest.fixture(scope="module")
def cells(city: DemoCity) -> gpd.GeoDataFrame:
    """A few demo cells as a grid file would carry them (Chinese column names included)."""
    part = city.cells[city.cells["community_code"] == COMMUNITY]
    return gpd.GeoDataFrame(
        {
            "网格编码": part["cell_code"].values,
            "responsible_body": part["responsible_body"].values,
            "grid_workers": [";".join(w) for w in part["grid_workers"]],
        },
        geometry=part.geometry.values,
        crs="EPSG:4326",
    )


def _squares(n: int = 3, size: float = 100.0) -> gpd.GeoDataFrame:
    """An n×n block of 100 m squares in UTM 50N near the old city, with valid codes."""
    x0, y0 = 668_000.0, 2_618_000.0
    geoms, codes = [], []
    for row in range(n):
        for col in range(n):
            x, y = x0 + col * size, y0 - row * size
            geoms.append(shapely.box(x, y - size, x + size, y))
            codes.append(f"{COMMUNITY}{row * n + col + 901:03d}")
    return gpd.GeoDataFrame({"cell_code": codes}, geometry=geoms, crs=UTM).to_crs("EPSG:4326")


def _versions(db: Store) -> int:
    return db.query_value("SELECT count(*) FROM grid_versions")


def _load(db: Store, path: Path, at: datetime, **kw):
    return ingest_file(db, path, now=at, **kw)


def test_geojson_becomes_new_version_closing_the_previous(db, cells, tmp_path):
    before = db.query_value("SELECT max(version_id) FROM grid_versions WHERE valid_to IS NULL")
    path = tmp_path / "cells.geojson"
    cells.to_file(path, driver="GeoJSON", engine="pyogrio")
    at = datetime(2026, 12, 1, 8)
    result = _load(db, path, at)
    assert result.status == "loaded", result.reason
    assert result.kind == "grid" and result.rows_loaded == len(cells)
    new = result.details["grid_version"]
    assert new == before + 1 and result.details["closed_versions"] == [before]
    rows = dict(db.query_rows("SELECT version_id, valid_to FROM grid_versions"))
    assert rows[before] == at and rows[new] is None
    assert db.query_value("SELECT valid_from FROM grid_versions WHERE version_id = ?", [new]) == at
    stored = db.query_df("SELECT * FROM grid_cells WHERE version_id = ? ORDER BY cell_code", [new])
    assert list(stored["cell_code"]) == sorted(cells["网格编码"])
    first = stored.iloc[0]
    assert first["district_code"] == "445102" and first["street_code"] == "445102008"
    assert first["community_code"] == COMMUNITY and first["seq"] == int(first["cell_code"][12:])
    assert list(first["grid_workers"]) and first["responsible_body"]
    assert first["min_lon"] < first["centroid_lon"] < first["max_lon"]
    original = cells.set_index("网格编码").to_crs(UTM).geometry.area
    assert stored.set_index("cell_code")["area_m2"].to_dict() == pytest.approx(
        original.to_dict(), rel=1e-6
    )
    log = db.query_rows(
        "SELECT status, kind, sha256 FROM ingest_files WHERE file_id = ?", [result.file_id]
    )
    assert log == [("loaded", "grid", result.sha256)]


def test_reloading_the_same_grid_file_is_idempotent(db, cells, tmp_path):
    path = tmp_path / "again.geojson"
    cells.to_file(path, driver="GeoJSON", engine="pyogrio")
    first = _load(db, path, datetime(2026, 12, 2))
    versions = _versions(db)
    copy = tmp_path / "copy-with-other-name.geojson"
    shutil.copy(path, copy)
    second = _load(db, copy, datetime(2026, 12, 3))
    assert first.ok and second.ok
    assert second.duplicate_of == first.file_id and second.rows_loaded == 0
    assert "already loaded" in second.summary
    assert _versions(db) == versions


@pytest.mark.parametrize("fmt", ["gpkg", "shp-zip", "shp-folder", "shp-file", "geoparquet"])
def test_every_grid_format_loads_and_is_reprojected(db, cells, tmp_path, fmt):
    metric = cells.to_crs(UTM).rename(columns={"网格编码": "code"})  # stored in UTM: reprojected
    metric["code"] = metric["code"].astype("int64")  # numeric codes, as shapefiles often have
    metric["responsible_body"] = f"单位 {fmt}"  # each format its own content (sha256)
    folder = tmp_path / "shape"
    folder.mkdir()
    if fmt == "gpkg":
        path = tmp_path / "cells.gpkg"
        metric.to_file(path, driver="GPKG", engine="pyogrio")
    elif fmt == "geoparquet":
        path = tmp_path / "cells.parquet"
        metric.to_parquet(path)
    else:
        metric.to_file(folder / "cells.shp", engine="pyogrio", encoding="utf-8")
        path = {"shp-folder": folder, "shp-file": folder / "cells.shp"}.get(fmt)
        if path is None:
            path = tmp_path / "cells.zip"
            with zipfile.ZipFile(path, "w") as archive:
                for member in folder.iterdir():
                    archive.write(member, f"grid/{member.name}")
    result = _load(db, path, datetime(2026, 12, 5))
    assert result.status == "loaded", result.reason
    version = result.details["grid_version"]
    stored = db.query_df(
        "SELECT cell_code, centroid_lon, responsible_body FROM grid_cells "
        "WHERE version_id = ? ORDER BY cell_code",
        [version],
    )
    assert list(stored["cell_code"]) == sorted(cells["网格编码"])
    assert set(stored["responsible_body"]) == {f"单位 {fmt}"}
    expected = cells.to_crs(UTM).centroid.to_crs("EPSG:4326")
    assert stored["centroid_lon"].min() == pytest.approx(expected.x.min(), abs=1e-7)


def test_a_file_without_crs_is_refused_unless_geojson(db, cells, tmp_path):
    plain = cells.rename(columns={"网格编码": "code"})[["code", "geometry"]]
    plain.to_file(tmp_path / "nocrs.shp", engine="pyogrio")
    (tmp_path / "nocrs.prj").unlink()
    versions = _versions(db)
    result = _load(db, tmp_path / "nocrs.shp", datetime(2026, 12, 6))
    assert result.status == "failed" and "no CRS" in result.reason
    assert _versions(db) == versions


def test_self_intersecting_ring_loads_nothing_and_names_the_feature(db, tmp_path):
    grid = _squares()
    x0, y0, x1, y1 = grid.geometry.iloc[4].bounds
    grid.loc[4, "geometry"] = shapely.Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1), (x0, y0)])
    path = tmp_path / "bowtie.geojson"
    grid.to_file(path, driver="GeoJSON", engine="pyogrio")
    versions, count = _versions(db), db.query_value("SELECT count(*) FROM grid_cells")
    result = _load(db, path, datetime(2026, 12, 7))
    assert result.status == "failed" and result.line_unit == "feature"
    assert [(b.line, b.column) for b in result.bad_rows] == [(4, "geometry")]
    assert "Self-intersection" in result.bad_rows[0].reason
    assert _versions(db) == versions
    assert db.query_value("SELECT count(*) FROM grid_cells") == count
    report = json.loads(Path(result.report_path).read_text("utf-8"))
    assert report["status"] == "failed" and report["bad_rows"][0]["line"] == 4


def test_overlapping_cells_are_bad_rows_naming_both_codes(db, tmp_path):
    grid = _squares().to_crs(UTM)
    grid.loc[5, "geometry"] = shapely.affinity.translate(grid.geometry.iloc[5], xoff=-30)
    path = tmp_path / "overlap.geojson"
    grid.to_crs("EPSG:4326").to_file(path, driver="GeoJSON", engine="pyogrio")
    versions = _versions(db)
    result = _load(db, path, datetime(2026, 12, 8))
    assert result.status == "failed"
    bad = result.bad_rows
    assert len(bad) == 1 and bad[0].line == 5
    assert grid["cell_code"][5] in bad[0].reason and grid["cell_code"][4] in bad[0].reason
    assert "by 3000.0 m²" in bad[0].reason
    assert _versions(db) == versions


def test_snapping_slivers_are_a_warning_not_an_overlap(db, tmp_path):
    grid = _squares().to_crs(UTM)
    # 2 cm × 100 m = 2 m²: above the area tolerance, but a sliver, as snapping leaves
    grid.loc[5, "geometry"] = shapely.affinity.translate(grid.geometry.iloc[5], xoff=-0.02)
    path = tmp_path / "sliver.geojson"
    grid.to_crs("EPSG:4326").to_file(path, driver="GeoJSON", engine="pyogrio")
    result = _load(db, path, datetime(2026, 12, 9))
    assert result.status == "loaded", [b.reason for b in result.bad_rows]
    assert any(w.startswith("1 sliver overlap(s)") for w in result.warnings), result.warnings


def test_the_whole_demo_grid_reimports_cleanly(db, city, tmp_path):
    whole = city.cells[["cell_code", "responsible_body", "geometry"]]
    path = tmp_path / "demo.parquet"
    whole.to_parquet(path)
    result = _load(db, path, datetime(2026, 12, 20))
    assert result.status == "loaded", [b.reason for b in result.bad_rows[:5]]
    assert result.rows_loaded == len(whole)
    assert not any(w.startswith("gap of") for w in result.warnings), result.warnings[:3]


def test_a_gap_is_a_warning_with_its_area_and_place(db, tmp_path):
    grid = _squares()
    hole = grid.geometry.iloc[4]
    grid = grid.drop(index=4)
    path = tmp_path / "gap.geojson"
    grid.to_file(path, driver="GeoJSON", engine="pyogrio")
    result = _load(db, path, datetime(2026, 12, 10))
    assert result.status == "loaded" and result.rows_loaded == 8
    gaps = [w for w in result.warnings if w.startswith("gap of")]
    assert len(gaps) == 1 and gaps[0].startswith("gap of 10000.0 m²")
    lon = float(gaps[0].split("lon ")[1].split(",")[0])
    lat = float(gaps[0].split("lat ")[1])
    assert hole.contains(shapely.Point(lon, lat))
    assert "gap of" in Path(result.report_path).with_suffix(".txt").read_text("utf-8")


def test_duplicate_and_malformed_codes_are_bad_rows(db, tmp_path):
    grid = _squares()
    grid.loc[3, "cell_code"] = grid["cell_code"][2]
    grid.loc[7, "cell_code"] = "44510200800690"  # 14 digits
    path = tmp_path / "codes.geojson"
    grid.to_file(path, driver="GeoJSON", engine="pyogrio")
    result = _load(db, path, datetime(2026, 12, 11))
    assert result.status == "failed"
    reasons = {b.line: b.reason for b in result.bad_rows}
    assert "duplicate cell code" in reasons[3] and "feature 2" in reasons[3]
    assert "not 15 digits" in reasons[7]


def test_missing_code_column_fails_with_the_columns_expected(db, tmp_path):
    grid = _squares().rename(columns={"cell_code": "name"})
    path = tmp_path / "nocode.geojson"
    grid.to_file(path, driver="GeoJSON", engine="pyogrio")
    result = _load(db, path, datetime(2026, 12, 12))
    assert result.status == "failed" and "cell_code / code / grid_code" in result.reason


def test_cases_keep_their_grid_version_after_regridding(db, cells, tmp_path):
    db.write(
        lambda tx: tx.execute(
            "INSERT INTO cases (case_id, source, reported_at, grid_version, cell_code, stage) "
            "VALUES ('T-1', 'grid_worker', ?, 1, ?, 'reported')",
            [DEMO_NOW, cells["网格编码"][0]],
        )
    )
    path = tmp_path / "regrid.geojson"
    shifted = cells.assign(responsible_body="新责任单位")
    shifted.to_file(path, driver="GeoJSON", engine="pyogrio")
    result = _load(db, path, datetime(2026, 12, 13))
    assert result.ok and result.details["grid_version"] > 1
    assert db.query_rows("SELECT grid_version FROM cases WHERE case_id = 'T-1'") == [(1,)]
