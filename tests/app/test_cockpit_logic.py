"""The cockpit's pure logic: the period picker's checks, figures and changes as shown, the
drill-down request a click names, ranking rows and weights, cards and the report files."""

from __future__ import annotations

import json
from datetime import datetime

import pandas as pd
import pytest

from app.pages.cockpit.drilldown import (
    card_data,
    case_id_of,
    case_rows,
    counted,
    drill_request,
)
from app.pages.cockpit.logic import (
    Invalid,
    by_dimension,
    change_view,
    choose_period,
    default_value,
    dimension_name,
    format_value,
    key_indicators,
    major_counts,
    ranking_rows,
    report_links,
    stored_period,
    weight_rows,
)
from models.config_sections import DIMENSIONS

TZ = "Asia/Shanghai"
NOW = datetime(2026, 12, 6, 20, 0)  # 2026-12-07 04:00 in Shanghai


@pytest.mark.parametrize(
    ("kind", "value", "label"),
    [
        ("day", "2026-11-05", "2026-11-05"),
        ("week", "2026-W45", "2026-W45"),
        ("month", " 2026-11 ", "2026-11"),
        ("quarter", "2026-Q4", "2026-Q4"),
        ("year", "2026", "2026"),
    ],
)
def test_the_picker_names_a_period(kind, value, label):
    assert choose_period(kind, value, None, None, TZ).label == label


def test_a_custom_range():
    p = choose_period("custom", "ignored", "2026-11-01", "2026-11-15", TZ)
    assert (p.kind, p.label) == ("custom", "2026-11-01..2026-11-15")
    assert p.start == datetime(2026, 10, 31, 16)


@pytest.mark.parametrize(
    ("kind", "value", "start", "end", "key"),
    [
        ("decade", "2026", None, None, "cockpit.bad_kind"),
        (None, "2026", None, None, "cockpit.bad_kind"),
        (["month"], "2026-11", None, None, "cockpit.bad_kind"),
        ("month", "2026-13", None, None, "cockpit.bad_period"),
        ("month", "2026", None, None, "cockpit.bad_period"),  # a year, not a month
        ("month", "", None, None, "cockpit.bad_period"),
        ("month", 202611, None, None, "cockpit.bad_period"),
        ("month", "x" * 500, None, None, "cockpit.bad_period"),
        ("day", "2026-02-30", None, None, "cockpit.bad_period"),
        ("week", "2026-W60", None, None, "cockpit.bad_period"),
        ("year", "1066", None, None, "cockpit.bad_period"),
        ("year", "0001", None, None, "cockpit.bad_period"),
        ("year", "9999", None, None, "cockpit.bad_period"),
        ("custom", None, "2026-11-15", "2026-11-01", "cockpit.bad_period"),
        ("custom", None, "2026-11-01", None, "cockpit.bad_custom"),
        ("custom", None, "yesterday", "2026-11-01", "cockpit.bad_custom"),
        ("custom", None, "2024-01-01", "2026-01-01", "cockpit.custom_too_long"),
    ],
)
def test_bad_picks_are_refused_with_a_message(kind, value, start, end, key):
    with pytest.raises(Invalid) as caught:
        choose_period(kind, value, start, end, TZ)
    assert caught.value.key == key
    assert caught.value.text("zh") and caught.value.text("en")


def test_defaults_are_the_current_period():
    assert default_value("month", NOW, TZ)[0] == "2026-12"
    assert default_value("day", NOW, TZ)[0] == "2026-12-07"
    assert default_value("quarter", NOW, TZ)[0] == "2026-Q4"
    assert default_value("custom", NOW, TZ) == ("", "2026-12-01", "2026-12-07")


def test_stored_period():
    assert stored_period({"label": "2026-11"}, TZ).kind == "month"
    assert stored_period({"label": "nonsense"}, TZ) is None
    assert stored_period({"label": "0001"}, TZ) is None  # year 1 overflows in UTC
    assert stored_period("2026-11", TZ) is None
    assert stored_period(None, TZ) is None


def test_values_and_changes():
    assert format_value(92.456, "%") == "92.46%" or format_value(92.456, "%") == "92.5%"
    assert format_value(1204, "件") == "1,204 件"
    assert format_value(None, "件") == "—"
    assert format_value(float("nan"), "%") == "—"
    up_good = change_view(2.5, "higher")
    assert (up_good.arrow, up_good.css) == ("▲", "better")
    up_bad = change_view(3, "lower")
    assert (up_bad.arrow, up_bad.css, up_bad.text) == ("▲", "worse", "+3")
    down_good = change_view(-1.5, "lower")
    assert (down_good.arrow, down_good.css, down_good.text) == ("▼", "better", "−1.50")
    assert change_view(0, "higher").css == "same"
    assert change_view(None, "higher").css == "none"
    assert change_view(True, "higher").css == "none"


