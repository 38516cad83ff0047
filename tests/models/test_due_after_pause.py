"""The stored due time follows the paused SLA clock: a denied extension resumes it."""

from datetime import datetime, timedelta

import pytest

from ingest.locate import store_locator
from models.cases import report_case, transition_case
from models.store import Store
from models.work_calendar import WorkCalendar

CAL = WorkCalendar()
MON = datetime(2026, 11, 23, 1, 0)  # Monday 09:00 in Chaozhou
HOUR = timedelta(hours=1)


@pytest.fixture
def store(demo_copy):
    s = Store(demo_copy() / "cityops.duckdb")
    yield s
    s.close()


def test_a_denied_extension_moves_the_due_time_by_the_pause(store):
    reported = report_case(
        store, category_code="0201", lon=116.6465, lat=23.6707, at=MON, source="grid_worker",
        actor="GW1", role="grid_worker", locate=store_locator(store), text="道路不洁",
    )  # fmt: skip
    case_id = reported.case_id

    def act(action, at, role="dispatcher", **data):
        transition_case(store, case_id, action, actor="d1", role=role, at=at, calendar=CAL, **data)

    act("accept", MON)
    act("register", MON)
    act("dispatch", MON, unit=reported.route.unit)  # 5 working hours: due Monday 16:00
    act("start", MON + HOUR)
    asked = MON + 2 * HOUR  # Monday 11:00: 2 h used, 3 h left
    act("request_extension", asked, reason="rain", extension=4 * HOUR)
    answered = MON + 24 * HOUR  # Tuesday 09:00, a working day later
    act("deny_extension", answered)
    due = store.query_value("SELECT due_at FROM cases WHERE case_id = ?", [case_id])
    assert due == CAL.add_working_time(answered, 3 * HOUR)  # Tuesday 12:00 local
