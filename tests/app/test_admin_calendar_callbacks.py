"""The working calendar tab's callbacks called directly: other roles change nothing and are
refused; the admin's click on a day and the date lists are saved (audited) and are the app's
calendar at once; bad input is a message, never an exception."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from datetime import date

import flask_login
import pytest
from plotly.utils import PlotlyJSONEncoder

from app.auth import SessionUser
from app.pages.admin import ids
from models.config import load_config
from models.settings_docs import doc_version
from models.store import Store
from models.users import get_user
from tests.app.emergency_support import text_of
from tests.conftest import SECRET

#: Roles other than admin: each is refused by every callback of the tab.
OTHERS = ("dispatcher", "leader", "operator", "gridworker")
TUESDAY = "2026-11-24"


@pytest.fixture(scope="module")
def world(demo_copy):
    from app.server import create_app

    folder = demo_copy()
    config = load_config(folder / "config.yaml", environ={"CITYOPS_SECRET_KEY": SECRET})
    store = Store(config.database_path)
    app = create_app(config, store)
    app.server.config["TESTING"] = True
    yield {"app": app, "store": store}
    store.close()


@contextlib.contextmanager
def as_user(world, username: str) -> Iterator[None]:
    """A request context of the app with ``username`` logged in (for direct calls)."""
    context = world["app"].server.test_request_context("/_dash-update-component", method="POST")
    context.push()
    try:
        flask_login.login_user(SessionUser(get_user(world["store"], username)))
        yield
    finally:
        context.pop()


def _click(day: str):
    from app.pages.admin.calendar import change_days

    return change_days([1], 0, None, None, 0, toggled={"type": ids.CAL_DAY, "date": day})


def _save(holidays, workdays):
    from app.pages.admin.calendar import change_days

    return change_days([], 1, holidays, workdays, 0, toggled=ids.CAL_SAVE)


def _version(world) -> int:
    return doc_version(world["store"], "calendar")


@pytest.mark.parametrize("username", OTHERS)
def test_other_roles_are_refused_and_change_nothing(world, username):
    from app.pages.admin.calendar import render

    before = _version(world)
    with as_user(world, username):
        grid, _cov, holidays, _workdays = render(2026, 0)
        assert (
            "只有管理员" in text_of(json.loads(json.dumps(grid, cls=PlotlyJSONEncoder)))
            and holidays == ""
        )
        note, refresh = _click(TUESDAY)
        assert "只有管理员" in str(note.children)
        note, refresh = _save(TUESDAY, "")
        assert "只有管理员" in str(note.children)
    assert _version(world) == before


def test_a_click_marks_a_day_and_the_app_calendar_follows(world):
    from app.context import get_context
    from app.pages.admin.calendar import render

    day = date.fromisoformat(TUESDAY)
    with as_user(world, "admin"):
        calendar = get_context().calendar
        assert calendar().is_working_day(day)
        note, refresh = _click(TUESDAY)
        assert note.className == "msg ok" and "额外假日" in note.children and refresh == 1
        assert not calendar().is_working_day(day)  # no restart
        grid, _coverage, holidays, _workdays = render(2026, refresh)
        marked = [b for b in _buttons(grid) if b["props"]["id"]["date"] == TUESDAY]
        assert marked[0]["props"]["className"] == "cal-day extra_holiday"
        assert holidays == TUESDAY
        _click(TUESDAY)  # again: back to what the package says
        assert calendar().is_working_day(day)
        saturday = "2026-11-28"
        _click(saturday)
        assert calendar().is_working_day(date.fromisoformat(saturday))
        _click(saturday)
    world["store"].flush()
    rows = world["store"].query_value(
        "SELECT count(*) FROM audit_log WHERE action = 'settings.calendar' AND actor = 'admin'"
    )
    assert rows >= 4


def _buttons(grid) -> list[dict]:
    found: list[dict] = []

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") == "Button":
                found.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(json.dumps(grid, cls=PlotlyJSONEncoder)))
    return found


def test_the_year_view_has_every_day_and_the_coverage(world):
    from app.pages.admin.calendar import render

    with as_user(world, "admin"):
        grid, coverage, _h, _w = render(2026, 0)
        buttons = _buttons(grid)
        assert len(grid) == 12 and len(buttons) == 365
        kinds = {b["props"]["id"]["date"]: b["props"]["className"] for b in buttons}
        assert kinds["2026-10-01"] == "cal-day holiday"
        assert kinds["2026-10-10"] == "cal-day makeup"
        assert kinds["2026-11-22"] == "cal-day weekend"
        assert "2004" in text_of(json.loads(json.dumps(coverage, cls=PlotlyJSONEncoder)))
        _grid, coverage, _h, _w = render(2031, 0)
        assert "尚未发布" in text_of(json.loads(json.dumps(coverage, cls=PlotlyJSONEncoder)))


def test_the_date_lists_are_saved_and_checked(world):
    from app.context import get_context

    with as_user(world, "admin"):
        note, refresh = _save("2026-12-07, 2026-12-08", "2026-12-12")
        assert note.className == "msg ok", note.children
        calendar = get_context().calendar()
        assert not calendar.is_working_day(date(2026, 12, 7))
        assert calendar.is_working_day(date(2026, 12, 12))
        before = _version(world)
        for holidays, workdays, word in (
            ("2026-13-01", "", "不是日期"),
            ("2026-12-07", "2026-12-07", "不能"),
            (12345, "", "日期列表"),
            ("x" * 9000, "", "日期列表"),
            ("1890-01-01", "", "不是日期"),
        ):
            note, refresh = _save(holidays, workdays)
            assert note.className == "msg err" and word in note.children, (holidays, note)
        note, _ = _click("2026-02-30")
        assert note.className == "msg err"
        assert _version(world) == before
        _save("", "")
    assert get_context_calendar_clean(world)


def get_context_calendar_clean(world) -> bool:
    from models.calendar_in_force import saved_extras

    return saved_extras(world["store"]) == (frozenset(), frozenset())


def test_a_bad_year_is_a_message(world):
    from app.pages.admin.calendar import render

    with as_user(world, "admin"):
        for bad in ("abc", None, True, 1800, "2026x", {"y": 1}):
            grid, _c, _h, _w = render(bad, 0)
            assert "请选择年份" in str(grid.children)
