"""load_cells with a box reads only the cells whose stored bounds meet it, and misses none of
the cells that meet the box (the dispatch pane's small map asked for a whole district's
cells, thousands of polygons, to keep a few dozen)."""

from __future__ import annotations

from models.geography import load_cells
from models.security import Scope
from models.store import Store


def test_a_box_keeps_every_cell_that_meets_it(demo_copy):
    with Store(demo_copy() / "cityops.duckdb") as store:
        district = load_cells(store, scope=Scope("district", ("445102",)))
        lon, lat = (
            float(district["centroid_lon"].median()),
            float(district["centroid_lat"].median()),
        )
        west, south, east, north = lon - 0.01, lat - 0.01, lon + 0.01, lat + 0.01
        boxed = load_cells(
            store, scope=Scope("district", ("445102",)), bbox=(west, south, east, north)
        )
        expected = set(district.cx[west:east, south:north]["cell_code"])
        got = set(boxed.cx[west:east, south:north]["cell_code"])
        assert expected and got == expected
        assert len(boxed) < len(district) / 5
