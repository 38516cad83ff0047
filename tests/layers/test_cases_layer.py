import numpy as np
import pandas as pd

from layers.cases import (
    CASE_POINTS_LAYER_ID,
    STAGE_GROUPS,
    build_case_points,
    case_point_changes,
)
from layers.deck import layer_json
from layers.palette import CASE_SLA_LINE, CASE_STAGE_FILL, EXERCISE_FILL, EXERCISE_LINE
from layers.wire import decode_array
from models.map_state.cases import CASE_COLUMNS
from models.workflow import STAGES, TERMINAL_STAGES
from tests.layers.golden_files import check_golden

LABELS = dict(
    lang="zh",
    stage_labels={"reported": "上报", "dispatched": "派遣", "handled": "处置反馈"},
    sla_labels={"none": "无时限", "green": "正常", "yellow": "临期", "red": "超期"},
    left_template="剩余 {hours} 工时",
    overdue_template="超期 {hours} 工时",
    exercise_label="演练",
)

COLUMNS = CASE_COLUMNS  # the contract of models.map_state.cases_at


def case_frame(rows: list[dict]) -> pd.DataFrame:
    """Cases in the map-state contract; each row gives what matters, the rest is filled in."""
    base = {
        "category_code": "0101",
        "category_zh": "占道经营",
        "category_en": "Street vending",
        "source": "grid_worker",
        "reported_at": pd.Timestamp("2026-03-02 01:00"),
        "due_at": pd.Timestamp("2026-03-04 01:00"),
        "closed_at": pd.NaT,
        "exercise": False,
        "cell_code": "445102007002001",
        "district_code": "445102",
        "street_code": "445102007",
        "escalation_level": 0,
        "severity": "normal",
        "sla": "green",
        "time_left_h": 3.5,
        "open": True,
        "change_seq": 1,
    }
    return pd.DataFrame([{**base, **row} for row in rows], columns=COLUMNS)


def small_frame() -> pd.DataFrame:
    return case_frame(
        [
            dict(case_id="C1", lon=116.62, lat=23.66, stage="reported", sla="none",
                 time_left_h=float("nan")),
            dict(case_id="C2", lon=116.63, lat=23.67, stage="dispatched", sla="red",
                 time_left_h=-2.04, severity="escalated", escalation_level=1),
            dict(case_id="C3", lon=116.64, lat=23.68, stage="handled", sla="yellow",
                 time_left_h=0.75, severity="urgent"),
            dict(case_id="C4", lon=116.65, lat=23.69, stage="closed", open=False,
                 closed_at=pd.Timestamp("2026-03-03 02:00")),
            dict(case_id="C5", lon=116.66, lat=23.70, stage="handling", sla="red", exercise=True,
                 time_left_h=-1.0, category_zh="井盖缺失", category_en="Missing manhole cover"),
        ]
    )  # fmt: skip


def _text(wire: dict, name: str) -> list[str]:
    col = wire["columns"][name]
    if isinstance(col, list):
        return col
    codes = decode_array(col["codes"])
    return [col["values"][c] for c in codes]


def test_every_open_stage_has_a_group():
    assert set(STAGES) - set(TERMINAL_STAGES) == set(STAGE_GROUPS)
    assert set(STAGE_GROUPS.values()) <= set(CASE_STAGE_FILL)


def test_closed_cases_left_out_and_overdue_drawn_last():
    spec = build_case_points(small_frame(), **LABELS)
    assert spec.layer_id == CASE_POINTS_LAYER_ID and spec.key == "id"
    assert spec.layer_type == "ScatterplotLayer"
    # drill first, then none/green, yellow, red (stable within a rank)
    assert spec.columns.text["id"] == ["C5", "C1", "C3", "C2"]


