"""Pure logic and panels of the emergency screen: what the browser sends is checked totally,
the composer makes the content the warning service reads, orders show their state (an
unacknowledged one in red), overdue tasks are red, the excluded units say why."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import pytest

from app.pages.emergency import ids
from app.pages.emergency.logic import (
    Invalid,
    checked_id,
    checked_kind,
    checked_need,
    checked_point,
    checked_text,
    clicked,
    minutes_text,
    number,
    task_needs,
    warning_content,
)
from app.pages.emergency.panels import nearest_list, order_table, task_list
from models.emergency.warning_content import parse_warning_content

NOW = datetime(2026, 11, 24, 2, 0)
INCIDENT = {"incident_id": "INC-20261124-0001", "lon": 116.6465, "lat": 23.6707, "exercise": True}


def _strings(node: object) -> str:
    """Every string and class name in a component tree."""
    out: list[str] = []

    def walk(value: object) -> None:
        if isinstance(value, str):
            out.append(value)
        elif isinstance(value, (list, tuple)):
            for v in value:
                walk(v)
        elif hasattr(value, "to_plotly_json"):
            walk(list(value.to_plotly_json()["props"].values()))
        elif isinstance(value, dict):
            walk(list(value.values()))

    walk(node)
    return " ".join(out)


@pytest.mark.parametrize(
    "value", [None, "", "x" * 65, "a b", "a/b", "<script>", 12, ["INC"], {"id": "x"}, "é"]
)
def test_ids_from_the_browser_are_plain_and_short(value):
    with pytest.raises(Invalid):
        checked_id(value)


def test_points_and_numbers():
    assert checked_point(116.5, "23.25") == (116.5, 23.25)
    for lon, lat in ((math.nan, 23), (math.inf, 23), (181, 23), (116, -91), ("1e999", 3),
                     (True, 23), ({"x": 1}, 2), ("x" * 100, 1), (None, None)):  # fmt: skip
        with pytest.raises(Invalid):
            checked_point(lon, lat)
    assert number(10**400) is None and number("nan") is None and number(False) is None


def test_texts_choices_and_clicks():
    assert checked_text("  积水  ", max_len=10) == "积水"
    assert checked_text("", max_len=10, required=False) is None
    for bad in ("x" * 11, "a\x00b", ["x"], 3):
        with pytest.raises(Invalid):
            checked_text(bad, max_len=10)
    with pytest.raises(Invalid):
        checked_text(None, max_len=10)
    assert checked_kind("all") is None and checked_kind("team") == "team"
    with pytest.raises(Invalid):
        checked_kind("tank")
    assert checked_need("team:flood_control", ["team:flood_control"]) == "team:flood_control"
    with pytest.raises(Invalid):
        checked_need("team:other", ["team:flood_control"])
    assert clicked(1) and not clicked(0) and not clicked(None) and not clicked(True)
    assert minutes_text(59, "zh") == "1 分钟" and minutes_text(3900, "en") == "1 h 05 min"
    assert minutes_text(math.inf, "zh") == "—"


def _fields(**over: object) -> list[object]:
    values = {
        ids.W_EVENT: "waterlogging", ids.W_SEVERITY: "Moderate", ids.W_URGENCY: "Immediate",
        ids.W_CERTAINTY: "Likely", ids.W_HEADLINE_ZH: "内涝黄色预警",
        ids.W_HEADLINE_EN: "Yellow waterlogging warning", ids.W_DESC_ZH: "老城区积水。",
        ids.W_DESC_EN: "Water in the old city.", ids.W_INSTR_ZH: None, ids.W_INSTR_EN: "",
        ids.W_AREA_MODE: "circle", ids.W_RADIUS: 2.5, ids.W_CODES: [], ids.W_HOURS: 6,
    }  # fmt: skip
    values.update({getattr(ids, k): v for k, v in over.items()})
    return [values[f] for f in ids.W_FIELDS]


def test_the_composer_makes_content_the_warning_service_reads():
    content = warning_content(_fields(), INCIDENT, now=NOW)
    parsed = parse_warning_content(content, now=NOW)
    assert parsed.status == "Exercise" and parsed.incident_id == INCIDENT["incident_id"]
    assert parsed.area.circles == ((116.6465, 23.6707, 2.5),)
    assert parsed.expires == NOW + timedelta(hours=6) and parsed.instruction is None
    codes = warning_content(_fields(W_AREA_MODE="codes", W_CODES=["445102", "445102001"]),
                            {**INCIDENT, "exercise": False}, now=NOW)  # fmt: skip
    assert codes["area"] == {"codes": ["445102", "445102001"]} and codes["status"] == "Actual"
    with_instruction = warning_content(_fields(W_INSTR_ZH="远离低洼", W_INSTR_EN="Keep away"),
                                       INCIDENT, now=NOW)  # fmt: skip
    assert with_instruction["instruction"] == {"zh": "远离低洼", "en": "Keep away"}


@pytest.mark.parametrize(
    "over",
    [
        {"W_HEADLINE_EN": ""},
        {"W_INSTR_ZH": "只有中文"},
        {"W_SEVERITY": "Apocalyptic"},
        {"W_EVENT": None},
        {"W_RADIUS": math.nan},
        {"W_RADIUS": 0},
        {"W_RADIUS": 1000},
        {"W_HOURS": 0},
        {"W_HOURS": "forever"},
        {"W_AREA_MODE": "polygon"},
        {"W_AREA_MODE": "codes", "W_CODES": []},
        {"W_AREA_MODE": "codes", "W_CODES": ["44510"]},
        {"W_AREA_MODE": "codes", "W_CODES": "445102"},
        {"W_DESC_ZH": "x" * 5000},
    ],
)
def test_the_composer_refuses_bad_fields_in_words(over):
    with pytest.raises(Invalid) as refused:
        warning_content(_fields(**over), INCIDENT, now=NOW)
    assert refused.value.text("zh")


def test_orders_show_their_state_and_an_unacknowledged_one_is_red():
    base = {"unit": "TM-001", "name_zh": "第一分队", "issued_at": NOW, "eta_s": 300.0,
            "unit_status": "dispatched"}  # fmt: skip
    orders = [
        {**base, "order_id": "O1", "status": "unacked"},
        {**base, "order_id": "O2", "status": "acked", "acked_at": NOW},
        {**base, "order_id": "O3", "status": "arrived", "unit_status": "on_scene"},
        {**base, "order_id": "O4", "status": "acked", "unit_status": "out_of_service"},
    ]
    table = order_table(orders, lang="zh", tz="Asia/Shanghai", can_act=True).to_plotly_json()
    rows = table["props"]["children"][1].children
    assert [r.className for r in rows] == ["st-unacked", "st-acked", "st-arrived", "st-acked"]
    shown = _strings(rows)
    assert "未签收" in shown and "已到场" in shown and "5 分钟" in shown
    assert "已签收 · 停用" in shown  # a unit's own status only where the order does not say it
    assert "撤回" in _strings(rows[0]) and "撤回" not in _strings(rows[2])
    quiet = order_table(orders, lang="zh", tz="Asia/Shanghai", can_act=False)
    assert "撤回" not in _strings(quiet)


def test_tasks_overdue_in_red_and_done_ones_struck():
    tasks = [
        {"task_no": 1, "plan_level": "IV", "step_no": 1, "action_zh": "发布响应", "owner": "x",
         "due_at": NOW - timedelta(minutes=5), "done_at": None, "overdue": True,
         "overdue_s": 20},
        {"task_no": 2, "plan_level": "IV", "step_no": 2, "action_zh": "会商", "owner": "x",
         "due_at": NOW + timedelta(minutes=30), "done_at": NOW, "done_by": "emergency",
         "overdue": False, "overdue_s": 0, "requires": "team:flood_control"},
        {"task_no": 3, "plan_level": "III", "step_no": 1, "action_zh": "排水", "owner": "x",
         "due_at": NOW + timedelta(minutes=30), "done_at": None, "overdue": False,
         "overdue_s": 0, "requires": "team:drainage"},
    ]  # fmt: skip
    rows = task_list(tasks, lambda o, lang: "应急局", lang="zh", tz="Asia/Shanghai", can_act=True)
    assert [r.className for r in rows] == ["em-task is-overdue", "em-task is-done", "em-task"]
    assert "已超时 1 分钟" in _strings(rows[0]) and "task:done" in _strings(rows[2])
    assert task_needs(tasks) == ["team:drainage"]  # the open tasks' needs only
    quiet = task_list(tasks, lambda o, lang: "", lang="zh", tz="Asia/Shanghai", can_act=False)
    assert "task:done" not in _strings(quiet)


def test_nearest_candidates_and_the_excluded_with_why():
    ranking = {
        "candidates": [
            {"unit": "TM-001", "name": "一分队", "kind": "team", "eta_s": 240.0,
             "reasons": ["可用", "沿道路 2 公里"]},
            {"unit": "EX-001", "name": "专家", "kind": "expert", "eta_s": 300.0, "reasons": []},
            {"unit": "TM-009", "name": "外区队", "kind": "team", "eta_s": 600.0, "reasons": []},
        ],
        "excluded": [{"unit": "TM-002", "name": "二分队", "why": "位置 14 分钟前更新"}],
    }  # fmt: skip
    rows = nearest_list(ranking, lang="zh", can_act=True, only={"TM-001", "EX-001"})
    assert "一键调派" in _strings(rows[0])  # a team the reader may send
    assert "一键调派" not in _strings(rows[1])  # an expert does not drive out
    assert "一键调派" not in _strings(rows[2])  # another district's team
    assert "4 分钟" in _strings(rows[0]) and "位置 14 分钟前更新" in _strings(rows[3])
    problem = nearest_list({"problem": "没有道路网"}, lang="zh", can_act=True)
    assert "没有道路网" in _strings(problem)
