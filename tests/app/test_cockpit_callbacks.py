"""The cockpit's callbacks called directly (the Python functions, as a grid worker or a
handler: refused, no figure) and as a browser would (HTTP: the gate's 403 for roles that may
not open /cockpit; a district leader's drill-down and case card stay in the district)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import flask_login
import pytest
from dash.exceptions import PreventUpdate
from plotly.utils import PlotlyJSONEncoder

from app.auth import SessionUser
from models.config import load_config
from models.store import Store
from models.users import get_user
from tests.app.test_dispatch_callbacks import call, callback_world, seed_cases
from tests.conftest import SECRET

SCOPED = "xq_leader"
SCOPED_PASSWORD = "scoped-leader-pass-1"
#: Roles that may not open /cockpit (grid worker, handlers, operator, dispatcher, emergency).
REFUSED_USERS = ("gridworker", "xq_cg", "street_handler", "operator", "dispatcher", "emergency")


def register_all(folder, cases: list[str]) -> None:
    """Accept and register the seeded cases (the evaluation's cohort is the registered)."""
    from models.case_service import Actor, act
    from models.security import Scope
    from models.work_calendar import WorkCalendar

    config = load_config(folder / "config.yaml", environ={"CITYOPS_SECRET_KEY": SECRET})
    calendar = WorkCalendar.from_settings(config.settings.calendar)
    actor = Actor("dispatcher", "dispatcher", Scope("city"))
    with Store(folder / "cityops.duckdb") as store:
        for case in cases:
            for action in ("accept", "register"):
                now = datetime.now(UTC).replace(tzinfo=None)
                act(store, actor, case, action, at=now, calendar=calendar)


@pytest.fixture(scope="module")
def cockpit(demo_copy):
    folder = demo_copy()
    seeded = seed_cases(folder)
    register_all(folder, seeded["inside"] + seeded["outside"])
    world = callback_world(
        folder, scoped=(SCOPED, SCOPED_PASSWORD, "leader", "district:445102"), first_user="leader"
    )
    yield {**world, "seeded": seeded}
    world["store"].close()


def dep_for(cockpit, output_part: str) -> dict:
    found = [d for d in cockpit["deps"] if d["output"].lstrip(".").startswith(output_part)]
    assert len(found) == 1, (output_part, [d["output"] for d in found])
    return found[0]


def this_month() -> str:
    from models.indicators.periods import period_containing

    return period_containing("month", datetime.now(UTC).replace(tzinfo=None)).label


def as_user(cockpit, username: str):
    """A request context of the app with ``username`` logged in (for direct calls)."""
    app = cockpit["app"]
    context = app.server.test_request_context("/_dash-update-component", method="POST")
    context.push()
    user = get_user(cockpit["store"], username)
    flask_login.login_user(SessionUser(user))
    return context


def test_every_callback_refuses_a_grid_worker_and_a_handler(cockpit):
    from app.pages.cockpit import callbacks as cb

    case = cockpit["seeded"]["inside"][0]
    for username in ("gridworker", "xq_cg"):
        context = as_user(cockpit, username)
        try:
            with pytest.raises(PreventUpdate):
                cb.pick_kind("month")
            assert cb.apply_period(1, "2026-11", None, None, "month")[0] is not None
            data, note = cb.apply_period(1, "2026-11", None, None, "month")
            assert "不能" in str(note) and not isinstance(data, dict)
            summary = cb.render_summary({"label": this_month()})
            assert summary[0] == [] and "不能" in str(summary[2])
            assert "不能" in str(cb.render_ranking({"label": this_month()}, "district"))
            drill = cb.drill_down([1], [], 0, {"label": this_month()})
            assert drill[2] == [] and "不能" in str(drill[1])
            card = cb.open_case({"rowId": case, "colId": "case_id"})
            assert "不能" in str(card) and case not in str(card)
        finally:
            context.pop()


@pytest.mark.parametrize("username", REFUSED_USERS)
def test_the_gate_refuses_other_roles(cockpit, username):
    client = cockpit["client"](username)
    for output in ("cockpit-ranking.children", "cockpit-card.children", "cockpit-drill.className"):
        dep = dep_for(cockpit, output)
        response = call(client, dep, {})
        assert response.status_code == 403, (username, output)
    assert client.get("/cockpit").status_code == 403


def test_a_leader_sees_the_cockpit(cockpit):
    context = as_user(cockpit, "leader")
    try:
        from app.pages.cockpit import callbacks as cb

        out = cb.render_summary({"label": this_month()})
        indicators = json.dumps(out[2], default=str)
        assert "governance.registered" in indicators
        ranking = json.dumps(cb.render_ranking({"label": this_month()}, "district"), default=str)
        assert "445102" in ranking and "445122" in ranking
        bad = cb.render_summary({"label": "../../etc"})
        assert bad[0] == [] and "无法识别" in str(bad[2])
        assert "cockpit" not in str(cb.render_ranking({"label": this_month()}, "city; --"))
    finally:
        context.pop()
    # a bad period from the browser: a message, never a raise
    dep = dep_for(cockpit, "cockpit-period.data")
    for kind, value in (("month", "2026-13"), ("decade", "2026"), ("month", ["2026-11"])):
        values = {"cockpit-kind.value": kind, "cockpit-value.value": value,
                  "cockpit-apply.n_clicks": 1}  # fmt: skip
        response = call(cockpit["client"]("leader"), dep, values, trigger="cockpit-apply.n_clicks")
        assert response.status_code in (200, 400), response.status_code
        if response.status_code == 200:
            answer = response.get_json()["response"]
            assert "cockpit-period" not in answer and "msg err" in json.dumps(answer)
    good = {"cockpit-kind.value": "quarter", "cockpit-value.value": "2026-Q3",
            "cockpit-apply.n_clicks": 1}  # fmt: skip
    response = call(cockpit["client"]("leader"), dep, good, trigger="cockpit-apply.n_clicks")
    assert response.get_json()["response"]["cockpit-period"]["data"] == {"label": "2026-Q3"}


def _drill_body(dep: dict, trigger: dict, month: str) -> dict:
    values = {"cockpit-period.data": {"label": month}, "cockpit-drill-close.n_clicks": 0}
    inputs = []
    for item in dep["inputs"]:
        if isinstance(item["id"], str) and item["id"].startswith("{"):
            wanted = json.loads(item["id"])
            same = wanted.get("type") == trigger["type"]
            inputs.append([{"id": trigger, "property": "n_clicks", "value": 1}] if same else [])
        else:
            inputs.append({**item, "value": values.get(f"{item['id']}.{item['property']}")})
    state = [{**s, "value": values.get(f"{s['id']}.{s['property']}")} for s in dep["state"]]
    prop = json.dumps(trigger, sort_keys=True, separators=(",", ":")) + ".n_clicks"
    outputs = [
        {"id": part.split(".", 1)[0], "property": part.split(".", 1)[1].split("@", 1)[0]}
        for part in dep["output"].strip(".").split("...")
    ]
    return {
        "output": dep["output"],
        "outputs": outputs,
        "inputs": inputs,
        "state": state,
        "changedPropIds": [prop],
    }


def drill(cockpit, username: str, trigger: dict) -> dict:
    dep = dep_for(cockpit, "cockpit-drill.className")
    body = _drill_body(dep, trigger, this_month())
    response = cockpit["client"](username).post(
        "/_dash-update-component", data=json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response.get_json()["response"]


def test_a_district_leader_drills_in_the_district_only(cockpit):
    inside, outside = cockpit["seeded"]["inside"], cockpit["seeded"]["outside"]
    ind = {"type": "cockpit-ind", "id": "governance.registered"}
    listed = {r["case_id"] for r in drill(cockpit, SCOPED, ind)["cockpit-cases"]["rowData"]}
    assert set(inside) <= listed and not listed & set(outside)
    city = {r["case_id"] for r in drill(cockpit, "leader", ind)["cockpit-cases"]["rowData"]}
    assert set(inside + outside) <= city
    # another district's ranking figure: nothing of it reaches the district's leader
    other = {"type": "cockpit-rank-fig", "by": "district", "value": "445122",
             "figure": "registered"}  # fmt: skip
    assert drill(cockpit, SCOPED, other)["cockpit-cases"]["rowData"] == []
    assert {r["case_id"] for r in drill(cockpit, "leader", other)["cockpit-cases"]["rowData"]} == (
        set(outside)
    )
    # a forged id: a message, no list
    forged = {"type": "cockpit-ind", "id": "nope'; --"}
    answer = drill(cockpit, SCOPED, forged)
    assert answer["cockpit-cases"]["rowData"] == []


def test_the_figure_and_its_list_agree(cockpit):
    context = as_user(cockpit, SCOPED)
    try:
        from app.pages.cockpit import callbacks as cb

        tiles = json.dumps(cb.render_summary({"label": this_month()})[2], default=str)
    finally:
        context.pop()
    assert "governance.registered" in tiles
    answer = drill(cockpit, SCOPED, {"type": "cockpit-ind", "id": "governance.registered"})
    n = len(answer["cockpit-cases"]["rowData"])
    head = json.dumps(answer["cockpit-drill-head"], ensure_ascii=False)
    assert f"共 {n} 件案件" in head and f"本期 {n} 件" in head


def test_a_district_leader_cannot_open_another_districts_case(cockpit):
    dep = dep_for(cockpit, "cockpit-card.children")
    outside, inside = cockpit["seeded"]["outside"][0], cockpit["seeded"]["inside"][0]
    for case, seen in ((outside, False), (inside, True)):
        response = call(
            cockpit["client"](SCOPED),
            dep,
            {"cockpit-cases.cellClicked": {"rowId": case, "colId": "case_id"}},
        )
        assert response.status_code == 200
        card = json.dumps(response.get_json()["response"], ensure_ascii=False)
        assert (case in card and "dispatch-test" in card) == seen, card[:300]
        if not seen:
            assert "dispatch-test" not in card and "0201" not in card


def test_every_case_figure_agrees_with_its_drill_down(cockpit):
    """For every case-based tile: a count is its list's length; a rate is the share of its
    list above the line (the rows marked ✓, all of them when none is marked ✗)."""
    from models.indicators.registry import load_indicators

    context = as_user(cockpit, SCOPED)
    try:
        from app.pages.cockpit import callbacks as cb

        tiles = json.loads(json.dumps(cb.render_summary({"label": this_month()})[2],
                                      cls=PlotlyJSONEncoder))  # fmt: skip
    finally:
        context.pop()
    values: dict[str, str] = {}

    def walk(node: object) -> None:
        if isinstance(node, dict):
            props = node.get("props", {})
            if isinstance(props, dict) and "data-indicator" in props:
                values[props["data-indicator"]] = props["data-value"]
            for child in node.values():
                walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(tiles)
    checked = 0
    for ind in (i for i in load_indicators() if i.case_based):
        value = values[ind.id]
        rows = drill(cockpit, SCOPED, {"type": "cockpit-ind", "id": ind.id})["cockpit-cases"]
        rows = rows["rowData"]
        if ind.unit == "件":
            assert float(value) == len(rows), ind.id
        elif ind.unit == "%" and rows:
            marks = [r["counted"] for r in rows]
            above = marks.count("✓") if "✗" in marks else len(rows)
            assert abs(float(value) - 100 * above / len(rows)) < 1e-6, ind.id
        elif ind.unit == "%":
            assert value == "None", ind.id
        checked += 1
    assert checked >= 20


def test_a_ranking_figure_with_a_chinese_value_drills_down(cockpit):
    """The browser sends the clicked id as raw UTF-8 JSON (``JSON.stringify``), not with
    ``\\u`` escapes: the figure of a group named in Chinese still opens its list."""
    dep = dep_for(cockpit, "cockpit-drill.className")
    trigger = {"type": "cockpit-rank-fig", "by": "department", "value": "万绿社区",
               "figure": "registered"}  # fmt: skip
    body = _drill_body(dep, trigger, this_month())
    body["changedPropIds"] = [
        json.dumps(trigger, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + ".n_clicks"
    ]
    response = cockpit["client"]("leader").post(
        "/_dash-update-component",
        data=json.dumps(body, ensure_ascii=False).encode("utf-8"),
        content_type="application/json",
    )
    assert response.status_code == 200, response.status_code
    answer = response.get_json()["response"]
    assert answer["cockpit-drill"]["className"] == "ck-drill"
    assert "万绿社区" in json.dumps(answer["cockpit-drill-head"], ensure_ascii=False)