def test_indicators_by_dimension_in_screen_order():
    rows = [{"id": "b", "dimension": DIMENSIONS[3]}, {"id": "a", "dimension": DIMENSIONS[0]},
            {"id": "x", "dimension": "经济运行"}]  # fmt: skip
    groups = by_dimension(rows)
    assert [d for d, _ in groups] == [DIMENSIONS[0], DIMENSIONS[3], "经济运行"]
    assert dimension_name(DIMENSIONS[0], "zh") == DIMENSIONS[0]
    assert all(dimension_name(d, "en").isascii() for d in DIMENSIONS)


def test_key_indicators_have_a_trend():
    rows = [
        {"id": "a", "dimension": "城市管理", "unit": "%", "trend": [None, 90.0]},
        {"id": "b", "dimension": "城市管理", "unit": "%", "trend": [None, None]},
        {"id": "c", "dimension": "城市安全", "unit": "件", "trend": [1, 2]},
    ]
    assert [r["id"] for r in key_indicators(rows)] == ["a", "c"]


def test_drill_requests_are_checked():
    assert drill_request({"type": "cockpit-ind", "id": "cases.registered"}).indicator == (
        "cases.registered"
    )
    d = drill_request({"type": "cockpit-rank-fig", "by": "district", "value": "445102",
                       "figure": "registered"})  # fmt: skip
    assert (d.kind, d.by, d.value, d.figure) == ("ranking", "district", "445102", "registered")
    assert drill_request({"type": "cockpit-rank-fig", "by": "post", "value": "",
                          "figure": "overdue_count"}).value is None  # fmt: skip
    for bad in (
        None,
        "cockpit-ind",
        {"type": "cockpit-ind", "id": "x; DROP TABLE cases"},
        {"type": "cockpit-ind", "id": 5},
        {"type": "cockpit-rank-fig", "by": "city", "value": "1", "figure": "registered"},
        {"type": "cockpit-rank-fig", "by": "district", "value": "1", "figure": "score; --"},
        {"type": "cockpit-rank-fig", "by": "district", "value": ["1"], "figure": "registered"},
        {"type": "other", "id": "a"},
    ):
        with pytest.raises(Invalid):
            drill_request(bad)


def test_ranking_rows_and_weights():
    frame = pd.DataFrame(
        [
            {"group_value": "445102", "group_name": "湘桥区", "score": 91.26, "registered": 10,
             "overdue_count": 1, "on_time_handling_rate": 0.9, "closure_rate": None},
            {"group_value": None, "group_name": None, "score": None, "registered": 2,
             "overdue_count": 0, "on_time_handling_rate": None, "closure_rate": 0.5},
        ]
    )  # fmt: skip
    rows = ranking_rows(frame)
    assert rows[0] == {"rank": 1, "value": "445102", "name": "湘桥区", "score": "91",
                       "registered": 10, "overdue_count": 1, "on_time": "90.0%",
                       "closure": "—"}  # fmt: skip
    assert (rows[1]["value"], rows[1]["name"], rows[1]["score"]) == ("", "—", "未评")
    assert rows[1]["rank"] == "—"  # not rated: no place in the ranking
    assert ranking_rows(frame, lang="en")[1]["score"] == "not rated"
    weights = weight_rows({"dispatch": 1, "handling": 1, "closure": 2})
    assert [w[0] for w in weights] == ["dispatch", "handling", "closure", "rework", "overdue"]
    assert [round(w[2]) for w in weights] == [25, 25, 50, 0, 0]


def test_case_rows_and_counted():
    frame = pd.DataFrame(
        [
            {"case_id": "C1", "category_code": "0201", "district_code": "445102",
             "street_code": None, "stage": "closed",
             "registered_at": pd.Timestamp("2026-11-02 01:00"), "in_numerator": True},
            {"case_id": "C2", "category_code": "0301", "district_code": "445102",
             "street_code": "445102001", "stage": "handling", "registered_at": pd.NaT,
             "in_numerator": False},
        ]
    )  # fmt: skip
    rows = case_rows(frame, lang="zh", tz=TZ, names={"445102": "湘桥区", "cat:0201": "道路不洁"})
    assert rows[0]["category"] == "道路不洁" and rows[0]["place"] == "湘桥区"
    assert rows[0]["registered"] == "11-02 09:00" and rows[1]["registered"] == "—"
    assert rows[1]["place"] == "湘桥区 · 445102001"
    assert (rows[0]["counted"], rows[1]["counted"]) == ("✓", "✗")
    assert counted(frame) == 1
    assert counted(frame.assign(in_numerator=True)) is None
    assert case_id_of({"rowId": "C1", "colId": "case_id"}) == "C1"
    assert case_id_of({"rowId": 5}) is None and case_id_of("C1") is None


