"""The admin tabs 'categories' and 'duties' (权责清单): their callbacks called directly, as the
admin (filter, edit, add, history, XLSX import refused with row numbers and accepted) and as
every other role (refused, nothing changed)."""

from __future__ import annotations

import base64
import io
import json

import flask_login
import pytest
from dash import html, no_update
from openpyxl import load_workbook

from app.auth import SessionUser
from ingest.files.duties_xlsx import write_duties_xlsx
from models.category_edits import category_history
from models.config import load_config
from models.duties_store import load_duties
from models.store import Store
from models.users import get_user
from tests.conftest import SECRET

#: Every role but the admin, by a demo user of it.
OTHERS = ("operator", "dispatcher", "gridworker", "xq_cg", "leader", "emergency")
#: The form's values after major and minor codes: kind … limit unit, flags, version.
FORM_0201 = (
    "event",
    "道路不洁",
    "road not clean",
    "CG",
    "路面有垃圾",
    "路面干净",
    5,
    "working_hours",
)


@pytest.fixture(scope="module")
def world(demo_copy):
    from app.server import create_app

    folder = demo_copy()
    config = load_config(folder / "config.yaml", environ={"CITYOPS_SECRET_KEY": SECRET})
    store = Store(config.database_path)
    app = create_app(config, store)
    app.server.config["TESTING"] = True
    yield {"app": app, "store": store, "folder": folder}
    store.close()


@pytest.fixture
def as_user(world):
    pushed = []

    def login(username: str) -> None:
        context = world["app"].server.test_request_context("/_dash-update-component", method="POST")
        context.push()
        pushed.append(context)
        flask_login.login_user(SessionUser(get_user(world["store"], username)))

    yield login
    for context in reversed(pushed):
        context.pop()


def _limit(store: Store, code: str = "0201") -> float:
    return float(
        store.query_value("SELECT limit_value FROM categories WHERE category_code = ?", [code])
    )


def _text(component) -> str:
    return str(html.Div(component).to_plotly_json())


def test_the_admin_filters_edits_adds_and_sees_the_history(world, as_user) -> None:
    from app.pages.admin import categories_callbacks as cb

    as_user("admin")
    store = world["store"]
    events = cb.show_rows("event", "", 0)
    assert events and {r["kind"] for r in events} == {"event"}
    assert [r["category_code"] for r in cb.show_rows("all", "道路不洁", 0)] == ["0201"]
    form = cb.fill_form([{"category_code": "0201"}])
    assert form[:2] == ("02", "01") and form[8:10] == (5.0, "working_hours")

    msg, stamp = cb.submit_form("save", *form[:8], 8, "working_hours", form[10], 3)
    assert "msg ok" in _text(msg) and stamp == 4
    assert _limit(store) == 8.0
    history = _text(cb.show_history("02", "01", 4))
    assert "admin" in history and "8" in history

    msg, stamp = cb.submit_form("save", *form[:8], -1, "working_hours", form[10], 4)
    assert "msg err" in _text(msg) and stamp is no_update and _limit(store) == 8.0

    new = ("09", "91", "event", "测试类别", "test category", "CG", "有", "无", 2, "working_days")
    msg, _ = cb.submit_form("add", *new, ["enabled"], 5)
    assert "msg ok" in _text(msg)
    assert [r["category_code"] for r in cb.show_rows("all", "测试类别", 6)] == ["0991"]
    again, stamp = cb.submit_form("add", *new, ["enabled"], 6)  # the code exists now
    assert "msg err" in _text(again) and "exists already" in _text(again) and stamp is no_update
    unknown_dept = ("09", "92", *new[2:5], "NOPE", *new[6:])
    msg, _ = cb.submit_form("add", *unknown_dept, [], 6)
    assert "NOPE" in _text(msg)
    assert store.query_value("SELECT count(*) FROM categories WHERE category_code = '0992'") == 0


@pytest.mark.parametrize("username", OTHERS)
def test_other_roles_are_refused_and_change_nothing(world, as_user, username) -> None:
    from app.pages.admin import categories_callbacks as cb
    from app.pages.admin import duties_callbacks as dcb

    store = world["store"]
    before = (_limit(store), len(category_history(store, "0201")), load_duties(store))
    as_user(username)
    assert cb.show_rows("all", "", 0) == []
    assert cb.fill_form([{"category_code": "0201"}]) == (no_update,) * 11
    msg, stamp = cb.submit_form(
        "save", "02", "01", *FORM_0201[:6], 1, "working_hours", ["enabled"], 0
    )
    assert "msg err" in _text(msg) and stamp is no_update
    msg, stamp = cb.submit_form("add", "09", "93", *FORM_0201, ["enabled"], 0)
    assert stamp is no_update
    assert "msg err" in _text(cb.show_history("02", "01", 0))
    download, _ = dcb.export_duties(1)
    assert download is no_update
    tables = load_duties(store)
    tables.categories[0].values["owner_dept"] = "ZJ"
    upload = (
        "data:application/octet-stream;base64,"
        + base64.b64encode(write_duties_xlsx(tables)).decode()
    )
    msg, stamp = dcb.import_workbook(upload, "duties.xlsx", 0)
    assert "msg err" in _text(msg) and stamp is no_update
    assert "msg err" in _text(dcb.redraw_tables(1))
    assert (_limit(store), len(category_history(store, "0201")), load_duties(store)) == before
    assert store.query_value("SELECT count(*) FROM categories WHERE category_code = '0993'") == 0


