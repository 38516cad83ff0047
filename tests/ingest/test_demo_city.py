"""The generated demo city: determinism, hierarchy, tiling, grid codes, sensors, roads."""

from __future__ import annotations

import csv
from importlib import resources

import geopandas as gpd
import numpy as np
import pytest
import shapely

from ingest.demo_city.generate import DemoCity, generate_demo_city

UTM = 32650
GUANGJI_BRIDGE = shapely.Point(116.6508, 23.6667)
OLD_CITY = (116.645, 23.670)
#: Width (m) of the band along boundaries within which the 1 cm snapping grid may stray.
BAND_M = 0.01


def _csv(name: str) -> list[dict[str, str]]:
    text = resources.files("ingest.demo_city").joinpath("data", name).read_text("utf-8")
    return list(csv.DictReader(text.splitlines()))


@pytest.fixture(scope="module")
def city() -> DemoCity:
    return generate_demo_city()


@pytest.fixture(scope="module")
def utm(city: DemoCity) -> dict[str, gpd.GeoDataFrame]:
    return {name: frame.to_crs(UTM) for name, frame in city.layers().items()}


def _tiles(parts: gpd.GeoDataFrame, whole: gpd.GeoDataFrame, key: str) -> None:
    """Parts grouped by ``key`` cover each whole within 0.5 % and do not overlap."""
    sums = parts.geometry.area.groupby(parts[key]).sum()
    areas = whole.set_index(key).geometry.area
    assert set(sums.index) == set(areas.index)
    ratio = sums / areas.loc[sums.index]
    assert ((ratio - 1).abs() < 0.005).all(), ratio[(ratio - 1).abs() >= 0.005]
    for code, group in parts.groupby(key):
        union = shapely.union_all(group.geometry.values)
        # union area ≈ area sum means no overlaps; the union lies in the whole
        assert union.area == pytest.approx(group.geometry.area.sum(), rel=1e-4)
        outside = shapely.difference(union, whole.set_index(key).geometry.loc[code]).area
        assert outside < 1e-4 * union.area + 1.0


def test_every_layer_is_wgs84(city):
    for name, frame in city.layers().items():
        assert frame.crs is not None and frame.crs.to_epsg() == 4326, name


def test_same_seed_same_city_other_seed_other_city(city):
    again = generate_demo_city()
    assert again.cells["cell_code"].tolist() == city.cells["cell_code"].tolist()
    assert all(
        shapely.to_wkb(again.cells.geometry.values) == shapely.to_wkb(city.cells.geometry.values)
    )
    assert again.roads.geometry.geom_equals_exact(city.roads.geometry, 0).all()
    assert again.sensors.geometry.geom_equals_exact(city.sensors.geometry, 0).all()
    other = generate_demo_city(seed=7)
    assert len(other.communities) == 1034
    same = other.communities.geometry.geom_equals_exact(city.communities.geometry, 1e-9)
    assert not same.all()
    assert other.cells["cell_code"].tolist() != city.cells["cell_code"].tolist()


def test_all_towns_and_communities_with_real_names(city):
    towns = {r["town_code"]: r["town_name"] for r in _csv("chaozhou_towns.csv")}
    comms = {r["community_code"]: r["community_name"] for r in _csv("chaozhou_communities.csv")}
    assert dict(zip(city.streets["street_code"], city.streets["name_zh"])) == towns
    assert dict(zip(city.communities["community_code"], city.communities["name_full"])) == comms
    assert len(city.streets) == 51 and len(city.communities) == 1034
    for short, full in zip(city.communities["name_zh"], city.communities["name_full"]):
        assert short and full.startswith(short.rstrip("村")), (short, full)
    assert city.streets["synthetic"].all() and city.communities["synthetic"].all()


def test_streets_lie_in_their_real_district(utm):
    streets, districts = utm["streets"], utm["districts"].set_index("district_code")
    for row in streets.itertuples():
        outside = shapely.difference(row.geometry, districts.geometry.loc[row.district_code]).area
        # overlays snap to a 1 cm grid: allow a band that thin along the boundary
        assert outside < BAND_M * row.geometry.length, row.name_zh


def test_streets_tile_districts_and_communities_tile_streets(utm):
    _tiles(utm["streets"], utm["districts"], "district_code")
    _tiles(utm["communities"], utm["streets"], "street_code")


