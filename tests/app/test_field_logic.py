"""The field app's pure rules: tabs per role, GPS fixes and uploads read totally, a report's
and an action's inputs checked before anything is written."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest

from app.pages.field.logic import (
    Fix,
    action_inputs,
    as_list,
    before_after,
    decode_upload,
    parse_fix,
    report_problems,
    tabs_for,
    task_stages,
    time_left,
)


def test_tabs_per_role():
    assert tabs_for("grid_worker") == ["report", "tasks", "patrol"]
    assert tabs_for("handler") == ["tasks"]
    assert tabs_for("admin") == ["report", "tasks"]
    assert tabs_for("operator") == []  # not a field role: the gate refuses it the page
    assert task_stages("handler") == ("dispatched", "handling", "rework", "extension_requested")
    assert task_stages("grid_worker") == ("handled",)


@pytest.mark.parametrize(
    "data",
    [
        None, "x", [], {}, {"lon": "116", "lat": 23}, {"lon": True, "lat": 23},
        {"lon": float("nan"), "lat": 23}, {"lon": 116, "lat": float("inf")},
        {"lon": 181, "lat": 0}, {"lon": 0, "lat": -91},
    ],
)  # fmt: skip
def test_bad_fixes_are_none(data):
    assert parse_fix(data) is None


def test_fixes():
    assert parse_fix({"lon": 116.6, "lat": 23.6, "accuracy": 12, "source": "gps"}) == Fix(
        116.6, 23.6, 12.0, "gps"
    )
    # an unknown source is a map pick; a nonsense accuracy is no accuracy
    assert parse_fix({"lon": 1, "lat": 2, "accuracy": -5, "source": "x"}) == Fix(
        1.0, 2.0, None, "map"
    )
    assert parse_fix({"lon": 1, "lat": 2, "accuracy": float("nan")}).accuracy_m is None


def test_uploads():
    raw = b"\xff\xd8\xffjpeg"
    url = "data:image/jpeg;base64," + base64.b64encode(raw).decode()
    assert decode_upload(url) == raw
    for bad in (None, 3, "", "data:image/jpeg,abc", "data:x;base64,@@@", "http://x/y.jpg"):
        assert decode_upload(bad) is None
    assert as_list(None) == [] and as_list("a") == ["a"] and as_list(["a", "b"]) == ["a", "b"]


def test_report_problems():
    fix = Fix(116.6, 23.6, None, "gps")
    assert report_problems("0203", "", fix, 1) == []
    assert report_problems(None, "", fix, 0) == ["field.report.need_category"]
    assert report_problems(["0203"], "", None, 0) == [
        "field.report.need_category",
        "field.report.need_position",
    ]
    assert report_problems("0203", "x" * 1001, fix, 7) == [
        "field.report.text_too_long",
        "field.report.too_many_photos",
    ]


def test_action_inputs():
    assert action_inputs("start", None, None) == (None, {}, None)
    assert action_inputs("verify_ok", "  好  ", None) == ("好", {}, None)
    for action in ("return", "request_extension", "verify_fail"):
        assert action_inputs(action, "  ", 8)[2] == "field.task.need_reason"
    assert action_inputs("return", "不属于本单位", None)[1] == {"reason": "不属于本单位"}
    note, data, problem = action_inputs("request_extension", "等配件", "12")
    assert problem is None and data == {"reason": "等配件", "extension": timedelta(hours=12)}
    for hours in (None, "x", 0, -1, 241, float("nan"), float("inf")):
        assert action_inputs("request_extension", "等配件", hours)[2] == "field.task.need_hours"
    assert action_inputs("feedback", "x" * 501, None)[2] == "field.task.note_too_long"


def test_time_left():
    assert time_left(3 * 3600 + 59 * 60 + 30) == ("field.task.left", {"h": 3, "m": 59})
    assert time_left(-90 * 60) == ("field.task.overdue", {"h": 1, "m": 30})
    assert time_left(None) is None and time_left(float("nan")) is None and time_left(True) is None


def test_before_after():
    kinds = ["report", "handled", "verify", "other", None]
    photos = [{"kind": k, "id": i} for i, k in enumerate(kinds, 1)]
    groups = before_after(photos)
    assert [p["id"] for p in groups["before"]] == [1]
    assert [p["id"] for p in groups["after"]] == [2] and [p["id"] for p in groups["verify"]] == [3]
