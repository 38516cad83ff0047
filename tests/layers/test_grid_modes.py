import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import MultiPolygon, box

from layers.grid import (
    FILL_ALPHA,
    GRID_MODE_BREAKS,
    GRID_MODES,
    build_grid_layer,
    grid_mode_colors,
    grid_mode_legend,
)
from layers.palette import DISTRICT_COLORS, GRID_MODE_COLORS, GRID_NO_VALUE

A, B, C = "445102007002001", "445103100001001", "445122100001001"


def grid():
    cells = gpd.GeoDataFrame(
        {
            "cell_code": [A, B, C],
            "district_code": ["445102", "445103", "445122"],
            "street_code": ["445102007", "445103100", "445122100"],
            "community_code": ["445102007002", "445103100001", "445122100001"],
            "responsible_body": ["桥东社区居委会", None, None],
            "grid_workers": [["GW1"], [], []],
            "synthetic": [False, False, True],
        },
        geometry=[
            box(116.64, 23.66, 116.641, 23.661),
            MultiPolygon([box(116.5, 23.6, 116.51, 23.61), box(116.52, 23.6, 116.53, 23.61)]),
            box(116.9, 23.7, 116.91, 23.71),
        ],
        crs="EPSG:4326",
    )
    return build_grid_layer(cells, fallback_label="（兜底）")


def test_colours_align_with_the_records_of_a_multipolygon_cell():
    layer = grid()
    assert [r["cell_code"] for r in layer.data] == [A, B, B, C]
    colors = grid_mode_colors(layer, {A: 0, B: 7, C: 12}, mode="open_cases")
    scale = GRID_MODE_COLORS["open_cases"]
    assert colors.dtype == np.uint8 and colors.shape == (4, 4)
    assert colors.tolist() == [scale[0], scale[3], scale[3], scale[4]]


def test_cells_without_a_value_are_neutral():
    layer = grid()
    colors = grid_mode_colors(layer, {A: 2, C: float("nan")}, mode="overdue")
    assert colors[0].tolist() == GRID_MODE_COLORS["overdue"][2]
    assert colors[1].tolist() == colors[2].tolist() == colors[3].tolist() == GRID_NO_VALUE
    assert GRID_NO_VALUE not in GRID_MODE_COLORS["overdue"]


def test_district_mode_keeps_todays_colours():
    layer = grid()
    colors = grid_mode_colors(layer, {}, mode="district")
    assert colors.tolist() == [r["color"] for r in layer.data]
    assert colors[0].tolist() == [*DISTRICT_COLORS["445102"], FILL_ALPHA]


@pytest.mark.parametrize(
    ("mode", "values", "classes"),
    [
        ("open_cases", [0, 1, 2, 3, 5, 6, 10, 11, 500], [0, 1, 1, 2, 2, 3, 3, 4, 4]),
        ("overdue", [0, 1, 2, 3, 4], [0, 1, 2, 2, 3]),
        ("score", [0, 59.9, 60, 69.99, 70, 80, 89.9, 90, 100], [0, 0, 1, 1, 2, 3, 3, 4, 4]),
    ],
)
def test_breaks_at_the_edges(mode, values, classes):
    layer = grid()
    scale = GRID_MODE_COLORS[mode]
    for value, expected in zip(values, classes):
        colors = grid_mode_colors(layer, {A: value}, mode=mode)
        assert colors[0].tolist() == scale[expected], (mode, value)


def test_legend_labels_and_colours_match_the_classes():
    assert [label for label, _ in grid_mode_legend("open_cases")] == [
        "0",
        "1–2",
        "3–5",
        "6–10",
        ">10",
    ]
    assert [label for label, _ in grid_mode_legend("overdue")] == ["0", "1", "2–3", ">3"]
    score = grid_mode_legend("score")
    assert [label for label, _ in score] == ["<60", "60–70", "70–80", "80–90", "≥90"]
    # red to green
    assert score[0][1][0] > score[0][1][1] and score[-1][1][1] > score[-1][1][0]
    for mode in GRID_MODES[1:]:
        bounds, labels = GRID_MODE_BREAKS[mode]
        assert len(labels) == len(bounds) + 1 == len(GRID_MODE_COLORS[mode])
        assert [c for _, c in grid_mode_legend(mode)] == GRID_MODE_COLORS[mode]
    district = dict(grid_mode_legend("district"))
    assert district["445102"] == [*DISTRICT_COLORS["445102"], FILL_ALPHA]


def test_unknown_mode_is_refused():
    with pytest.raises(ValueError, match="grid mode"):
        grid_mode_colors(grid(), {}, mode="weather")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="grid mode"):
        grid_mode_legend("weather")  # type: ignore[arg-type]
