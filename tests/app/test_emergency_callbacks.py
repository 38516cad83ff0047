"""The emergency screen's callbacks called directly, as a browser (or an attacker) would: every
one refused to roles without the page and checked inside it by role (operators open incidents
and add notes, leaders read and approve warnings, the emergency staff command) and by scope
(a district's user never sees another district's incident); bad input is a message, never a
500; the command path (level, plan, task, dispatch, ack) and the warning path (reach, draft,
a second person's approval, publication) work end to end."""

from __future__ import annotations

import math

import pytest

from app.pages.emergency import ids
from models.clock import utcnow
from tests.app.emergency_support import INSIDE, SCOPED, body, build_world, text_of

#: Roles that may not open /emergency: every callback of the screen is 403 for them.
NO_PAGE = ("dispatcher", "gridworker", "xq_cg", "street_handler")
FORBIDDEN_ROLE = "您的角色无权执行此操作"
NOT_IN_SCOPE = "事件不存在或不在您的范围内"


@pytest.fixture(scope="module")
def world(demo_copy):
    w, _folder = build_world(demo_copy)
    yield w
    w.store.close()


def _unit(world, district: str = INSIDE, kind: str = "team") -> str:
    from models.emergency.resources import load_units

    units = load_units(world.store, kind=kind)
    free = units[(units["status"] == "available") & (units["district_code"] == district)]
    return str(free["resource_id"].iloc[0])


def _level(world, incident: str) -> str:
    from models.case_service import Actor
    from models.emergency.incidents import incident_detail
    from models.security import Scope

    admin = Actor("admin", "admin", Scope("city"))
    return incident_detail(world.store, admin, incident, now=utcnow())["level"]


def _command(world, user: str, button: str, incident: str, level: str = "II") -> str:
    values = {
        f"{button}.n_clicks": 1,
        f"{ids.SELECTED}.data": incident,
        f"{ids.LEVEL}.value": level,
    }
    answer = world.answer(user, ids.MESSAGE, values, trigger=f"{button}.n_clicks",
                          via=ids.LEVEL_SET)  # fmt: skip
    return text_of(answer)


def test_every_callback_is_refused_to_roles_without_the_page(world):
    assert len(world.deps) >= 15
    for user in NO_PAGE:
        for dep in world.deps:
            response = world.client(user).post(
                "/_dash-update-component", json=body(dep, {}, trigger=None)
            )
            assert response.status_code == 403, (user, dep["output"])


def test_each_user_sees_the_incidents_of_their_scope(world):
    def listed(user: str) -> str:
        values = {f"{ids.LIST_FILTER}.value": "all"}
        return text_of(world.answer(user, f"{ids.LIST}.children", values))

    for user in ("emergency", "operator", "leader", "admin"):
        shown = listed(user)
        assert world.incidents["inside"] in shown and world.incidents["outside"] in shown, user
    shown = listed(SCOPED)
    assert world.incidents["inside"] in shown and world.incidents["outside"] not in shown


def test_an_incident_outside_the_scope_is_refused_unseen(world):
    outside = world.incidents["outside"]
    answer = world.answer(SCOPED, f"{ids.SUMMARY}.children", {f"{ids.SELECTED}.data": outside})
    shown = text_of(answer)
    assert NOT_IN_SCOPE in shown and "测试内涝 outside" not in shown
    assert answer[ids.TIMELINE]["children"] == []
    nearest = world.answer(SCOPED, f"{ids.NEAREST}.children", {f"{ids.SELECTED}.data": outside})
    assert NOT_IN_SCOPE in text_of(nearest)
    for button in (ids.LEVEL_SET, ids.PLAN_ACTIVATE, ids.CLOSE):
        assert NOT_IN_SCOPE in _command(world, SCOPED, button, outside), button
    assert _level(world, outside) == "III"
    sent = world.answer(SCOPED, ids.MESSAGE, {f"{ids.SELECTED}.data": outside},
                        act=(ids.ACT_UNIT, "send", _unit(world)))  # fmt: skip
    assert NOT_IN_SCOPE in text_of(sent)
    layers = world.answer(SCOPED, f"{ids.MAP_LAYERS}.data", {f"{ids.SELECTED}.data": outside})
    incidents = next(lay for lay in layers[ids.MAP_LAYERS]["data"]["layers"]
                     if lay["id"] == "incidents")  # fmt: skip
    assert {r["id"] for r in incidents["data"]} == {world.incidents["inside"]}
    assert layers[ids.MAP_LAYERS]["data"]["focus"] is None


