import h3
import numpy as np
import pandas as pd

from layers.deck import layer_json
from layers.hexbin import (
    AGGREGATE_COLUMNS,
    CASE_HEXES_LAYER_ID,
    aggregate_cases,
    build_case_hexagons,
    hex_colors,
    resolution_for_zoom,
)
from layers.palette import HEX_EXERCISE, HEX_RAMP
from tests.layers.golden_files import check_golden
from tests.layers.test_cases_layer import case_frame

#: A res-9 cell in 湘桥区 and one of its neighbours; points sit at their centres.
HOME = h3.latlng_to_cell(23.666, 116.632, 9)
NEXT = sorted(h3.grid_ring(HOME, 1))[0]
FAR = h3.latlng_to_cell(23.70, 116.70, 9)

LABELS = dict(
    count_template="{n} 件",
    overdue_label="超期",
    warning_label="临期",
    group_labels={"awaiting": "待受理", "handling": "处置中", "verifying": "待核查"},
    exercise_label="演练",
)


def _at(cell: str, case_id: str, **row) -> dict:
    lat, lon = h3.cell_to_latlng(cell)
    return dict(case_id=case_id, lon=lon, lat=lat, **row)


def frame() -> pd.DataFrame:
    rows = [
        _at(HOME, "A1", stage="reported", sla="red"),
        _at(HOME, "A2", stage="handling", sla="red"),
        _at(HOME, "A3", stage="handling", sla="yellow"),
        _at(HOME, "A4", stage="handled", sla="green"),
        _at(HOME, "A5", stage="handling", sla="red", exercise=True),
        _at(HOME, "A6", stage="closed", sla="red", open=False),
        _at(NEXT, "B1", stage="dispatched", sla="green"),
        _at(NEXT, "B2", stage="rework", sla="none"),
        _at(FAR, "D1", stage="handling", sla="red", exercise=True),
    ]
    return case_frame([{"stage": "handling", **r} for r in rows])


def test_resolution_steps_with_zoom():
    assert [resolution_for_zoom(z) for z in (8, 10, 10.5, 11, 11.99, 12, 16)] == [
        7,
        7,
        8,
        8,
        8,
        9,
        9,
    ]


def test_counts_per_hexagon_match_the_points():
    agg = aggregate_cases(frame(), resolution=9)
    assert tuple(agg.columns) == AGGREGATE_COLUMNS
    assert agg["hex"].tolist() == sorted([HOME, NEXT, FAR])
    by = agg.set_index("hex")
    assert by.loc[HOME, "n"] == 5  # the closed case is not counted
    assert agg["n"].sum() == frame()["open"].sum()  # every drawn point in one hexagon
    # the drill is red but never counts as overdue
    assert by.loc[HOME, ["overdue", "warning", "exercise"]].tolist() == [2, 1, 1]
    groups = ["awaiting", "handling", "verifying", "other"]
    assert by.loc[HOME, groups].tolist() == [1, 3, 1, 0]  # the drill counts in its stage
    assert (by[groups].sum(axis=1) == by["n"]).all()
    assert by.loc[NEXT, ["n", "overdue", "handling"]].tolist() == [2, 0, 2]
    assert by.loc[FAR, ["n", "overdue", "exercise"]].tolist() == [1, 0, 1]
    assert all(agg[c].dtype == np.int64 for c in AGGREGATE_COLUMNS[1:])


def test_coarser_resolution_regroups_the_same_points():
    agg = aggregate_cases(frame(), resolution=7)
    expected: dict[str, int] = {}
    # not cell_to_parent: a res-9 centre may lie outside its H3 parent's hexagon
    for cell, n in ((HOME, 5), (NEXT, 2), (FAR, 1)):
        coarse = h3.latlng_to_cell(*h3.cell_to_latlng(cell), 7)
        expected[coarse] = expected.get(coarse, 0) + n
    assert dict(zip(agg["hex"], agg["n"])) == expected


def test_hex_ring_closes_in_lon_lat_order():
    spec = build_case_hexagons(aggregate_cases(frame(), resolution=9), **LABELS)
    home = next(r for r in spec.data if r["hex"] == HOME)
    ring = home["polygon"]
    assert len(ring) == 7 and ring[0] == ring[-1]
    lat, lon = h3.cell_to_latlng(HOME)
    assert all(abs(x - lon) < 0.01 and abs(y - lat) < 0.01 for x, y in ring)


def test_colour_follows_overdue_share_and_drills_are_violet():
    agg = aggregate_cases(frame(), resolution=9).set_index("hex")
    colors = hex_colors(agg.reset_index())
    at = {h: i for i, h in enumerate(agg.index)}
    assert colors.dtype == np.uint8 and colors.shape == (3, 4)
    assert colors[at[NEXT], :3].tolist() == HEX_RAMP[0][1]  # none overdue: calm
    assert colors[at[HOME], :3].tolist() == HEX_RAMP[-1][1]  # 2 of 4 real cases: red
    assert colors[at[FAR], :3].tolist() == HEX_EXERCISE  # drills only
    assert colors[at[HOME], 3] > colors[at[NEXT], 3] > colors[at[FAR], 3]  # alpha with n


def test_colour_ramps_through_amber():
    agg = pd.DataFrame({"n": [20, 10], "overdue": [2, 0], "exercise": [0, 0]})
    assert hex_colors(agg)[0, :3].tolist() == HEX_RAMP[1][1]  # 10 %: amber


def test_tooltip_title_and_lines():
    spec = build_case_hexagons(aggregate_cases(frame(), resolution=9), **LABELS)
    assert spec.layer_id == CASE_HEXES_LAYER_ID and spec.key == "hex"
    assert spec.props["extruded"] is False and "getElevation" not in spec.props
    home = next(r for r in spec.data if r["hex"] == HOME)
    assert home["title"] == "5 件"
    assert home["lines"] == ["超期 2 · 临期 1", "待受理 1 · 处置中 3 · 待核查 1", "演练 1"]
    nxt = next(r for r in spec.data if r["hex"] == NEXT)
    assert nxt["lines"] == ["超期 0 · 临期 0", "处置中 2"]


def test_extruded_raises_by_count():
    spec = build_case_hexagons(aggregate_cases(frame(), resolution=9), **LABELS, extruded=True)
    assert spec.props["extruded"] is True and spec.props["getElevation"] == "n"


def test_no_open_cases_gives_no_hexagons():
    f = frame()
    f["open"] = False
    agg = aggregate_cases(f, resolution=8)
    assert agg.empty and tuple(agg.columns) == AGGREGATE_COLUMNS
    assert build_case_hexagons(agg, **LABELS).data == []


def test_golden_case_hexes():
    spec = build_case_hexagons(aggregate_cases(frame(), resolution=8), **LABELS)
    check_golden("case_hexes.json", layer_json(spec))
