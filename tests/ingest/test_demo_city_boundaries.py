"""Reading the demo city's real geography: geotool-cn districts, river, sea, places, names."""

from __future__ import annotations

import importlib.metadata

import pyproj
import pytest
import shapely

from ingest.demo_city import boundaries
from ingest.demo_city.boundaries import (
    GeotoolVersionError,
    load_district_boundaries,
    load_places,
    load_rivers,
    load_sea,
)
from ingest.demo_city.registry import (
    is_urban_community,
    load_communities,
    load_towns,
    short_community_name,
    town_kind,
)

GUANGJI_BRIDGE = shapely.Point(116.6508, 23.6667)
SHANTOU_CENTRE = shapely.Point(116.68, 23.35)


@pytest.fixture(scope="module")
def districts():
    return load_district_boundaries()


def test_three_districts_with_names(districts):
    assert districts.crs.to_epsg() == 4326
    assert districts["district_code"].tolist() == ["445102", "445103", "445122"]
    assert districts["name_zh"].tolist() == ["湘桥区", "潮安区", "饶平县"]
    assert districts["name_en"].tolist() == [
        "Xiangqiao District",
        "Chao'an District",
        "Raoping County",
    ]
    assert set(districts.geom_type) == {"MultiPolygon"}
    assert districts.is_valid.all()


def test_districts_are_disjoint_and_about_the_right_size(districts):
    geoms = districts.to_crs(32650).geometry.values
    for a in range(3):
        for b in range(a + 1, 3):
            assert shapely.intersection(geoms[a], geoms[b]).area < 1.0
    km2 = shapely.area(geoms) / 1e6
    # 湘桥 ~ 330 km², 潮安 ~ 1,100 km², 饶平 ~ 1,850 km² (government figures 345/1,238/1,694)
    assert 250 < km2[0] < 420 and 900 < km2[1] < 1300 and 1500 < km2[2] < 2100


def test_guangji_bridge_is_in_xiangqiao_and_shantou_is_outside(districts):
    inside = districts[districts.contains(GUANGJI_BRIDGE)]["district_code"].tolist()
    assert inside == ["445102"]
    assert not districts.contains(SHANTOU_CENTRE).any()


def test_wrong_geotool_version_is_refused(monkeypatch):
    monkeypatch.setattr(boundaries.importlib.metadata, "version", lambda name: "3.2.0")
    with pytest.raises(GeotoolVersionError, match="3.1.0"):
        load_district_boundaries()


def test_installed_geotool_is_the_pinned_version():
    assert importlib.metadata.version("geotool-cn") == boundaries.GEOTOOL_CN_VERSION


def test_river_sea_and_places_read_in_wgs84():
    rivers, sea, places = load_rivers(), load_sea(), load_places()
    for frame in (rivers, sea, places):
        assert frame.crs.to_epsg() == 4326
    assert len(rivers) >= 2 and set(rivers.geom_type) == {"LineString"}
    assert not rivers["synthetic"].any() and not sea["synthetic"].any()
    # the river runs within a kilometre of 广济桥 (coarse source data)
    river_utm = rivers.to_crs(32650).union_all()
    to_utm = pyproj.Transformer.from_crs(4326, 32650, always_xy=True)
    bridge_utm = shapely.Point(*to_utm.transform(116.6508, 23.6667))
    assert river_utm.distance(bridge_utm) < 1000
    assert sea.geometry.iloc[0].contains(shapely.Point(117.05, 23.53))
    assert set(places["name"]) == {"Chaozhou", "Shantou"}


def test_town_and_community_registry():
    towns, communities = load_towns(), load_communities()
    assert len(towns) == 51 and towns["street_code"].str.fullmatch(r"\d{9}").all()
    assert len(communities) == 1034 and communities["community_code"].str.fullmatch(r"\d{12}").all()
    assert set(communities["street_code"]) == set(towns["street_code"])
    assert towns["kind"].value_counts().to_dict() == {"镇": 41, "街道": 5, "其他": 5}


@pytest.mark.parametrize(
    ("full", "short", "urban"),
    [
        ("桥东社区居民委员会", "桥东社区", True),
        ("下东村民委员会", "下东村", False),
        ("前村村委会", "前村", False),
        ("石牌村民委会", "石牌村", False),
        ("上林社区居委会", "上林社区", True),
        ("韩山师范学院社区", "韩山师范学院社区", True),
        ("红山林场虚拟生活区", "红山林场虚拟生活区", False),
    ],
)
def test_community_names(full, short, urban):
    assert short_community_name(full) == short
    assert is_urban_community(full) is urban


def test_town_kind():
    assert [town_kind(n) for n in ("桥东街道", "意溪镇", "红山林场")] == ["街道", "镇", "其他"]