def test_ids_positions_and_text_round_trip_through_the_wire():
    wire = layer_json(build_case_points(small_frame(), **LABELS))
    assert wire["length"] == 4 and wire["key"] == "id"
    assert wire["binary"] == {
        "getPosition": "position",
        "getFillColor": "fill",
        "getLineColor": "line",
        "getRadius": "radius",
    }
    assert not set(wire["binary"]) & set(wire["props"])
    assert wire["columns"]["id"] == ["C5", "C1", "C3", "C2"]
    position = decode_array(wire["columns"]["position"])
    assert position.dtype == np.float32 and position.shape == (4, 2)
    np.testing.assert_allclose(position[0], [116.66, 23.70], atol=1e-5)  # lon first
    np.testing.assert_allclose(position[3], [116.63, 23.67], atol=1e-5)
    assert _text(wire, "category") == ["井盖缺失", "占道经营", "占道经营", "占道经营"]
    assert _text(wire, "stage") == ["handling", "上报", "处置反馈", "派遣"]  # unlabelled: code
    assert _text(wire, "sla") == ["超期", "无时限", "临期", "超期"]
    assert _text(wire, "left") == ["超期 1.0 工时", "", "剩余 0.8 工时", "超期 2.0 工时"]
    assert _text(wire, "drill") == ["演练", "", "", ""]
    assert wire["columns"]["category"]["values"] == ["井盖缺失", "占道经营"]  # encoded once
    radius = decode_array(wire["columns"]["radius"])
    assert radius.dtype == np.float32 and radius[1] < radius[2] < radius[3]


def test_english_category_names():
    wire = layer_json(build_case_points(small_frame(), **{**LABELS, "lang": "en"}))
    assert _text(wire, "category")[0] == "Missing manhole cover"


def test_fill_by_stage_line_by_sla_and_drills_stand_apart():
    cols = build_case_points(small_frame(), **LABELS).columns
    fill, line = cols.numeric["fill"], cols.numeric["line"]
    assert fill.dtype == np.uint8 and fill.shape == (4, 4) and line.shape == (4, 4)
    ids = cols.text["id"]
    at = {case_id: i for i, case_id in enumerate(ids)}
    assert fill[at["C1"]].tolist() == CASE_STAGE_FILL["awaiting"]
    assert fill[at["C2"]].tolist() == CASE_STAGE_FILL["handling"]
    assert fill[at["C3"]].tolist() == CASE_STAGE_FILL["verifying"]
    assert line[at["C1"]].tolist() == CASE_SLA_LINE["none"]
    assert line[at["C2"]].tolist() == CASE_SLA_LINE["red"]
    assert line[at["C3"]].tolist() == CASE_SLA_LINE["yellow"]
    # the drill is overdue, yet neither its fill nor its ring looks like a real case
    assert fill[at["C5"]].tolist() == EXERCISE_FILL
    assert line[at["C5"]].tolist() == EXERCISE_LINE
    assert EXERCISE_FILL not in CASE_STAGE_FILL.values()
    assert EXERCISE_LINE not in CASE_SLA_LINE.values()


def test_unknown_stage_is_grey_not_an_error():
    frame = case_frame([dict(case_id="X", lon=116.6, lat=23.6, stage="mystery")])
    cols = build_case_points(frame, **LABELS).columns
    assert cols.numeric["fill"][0].tolist() == CASE_STAGE_FILL["other"]


def test_no_open_cases_gives_an_empty_layer():
    frame = small_frame()
    frame["open"] = False
    wire = layer_json(build_case_points(frame, **LABELS))
    assert wire["length"] == 0 and decode_array(wire["columns"]["position"]).size == 0


def test_changes_upsert_open_and_remove_closed():
    frame = small_frame()
    frame.loc[frame["case_id"] == "C2", ["stage", "open"]] = ["void", False]
    spec, removed = case_point_changes(frame.iloc[1:], **LABELS)
    assert spec.layer_id == CASE_POINTS_LAYER_ID
    assert spec.columns.text["id"] == ["C5", "C3"]
    assert removed == ["C2", "C4"]


def test_many_cases_take_a_few_distinct_strings():
    n = 20_000
    rng = np.random.default_rng(7)
    frame = case_frame(
        [dict(case_id=f"C{i}", lon=116.6, lat=23.6, stage="handling") for i in range(n)]
    )
    frame["time_left_h"] = rng.normal(5, 10, n)
    wire = layer_json(build_case_points(frame, **LABELS))
    left = wire["columns"]["left"]
    assert decode_array(left["codes"]).dtype == np.uint16  # > 255 distinct labels
    assert len(left["values"]) < 1000 and len(set(left["values"])) == len(left["values"])


def test_golden_case_points():
    check_golden("case_points.json", layer_json(build_case_points(small_frame(), **LABELS)))
