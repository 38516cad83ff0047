"""One case as JSON for the console, the field cards and the API; open cases nearby."""

from __future__ import annotations

import json
import math
from datetime import timedelta

import pyproj
import pytest

from models.case_service import Actor, Refused, act
from models.case_view import case_view, nearby_open_cases
from models.security import Scope
from models.store import Store
from tests.models.case_fixtures import (
    CAL,
    DISPATCHER,
    MON,
    PAIFANG,
    drive,
    new_case,
    other_district_point,
)

KEYS = {
    "id", "stage", "stage_label", "category", "category_issue", "lon", "lat", "address",
    "description", "source", "reporter", "reported_at", "cell_code", "district_code",
    "street_code", "community_code", "unit", "unit_name", "assignee", "claimed_by", "due_at",
    "dispatch_due_at", "sla", "escalation_level", "duplicate_of", "duplicates", "exercise",
    "photos", "history", "events", "routing", "allowed_actions", "version",
}  # fmt: skip


@pytest.fixture(scope="module")
def store(demo_copy):
    s = Store(demo_copy() / "cityops.duckdb")
    yield s
    s.close()


def view(store, case_id, actor=DISPATCHER, now=MON + timedelta(hours=2)):
    return case_view(store, actor, case_id, now=now, calendar=CAL)


def test_a_dispatched_case_in_full(store):
    cid = drive(store, new_case(store), "dispatched")
    store.write(
        lambda tx: tx.execute(
            "INSERT INTO case_attachments (attachment_id, case_id, kind, media_type, "
            "size_bytes, path, uploaded_by, uploaded_at, width, height, taken_lon, taken_lat) "
            "VALUES ('P1', ?, 'report', 'image/jpeg', 10, 'x.jpg', 'gw', ?, 640, 480, "
            "116.1, 23.2)",
            [cid, MON],
        )
    )
    v = view(store, cid)
    json.dumps(v, allow_nan=False)
    assert set(v) == KEYS
    assert v["id"] == cid and v["stage"] == "dispatched"
    assert v["stage_label"] == {"zh": "派遣", "en": "Dispatched"}
    assert v["category"] == {"code": "0201", "name_zh": "道路不洁", "name_en": "road not clean"}
    assert v["unit"] == "CG-445102" and v["unit_name"] == "湘桥区城市管理和综合执法局"
    assert v["reported_at"] == "2026-11-23T01:00:00Z" and v["due_at"].endswith("Z")
    assert v["cell_code"].startswith("445102") and v["district_code"] == "445102"
    sla = v["sla"]
    assert sla["level"] == "green" and sla["limit_s"] == 5 * 3600
    assert sla["used_s"] + sla["left_s"] == sla["limit_s"] and 0 < sla["fraction"] < 0.8
    assert [h["action"] for h in v["history"]] == ["report", "accept", "register", "dispatch"]
    assert v["history"][-1]["data"] == {"unit": "CG-445102"} and v["version"] == 4
    assert v["history"][-1]["at"].endswith("Z") and v["history"][-1]["role"] == "admin"
    assert v["routing"]["unit"] == "CG-445102" and v["routing"]["reasons"]
    assert v["events"][0]["kind"] == "route_suggested"
    assert isinstance(v["events"][0]["detail"], dict)
    assert v["allowed_actions"] == ["start", "return", "supervise"]
    assert v["photos"] == [
        {
            "id": "P1", "kind": "report", "media_type": "image/jpeg", "width": 640,
            "height": 480, "url": "/photos/P1", "thumb_url": "/photos/P1/thumb",
            "uploaded_by": "gw", "uploaded_at": "2026-11-23T01:00:00Z", "taken_lon": 116.1,
            "taken_lat": 23.2, "taken_at": None, "transition_seq": None,
        }
    ]  # fmt: skip


def test_before_dispatch_no_sla_and_the_actions_of_the_role(store):
    cid = new_case(store)
    v = view(store, cid)
    assert v["sla"] is None and v["due_at"] is None and v["version"] == 1
    assert v["allowed_actions"] == ["accept", "void", "merge", "recategorise"]
    worker = Actor("gw", "grid_worker", Scope("city"))
    assert view(store, cid, worker)["allowed_actions"] == []