def test_card_data():
    view = {
        "id": "C1", "stage": "handling", "stage_label": {"zh": "处置中", "en": "handling"},
        "category": {"code": "0201", "name_zh": "道路不洁", "name_en": "road not clean"},
        "address": "太平路 1 号", "unit": "CG-445102", "unit_name": "湘桥区城管执法局",
        "reported_at": "2026-11-02T01:00:00Z",
        "sla": {"level": "red", "left_s": -3700}, "description": "路面油污",
        "history": [{"at": "2026-11-02T01:00:00Z", "action": "report", "to": "reported",
                     "actor": "12345", "note": None}],
    }  # fmt: skip
    card = card_data(view, lang="en", tz=TZ)
    assert card["category"] == "0201 road not clean" and card["stage"] == "handling"
    assert card["sla_level"] == "red" and card["reported"] == "11-02 09:00"
    assert card["history"][0]["actor"] == "12345" and card["history"][0]["note"] == ""
    assert card_data({"id": "C2"}, lang="zh", tz=TZ)["sla"] == "—"
    zh = card_data({**view, "address": None, "district_code": "445102"}, lang="zh", tz=TZ,
                   names={"445102": "湘桥区"})  # fmt: skip
    assert zh["history"][0]["action"] == "上报" and zh["place"] == "湘桥区"


def test_major_counts():
    frame = pd.DataFrame({"category_code": ["0201", "0202", "0301", None], "cases": [3, 2, 4, 1]})
    assert major_counts(frame) == [("02", 5), ("03", 4), ("—", 1)]
    assert major_counts(frame.iloc[0:0]) == []


def test_report_links_newest_first():
    from app.reports.store import list_reports

    items = [
        {"kind": "daily", "period": "2026-12-05", "format": "pdf"},
        {"kind": "daily", "period": "2026-12-06", "format": "xlsx"},
        {"kind": "daily", "period": "2026-12-06", "format": "pdf"},
        {"kind": "monthly", "period": "2026-11", "format": "xlsx"},
        {"kind": "monthly", "period": "2026-11", "format": "pdf"},
    ]
    assert report_links(items) == [
        ("daily", "2026-12-06", [("pdf", "/api/v1/reports/daily/2026-12-06.pdf"),
                                 ("xlsx", "/api/v1/reports/daily/2026-12-06.xlsx")]),
        ("daily", "2026-12-05", [("pdf", "/api/v1/reports/daily/2026-12-05.pdf")]),
        ("monthly", "2026-11", [("pdf", "/api/v1/reports/monthly/2026-11.pdf"),
                                ("xlsx", "/api/v1/reports/monthly/2026-11.xlsx")]),
    ]  # fmt: skip
    assert report_links([]) == []
    district = [{"kind": "monthly", "period": "2026-10", "format": "pdf", "district": "445122"}]
    assert report_links(district) == [
        ("monthly", "2026-10", [("pdf", "/api/v1/reports/monthly/2026-10.pdf?district=445122")])
    ]
    assert callable(list_reports)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ({"label": ["x"]}, "x"),
        (["2026-13"], "2026-13"),
        ({"a": {"b": 1}}, ""),
        ("x" * 500, "x" * 24 + "…"),
        ("2026-1\n3\x00", "2026-13"),
    ],
)
def test_a_bad_period_is_named_as_plain_text_not_python(value, shown):
    from app.pages.cockpit.logic import period_invalid

    text = period_invalid(value).text("zh")
    assert f"“{shown}”" in text
    assert not set("{}[]'\\") & set(text), text
    with pytest.raises(Invalid) as caught:
        choose_period("month", value, None, None, TZ)
    assert not set("{}[]'\\") & set(caught.value.text("en"))


def test_the_score_is_named_for_the_scope():
    from app.pages.cockpit.panels import score_block

    city = {"score": 91.0, "dimensions": {}}

    def label(lang: str, kind: str) -> str:
        return json.dumps(score_block(city, lang, scope_kind=kind), default=str,
                          ensure_ascii=False)  # fmt: skip

    assert "城市运行指数" in label("zh", "city") and "City score" in label("en", "city")
    district_zh, district_en = label("zh", "district"), label("en", "district")
    assert "区域运行指数" in district_zh and "城市" not in district_zh
    assert "District score" in district_en and "City" not in district_en