def test_street_zones_are_plausible(city, utm):
    streets = utm["streets"].set_index("name_zh")
    core = shapely.Point(
        *gpd.GeoSeries([shapely.Point(OLD_CITY)], crs=4326).to_crs(UTM).iloc[0].coords[0]
    )
    jiedao = utm["streets"][utm["streets"]["kind"] == "街道"]
    assert len(jiedao) == 5 and (jiedao.geometry.area < 15e6).all()
    assert (jiedao.geometry.distance(core) < 3000).all()
    towns = utm["streets"][
        (utm["streets"]["district_code"] == "445102") & (utm["streets"]["kind"] == "镇")
    ]
    assert (towns.geometry.area > jiedao.geometry.area.max()).all()
    # 枫溪 borders the urban core on the west
    fengxi = streets.geometry.loc["枫溪镇"]
    assert (
        fengxi.distance(streets.geometry.loc["西新街道"].union(streets.geometry.loc["城西街道"]))
        < 1.0
    )
    assert fengxi.centroid.x < core.x
    # the old city is in 太平街道
    assert streets.geometry.loc["太平街道"].contains(core)


def test_cell_codes_are_fifteen_digits_matching_their_columns(city):
    cells = city.cells
    assert cells["cell_code"].is_unique
    assert cells["cell_code"].str.fullmatch(r"\d{15}").all()
    assert (cells["cell_code"].str[:6] == cells["district_code"]).all()
    assert (cells["cell_code"].str[6:9] == cells["street_code"].str[-3:]).all()
    assert (cells["cell_code"].str[9:12] == cells["community_code"].str[-3:]).all()
    assert (cells["cell_code"].str[12:].astype(int) == cells["seq"]).all()
    assert all(s.startswith(d) for s, d in zip(cells["street_code"], cells["district_code"]))
    assert all(c.startswith(s) for c, s in zip(cells["community_code"], cells["street_code"]))
    assert set(cells["community_code"]) == set(city.communities["community_code"])
    seqs = cells.groupby("community_code")["seq"].agg(["min", "max", "count"])
    assert (seqs["min"] == 1).all() and (seqs["max"] == seqs["count"]).all()
    assert seqs["max"].max() <= 999


def _square_of(cell: shapely.Polygon, size: int) -> tuple[int, int]:
    """The lattice square (i, j) a cell was cut from: the one it overlaps most."""
    x0, y0, x1, y1 = cell.bounds
    best, where = -1.0, (0, 0)
    for i in range(int(np.floor(x0 / size)), int(np.floor(x1 / size)) + 1):
        for j in range(int(np.floor(y0 / size)), int(np.floor(y1 / size)) + 1):
            a = cell.intersection(
                shapely.box(i * size, j * size, (i + 1) * size, (j + 1) * size)
            ).area
            if a > best:
                best, where = a, (i, j)
    return where


def test_seq_runs_west_to_east_then_north_to_south(utm):
    cells = utm["cells"]
    counts = cells.groupby("community_code").size()
    picked = []
    for size_class in ("urban", "plain", "rural", "mountain"):
        codes = cells.loc[cells["size_class"] == size_class, "community_code"].unique()
        picked += [c for c in codes if counts[c] >= 6][:3]
    assert len(picked) >= 10
    for code in picked:
        group = cells[cells["community_code"] == code].sort_values("seq")
        squares = [_square_of(g, s) for g, s in zip(group.geometry, group["cell_size_m"])]
        # (a square cut in two by a neighbouring community gives two cells, hence ≤ not <)
        assert squares == sorted(squares, key=lambda ij: (-ij[1], ij[0])), code


def test_cells_lie_in_their_community_without_overlap(utm):
    cells, comms = utm["cells"], utm["communities"].set_index("community_code")
    home = comms.geometry.loc[cells["community_code"]].values
    geoms = cells.geometry.values
    # overlays snap to a 1 cm grid: allow a band that thin along the boundary
    band = BAND_M * shapely.length(geoms)
    outside = shapely.area(shapely.difference(geoms, home))
    assert (outside < band).all()
    tree = shapely.STRtree(geoms)
    a, b = tree.query(geoms, predicate="intersects")
    a, b = a[a < b], b[a < b]
    shared = shapely.area(shapely.intersection(geoms[a], geoms[b]))
    assert (shared < np.minimum(band[a], band[b])).all()
    # the cells cover their community up to dropped slivers
    covered = cells.geometry.area.groupby(cells["community_code"]).sum()
    ratio = covered / comms.geometry.area.loc[covered.index]
    assert ratio.min() > 0.97 and ratio.sum() / len(ratio) > 0.995
    assert set(cells.geom_type) == {"Polygon"}


