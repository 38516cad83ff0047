"""The diff of two grid versions: pure on small GeoDataFrames, and over a real DuckDB store
(two versions written by the file importer)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import geopandas as gpd
import shapely

from models.grid_diff import diff_cells


def square(x: float, y: float, size: float = 0.01) -> shapely.Polygon:
    return shapely.box(x, y, x + size, y + size)


def grid(
    rows: list[tuple[str, shapely.Geometry, str | None, list[str] | None]],
) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "cell_code": [r[0] for r in rows],
            "responsible_body": [r[2] for r in rows],
            "grid_workers": [r[3] for r in rows],
        },
        geometry=[r[1] for r in rows],
        crs="EPSG:4326",
    )


CODE = "445102001001{:03d}"


def test_added_removed_reshaped_and_duty_changes():
    old = grid(
        [
            (CODE.format(1), square(116.60, 23.60), "A", ["w1"]),
            (CODE.format(2), square(116.61, 23.60), "A", ["w1", "w2"]),
            (CODE.format(3), square(116.62, 23.60), None, None),
            (CODE.format(4), square(116.63, 23.60), "B", ["w3"]),
            (CODE.format(5), square(116.64, 23.60), "B", []),
        ]
    )
    new = grid(
        [
            (CODE.format(1), square(116.60, 23.60), "A", ["w1"]),  # unchanged
            (CODE.format(2), square(116.61, 23.60), "A", ["w2", "w1"]),  # same workers
            (CODE.format(3), square(116.62, 23.60, 0.012), None, None),  # reshaped
            (CODE.format(4), square(116.63, 23.60), "C", ["w3"]),  # another body
            (CODE.format(6), square(116.65, 23.60), "B", []),  # added; 5 removed
        ]
    )
    new.loc[new["cell_code"] == CODE.format(5), "grid_workers"] = None
    diff = diff_cells(old, new)
    assert diff.added == [CODE.format(6)]
    assert diff.removed == [CODE.format(5)]
    assert diff.geometry == [CODE.format(3)]
    assert diff.duty == [CODE.format(4)]
    assert diff.counts() == {"added": 1, "removed": 1, "geometry": 1, "duty": 1, "unchanged": 2}
    assert diff.fields[CODE.format(4)] == ("responsible_body",)
    assert diff.kind_of()[CODE.format(3)] == "geometry"


def test_a_round_trip_through_a_file_is_no_change(tmp_path: Path):
    old = grid([(CODE.format(i), square(116.6 + i * 0.01, 23.6), "A", ["w"]) for i in range(20)])
    # the same polygons with a vertex added on an edge and rings starting elsewhere
    shifted = [
        shapely.Polygon(list(g.exterior.coords)[2:-1] + list(g.exterior.coords)[:3])
        for g in old.geometry
    ]
    shifted[0] = shapely.Polygon(
        [(116.6, 23.6), (116.605, 23.6), (116.61, 23.6), (116.61, 23.61), (116.6, 23.61)]
    )
    new = old.copy()
    new["geometry"] = shifted
    new.to_file(tmp_path / "g.geojson")
    back = gpd.read_file(tmp_path / "g.geojson")
    back["grid_workers"] = old["grid_workers"]
    diff = diff_cells(old, back)
    assert diff.empty and diff.unchanged == 20
    moved = back.copy()
    moved.loc[0, "geometry"] = shapely.affinity.translate(moved.geometry.iloc[0], xoff=1e-5)
    assert diff_cells(old, moved).geometry == [CODE.format(0)]


def test_workers_as_text_or_lists_and_empty_bodies_compare_alike():
    old = grid([(CODE.format(1), square(116.6, 23.6), "", ["a", "b"])])
    new = grid([(CODE.format(1), square(116.6, 23.6), None, ["b", "a"])])
    assert diff_cells(old, new).empty
    new.loc[0, "grid_workers"] = ["a"]
    assert diff_cells(old, new).duty == [CODE.format(1)]
    assert diff_cells(old, new).fields[CODE.format(1)] == ("grid_workers",)


def test_versions_in_the_store(store, tmp_path: Path):
    from ingest.files.runner import ingest_file
    from models.grid_versions import diff_versions, list_versions

    cells = [(CODE.format(i), square(116.6 + i * 0.01, 23.6), "A", "w") for i in range(1, 5)]
    first = grid([(c, g, b, None) for c, g, b, _ in cells])
    first["grid_workers"] = "w"
    first.to_file(tmp_path / "v1.geojson")
    second = first[first["cell_code"] != CODE.format(4)].copy()
    second.loc[0, "responsible_body"] = "B"
    second.loc[1, "geometry"] = square(116.62, 23.6, 0.005)
    second.to_file(tmp_path / "v2.geojson")
    t1, t2 = datetime(2026, 1, 1), datetime(2026, 6, 1)
    assert ingest_file(store, tmp_path / "v1.geojson", kind="grid", now=t1).ok
    result = ingest_file(
        store, tmp_path / "v2.geojson", kind="grid", now=t2, valid_from=datetime(2026, 5, 1)
    )
    assert result.ok, result.reason
    second.loc[0, "responsible_body"] = "C"
    second.to_file(tmp_path / "v3.geojson")
    early = ingest_file(
        store, tmp_path / "v3.geojson", kind="grid", now=t2, valid_from=datetime(2026, 4, 1)
    )  # a start before the current one's: refused inside the transaction, nothing written
    assert not early.ok and "not after the current version's start" in str(early.reason)
    listed = list_versions(store)
    assert list(listed["version_id"]) == [2, 1]
    assert listed.iloc[1]["valid_to"] == datetime(2026, 5, 1) == listed.iloc[0]["valid_from"]
    assert listed.iloc[0]["imported_at"] == t2
    diff, drawn = diff_versions(store, 1, 2)
    assert diff.removed == [CODE.format(4)]
    assert diff.duty == [CODE.format(1)]
    assert diff.geometry == [CODE.format(2)]
    assert diff.unchanged == 1
    kinds = dict(zip(drawn["cell_code"], drawn["kind"]))
    assert kinds == {
        CODE.format(1): "duty",
        CODE.format(2): "geometry",
        CODE.format(3): "unchanged",
        CODE.format(4): "removed",
    }
