"""The live wall shows SLA levels as of now: a case turning yellow, then red, as the clock
runs is sent with the next poll, without any write to the case (defect 12)."""

from datetime import datetime, timedelta

import pytest

from app.pages.screen.changes import changes_payload
from app.pages.screen.picture import picture_payload
from ingest.locate import store_locator
from layers.wire import decode_array
from models.cases import report_case, transition_case
from models.security import parse_scope
from models.store import Store
from models.work_calendar import WorkCalendar

CAL = WorkCalendar()
CITY = parse_scope("city")
PAIFANG = (116.6465, 23.6707)  # 牌坊街, 湘桥区
NOW = datetime(2026, 11, 24, 4, 0)  # Tuesday 12:00 in Chaozhou


def local(day: int, hh: int, mm: int = 0) -> datetime:
    """November 2026 Chaozhou wall-clock time as naive UTC."""
    return datetime(2026, 11, day, hh, mm) - timedelta(hours=8)


@pytest.fixture
def store(demo_copy):
    s = Store(demo_copy() / "cityops.duckdb")
    yield s
    s.close()


def _dispatched_case(store) -> str:
    """A 道路不洁 case (5 working hours) dispatched Tuesday 12:00: due Wednesday 10:00."""
    reported = report_case(
        store,
        category_code="0201",
        lon=PAIFANG[0],
        lat=PAIFANG[1],
        at=NOW - timedelta(minutes=10),
        source="grid_worker",
        actor="GW1",
        role="grid_worker",
        locate=store_locator(store),
        text="道路不洁",
    )
    case_id = reported.case_id
    for action, data in (
        ("accept", {}),
        ("register", {}),
        ("dispatch", {"unit": reported.route.unit}),
    ):
        transition_case(
            store, case_id, action, actor="d1", role="dispatcher", at=NOW, calendar=CAL, **data
        )
    assert store.query_value("SELECT due_at FROM cases WHERE case_id = ?", [case_id]) == local(
        25, 10
    )
    return case_id


def _poll(store, cursor, now):
    return changes_payload(
        store, CITY, cursor_text=cursor, now=now, lang="en", tz="Asia/Shanghai", calendar=CAL,
        zoom=9.1,
    )  # fmt: skip


def _sla_of(body, case_id):
    """The SLA label the payload carries for ``case_id``; None when it is not in it."""
    layer = body["upserts"].get("case-points")
    if not layer or case_id not in layer["columns"]["id"]:
        return None
    row = layer["columns"]["id"].index(case_id)
    codes = decode_array(layer["columns"]["sla"]["codes"])
    return layer["columns"]["sla"]["values"][int(codes[row])]


def test_a_case_crossing_yellow_then_red_is_sent_without_any_write(store):
    case_id = _dispatched_case(store)
    picture = picture_payload(
        store, CITY, at=None, now=local(24, 13), lang="en", tz="Asia/Shanghai", calendar=CAL,
        zoom=9.1,
    )  # fmt: skip
    seq = store.query_value("SELECT max(change_seq) FROM cases")
    green = _poll(store, picture["cursor"], local(24, 17))  # 3 h of 5 used: 60 %
    assert _sla_of(green, case_id) is None
    yellow = _poll(store, green["cursor"], local(25, 9, 30))  # 4.5 h used: 90 %
    assert _sla_of(yellow, case_id) == "Due soon"
    still = _poll(store, yellow["cursor"], local(25, 9, 45))
    assert _sla_of(still, case_id) is None  # no news: not sent again
    red = _poll(store, still["cursor"], local(25, 10, 30))  # half an hour overdue
    assert _sla_of(red, case_id) == "Overdue"
    assert store.query_value("SELECT max(change_seq) FROM cases") == seq  # nothing written