def test_cell_count_and_sizes(city, utm):
    cells = city.cells
    assert 9000 <= len(cells) <= 12000
    assert set(cells["size_class"]) == {"urban", "plain", "rural", "mountain"}
    assert (cells.loc[cells["size_class"] == "urban", "cell_size_m"] <= 200).all()
    assert (cells.loc[cells["size_class"] == "urban", "cell_size_m"] >= 100).all()
    plain = cells.loc[cells["size_class"] == "plain", "cell_size_m"]
    assert plain.between(400, 1200).all()
    far = cells.loc[cells["size_class"].isin(["rural", "mountain"]), "cell_size_m"]
    assert far.between(1000, 3000).all()
    core = gpd.GeoSeries([shapely.Point(OLD_CITY)], crs=4326).to_crs(UTM).iloc[0]
    near = utm["cells"].geometry.centroid.distance(core) < 2500
    assert near.sum() > 500 and (cells.loc[near.to_numpy(), "cell_size_m"] <= 200).all()
    mountain = cells[cells["size_class"] == "mountain"]
    assert (mountain["centroid_lat"] > 23.7).mean() > 0.9
    assert np.allclose(cells["area_m2"], utm["cells"].geometry.area, rtol=1e-3)


def test_guangji_bridge_falls_in_a_xiangqiao_cell(city):
    hit = city.cells[city.cells.contains(GUANGJI_BRIDGE)]
    assert len(hit) == 1
    assert hit["district_code"].iloc[0] == "445102"
    assert hit["size_class"].iloc[0] == "urban"


def test_responsible_bodies_and_grid_workers(city):
    cells = city.cells
    body = cells["responsible_body"]
    unset = body.isna().mean()
    assert 0.02 < unset < 0.08
    named = body.dropna()
    assert named.str.contains(r"\(").sum() > 50  # departments
    assert named.str.endswith(("居委会", "村委会")).mean() > 0.8
    assert set(named[named.str.contains(r"\(")]) <= {
        "市园林局 (Parks)",
        "市政公用事业局 (Municipal utilities)",
        "市水务局 (Water affairs)",
    }
    n_workers = cells["grid_workers"].map(len)
    assert n_workers.between(1, 2).all()
    for code, workers in zip(cells["community_code"], cells["grid_workers"]):
        assert all(w.startswith(f"GW{code}-") and len(w) == 17 for w in workers)
    # a worker covers several cells, all in one community
    per_worker = (
        cells.explode("grid_workers")
        .groupby("grid_workers")["community_code"]
        .agg(["nunique", "size"])
    )
    assert (per_worker["nunique"] == 1).all() and per_worker["size"].mean() > 2


def test_roads_form_one_network_of_short_segments(utm, city):
    roads = city.roads
    assert roads["segment_id"].is_unique and roads["segment_id"].str.fullmatch(r"R\d{5}").all()
    assert 500 < len(roads) < 5000
    assert set(roads["road_class"]) == {"expressway", "arterial", "secondary", "local"}
    speeds = dict(zip(roads["road_class"], roads["free_flow_kmh"]))
    assert speeds == {"expressway": 100, "arterial": 60, "secondary": 50, "local": 30}
    assert set(roads.geom_type) == {"LineString"} and roads["synthetic"].all()
    lengths = utm["roads"].geometry.length
    assert lengths.max() <= 1501 and np.allclose(lengths, roads["length_m"], rtol=1e-3)
    ends = np.round(np.array([[*g.coords[0], *g.coords[-1]] for g in utm["roads"].geometry]), 1)
    nodes = {
        tuple(p): k for k, p in enumerate(np.unique(np.vstack([ends[:, :2], ends[:, 2:]]), axis=0))
    }
    parent = list(range(len(nodes)))

    def find(v: int) -> int:
        while parent[v] != v:
            parent[v] = parent[parent[v]]
            v = parent[v]
        return v

    for x0, y0, x1, y1 in ends:
        a, b = find(nodes[(x0, y0)]), find(nodes[(x1, y1)])
        parent[a] = b
    assert len({find(v) for v in range(len(nodes))}) == 1


def test_sensors_registry(city, utm):
    sensors = city.sensors
    counts = sensors["kind"].value_counts()
    assert counts["air"] == 12 and counts["water_quality"] == 10 and counts["noise"] == 30
    assert counts["water_level"] == 20 and counts["manhole"] == 300 and counts["streetlamp"] == 400
    assert counts["smoke"] == 60 and counts["gas"] == 40 and 20 <= counts["traffic"] <= 400
    assert sensors["sensor_id"].is_unique
    assert sensors.loc[sensors["kind"] == "manhole", "sensor_id"].str.fullmatch(r"MH-\d{4}").all()
    assert sensors.loc[sensors["kind"] == "air", "sensor_id"].str.fullmatch(r"AIR-\d{3}").all()
    interval = dict(zip(sensors["kind"], sensors["interval_s"]))
    assert interval == {
        "air": 3600,
        "water_quality": 14400,
        "noise": 300,
        "water_level": 300,
        "manhole": 600,
        "streetlamp": 900,
        "smoke": 300,
        "gas": 60,
        "traffic": 300,
    }
    noise = sensors[sensors["kind"] == "noise"]
    assert set(noise["zone"]) <= {"0", "1", "2", "3", "4a", "4b"} and noise["zone"].nunique() >= 4
    wq = sensors[sensors["kind"] == "water_quality"]
    assert set(wq["zone"]) <= {"II", "III", "IV"}
    others = sensors[~sensors["kind"].isin(["noise", "water_quality"])]
    assert others["zone"].isna().all()
    wl = sensors[sensors["kind"] == "water_level"]
    assert (wl["danger_level_m"] > wl["warning_level_m"]).all()
    assert sensors.loc[sensors["kind"] != "water_level", "warning_level_m"].isna().all()
    assert np.allclose(sensors.geometry.x, sensors["lon"]) and np.allclose(
        sensors.geometry.y, sensors["lat"]
    )
    assert sensors["synthetic"].all()