def test_extension_and_event_text_that_is_not_json(store):
    cid = drive(store, new_case(store), "extension_requested")
    store.write(
        lambda tx: tx.execute(
            "INSERT INTO case_events VALUES (?, 9, ?, 'x', 'note', 'plain words')", [cid, MON]
        )
    )
    v = view(store, cid)
    assert v["history"][-1]["data"] == {"reason": "parts", "extension": 7200.0}
    assert v["events"][-1]["detail"] == "plain words"
    json.dumps(v, allow_nan=False)


def test_outside_scope_is_404_like_unknown(store):
    cid = new_case(store)
    other = Actor("d2", "dispatcher", Scope("district", ("445103",)))
    for actor, case_id in ((other, cid), (DISPATCHER, "C00000000-000000")):
        with pytest.raises(Refused) as err:
            view(store, case_id, actor)
        assert err.value.status == 404
    handler = Actor("h", "handler", Scope("unit", ("CG-445103",)))
    with pytest.raises(Refused):
        view(store, drive(store, new_case(store), "dispatched"), handler)
    mine = Actor("h", "handler", Scope("unit", ("CG-445102",)))
    assert view(store, drive(store, new_case(store), "dispatched"), mine)["allowed_actions"] == [
        "start",
        "return",
    ]


def test_merged_case_links_both_ways(store):
    original = new_case(store)
    dup = new_case(store, at=MON + timedelta(minutes=5))
    act(store, DISPATCHER, dup, "merge", at=MON + timedelta(minutes=6), calendar=CAL,
        data={"into": original})  # fmt: skip
    assert view(store, dup)["duplicate_of"] == original and view(store, dup)["stage"] == "void"
    assert dup in view(store, original)["duplicates"]


def _metres(a, b):
    t = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:32650", always_xy=True)
    (x0, y0), (x1, y1) = t.transform(*a), t.transform(*b)
    return math.hypot(x1 - x0, y1 - y0)


def test_nearby_open_cases_of_the_category_in_metres(store):
    base = (116.70, 23.70)  # a quiet corner of the demo city
    centre = new_case(store, lonlat=base, category="0203")
    # ~400 m east, ~400 m north, ~600 m east (outside), another category, a closed one
    east = new_case(store, lonlat=(base[0] + 400 / 102_000, base[1]), category="0203")
    north = new_case(store, lonlat=(base[0], base[1] + 400 / 110_700), category="0203")
    far = new_case(store, lonlat=(base[0] + 600 / 102_000, base[1]), category="0203")
    other = new_case(store, lonlat=(base[0] + 0.0001, base[1]), category="0204")
    closed = drive(store, new_case(store, lonlat=base, category="0203"), "void")
    near = nearby_open_cases(store, DISPATCHER, centre, radius_m=500)
    got = {n["id"]: n for n in near}
    assert set(got) == {east, north}
    for cid, point in ((east, (base[0] + 400 / 102_000, base[1])),
                       (north, (base[0], base[1] + 400 / 110_700))):  # fmt: skip
        assert got[cid]["distance_m"] == pytest.approx(_metres(base, point), abs=0.1)
        assert 380 < got[cid]["distance_m"] < 420 and got[cid]["stage"] == "reported"
    assert far not in got and other not in got and closed not in got and centre not in got
    assert [n["distance_m"] for n in near] == sorted(n["distance_m"] for n in near)
    assert len(nearby_open_cases(store, DISPATCHER, centre, radius_m=500, limit=1)) == 1
    assert {n["id"] for n in nearby_open_cases(store, DISPATCHER, centre, radius_m=700)} >= {far}


def test_nearby_keeps_to_the_scope_and_checks_its_arguments(store):
    point = other_district_point(store)
    a = new_case(store, lonlat=point, category="0205")
    b = new_case(store, lonlat=(point[0] + 0.0005, point[1]), category="0205")
    assert [n["id"] for n in nearby_open_cases(store, DISPATCHER, a)] == [b]
    xq = Actor("d", "dispatcher", Scope("district", ("445102",)))
    with pytest.raises(Refused):
        nearby_open_cases(store, xq, a)
    for bad in ({"radius_m": -1}, {"radius_m": float("nan")}, {"limit": 0}):
        with pytest.raises(ValueError):
            nearby_open_cases(store, DISPATCHER, a, **bad)
    assert PAIFANG  # the default place of the fixtures lies in 445102
