"""The calendar in force: an extra holiday the admin saves moves the deadline of the next case
dispatched, in the same process and without a restart; a case already dispatched keeps its
stored deadline; bad documents are refused and change nothing."""

from datetime import date, datetime, timedelta

import pytest

from ingest.locate import store_locator
from models.calendar_in_force import (
    build_calendar,
    calendar_in_force,
    calendar_problems,
    save_calendar,
)
from models.cases import report_case, transition_case
from models.config_sections import CalendarSettings
from models.settings_docs import SettingsDocError, doc_version
from models.store import Store

MON_15 = datetime(2026, 11, 23, 7, 0)  # Monday 15:00 in Chaozhou
TUESDAY = date(2026, 11, 24)


@pytest.fixture
def store(demo_copy):
    s = Store(demo_copy() / "cityops.duckdb")
    yield s
    s.close()


def _dispatched_case(store: Store, settings: CalendarSettings) -> str:
    """A 道路不洁 case (5 working hours) dispatched on Monday 15:00 with the calendar in force."""
    reported = report_case(
        store, category_code="0201", lon=116.6465, lat=23.6707, at=MON_15, source="grid_worker",
        actor="GW1", role="grid_worker", locate=store_locator(store), text="道路不洁",
    )  # fmt: skip
    steps = (("accept", {}), ("register", {}), ("dispatch", {"unit": reported.route.unit}))
    for action, data in steps:
        transition_case(
            store, reported.case_id, action, actor="d1", role="dispatcher", at=MON_15,
            calendar=calendar_in_force(store, settings), **data,
        )  # fmt: skip
    return reported.case_id


def _due(store: Store, case_id: str) -> datetime:
    return store.query_value("SELECT due_at FROM cases WHERE case_id = ?", [case_id])


def test_a_saved_holiday_moves_a_new_deadline_but_not_a_stored_one(store):
    settings = CalendarSettings()
    before = _dispatched_case(store, settings)
    due_before = _due(store, before)
    assert due_before == datetime(2026, 11, 24, 3, 0)  # Tuesday 11:00 local: 2.5 h + 2.5 h
    save_calendar(store, [TUESDAY], [], actor="admin")
    after = _dispatched_case(store, settings)
    assert _due(store, after) == due_before + timedelta(days=1)  # Tuesday is off: Wednesday
    assert _due(store, before) == due_before
    assert not calendar_in_force(store, settings).is_working_day(TUESDAY)
    save_calendar(store, [], [], actor="admin")  # and back, again without a restart
    assert calendar_in_force(store, settings).is_working_day(TUESDAY)


def test_the_calendar_is_built_once_per_version(store):
    settings = CalendarSettings()
    first = calendar_in_force(store, settings)
    assert calendar_in_force(store, settings) is first
    save_calendar(store, [], [date(2026, 11, 28)], actor="admin")  # a Saturday worked
    second = calendar_in_force(store, settings)
    assert second is not first and second.is_working_day(date(2026, 11, 28))


def test_the_admin_overrides_the_config_on_the_same_day():
    settings = CalendarSettings(extra_workdays=["2026-11-28"], extra_holidays=["2026-11-27"])
    cal = build_calendar(settings, {date(2026, 11, 28)}, {date(2026, 11, 27)})
    assert not cal.is_working_day(date(2026, 11, 28))
    assert cal.is_working_day(date(2026, 11, 27))
    plain = build_calendar(settings, set(), set())
    assert plain.is_working_day(date(2026, 11, 28)) and not plain.is_working_day(date(2026, 11, 27))


@pytest.mark.parametrize(
    "body, word",
    [
        ({"extra_holidays": ["2026-13-01"]}, "not a date"),
        ({"extra_holidays": ["2026-1-1"]}, "not a date"),
        ({"extra_holidays": [20261124]}, "not a date"),
        ({"extra_holidays": "2026-11-24"}, "list"),
        ({"extra_holidays": ["2026-11-24"], "extra_workdays": ["2026-11-24"]}, "both"),
        ({"extra_holidays": ["1900-01-01"]}, "outside"),
        ({"holidays": []}, "unknown"),
        (["2026-11-24"], "mapping"),
    ],
)
def test_bad_documents_are_refused(body, word):
    problems = calendar_problems(body)
    assert problems and word in "; ".join(problems)


def test_a_refused_save_changes_nothing(store):
    with pytest.raises(SettingsDocError):
        save_calendar(store, ["2026-11-24"], ["2026-11-24"], actor="admin")
    assert doc_version(store, "calendar") == 0
    store.flush()
    refused = store.query_value(
        "SELECT count(*) FROM audit_log WHERE action = 'settings.calendar' AND outcome = 'rejected'"
    )
    assert refused == 1


def test_the_year_view_tells_each_kind_of_day():
    from models.calendar_in_force import year_days

    base = build_calendar(CalendarSettings(), set(), set())
    days = {
        d: (kind, name)
        for d, kind, name in year_days(
            base, 2026, frozenset({TUESDAY}), frozenset({date(2026, 11, 28)})
        )
    }
    assert len(days) == 365
    assert days[date(2026, 11, 23)] == ("workday", None)
    assert days[date(2026, 11, 22)] == ("weekend", None)
    assert days[date(2026, 10, 1)] == ("holiday", "国庆节")
    assert days[date(2026, 10, 10)] == ("makeup", "国庆节")  # a Saturday worked (调休)
    assert days[TUESDAY][0] == "extra_holiday"
    assert days[date(2026, 11, 28)][0] == "extra_workday"