def test_sensors_lie_inside_the_city(utm):
    city_area = shapely.union_all(utm["districts"].geometry.values)
    assert shapely.covers(city_area.buffer(0.5), utm["sensors"].geometry.values).all()


def test_waterlogging_points_sit_in_the_old_city(city):
    wl = city.sensors[city.sensors["kind"] == "water_level"]
    in_old = wl.geometry.within(city.landmarks.set_index("kind").geometry.loc["old_city"])
    assert in_old.sum() >= 5


def test_water_quality_sections_are_on_the_river(utm):
    sensors = utm["sensors"]
    river = shapely.union_all(utm["rivers"].geometry.values)
    wq = sensors[sensors["kind"] == "water_quality"]
    assert (wq.geometry.distance(river) < 200).all()
    gauges = sensors[(sensors["kind"] == "water_level") & (sensors["warning_level_m"] > 2)]
    assert len(gauges) >= 2 and (gauges.geometry.distance(river) < 200).all()


def test_traffic_detectors_sit_on_their_segment(utm):
    sensors, roads = utm["sensors"], utm["roads"].set_index("segment_id")
    traffic = sensors[sensors["kind"] == "traffic"]
    assert traffic["segment_id"].notna().all()
    assert set(traffic["segment_id"]) <= set(roads.index)
    assert traffic["segment_id"].is_unique
    on = roads.geometry.loc[traffic["segment_id"]].values
    assert (shapely.distance(traffic.geometry.values, on) < 1.0).all()
    assert set(roads.loc[traffic["segment_id"], "road_class"]) <= {"arterial", "expressway"}
    assert sensors.loc[sensors["kind"] != "traffic", "segment_id"].isna().all()


def test_resources(city, utm):
    res = city.resources
    assert 100 <= len(res) <= 150 and res["resource_id"].is_unique
    assert set(res["kind"]) == {"team", "vehicle", "depot", "shelter", "expert"}
    assert (
        res["name_zh"].str.endswith("（模拟）").all()
        and res["name_en"].str.endswith("(simulated)").all()
    )
    assert set(res["status"]) == {"available", "out_of_service"}
    assert (res["status"] == "out_of_service").sum() <= 10
    shelters = res[res["kind"] == "shelter"]
    assert (shelters["capacity"] > 0).all()
    assert res.loc[res["kind"].isin(["team", "depot", "expert"]), "capacity"].isna().all()
    depots = res[res["kind"] == "depot"]
    assert depots["stock"].notna().all() and res.loc[res["kind"] != "depot", "stock"].isna().all()
    assert {"fire", "medical", "flood_control", "hazmat", "forest_fire", "police"} <= set(
        res["subtype"]
    )
    forest = res[(res["subtype"] == "forest_fire") & (res["kind"] == "team")]
    assert (forest.geometry.y > 23.7).all()
    hazmat_team = res[(res["subtype"] == "hazmat") & (res["kind"] == "team")]
    assert (hazmat_team["district_code"] == "445122").any()
    city_area = shapely.union_all(utm["districts"].geometry.values)
    assert shapely.covers(city_area.buffer(0.5), utm["resources"].geometry.values).all()
    districts = utm["districts"].set_index("district_code").geometry
    home = districts.loc[res["district_code"]].values
    assert (shapely.distance(utm["resources"].geometry.values, home) < 100).all()


def test_landmarks(city):
    marks = city.landmarks.set_index("name_zh")
    assert {"广济桥", "牌坊街", "潮州古城", "潮汕站", "潮州港"} <= set(marks.index)
    assert not city.landmarks["synthetic"].any()
    assert marks.geometry.loc["潮州古城"].contains(marks.geometry.loc["牌坊街"])
    assert marks.geometry.loc["广济桥"].distance(GUANGJI_BRIDGE) < 1e-9