def test_operators_open_incidents_and_add_notes_but_do_not_command(world):
    inside = world.incidents["inside"]
    for button in (ids.LEVEL_SET, ids.PLAN_ACTIVATE, ids.CLOSE):
        assert FORBIDDEN_ROLE in _command(world, "operator", button, inside), button
    sent = world.answer("operator", ids.MESSAGE, {f"{ids.SELECTED}.data": inside},
                        act=(ids.ACT_UNIT, "send", _unit(world)))  # fmt: skip
    assert FORBIDDEN_ROLE in text_of(sent)
    noted = world.answer(
        "operator", ids.MESSAGE,
        {f"{ids.NOTE_ADD}.n_clicks": 1, f"{ids.SELECTED}.data": inside,
         f"{ids.NOTE}.value": "现场水深约 40 厘米"},
        trigger=f"{ids.NOTE_ADD}.n_clicks",
    )  # fmt: skip
    assert "备注已记入时间线" in text_of(noted) and noted[ids.NOTE]["value"] == ""
    opened = _new(world, "operator", {f"{ids.NEW_TITLE}.value": "操作员接报的积水"})
    assert "已建立事件" in text_of(opened)
    assert opened[ids.SELECTED]["data"].startswith("INC-")


def _new(world, user: str, over: dict | None = None) -> dict:
    from tests.app.emergency_support import place_in

    lon, lat = place_in(world.store, INSIDE)
    values = {
        f"{ids.NEW_SUBMIT}.n_clicks": 1,
        f"{ids.NEW_TYPE}.value": "flood",
        f"{ids.NEW_LEVEL}.value": "IV",
        f"{ids.NEW_TITLE}.value": "新建积水事件",
        f"{ids.NEW_LON}.value": lon,
        f"{ids.NEW_LAT}.value": lat,
        f"{ids.NEW_EXERCISE}.value": ["exercise"],
    }
    values.update(over or {})
    return world.answer(user, ids.MESSAGE, values, trigger=f"{ids.NEW_SUBMIT}.n_clicks",
                        via=ids.NEW_SUBMIT)  # fmt: skip


def test_leaders_read_but_neither_open_nor_note(world):
    inside = world.incidents["inside"]
    shown = text_of(world.answer("leader", f"{ids.SUMMARY}.children",
                                 {f"{ids.SELECTED}.data": inside}))  # fmt: skip
    assert "测试内涝 inside" in shown
    assert FORBIDDEN_ROLE in text_of(_new(world, "leader"))
    assert FORBIDDEN_ROLE in _command(world, "leader", ids.LEVEL_SET, inside)


def test_bad_input_from_the_browser_is_a_message(world):
    inside = world.incidents["inside"]
    before = len(world.store.query_rows("SELECT incident_id FROM incidents"))
    cases = [
        {f"{ids.NEW_LON}.value": math.nan},
        {f"{ids.NEW_LON}.value": "1e999"},
        {f"{ids.NEW_LON}.value": {"x": 1}},
        {f"{ids.NEW_LAT}.value": 1e308},
        {f"{ids.NEW_TITLE}.value": "x" * 100_000},
        {f"{ids.NEW_TITLE}.value": "a\x00b"},
        {f"{ids.NEW_TITLE}.value": ["list"]},
        {f"{ids.NEW_TYPE}.value": "meteor"},
        {f"{ids.NEW_LEVEL}.value": "V"},
        {f"{ids.NEW_LON}.value": 10.0, f"{ids.NEW_LAT}.value": 10.0},  # outside the city
    ]
    for case in cases:
        answer = _new(world, "emergency", case)
        assert "msg err" in str(answer), case
    assert len(world.store.query_rows("SELECT incident_id FROM incidents")) == before
    for selected in ("x" * 5000, {"a": 1}, ["INC"], 12, "INC-19990101-0001"):
        shown = text_of(world.answer("emergency", f"{ids.SUMMARY}.children",
                                     {f"{ids.SELECTED}.data": selected}))  # fmt: skip
        assert "编号无效" in shown or NOT_IN_SCOPE in shown, selected
        assert "编号无效" in _command(world, "emergency", ids.CLOSE, selected) or NOT_IN_SCOPE in (
            _command(world, "emergency", ids.CLOSE, selected)
        )
    # what a pressed button writes, as an attacker would shape it: a refusal in words
    for store, name, args in (
        (ids.ACT_TASK, "done", ("x", "-1", "1" * 40, None, {"a": 1}, 7, "99")),
        (ids.ACT_UNIT, "send", ("x" * 500, "NOPE-1", {"a": 1}, 7)),
        (ids.ACT_UNIT, "explode", ("TM-001",)),
        (ids.ACT_PICK, "pick", ("x" * 500,)),
        (ids.ACT_WARNING, "publish", ("CN-1", None)),
    ):
        output = {ids.ACT_PICK: ids.SELECTED, ids.ACT_WARNING: ids.W_MESSAGE}.get(
            store, ids.MESSAGE
        )
        for arg in args:
            response = world.call("emergency", output, {f"{ids.SELECTED}.data": inside},
                                  act=(store, name, arg))  # fmt: skip
            assert response.status_code in (200, 204), (store, name, arg)
            if response.status_code == 200:
                assert "msg err" in response.get_data(as_text=True), (store, name, arg)
    for raw in ("x", 3, [1], {"act": "send"}):
        response = world.call("emergency", ids.MESSAGE, {f"{ids.ACT_UNIT}.data": raw},
                              trigger=f"{ids.ACT_UNIT}.data")  # fmt: skip
        assert response.status_code == 200 and "msg err" in response.get_data(as_text=True)
    for kind, need in (("meteor", None), ("team", "team:not_a_need"), (["x"], None)):
        shown = world.answer("emergency", f"{ids.NEAREST}.children",
                             {f"{ids.SELECTED}.data": inside, f"{ids.NEAREST_KIND}.value": kind,
                              f"{ids.NEAREST_NEED}.value": need})  # fmt: skip
        assert "msg err" in str(shown), (kind, need)
    noted = world.answer(
        "emergency", ids.MESSAGE,
        {f"{ids.NOTE_ADD}.n_clicks": 1, f"{ids.SELECTED}.data": inside,
         f"{ids.NOTE}.value": "长" * 5000},
        trigger=f"{ids.NOTE_ADD}.n_clicks",
    )  # fmt: skip
    assert "内容过长" in text_of(noted)


