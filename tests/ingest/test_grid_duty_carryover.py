"""A new grid version loaded from a file without responsible bodies / grid workers keeps those
of the closed version's cell of the same code (the admin's 权责清单 is not lost); a value in
the file wins; a brand-new code gets none and is counted in the load report."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import geopandas as gpd
import pytest

from ingest.files import ingest_file
from models.duties import SHEETS, DutyRow, DutyTables
from models.duties_store import import_duties
from models.geography import current_grid_version, load_cells
from models.grid_carryover import carry_duties
from models.grid_versions import diff_versions
from models.store import Store

pytestmark = pytest.mark.filterwarnings("ignore:.*(truncated|Normalized/laundered).*")
BODY = "测试责任单位（权责清单）"


@pytest.fixture
def store(demo_copy):
    folder = demo_copy()
    s = Store(folder / "cityops.duckdb")
    yield s
    s.close()


def _set_duty(store: Store, code: str, body: str, workers: tuple[str, ...]) -> None:
    """What an admin does in the 权责清单 tab: one row of the cells sheet imported."""
    values = dict(zip(SHEETS["cells"], (code, "", body, "、".join(workers)), strict=True))
    result = import_duties(store, DutyTables(cells=[DutyRow(2, values)]), actor="admin")
    assert result.cells == 1


def _later(store: Store) -> datetime:
    start = store.query_value("SELECT max(valid_from) FROM grid_versions WHERE valid_to IS NULL")
    return start + timedelta(days=1)


def _write(gdf: gpd.GeoDataFrame, path: Path) -> Path:
    gdf.to_file(path, driver="GeoJSON", engine="pyogrio")
    return path


def test_a_regridding_file_without_duties_keeps_the_list_a_given_body_wins(store, tmp_path):
    old_version = current_grid_version(store)
    cells = load_cells(store)
    community = cells["community_code"].value_counts().index[0]
    part = cells[cells["community_code"] == community].sort_values("cell_code")
    part = part.reset_index(drop=True)
    assert len(part) >= 4
    edited, given, renamed = part["cell_code"][0], part["cell_code"][1], part["cell_code"][2]
    workers = tuple(sorted({w for ws in cells["grid_workers"] for w in ws})[:2])
    _set_duty(store, edited, BODY, workers)
    previous = store.query_rows(
        "SELECT responsible_body, grid_workers FROM grid_cells "
        "WHERE version_id = ? AND cell_code = ?",
        [old_version, given],
    )[0]
    new_code = f"{community}901"
    assert new_code not in set(cells["cell_code"])
    codes = [new_code if c == renamed else c for c in part["cell_code"]]
    # a re-gridding file: codes and geometry; one cell's body given (it wins), no workers
    bodies = ["文件里的单位" if c == given else None for c in codes]
    grid = gpd.GeoDataFrame(
        {"cell_code": codes, "responsible_body": bodies},
        geometry=part.geometry.values,
        crs="EPSG:4326",
    )
    result = ingest_file(store, _write(grid, tmp_path / "regrid.geojson"), now=_later(store))
    assert result.ok, result.reason
    version = result.details["grid_version"]
    stored = {
        code: (body, tuple(ws))
        for code, body, ws in store.query_rows(
            "SELECT cell_code, responsible_body, grid_workers FROM grid_cells WHERE version_id = ?",
            [version],
        )
    }
    assert stored[edited] == (BODY, workers)  # the admin's list survives the re-gridding
    assert stored[given] == ("文件里的单位", tuple(previous[1]))  # the file's body wins
    assert stored[new_code] == (None, ())  # a brand-new code has none
    old = {
        code: (body, tuple(ws))
        for code, body, ws in store.query_rows(
            "SELECT cell_code, responsible_body, grid_workers FROM grid_cells WHERE version_id = ?",
            [old_version],
        )
    }
    carried = [c for c in codes if c not in (given, new_code)]
    assert all(stored[c] == old[c] for c in carried)
    details = result.details
    assert details["duties_from_version"] == old_version
    assert details["cells_kept_body"] == sum(old[c][0] is not None for c in carried)
    assert details["cells_kept_workers"] == sum(bool(old[c][1]) for c in carried + [given])
    assert details["new_cells_without_body"] == 1
    assert details["new_cells_without_workers"] == 1
    assert any(new_code in w and "权责清单" in w for w in result.warnings), result.warnings
    text = Path(result.report_path).with_suffix(".txt").read_text("utf-8")
    assert "cells_kept_body" in text and "new_cells_without_body: 1" in text
    diff, _drawn = diff_versions(store, old_version, version)
    assert diff.duty == [given] and diff.fields[given] == ("responsible_body",)
    assert diff.added == [new_code] and renamed in diff.removed
    assert edited not in diff.kind_of()


def test_a_file_giving_bodies_and_workers_writes_them_over_the_list(store, tmp_path):
    old_version = current_grid_version(store)
    part = load_cells(store).sort_values("cell_code").head(3).reset_index(drop=True)
    _set_duty(store, part["cell_code"][0], BODY, ())
    grid = gpd.GeoDataFrame(
        {
            "cell_code": part["cell_code"],
            "责任主体": ["甲单位", "乙单位", "丙单位"],
            "网格员": ["gw-a", "gw-b;gw-c", "gw-d"],
        },
        geometry=part.geometry.values,
        crs="EPSG:4326",
    )
    result = ingest_file(store, _write(grid, tmp_path / "full.geojson"), now=_later(store))
    assert result.ok, result.reason
    rows = store.query_rows(
        "SELECT responsible_body, grid_workers FROM grid_cells WHERE version_id = ? "
        "ORDER BY cell_code",
        [result.details["grid_version"]],
    )
    assert rows == [("甲单位", ["gw-a"]), ("乙单位", ["gw-b", "gw-c"]), ("丙单位", ["gw-d"])]
    assert result.details["cells_kept_body"] == result.details["cells_kept_workers"] == 0
    assert result.details["duties_from_version"] == old_version


def test_carry_duties_is_pure_and_counts_what_it_did():
    previous = {
        "A": ("甲", ("w1",)),
        "B": (None, ("w2",)),
        "C": ("丙", ()),
    }
    out = carry_duties(
        ["A", "B", "C", "N"],
        [None, "  ", "文件", None],
        [[], ["f1"], [], []],
        previous,
        previous_version=7,
    )
    assert out.bodies == ["甲", None, "文件", None]
    assert out.workers == [["w1"], ["f1"], [], []]
    assert (out.kept_body, out.kept_workers, out.kept) == (1, 1, 1)
    assert out.new_without_body == ["N"] and out.new_without_workers == ["N"]
    first = carry_duties(["A"], [None], [[]], {}, previous_version=None)
    assert first.bodies == [None] and first.kept == 0 and first.new_without_body == ["A"]
