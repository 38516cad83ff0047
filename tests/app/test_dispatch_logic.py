"""Pure logic of the dispatch console (app/pages/dispatch/logic.py) and its canned notes."""

from __future__ import annotations

from datetime import datetime

import pytest

from app.pages.dispatch import ids
from app.pages.dispatch.logic import (
    MAX_BLOCK,
    Invalid,
    action_request,
    actions_class,
    bulk_summary,
    case_id,
    case_ids,
    clean_text,
    format_row,
    local_time,
    merge_candidates,
    page_bounds,
    queue_filter_args,
    shown_actions,
    sla_class,
    sort_spec,
    time_left_text,
)
from models.canned_notes import canned_note_problems, canned_notes, load_canned_notes
from models.case_queue import QueueFilter
from models.case_service import Outcome
from models.workflow import ACTIONS


def test_time_left_text_counts_down_and_overdue():
    assert time_left_text(2 * 3600 + 5 * 60 + 30, "zh") == "剩余 2小时05分"
    assert time_left_text(-(3600 + 60), "zh") == "超期 1小时01分"
    assert time_left_text(45 * 60, "en") == "45 min left"
    assert time_left_text(-59, "en") == "0 min overdue"
    for nothing in (None, float("nan"), float("inf"), "12", True):
        assert time_left_text(nothing, "zh") == "—"


def test_sla_class_and_local_time():
    assert [sla_class(v) for v in ("green", "yellow", "red", None, "x")] == [
        "green",
        "yellow",
        "red",
        "none",
        "none",
    ]
    assert local_time("2026-12-07T02:30:00Z", "Asia/Shanghai") == "12-07 10:30"
    assert local_time(datetime(2026, 12, 7, 2, 30), "Asia/Shanghai", with_date=False) == "10:30"
    assert local_time("not a time", "Asia/Shanghai") == local_time(None, "Asia/Shanghai") == "—"


def test_format_row_from_a_queue_row():
    row = {
        "case_id": "C1",
        "stage": "dispatched",
        "category_code": "0201",
        "category_name_zh": "道路不洁",
        "category_name_en": "Road not clean",
        "source": "hotline",
        "district_name": "湘桥区",
        "street_name": "桥东街道",
        "reported_at": "2026-12-07T02:30:00Z",
        "seconds_left": -120,
        "sla_level": "red",
        "assigned_unit": "CG-445102",
        "claimed_by": None,
        "exercise": True,
        "escalation_level": 1,
        "description": "  a\x00b  ",
    }
    zh = format_row(row, lang="zh", tz="Asia/Shanghai")
    assert zh["stage_label"] == "派遣" and zh["category"] == "道路不洁"
    assert zh["place"] == "湘桥区 · 桥东街道" and zh["source_label"] == "12345"
    assert zh["time_left"] == "超期 2分钟" and zh["sla_level"] == "red"
    assert zh["exercise"] is True and zh["description"] == "a b" and zh["claimed_by"] == ""
    en = format_row(row, lang="en", tz="Asia/Shanghai")
    assert en["category"] == "Road not clean" and en["stage_label"] == "Dispatched"


def test_queue_filter_args_keep_only_usable_values():
    args = queue_filter_args(
        {
            "stage": ["reported", "bogus", 3, "reported"],
            "category": ["0201", "02O1"],
            "district": "445102",
            "street": "' OR 1=1",
            "source": "hotline",
            "due": "overdue",
            "exercise": "drill",
            "text": "  井盖\x00 ",
            "flags": ["mine", "closed", "root"],
        },
        username="disp",
    )
    assert args == {
        "stages": ("reported",),
        "include_closed": True,
        "categories": ("0201",),
        "district": "445102",
        "street": None,
        "sources": ("hotline",),
        "due": "overdue",
        "exercise": True,
        "text": "井盖",
        "claimed_by": "disp",
    }
    QueueFilter(**args)  # the queue takes them as they are
    empty = queue_filter_args({}, username="disp")
    assert empty["stages"] == () and empty["claimed_by"] is None and empty["exercise"] is None
    assert (
        queue_filter_args({"exercise": "real", "due": "later"}, username="x")["exercise"] is False
    )
    QueueFilter(**empty)


def test_sort_spec_maps_grid_columns_to_queue_columns():
    model = [
        {"colId": "time_left", "sort": "asc"},
        {"colId": "reported", "sort": "desc"},
        {"colId": "description", "sort": "asc"},  # not sortable
        {"colId": "case_id", "sort": "sideways"},
        "junk",
    ]
    assert sort_spec(model) == [("due_at", False), ("reported_at", True)]
    assert sort_spec(None) == sort_spec("x") == []


def test_page_bounds():
    assert page_bounds({"startRow": 100, "endRow": 200}) == (100, 100)
    assert page_bounds({"startRow": 0, "endRow": 10_000}) == (0, MAX_BLOCK)
    for bad in (None, [], {"startRow": -1, "endRow": 3}, {"startRow": 5, "endRow": 5},
                {"startRow": "0", "endRow": 9}, {"startRow": True, "endRow": 9}):  # fmt: skip
        with pytest.raises(Invalid):
            page_bounds(bad)