def test_command_level_plan_task_dispatch_and_ack(world):
    from models.emergency.orders import record_acks

    incident = world.incidents["inside"]
    assert "II" in _command(world, "emergency", ids.LEVEL_SET, incident, level="II")
    assert _level(world, incident) == "II"
    done = _command(world, "emergency", ids.PLAN_ACTIVATE, incident)
    assert "已启动" in done
    view = world.answer("emergency", f"{ids.SUMMARY}.children", {f"{ids.SELECTED}.data": incident})
    assert "完成" in text_of(view[ids.TASKS]) and view[ids.LEVEL]["value"] == "II"
    marked = world.answer("emergency", ids.MESSAGE, {f"{ids.SELECTED}.data": incident},
                          act=(ids.ACT_TASK, "done", "1"))  # fmt: skip
    assert "任务 1 已完成" in text_of(marked)
    nearest = world.answer(
        "emergency",
        f"{ids.NEAREST}.children",
        {f"{ids.SELECTED}.data": incident, f"{ids.NEAREST_KIND}.value": "all"},
    )
    assert "未列入的资源" in text_of(nearest) or "一键调派" in text_of(nearest)
    unit = _unit(world)
    sent = world.answer("emergency", ids.MESSAGE, {f"{ids.SELECTED}.data": incident},
                        act=(ids.ACT_UNIT, "send", unit))  # fmt: skip
    assert "调度指令" in text_of(sent) and "msg ok" in str(sent)
    again = world.answer("emergency", ids.MESSAGE, {f"{ids.SELECTED}.data": incident},
                         act=(ids.ACT_UNIT, "send", unit))  # fmt: skip
    assert "当前不可调派" in text_of(again)
    view = world.answer("emergency", f"{ids.SUMMARY}.children", {f"{ids.SELECTED}.data": incident})
    assert "已下达" in text_of(view[ids.ORDERS])
    assert "n-dispatched" in str(view[ids.BOARD])  # the board counts the unit dispatched
    order = world.store.query_value(
        "SELECT order_id FROM dispatch_orders WHERE resource_id = ? AND incident_id = ?",
        [unit, incident],
    )
    world.store.write(lambda tx: record_acks(tx, [(unit, order, utcnow())]))
    view = world.answer("emergency", f"{ids.SUMMARY}.children", {f"{ids.SELECTED}.data": incident})
    assert "已签收" in text_of(view[ids.ORDERS])
    timeline = text_of(view[ids.TIMELINE])
    assert "现场水深" in timeline or unit in timeline


def _compose(world, user: str, incident: str, over: dict | None = None) -> dict:
    values = {
        f"{ids.W_DRAFT}.n_clicks": 1,
        f"{ids.SELECTED}.data": incident,
        f"{ids.W_EVENT}.value": "waterlogging",
        f"{ids.W_SEVERITY}.value": "Moderate",
        f"{ids.W_URGENCY}.value": "Immediate",
        f"{ids.W_CERTAINTY}.value": "Likely",
        f"{ids.W_HEADLINE_ZH}.value": "城市内涝黄色预警",
        f"{ids.W_HEADLINE_EN}.value": "Yellow urban waterlogging warning",
        f"{ids.W_DESC_ZH}.value": "老城区出现严重积水。",
        f"{ids.W_DESC_EN}.value": "Deep water in the old city.",
        f"{ids.W_INSTR_ZH}.value": "",
        f"{ids.W_INSTR_EN}.value": "",
        f"{ids.W_AREA_MODE}.value": "circle",
        f"{ids.W_RADIUS}.value": 2,
        f"{ids.W_CODES}.value": [],
        f"{ids.W_HOURS}.value": 6,
    }
    values.update(over or {})
    return world.answer(user, f"{ids.W_MESSAGE}.children", values,
                        trigger=f"{ids.W_DRAFT}.n_clicks", via=ids.W_DRAFT)  # fmt: skip


