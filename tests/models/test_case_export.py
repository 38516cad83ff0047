"""The case export's stream: the queue's cases and SLA figures, in bounded batches, with
the free text redacted; and the store's batched read on a cursor of its own."""

from __future__ import annotations

from datetime import timedelta

import pytest

from models.case_export import CASE_EXPORT_COLUMNS, case_export_batches
from models.case_queue import QueueFilter, queue_page
from models.security import Scope
from models.store import Store
from tests.models.case_fixtures import CAL, CITY, MON, drive, new_case, other_district_point

LATER = MON + timedelta(hours=5)


@pytest.fixture(scope="module")
def world(demo_copy):
    store = Store(demo_copy() / "cityops.duckdb")
    ids = {}
    for k, stage in enumerate(("reported", "registered", "dispatched", "handling", "closed")):
        text = f"井盖缺失 {stage}，报告人：王小明，电话13812345678"
        ids[stage] = drive(store, new_case(store, text=text), stage,
                           at=MON + timedelta(minutes=10 * k))  # fmt: skip
    far = other_district_point(store, "445122")
    ids["far"] = drive(store, new_case(store, lonlat=far, text="饶平"), "dispatched")
    yield store, ids
    store.close()


def _export(store, flt, scope=CITY, **kw):
    batches = list(case_export_batches(store, scope, flt, now=LATER, calendar=CAL, **kw))
    return batches, [row for batch in batches for row in batch]


def test_the_export_holds_the_queues_cases_with_the_queues_sla(world):
    store, ids = world
    for flt in (QueueFilter(), QueueFilter(include_closed=True), QueueFilter(district="445122"),
                QueueFilter(stages=("dispatched", "handling"))):  # fmt: skip
        _batches, rows = _export(store, flt)
        page = queue_page(store, CITY, flt, now=LATER, calendar=CAL, limit=1000).rows
        assert {r["case_id"] for r in rows} == {r["case_id"] for r in page}, flt
        levels = {r["case_id"]: (r["sla_level"], r["seconds_left"]) for r in page}
        assert {r["case_id"]: (r["sla_level"], r["seconds_left"]) for r in rows} == levels
    _b, rows = _export(store, QueueFilter(include_closed=True))
    assert all(list(r) == list(CASE_EXPORT_COLUMNS) for r in rows)
    assert {r["case_id"] for r in rows} >= set(ids.values())


def test_batches_are_bounded_and_the_scope_applies(world):
    store, ids = world
    batches, rows = _export(store, QueueFilter(include_closed=True), batch_rows=2)
    assert len(batches) >= 3 and all(len(b) <= 2 for b in batches)
    _b, district = _export(
        store, QueueFilter(include_closed=True), scope=Scope("district", ("445122",))
    )
    assert [r["case_id"] for r in district] == [ids["far"]]


def test_free_text_is_redacted_and_there_is_no_reporter(world):
    store, ids = world
    _b, rows = _export(store, QueueFilter(include_closed=True))
    text = " ".join(str(r["description"]) for r in rows)
    assert "井盖缺失" in text and "13812345678" not in text and "王小明" not in text
    assert "reporter" not in CASE_EXPORT_COLUMNS


def test_a_bad_filter_is_refused_before_any_row_is_read(world):
    store, _ids = world
    with pytest.raises(ValueError):
        case_export_batches(store, CITY, QueueFilter(stages=("nope",)), now=LATER, calendar=CAL)
    with pytest.raises(ValueError):
        case_export_batches(store, CITY, QueueFilter(), now=LATER, calendar=CAL,
                            sort=(("reporter", False),))  # fmt: skip


def test_query_batches_streams_on_its_own_cursor(store):
    batches = store.query_batches("SELECT range AS i FROM range(10000) WHERE range >= ?", [0],
                                  batch_rows=1000)  # fmt: skip
    seen = 0
    for batch in batches:
        assert batch.num_rows <= 1000
        assert store.query_value("SELECT 41 + 1") == 42  # other reads between two batches
        seen += batch.num_rows
    assert seen == 10000
