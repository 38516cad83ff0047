"""The dispatch queue on the server: filters, sorting, paging, scopes and the SLA filters
agreeing with models.sla.sla_status on every case."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from models.case_queue import SORTABLE, QueueFilter, changed_since, queue_page
from models.case_service import act, claim
from models.security import Scope
from models.store import Store
from tests.models.case_fixtures import (
    ADMIN,
    CAL,
    CITY,
    DISPATCHER,
    MON,
    drive,
    new_case,
    other_district_point,
)

LATER = MON + timedelta(hours=1)


@pytest.fixture(scope="module")
def world(demo_copy):
    """A dozen cases in every stage in 湘桥区, two in 潮安区, one exercise, one claimed."""
    store = Store(demo_copy() / "cityops.duckdb")
    ids: dict[str, str] = {}
    for k, stage in enumerate(
        ("reported", "accepted", "registered", "dispatched", "handling", "handled", "verified",
         "closed", "returned", "void", "extension_requested")
    ):  # fmt: skip
        ids[stage] = drive(store, new_case(store, text=f"道路不洁 {stage}"), stage,
                           at=MON + timedelta(minutes=10 * k))  # fmt: skip
    # dispatched at other times so that levels differ at one instant
    for h in (1, 2, 3, 4):
        cid = new_case(store, text=f"later {h}", at=MON + timedelta(hours=h))
        ids[f"later{h}"] = drive(store, cid, "dispatched", at=MON + timedelta(hours=h))
    # a clock paused late (yellow while the request waits) and a case closed when overdue
    paused = drive(store, new_case(store, text="paused late"), "handling")
    act(store, ADMIN, paused, "request_extension", at=MON + timedelta(hours=6, minutes=30),
        calendar=CAL, data={"reason": "rain", "extension": timedelta(hours=1)})  # fmt: skip
    ids["paused"] = paused
    late = drive(store, new_case(store, text="closed late"), "verified")
    act(store, ADMIN, late, "close", at=MON + timedelta(hours=9), calendar=CAL)
    ids["late"] = late
    ids["odd"] = new_case(store, text="100% sure_it's \\ odd", category="0202")
    ids["drill"] = new_case(store, text="drill", exercise=True, source="hotline")
    far = other_district_point(store)
    ids["far"] = drive(store, new_case(store, lonlat=far, text="潮安"), "dispatched")
    ids["far2"] = new_case(store, lonlat=far, text="潮安 reported")
    claim(store, DISPATCHER, ids["registered"])
    yield store, ids
    store.close()


ALL = QueueFilter()


def page(store, flt=ALL, scope=CITY, **kw):
    kw.setdefault("now", LATER)
    kw.setdefault("calendar", CAL)
    kw.setdefault("limit", 1000)
    return queue_page(store, scope, flt, **kw)


def ids_of(p) -> set[str]:
    return {r["case_id"] for r in p.rows}


def test_open_stages_by_default_and_closed_on_request(world):
    store, ids = world
    open_ = ids_of(page(store))
    assert ids["closed"] not in open_ and ids["void"] not in open_
    assert {ids["reported"], ids["handled"], ids["extension_requested"], ids["far"]} <= open_
    every = page(store, QueueFilter(include_closed=True))
    assert {ids["closed"], ids["void"]} <= ids_of(every)
    assert every.total == len(ids)
    only = page(store, QueueFilter(stages=("registered", "returned")))
    assert ids_of(only) == {ids["registered"], ids["returned"]} and only.total == 2


def test_each_filter_narrows(world):
    store, ids = world
    assert ids_of(page(store, QueueFilter(categories=("0202",)))) == {ids["odd"]}
    assert ids_of(page(store, QueueFilter(district="445103"))) == {ids["far"], ids["far2"]}
    street = store.query_value("SELECT street_code FROM cases WHERE case_id = ?", [ids["far"]])
    assert ids["far"] in ids_of(page(store, QueueFilter(street=street)))
    assert ids["reported"] not in ids_of(page(store, QueueFilter(street=street)))
    assert ids_of(page(store, QueueFilter(sources=("hotline",)))) == {ids["drill"]}
    assert ids_of(page(store, QueueFilter(exercise=True))) == {ids["drill"]}
    assert ids["drill"] not in ids_of(page(store, QueueFilter(exercise=False)))
    assert ids_of(page(store, QueueFilter(claimed_by="dispatcher"))) == {ids["registered"]}
    unit = ids_of(page(store, QueueFilter(unit="CG-445102")))
    assert ids["dispatched"] in unit and ids["far"] not in unit
    assert ids_of(page(store, QueueFilter(text=ids["handled"]))) == {ids["handled"]}
    assert ids_of(page(store, QueueFilter(text="ROAD NOT CLEAN", categories=("0201",))))
    assert ids_of(page(store, QueueFilter(text="道路不洁 handled"))) == {ids["handled"]}


@pytest.mark.parametrize("text", ["100%", "sure_it", "it's", "\\ odd", "100% sure_it's \\ odd"])
def test_text_search_takes_wildcards_and_quotes_literally(world, text):
    store, ids = world
    assert ids_of(page(store, QueueFilter(text=text))) == {ids["odd"]}


@pytest.mark.parametrize("text", ["%", "_", "1_0", "x%y", "'; DROP TABLE cases; --"])
def test_wildcards_alone_match_only_their_own_character(world, text):
    store, ids = world
    found = ids_of(page(store, QueueFilter(text=text)))
    descriptions = dict(store.query_rows("SELECT case_id, description FROM cases"))
    assert found == {c for c in found if text in descriptions[c] or text in c}
    assert store.query_value("SELECT count(*) FROM cases") == len(ids)


def test_sort_and_page(world):
    store, ids = world
    every = page(store, QueueFilter(include_closed=True), sort=[("reported_at", True)])
    times = [r["reported_at"] for r in every.rows]
    assert times == sorted(times, reverse=True)
    first = page(store, sort=[("case_id", False)], limit=5)
    second = page(store, sort=[("case_id", False)], limit=5, offset=5)
    assert [r["case_id"] for r in first.rows] == sorted(ids_of(page(store)))[:5]
    assert not ids_of(first) & ids_of(second) and first.total == second.total > 10
    due = page(store, sort=[("due_at", False)]).rows
    dues = [r["due_at"] for r in due if r["due_at"]]
    assert dues == sorted(dues) and due[-1]["due_at"] is None  # no deadline last
    for column in SORTABLE:
        assert page(store, sort=[(column, True)]).total == first.total


def test_rows_are_json_friendly(world):
    store, ids = world
    rows = page(store, QueueFilter(include_closed=True)).rows
    json.dumps(rows, allow_nan=False)
    row = next(r for r in rows if r["case_id"] == ids["dispatched"])
    assert row["reported_at"].endswith("Z") and row["due_at"].endswith("Z")
    assert row["category_name_zh"] == "道路不洁" and row["category_name_en"]
    assert row["district_name"] == "湘桥区" and row["street_name"]
    assert row["sla_level"] in ("green", "yellow", "red") and isinstance(row["seconds_left"], int)
    assert row["assigned_unit"] == "CG-445102" and row["exercise"] is False
    expected = {
        "case_id", "stage", "category_code", "category_name_zh", "category_name_en", "source",
        "district_code", "district_name", "street_code", "street_name", "reported_at",
        "due_at", "sla_level", "seconds_left", "assigned_unit", "claimed_by", "exercise",
        "description", "lon", "lat", "escalation_level", "change_seq",
    }  # fmt: skip
    assert set(row) == expected
    reported = next(r for r in rows if r["case_id"] == ids["reported"])
    assert reported["sla_level"] is None and reported["seconds_left"] is None
    returned = next(r for r in rows if r["case_id"] == ids["returned"])
    assert returned["sla_level"] is None  # the clock restarts at the next dispatch
    long = new_case(world[0], text="长" * 300)
    assert len(page(store, QueueFilter(text=long)).rows[0]["description"]) == 120


def test_scopes_select_by_place_or_by_unit(world):
    store, ids = world
    district = ids_of(page(store, scope=Scope("district", ("445103",))))
    assert district == {ids["far"], ids["far2"]}
    unit = ids_of(page(store, scope=Scope("unit", ("CG-445102",))))
    assert ids["dispatched"] in unit and ids["far"] not in unit
    cells = Scope("cells", (store.query_value(
        "SELECT cell_code FROM cases WHERE case_id = ?", [ids["far2"]]),))  # fmt: skip
    assert ids_of(page(store, scope=cells)) == {ids["far"], ids["far2"]}


def test_cursor_and_changes_since(world):
    store, ids = world
    p = page(store, scope=Scope("district", ("445103",)))
    assert changed_since(store, Scope("district", ("445103",)), p.max_seq) == 0
    assert changed_since(store, CITY, p.max_seq) >= 0
    new = new_case(store, lonlat=other_district_point(store), text="new one")
    assert changed_since(store, Scope("district", ("445103",)), p.max_seq) == 1
    assert changed_since(store, Scope("district", ("445102",)), page(store).max_seq) == 0
    assert page(store, scope=Scope("district", ("445103",))).max_seq > p.max_seq
    assert new in ids_of(page(store, QueueFilter(text="new one")))


@pytest.mark.parametrize(
    "kw, match",
    [
        ({"sort": [("nope", False)]}, "cannot sort by 'nope'"),
        ({"sort": [("due_at", "up")]}, "direction"),
        ({"sort": "due_at"}, "pairs"),
        ({"offset": -1}, "offset"),
        ({"limit": 0}, "limit"),
        ({"limit": 10_000}, "limit"),
        ({"flt": QueueFilter(stages=("nowhere",))}, "unknown stage"),
        ({"flt": QueueFilter(stages="reported")}, "list of strings"),  # type: ignore[arg-type]
        ({"flt": QueueFilter(district="4451")}, "district"),
        ({"flt": QueueFilter(street="445102")}, "street"),
        ({"flt": QueueFilter(due="soon")}, "due must be one of"),
        ({"flt": QueueFilter(exercise="yes")}, "exercise"),  # type: ignore[arg-type]
        ({"flt": QueueFilter(text=5)}, "text"),  # type: ignore[arg-type]
        ({"flt": {"stages": []}}, "QueueFilter"),
    ],
)
def test_bad_values_are_refused_with_a_reason(world, kw, match):
    store, _ = world
    flt = kw.pop("flt", QueueFilter())
    with pytest.raises(ValueError, match=match):
        page(store, flt, **kw)
    with pytest.raises(ValueError):
        changed_since(store, CITY, -1)


def test_dispatch_overdue(world):
    store, ids = world
    registered_at = store.query_value(
        "SELECT dispatch_due_at FROM cases WHERE case_id = ?", [ids["registered"]]
    )
    before = page(store, QueueFilter(due="dispatch_overdue"), now=registered_at)
    after = page(store, QueueFilter(due="dispatch_overdue"), now=registered_at + timedelta(1))
    assert ids["registered"] not in ids_of(before) and ids["registered"] in ids_of(after)
    assert ids_of(after) <= ids_of(page(store, QueueFilter(stages=("registered",))))


def test_overdue_and_near_are_exactly_red_and_yellow_by_sla_status(world):
    """Every instant of two working days, every 20 minutes: the SQL filters select exactly
    the cases sla_status calls red and yellow (including the paused and the closed)."""
    store, _ = world
    seen = {"near": 0, "overdue": 0}
    for step in range(0, 72):
        now = MON + timedelta(minutes=20 * step)
        every = page(store, QueueFilter(include_closed=True), now=now).rows
        levels = {r["case_id"]: r["sla_level"] for r in every}
        for due, level in (("near", "yellow"), ("overdue", "red")):
            got = page(store, QueueFilter(due=due, include_closed=True), now=now)
            expected = {c for c, lv in levels.items() if lv == level}
            assert ids_of(got) == expected, (now, due)
            assert got.total == len(expected)
            seen[due] += len(expected)
    assert seen["near"] > 0 and seen["overdue"] > 0
    evening = MON + timedelta(hours=12)  # 20:00 local: the paused one stays yellow, the
    near = ids_of(page(store, QueueFilter(due="near", include_closed=True), now=evening))
    red = ids_of(page(store, QueueFilter(due="overdue", include_closed=True), now=evening))
    assert world[1]["paused"] in near and world[1]["late"] in red  # closed one red, frozen


def test_past_the_last_page_the_total_and_cursor_still_count(world):
    store, _ = world
    full = page(store)
    for flt in (ALL, QueueFilter(due="overdue"), QueueFilter(due="near")):
        whole = page(store, flt, now=MON + timedelta(hours=9))
        beyond = page(store, flt, now=MON + timedelta(hours=9), offset=whole.total + 5)
        assert beyond.rows == [] and beyond.total == whole.total
        assert beyond.max_seq == full.max_seq
