import geopandas as gpd
import pytest
from shapely.geometry import LineString, MultiPolygon, Polygon, box

from layers.basemap import build_base_layers
from layers.deck import build_deck, view_for_bounds
from layers.geometry import line_paths, polygon_rings
from layers.grid import GRID_LAYER_ID, build_grid_layer
from layers.palette import DISTRICT_COLORS


def _cells(crs="EPSG:4326"):
    return gpd.GeoDataFrame(
        {
            "cell_code": ["445102007002001", "445103100001001"],
            "district_code": ["445102", "445103"],
            "street_code": ["445102007", "445103100"],
            "community_code": ["445102007002", "445103100001"],
            "responsible_body": ["桥东社区居委会", None],
            "grid_workers": [["GW1", "GW2"], []],
            "district_name": ["湘桥区", "潮安区"],
            "street_name": ["桥东街道", "庵埠镇"],
            "community_name": ["东湖社区", "某村"],
            "synthetic": [True, False],
        },
        geometry=[
            box(116.64, 23.66, 116.641, 23.661),
            MultiPolygon([box(116.5, 23.6, 116.51, 23.61), box(116.52, 23.6, 116.53, 23.61)]),
        ],
        crs=crs,
    )


def test_grid_layer_records_tooltip_fields_and_district_colours():
    spec = build_grid_layer(_cells(), fallback_label="（兜底）", synthetic_label="合成")
    assert spec.layer_id == GRID_LAYER_ID and spec.props["pickable"]
    assert len(spec.data) == 3  # the MultiPolygon cell gives two parts
    first, second = spec.data[0], spec.data[1]
    assert first["cell_code"] == "445102007002001" and first["body"] == "桥东社区居委会"
    assert first["workers"] == "GW1, GW2" and first["synthetic"] == "合成"
    assert (
        second["body"] == "某村 （兜底）" and second["workers"] == "—" and second["synthetic"] == ""
    )
    assert first["color"][:3] == DISTRICT_COLORS["445102"]
    assert second["color"][:3] == DISTRICT_COLORS["445103"]
    ring = first["polygon"][0]
    assert ring[0] == ring[-1] and all(len(str(x).split(".")[-1]) <= 5 for x, _ in ring)


def test_grid_layer_refuses_other_crs():
    with pytest.raises(ValueError, match="EPSG:4326"):
        build_grid_layer(_cells().to_crs("EPSG:32650"), fallback_label="x")


def test_geometry_helpers_keep_holes_and_parts():
    donut = Polygon(box(0, 0, 10, 10).exterior.coords, [box(2, 2, 4, 4).exterior.coords])
    assert len(polygon_rings(donut)[0]) == 2
    assert len(line_paths(donut)) == 2
    assert line_paths(LineString([(0, 0), (1, 1)])) == [[[0, 0], [1, 1]]]


def test_deck_json_has_no_tiles_and_literal_strings_stay_literal():
    cells = _cells()
    below, above = build_base_layers(
        districts=cells,
        streets=cells,
        sea=cells.iloc[:0],
        rivers=cells.iloc[:0],
        roads=gpd.GeoDataFrame(
            {"road_class": ["arterial"]},
            geometry=[LineString([(116.6, 23.6), (116.7, 23.7)])],
            crs=4326,
        ),
    )
    grid = build_grid_layer(cells, fallback_label="x")
    deck = build_deck([*below, grid, *above], view=view_for_bounds((116.5, 23.6, 116.7, 23.7)))
    ids = [layer["id"] for layer in deck["layers"]]
    assert ids == [
        "base-sea",
        "base-land",
        "base-roads",
        "base-rivers",
        GRID_LAYER_ID,
        "base-streets",
        "base-districts",
    ]
    assert "mapStyle" not in deck or deck["mapStyle"] in (None, "")
    roads = deck["layers"][2]
    assert roads["getPath"] == "@@=path" and roads["widthUnits"] == "meters"


def test_view_for_bounds_fits_and_centres():
    v = view_for_bounds((116.36, 23.43, 117.19, 24.24), width_px=1600, height_px=900)
    assert v.longitude == pytest.approx(116.775) and v.latitude == pytest.approx(23.835)
    assert 8.5 < v.zoom < 10
    small = view_for_bounds((116.64, 23.66, 116.65, 23.67))
    assert small.zoom > v.zoom + 5
