"""Cell population: a grid file may carry it (bad figures are bad rows, empty is unknown),
and the demo's synthetic figures add up to each district's total."""

from __future__ import annotations

from datetime import datetime

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from ingest.demo_city.population import DISTRICT_TOTALS, synthetic_population
from ingest.files import ingest_file

pytestmark = pytest.mark.filterwarnings("ignore:.*(truncated|Normalized/laundered).*")
AT = datetime(2026, 12, 1, 8)


def _grid(populations: list) -> gpd.GeoDataFrame:
    geoms = [shapely.box(116.60 + i * 0.01, 23.60, 116.61 + i * 0.01, 23.61) for i in range(4)]
    codes = [f"445102001001{i + 1:03d}" for i in range(4)]
    return gpd.GeoDataFrame(
        {"cell_code": codes, "人口": populations}, geometry=geoms, crs="EPSG:4326"
    )


def test_a_population_column_is_loaded_and_empty_is_unknown(store, tmp_path):
    path = tmp_path / "cells.geojson"
    _grid(["1,200", None, "35", " "]).to_file(path, driver="GeoJSON", engine="pyogrio")
    result = ingest_file(store, path, now=AT)
    assert result.status == "loaded", result.reason
    rows = store.query_rows("SELECT cell_code, population FROM grid_cells ORDER BY cell_code")
    assert [p for _c, p in rows] == [1200, None, 35, None]


def test_numbers_from_a_numeric_column(store, tmp_path):
    path = tmp_path / "cells.gpkg"
    _grid([10.0, np.nan, 0.0, 999_999.0]).to_file(path, driver="GPKG", engine="pyogrio")
    assert ingest_file(store, path, now=AT).status == "loaded"
    rows = store.query_rows("SELECT population FROM grid_cells ORDER BY cell_code")
    assert [r[0] for r in rows] == [10, None, 0, 999_999]


def test_bad_figures_are_bad_rows_and_nothing_loads(store, tmp_path):
    path = tmp_path / "cells.geojson"
    _grid(["-5", "lots", "1.5", "2000000"]).to_file(path, driver="GeoJSON", engine="pyogrio")
    result = ingest_file(store, path, now=AT)
    assert result.status == "failed"
    assert [b.line for b in result.bad_rows] == [0, 1, 2, 3]
    assert all(b.column == "population" for b in result.bad_rows)
    assert "whole number" in result.bad_rows[1].reason
    assert store.query_value("SELECT count(*) FROM grid_cells") == 0


def test_a_file_without_the_column_leaves_population_unknown(store, tmp_path):
    path = tmp_path / "cells.geojson"
    _grid([1, 2, 3, 4]).drop(columns="人口").to_file(path, driver="GeoJSON", engine="pyogrio")
    assert ingest_file(store, path, now=AT).status == "loaded"
    assert store.query_value("SELECT count(population) FROM grid_cells") == 0


def test_synthetic_population_adds_up_per_district_and_is_densest_in_town():
    cells = pd.DataFrame(
        {
            "district_code": ["445102"] * 3 + ["445103"] * 2 + ["445122", "445199"],
            "size_class": ["urban", "plain", "mountain", "urban", "rural", "mountain", "urban"],
            "area_m2": [22_500, 360_000, 4_000_000, 22_500, 1_440_000, 5_000_000, 22_500],
        }
    )
    people = synthetic_population(cells)
    assert people[:3].sum() == DISTRICT_TOTALS["445102"]
    assert people[3:5].sum() == DISTRICT_TOTALS["445103"]
    assert people[5] == DISTRICT_TOTALS["445122"]
    assert pd.isna(people[6])  # no total known for that district: unknown, not zero
    density = people[:3].to_numpy(float) / cells["area_m2"][:3].to_numpy()
    assert density[0] > density[1] > density[2]
    assert sum(DISTRICT_TOTALS.values()) == 2_568_387  # Chaozhou, 2020 census