def _warnings(world, user: str, incident: str) -> list:
    answer = world.answer(user, f"{ids.W_LIST}.children", {f"{ids.SELECTED}.data": incident})
    return answer[ids.W_LIST]["children"]


def _step(world, user: str, incident: str, identifier: str, act: str) -> str:
    answer = world.answer(user, f"{ids.W_MESSAGE}.children", {f"{ids.SELECTED}.data": incident},
                          act=(ids.ACT_WARNING, act, identifier))  # fmt: skip
    return text_of(answer)


def test_a_warning_is_previewed_drafted_approved_by_another_and_published(world):
    incident = world.incidents["inside"]
    reach = world.answer(
        "emergency", f"{ids.W_REACH}.children",
        {f"{ids.W_PREVIEW}.n_clicks": 1, f"{ids.SELECTED}.data": incident,
         f"{ids.W_AREA_MODE}.value": "circle", f"{ids.W_RADIUS}.value": 2},
        trigger=f"{ids.W_PREVIEW}.n_clicks", via=ids.W_PREVIEW,
    )  # fmt: skip
    assert "影响网格" in text_of(reach) and "人口" in text_of(reach)
    assert len(reach[ids.W_REACH_AREA]["data"]["cells"]) > 0
    for bad in (
        {f"{ids.W_RADIUS}.value": math.inf},
        {f"{ids.W_HEADLINE_EN}.value": ""},
        {f"{ids.W_SEVERITY}.value": "Apocalyptic"},
        {f"{ids.W_HOURS}.value": -3},
        {f"{ids.W_AREA_MODE}.value": "codes", f"{ids.W_CODES}.value": ["DROP TABLE"]},
    ):
        assert "msg err" in str(_compose(world, "emergency", incident, bad)), bad  # fmt: skip
    assert "全市" in text_of(_compose(world, SCOPED, incident))
    assert "无权" in text_of(_compose(world, "operator", incident))
    drafted = text_of(_compose(world, "emergency", incident))
    assert "预警草稿" in drafted
    rows = _warnings(world, "emergency", incident)
    identifier = rows[0]["props"]["data-id"]
    assert rows[0]["props"]["data-state"] == "draft"
    assert "须由另一人审核" in text_of(rows) and "审核通过" not in text_of(rows)
    assert "须由另一人审核" in _step(world, "emergency", incident, identifier, "approve")
    assert "无权" in _step(world, "operator", incident, identifier, "approve")
    assert "已审核通过" in _step(world, "leader", incident, identifier, "approve")
    assert "无权" in _step(world, "leader", incident, identifier, "publish")
    assert "已发布" in _step(world, "emergency", incident, identifier, "publish")
    rows = _warnings(world, "leader", incident)
    assert rows[0]["props"]["data-state"] == "published" and "CAP XML" in text_of(rows)
    outside = world.incidents["outside"]
    assert "该预警不属于所选事件" in _step(world, "emergency", outside, identifier, "publish")
    assert NOT_IN_SCOPE in _step(world, SCOPED, outside, identifier, "publish") or "全市" in _step(
        world, SCOPED, outside, identifier, "publish"
    )


def test_a_district_command_sends_its_own_units_only(world):
    """As the API rules: a district's emergency staff order out their district's units (and
    the city's); another district's unit is the city command's to send."""
    from tests.app.emergency_support import OUTSIDE

    inside = world.incidents["inside"]
    other = _unit(world, OUTSIDE)
    refused = world.answer(SCOPED, ids.MESSAGE, {f"{ids.SELECTED}.data": inside},
                           act=(ids.ACT_UNIT, "send", other))  # fmt: skip
    assert "其他区县" in text_of(refused)
    own = _unit(world, INSIDE, kind="vehicle")
    sent = world.answer(SCOPED, ids.MESSAGE, {f"{ids.SELECTED}.data": inside},
                        act=(ids.ACT_UNIT, "send", own))  # fmt: skip
    assert "msg ok" in str(sent)
    audit = world.store.query_rows(
        "SELECT actor FROM audit_log WHERE action = 'incident.order' AND target = ?", [inside]
    )
    assert (SCOPED,) in audit