def test_shown_actions_follow_the_allowed_ones():
    assert shown_actions(["accept", "void", "merge", "recategorise"]) == [
        "accept",
        "void",
        "merge",
        "recategorise",
    ]
    assert shown_actions(["dispatch", "recategorise"]) == [
        "dispatch",
        "dispatch_override",
        "recategorise",
    ]
    assert shown_actions(["start", "feedback"]) == []  # a handler's, not the console's
    assert actions_class(["accept"]) == "dispatch-actions has-case can-accept"
    # every shown action has its button
    assert set(shown_actions(ACTIONS)) <= set(ids.ACTION_BUTTONS)


def test_action_request_builds_the_service_call():
    req = action_request("dispatch", {"note": " 请尽快 "})
    assert (req.action, req.note, req.data) == ("dispatch", "请尽快", None)
    req = action_request("dispatch_override", {"unit": "CG-445102", "override_reason": "就近"})
    assert (req.action, req.override_reason, dict(req.data)) == (
        "dispatch",
        "就近",
        {"unit": "CG-445102"},
    )
    assert dict(action_request("void", {"void_reason": "duplicate"}).data) == {
        "reason": "duplicate"
    }
    merge = action_request("merge", {"merge_into": "C1", "merge_typed": " C2 "})
    assert dict(merge.data) == {"into": "C2"}  # typed wins over the picked one
    assert dict(action_request("merge", {"merge_into": "C1"}).data) == {"into": "C1"}
    recat = action_request("recategorise", {"category": "0105", "recat_reason": "错分"})
    assert dict(recat.data) == {"category": "0105", "reason": "错分"}
    assert action_request("supervise", {"note": "请加快"}).note == "请加快"
    assert action_request("deny_extension", {}).data is None
    for button, fields, key in (
        ("dispatch_override", {"override_reason": "x"}, "dispatch.need_unit"),
        ("dispatch_override", {"unit": "U"}, "dispatch.need_override_reason"),
        ("void", {"void_reason": "because"}, "dispatch.need_void_reason"),
        ("merge", {"merge_typed": "C1; DROP"}, "dispatch.need_merge_into"),
        ("recategorise", {"category": "12", "recat_reason": "x"}, "dispatch.need_category"),
        ("recategorise", {"category": "0105"}, "dispatch.need_recat_reason"),
        ("supervise", {"note": "   "}, "dispatch.need_note"),
        ("start", {}, "dispatch.unknown_action"),
    ):
        with pytest.raises(Invalid) as err:
            action_request(button, fields)
        assert err.value.key == key, button
        assert err.value.text("zh") != key.rsplit(".", 1)[-1]  # the catalog has it


def test_merge_candidates_original_first_then_nearest():
    view = {"id": "C9", "duplicate_of": "C1"}
    nearby = [
        {"id": "C3", "distance_m": 300.0},
        {"id": "C1", "distance_m": 40.0},
        {"id": "C2", "distance_m": 12.5},
        {"id": "C9", "distance_m": 0.0},
    ]
    assert merge_candidates(view, nearby) == ["C1", "C2", "C3"]


def test_case_ids_and_case_id_from_the_browser():
    rows = [{"case_id": "C1"}, {"case_id": "C1"}, {"case_id": 5}, "x", {"case_id": "a b"}]
    assert case_ids(rows) == ["C1"] and case_ids(None) == []
    assert case_id({"id": "C20261207-000001"}) == "C20261207-000001"
    assert case_id("C1") == "C1" and case_id({"id": ["C1"]}) is None and case_id(None) is None
    assert clean_text("x" * 500, 10) == "x" * 10 and clean_text(" \n ") is None


def test_bulk_summary_one_line_per_case():
    head, lines = bulk_summary(
        [Outcome("C1", True, "dispatched"), Outcome("C2", False, None, "no suggestion", 422)],
        "zh",
    )
    assert "成功 1 件" in head and "未成功 1 件" in head
    assert lines == [("C1", True, "派遣"), ("C2", False, "no suggestion")]


def test_canned_notes_per_action_in_both_languages():
    notes = load_canned_notes()
    assert {"accept", "register", "dispatch", "void", "merge", "supervise", "close"} <= set(notes)
    assert set(notes) <= set(ACTIONS)
    assert canned_notes("void", "zh")[0].startswith("与已有案件重复")
    assert len(canned_notes("void", "en")) == len(canned_notes("void", "zh"))
    assert canned_notes("start", "zh") == []


def test_canned_note_problems_name_each_fault(tmp_path):
    assert canned_note_problems([]) == ["canned notes: not a mapping of action -> notes"]
    problems = canned_note_problems(
        {"teleport": [{"zh": "a", "en": "b"}], "accept": [], "void": [{"zh": "只有中文"}]}
    )
    assert len(problems) == 3
    bad = tmp_path / "notes.yaml"
    bad.write_text("accept:\n  - zh: ''\n    en: x\n", encoding="utf-8")
    with pytest.raises(ValueError, match="accept\\[0\\]"):
        load_canned_notes(str(bad))
