"""GridIndex: same answers as geopandas.sjoin (lowest row position on ties), store loading."""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from ingest.demo_city.generate import DemoCity, generate_demo_city
from ingest.demo_city.load import load_demo_city
from models.geography import load_cells
from models.grid_index import GridIndex, GridIndexCache, load_grid_index
from models.store import Store

SEED = 20261124


def sjoin_positions(cells: gpd.GeoDataFrame, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """The reference: sjoin(intersects), lowest row position per point, -1 for none."""
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")
    right = gpd.GeoDataFrame(geometry=cells.geometry.values, crs=cells.crs)  # index = position
    joined = gpd.sjoin(points, right, predicate="intersects")
    best = np.full(len(lon), np.iinfo(np.int64).max)
    np.minimum.at(best, joined.index.to_numpy(), joined["index_right"].to_numpy())
    return np.where(best == np.iinfo(np.int64).max, -1, best)


def match_counts(cells: gpd.GeoDataFrame, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    tree = shapely.STRtree(cells.geometry.values)
    point, _ = tree.query(shapely.points(lon, lat), predicate="intersects")
    return np.bincount(point, minlength=len(lon))


def assert_same(index: GridIndex, cells: gpd.GeoDataFrame, lon, lat) -> np.ndarray:
    got = index.assign(lon, lat)
    want = sjoin_positions(cells, lon, lat)
    bad = np.flatnonzero(got != want)
    assert len(bad) == 0, (
        f"{len(bad)} of {len(lon)} differ, e.g. lon/lat {lon[bad[:3]]}, {lat[bad[:3]]}: "
        f"got {got[bad[:3]]}, sjoin {want[bad[:3]]}"
    )
    return got


def vertices_and_midpoints(cells: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray, int]:
    """Every distinct vertex, then the midpoint of every edge (lon, lat, vertex count).

    Vertices lie exactly on their cells' boundaries; a midpoint only to rounding, so it
    may fall just outside an outer edge.
    """
    rings = shapely.get_parts(shapely.boundary(cells.geometry.values))
    coords, ring = shapely.get_coordinates(rings, return_index=True)
    same = ring[1:] == ring[:-1]
    vertices = np.unique(coords, axis=0)
    mid = np.unique((coords[1:][same] + coords[:-1][same]) / 2, axis=0)
    pts = np.vstack([vertices, mid])
    return pts[:, 0], pts[:, 1], len(vertices)


# -- the demo city ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def city() -> DemoCity:
    return generate_demo_city(seed=SEED)


@pytest.fixture(scope="module")
def cells(city: DemoCity) -> gpd.GeoDataFrame:
    return city.cells


@pytest.fixture(scope="module")
def index(cells: gpd.GeoDataFrame) -> GridIndex:
    return GridIndex.build(cells, version=7)


def test_demo_grid_is_rasterised_on_its_lattice(index, cells):
    s = index.stats
    assert index.version == 7 and len(index) == len(cells)
    assert list(index.codes) == list(cells["cell_code"])
    assert s.lattice_step_m == pytest.approx(150.0)
    assert s.resolution_m == pytest.approx(75.0)  # half the lattice: squares nest
    assert s.covered > 5 * s.ambiguous  # the lattice gives most squares one cell
    assert s.raster_bytes < 64 * 2**20
    assert s.band_m is not None and 0 < s.band_m < s.resolution_m / 32


def test_random_points_inside_and_outside_match_sjoin(index, cells):
    rng = np.random.default_rng(1)
    west, south, east, north = cells.total_bounds
    pad_x, pad_y = 0.05 * (east - west), 0.05 * (north - south)
    n = 200_000
    lon = rng.uniform(west - pad_x, east + pad_x, n)
    lat = rng.uniform(south - pad_y, north + pad_y, n)
    got = assert_same(index, cells, lon, lat)
    assert 0.2 < (got >= 0).mean() < 0.8  # both kinds are really there


def test_points_around_the_urban_core_match_sjoin(index, cells):
    rng = np.random.default_rng(2)
    lon = rng.normal(116.64, 0.03, 100_000)
    lat = rng.normal(23.66, 0.03, 100_000)
    got = assert_same(index, cells, lon, lat)
    assert (got >= 0).mean() > 0.5


def test_vertices_and_edge_midpoints_follow_the_tie_rule(index, cells):
    lon, lat, n_vertices = vertices_and_midpoints(cells)
    counts = match_counts(cells, lon, lat)
    assert (counts >= 2).sum() > 10_000 and (counts >= 3).sum() > 1_000  # edges, corners
    got = assert_same(index, cells, lon, lat)
    assert (got[:n_vertices] >= 0).all()  # a vertex intersects its own cell at least
    assert (got[n_vertices:] >= 0).mean() > 0.9  # outer-edge midpoints may round outside


def test_sea_points_and_non_finite_coordinates_get_minus_one(index, cells, city):
    land = shapely.union_all(city.districts.geometry.values)
    sea = shapely.difference(
        shapely.intersection(
            shapely.union_all(city.sea.geometry.values), shapely.box(*cells.total_bounds)
        ),
        land,
    )
    rng = np.random.default_rng(3)
    west, south, east, north = sea.bounds
    lon = rng.uniform(west, east, 20_000)
    lat = rng.uniform(south, north, 20_000)
    in_sea = shapely.contains_xy(sea, lon, lat)
    assert in_sea.sum() > 1_000  # inside the cells' bounds, so the raster answers them
    got = assert_same(index, cells, lon[in_sea], lat[in_sea])
    assert (got == -1).all()

    good_lon, good_lat = cells.geometry.iloc[100].representative_point().coords[0]
    lon = np.array([np.nan, good_lon, np.inf, -np.inf, good_lon, np.nan, 1e308])
    lat = np.array([good_lat, good_lat, good_lat, good_lat, np.nan, np.nan, good_lat])
    assert index.assign(lon, lat).tolist() == [-1, 100, -1, -1, -1, -1, -1]


def test_codes_shapes_and_inputs(index, cells):
    inside = cells.geometry.iloc[[5, 6, 7]].representative_point()
    lon, lat = inside.x.to_numpy(), inside.y.to_numpy()
    codes = index.assign_codes(np.r_[lon, 0.0], np.r_[lat, 0.0])
    assert codes.tolist() == [*cells["cell_code"].iloc[[5, 6, 7]], None]
    grid = index.assign(np.tile(lon, (2, 1)), np.tile(lat, (2, 1)))
    assert grid.shape == (2, 3) and grid.tolist() == [[5, 6, 7], [5, 6, 7]]
    assert index.assign(list(lon), list(lat)).tolist() == [5, 6, 7]
    assert index.assign(np.array([]), np.array([])).shape == (0,)
    assert index.assign(lon[0], lat[0]).tolist() == 5
    with pytest.raises(ValueError, match="shape"):
        index.assign(lon, lat[:2])


def test_caller_cells_are_left_alone(cells):
    part = cells.iloc[:200].copy()
    before = shapely.to_wkb(part.geometry.values)
    GridIndex.build(part)
    assert not shapely.is_prepared(part.geometry.values).any()
    assert (shapely.to_wkb(part.geometry.values) == before).all()


def test_concurrent_lookups_agree(index, cells):
    rng = np.random.default_rng(4)
    west, south, east, north = cells.total_bounds
    batches = [
        (rng.uniform(west, east, 50_000), rng.uniform(south, north, 50_000)) for _ in range(4)
    ]
    expected = [index.assign(lon, lat) for lon, lat in batches]
    results: dict[int, np.ndarray] = {}

    def run(k: int) -> None:
        for _ in range(3):
            results[k] = index.assign(*batches[k])

    threads = [threading.Thread(target=run, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for k in range(4):
        assert np.array_equal(results[k], expected[k])


# -- hand-made irregular grids -------------------------------------------------------------


def _grid(geoms: list, crs: str = "EPSG:4326") -> gpd.GeoDataFrame:
    codes = [f"445102001001{k:03d}" for k in range(len(geoms))]
    return gpd.GeoDataFrame({"cell_code": codes}, geometry=geoms, crs=crs)


def _voronoi(rng: np.random.Generator, box: tuple[float, ...], n: int) -> list:
    """``n`` random Voronoi cells tiling the lon/lat ``box``."""
    seeds = shapely.multipoints(
        np.column_stack([rng.uniform(box[0], box[2], n), rng.uniform(box[1], box[3], n)])
    )
    frame = shapely.box(*box)
    parts = shapely.get_parts(shapely.voronoi_polygons(seeds, extend_to=frame))
    return list(shapely.intersection(parts, frame))


@pytest.fixture(scope="module")
def voronoi_cells() -> gpd.GeoDataFrame:
    """Random Voronoi cells near the old city; one with a hole holding another cell, one
    overlapping its neighbours, and a MultiPolygon."""
    parts = _voronoi(np.random.default_rng(5), (116.60, 23.62, 116.70, 23.70), 40)
    overlap = shapely.box(116.64, 23.64, 116.66, 23.66)
    centre = parts[0].representative_point()
    assert not overlap.intersects(parts[0])  # the hole must stay empty
    hole = centre.buffer(0.5 * parts[0].exterior.distance(centre), quad_segs=4)
    parts[0] = parts[0].difference(hole)
    island = hole.buffer(-0.2 * hole.length / 6.28)  # inside the hole, a ring of nothing around
    multi = shapely.MultiPolygon(
        [shapely.box(116.71, 23.62, 116.72, 23.63), shapely.box(116.73, 23.62, 116.74, 23.63)]
    )
    # The overlapping square sits in the middle rows so that it wins over some and loses
    # to others (tie rule on overlaps, not only on shared edges).
    geoms = [*parts[:20], overlap, *parts[20:], island, multi]
    return _grid(geoms)


@pytest.mark.parametrize("resolution_m", [None, 40.0, 1500.0])
def test_irregular_grid_matches_sjoin(voronoi_cells, resolution_m):
    index = GridIndex.build(voronoi_cells, resolution_m=resolution_m)
    if resolution_m == 1500.0:
        # Squares larger than cells: hardly any square is covered, the exact paths work.
        assert index.stats.ambiguous > 5 * index.stats.covered
    rng = np.random.default_rng(6)
    n = 100_000
    lon = rng.uniform(116.59, 116.75, n)
    lat = rng.uniform(23.61, 23.71, n)
    got = assert_same(index, voronoi_cells, lon, lat)
    overlap = 20
    assert (got == overlap).any() and (got == len(voronoi_cells) - 2).any()  # island hit
    vx, vy, _ = vertices_and_midpoints(voronoi_cells)
    assert (match_counts(voronoi_cells, vx, vy) >= 3).any()
    assert_same(index, voronoi_cells, vx, vy)


def test_hole_is_outside_its_cell(voronoi_cells):
    index = GridIndex.build(voronoi_cells)
    holed = voronoi_cells.geometry.iloc[0]
    hole = shapely.Polygon(holed.interiors[0])
    island = voronoi_cells.geometry.iloc[-2]
    gap = hole.difference(island).representative_point()  # in the hole, not on the island
    assert index.assign([gap.x], [gap.y]).tolist() == [-1]
    inner = island.representative_point()
    assert index.assign([inner.x], [inner.y]).tolist() == [len(voronoi_cells) - 2]


def test_tie_rule_prefers_the_lowest_row_position():
    west = shapely.box(116.60, 23.60, 116.61, 23.61)
    east = shapely.box(116.61, 23.60, 116.62, 23.61)
    edge_lon, edge_lat = np.array([116.61, 116.61]), np.array([23.605, 23.60])
    assert GridIndex.build(_grid([west, east])).assign(edge_lon, edge_lat).tolist() == [0, 0]
    assert GridIndex.build(_grid([east, west])).assign(edge_lon, edge_lat).tolist() == [0, 0]
    index = GridIndex.build(_grid([east, west]))
    assert index.assign_codes(edge_lon, edge_lat).tolist() == [index.codes[0]] * 2


def test_missing_empty_and_invalid_cells_match_sjoin():
    good = shapely.box(116.60, 23.60, 116.61, 23.61)
    bowtie = shapely.Polygon([(116.62, 23.60), (116.63, 23.61), (116.63, 23.60), (116.62, 23.61)])
    assert not bowtie.is_valid
    cells = _grid(
        [None, shapely.Polygon(), good, bowtie, shapely.box(116.61, 23.60, 116.62, 23.61)]
    )
    index = GridIndex.build(cells)
    rng = np.random.default_rng(7)
    lon = rng.uniform(116.595, 116.635, 20_000)
    lat = rng.uniform(23.595, 23.615, 20_000)
    got = assert_same(index, cells, lon, lat)
    assert set(np.unique(got)) >= {-1, 2, 4}
    assert not np.isin(got, [0, 1]).any()


def test_a_grid_without_cells_finds_nothing():
    empty = GridIndex.build(_grid([]))
    assert empty.stats.resolution_m is None
    assert empty.assign([116.6, np.nan], [23.6, 0.0]).tolist() == [-1, -1]
    assert empty.assign_codes([116.6], [23.6]).tolist() == [None]


@pytest.mark.parametrize(
    ("box", "metric_crs", "rastered"),
    [
        ((2.30, 48.82, 2.40, 48.89), "EPSG:32650", True),  # Paris, 114° off UTM 50N's meridian
        ((100.0, 20.0, 135.0, 45.0), "EPSG:32650", True),  # a grid wider than its UTM zone
        ((0.0, -90.0, 90.0, -89.0), "EPSG:3413", False),  # the south pole, north polar CRS
    ],
)
def test_grids_the_metric_crs_fits_badly_stay_exact(box, metric_crs, rastered):
    rng = np.random.default_rng(8)
    cells = _grid(_voronoi(rng, box, 200))
    index = GridIndex.build(cells, metric_crs=metric_crs)
    assert (index.stats.resolution_m is not None) == rastered
    pad_x, pad_y = 0.1 * (box[2] - box[0]), 0.1 * (box[3] - box[1])
    lon = rng.uniform(box[0] - pad_x, box[2] + pad_x, 50_000)
    lat = rng.uniform(box[1] - pad_y, box[3] + pad_y, 50_000)
    vx, vy, _ = vertices_and_midpoints(cells)
    got = assert_same(index, cells, np.r_[lon, vx], np.r_[lat, vy])
    assert (got >= 0).mean() > 0.5


def test_build_checks_its_inputs(voronoi_cells):
    with pytest.raises(ValueError, match="EPSG:4326"):
        GridIndex.build(voronoi_cells.to_crs("EPSG:32650"))
    with pytest.raises(ValueError, match="cell_code"):
        GridIndex.build(voronoi_cells.drop(columns="cell_code"))
    with pytest.raises(ValueError, match="projected"):
        GridIndex.build(voronoi_cells, metric_crs="EPSG:4326")
    with pytest.raises(ValueError, match="positive"):
        GridIndex.build(voronoi_cells, resolution_m=0.0)
    with pytest.raises(ValueError, match="squares"):
        GridIndex.build(voronoi_cells, resolution_m=0.5)


# -- from the store ------------------------------------------------------------------------


def _add_version(store: Store, version: int, district_code: str) -> None:
    """A new current grid version holding only one district's cells."""

    def write(tx) -> None:
        tx.execute(
            "INSERT INTO grid_cells SELECT * REPLACE (? AS version_id) FROM grid_cells "
            "WHERE version_id = 1 AND district_code = ?",
            [version, district_code],
        )
        tx.execute(
            "INSERT INTO grid_versions VALUES (?, ?, ?, NULL, 'test', ?, "
            "(SELECT count(*) FROM grid_cells WHERE version_id = ?), NULL)",
            [version, f"v{version}", datetime(2026, 12, 1), datetime(2026, 12, 1), version],
        )

    store.write(write)


def test_load_grid_index_and_cache_follow_the_current_version(tmp_path: Path, city):
    store = Store(tmp_path / "x.duckdb")
    try:
        cache = GridIndexCache()
        assert load_grid_index(store) is None and cache.get(store) is None
        load_demo_city(store, city, now=datetime(2026, 11, 24))

        index = load_grid_index(store)
        assert index is not None and index.version == 1
        stored = load_cells(store)
        assert list(index.codes) == list(stored["cell_code"])
        rng = np.random.default_rng(9)
        west, south, east, north = stored.total_bounds
        lon, lat = rng.uniform(west, east, 20_000), rng.uniform(south, north, 20_000)
        got = assert_same(index, stored, lon, lat)
        assert (got >= 0).any()

        first = cache.get(store)
        assert first is not None and first.version == 1
        assert cache.get(store) is first and cache.builds == 1

        kept = stored["district_code"].iloc[0]
        _add_version(store, 2, kept)
        second = cache.get(store)
        assert second is not None and second is not first
        assert second.version == 2 and cache.builds == 2
        assert cache.get(store) is second and cache.builds == 2
        district = stored["district_code"].to_numpy()[np.maximum(got, 0)]
        gone = (got >= 0) & (district != kept)
        stay = (got >= 0) & (district == kept)
        assert gone.any() and stay.any()
        codes = second.assign_codes(lon, lat)
        assert all(c is None for c in codes[gone])
        assert (codes[stay] == stored["cell_code"].to_numpy()[got[stay]]).all()
    finally:
        store.close()