def _upload(data: bytes) -> str:
    return "data:application/vnd.ms-excel;base64," + base64.b64encode(data).decode()


def test_the_admin_exports_and_imports_the_duties_workbook(world, as_user) -> None:
    from app.pages.admin import duties_callbacks as dcb

    as_user("admin")
    store = world["store"]
    download, _ = dcb.export_duties(1)
    data = base64.b64decode(download["content"])
    assert download["filename"].endswith(".xlsx")
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["categories", "departments", "cells"]
    book["categories"]["C3"] = "NOT-A-DEPT"
    book["cells"]["D5"] = "ghost-worker"
    bad = io.BytesIO()
    book.save(bad)
    owners = store.query_rows("SELECT category_code, owner_dept FROM categories ORDER BY 1")
    msg, stamp = dcb.import_workbook(_upload(bad.getvalue()), "bad.xlsx", 0)
    shown = _text(msg)
    assert stamp is no_update and "第 3 行" in shown and "第 5 行" in shown
    assert "NOT-A-DEPT" in shown and "ghost-worker" in shown
    assert store.query_rows("SELECT category_code, owner_dept FROM categories ORDER BY 1") == owners

    msg, stamp = dcb.import_workbook(_upload(b"not a workbook"), "x.xlsx", 0)
    assert "不是 XLSX" in _text(msg) and stamp is no_update
    assert dcb.import_workbook("garbage", "x.xlsx", 0)[1] is no_update

    book = load_workbook(io.BytesIO(data))
    code = book["categories"]["A2"].value
    book["categories"]["B2"] = "ignored"  # the name column is for the reader
    book["categories"]["C2"] = "ZJ"
    good = io.BytesIO()
    book.save(good)
    msg, stamp = dcb.import_workbook(_upload(good.getvalue()), "good.xlsx", 0)
    assert "msg ok" in _text(msg) and stamp == 1
    owner = store.query_value("SELECT owner_dept FROM categories WHERE category_code = ?", [code])
    assert owner == "ZJ"
    assert "ZJ" in _text(dcb.redraw_tables(1))


def test_the_walls_cell_tooltips_follow_an_import_at_once(world) -> None:
    """The wall's base payload (cells with their responsible body) is cached per version:
    an import of the duties makes a new one, no restart."""
    from models.duties_store import import_duties
    from tests.app.test_dispatch_callbacks import logged_in_clients
    from tests.conftest import demo_passwords

    client = logged_in_clients(world["app"], demo_passwords(world["folder"]))("admin")

    def base() -> str:
        return json.dumps(client.get("/screen/api/base").get_json(), ensure_ascii=False)

    assert "联调测试责任主体" not in base()
    tables = load_duties(world["store"])
    tables.cells[0].values["responsible_body"] = "联调测试责任主体"
    import_duties(world["store"], tables, actor="admin")
    assert "联调测试责任主体" in base()


def test_the_dispatch_consoles_category_options_follow_an_edit_at_once(world, as_user) -> None:
    """The dispatch console caches its filter options: an added or disabled category shows
    there at once (the cache key names the categories' version)."""
    from app.pages.dispatch.layout import filter_options
    from models.category_edits import add_category, update_category
    from models.security import Scope

    as_user("admin")
    store = world["store"]

    def codes() -> set[str]:
        return {o["value"] for o in filter_options(store, Scope("city"), "zh")["categories"]}

    assert "0994" not in codes() and "0202" in codes()
    row = dict(zip(("category_code", "major_code", "minor_code"), ("0994", "09", "94")))
    add_category(store, {**row, "kind": "event", "name_zh": "新增测试", "name_en": "new test",
                         "owner_dept": "CG", "register_condition": "有", "close_condition": "无",
                         "limit_value": 1, "limit_unit": "working_days", "grid_level": False,
                         "enabled": True}, actor="admin")  # fmt: skip
    update_category(store, "0202", actor="admin", enabled=False)
    assert "0994" in codes() and "0202" not in codes()


def test_the_history_shows_local_times(world, as_user):
    """A change stored at 18:24 UTC reads 02:24 the next day in Chaozhou (the page's times are
    local everywhere else; the history showed UTC)."""
    from datetime import datetime

    from app.pages.admin.categories import history_table
    from models.category_edits import CategoryChange

    as_user("admin")
    change = CategoryChange(1, "0201", datetime(2026, 12, 7, 18, 24, 42), "admin", "limit_value",
                            "5", "6")  # fmt: skip
    text = _text(history_table([change], "0201", "zh"))
    assert "2026-12-08 02:24:42" in text and "UTC" not in text
