"""Every /field callback, called directly as Dash calls it (POST /_dash-update-component),
checks role and scope on the server: roles without the field app are refused by the gate; a
handler cannot act on another unit's case, a grid worker on a case outside its cells; a
handler cannot report or patrol. Nothing is written by a refused call."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from app.validation import callback_body_problem
from ingest.locate import store_locator
from models.case_service import Actor, act
from models.cases import report_case
from models.clock import utcnow
from models.config import load_config
from models.security import Scope
from models.store import Store
from models.work_calendar import WorkCalendar
from tests.app.test_auth import _csrf
from tests.conftest import SECRET, demo_passwords

ADMIN = Actor("admin", "admin", Scope("city"))


def _case(store, category: str, lon: float, lat: float, *stages: str) -> str:
    """A case reported now and moved through ``stages`` (actions) by an admin."""
    at = utcnow() - timedelta(hours=2)
    case_id = report_case(
        store, category_code=category, lon=lon, lat=lat, at=at, source="grid_worker",
        actor="seed", role="grid_worker", locate=store_locator(store), text="seed",
    ).case_id  # fmt: skip
    for i, action in enumerate(stages, 1):
        data = {"unit": None}
        if action == "dispatch":
            data = {}
        act(
            store,
            ADMIN,
            case_id,
            action,
            at=at + timedelta(minutes=i),
            calendar=WorkCalendar(),
            data=data,
        )
    return case_id


@pytest.fixture(scope="module")
def world(demo_copy):
    from app.server import create_app

    folder = demo_copy()
    config = load_config(folder / "config.yaml", environ={"CITYOPS_SECRET_KEY": SECRET})
    store = Store(config.database_path)
    cell, lon, lat = store.query_rows(
        "SELECT g.cell_code, g.centroid_lon, g.centroid_lat FROM grid_cells g, users u "
        "WHERE u.username = 'gridworker' AND g.cell_code = u.scope_codes[1] "
        "ORDER BY g.version_id DESC LIMIT 1"
    )[0]
    far = store.query_rows(
        "SELECT centroid_lon, centroid_lat FROM grid_cells WHERE district_code = '445122' "
        "ORDER BY cell_code LIMIT 1"
    )[0]
    to_handled = ("accept", "register", "dispatch", "start", "feedback")
    cases = {
        # 垃圾满溢 in the worker's cell → the district's 城管 (xq_cg)
        "cg_dispatched": _case(store, "0203", lon, lat, "accept", "register", "dispatch"),
        # 乱张贴 in the worker's cell → the community committee (street_handler's unit)
        "street_dispatched": _case(
            store, "0304", lon + 0.0003, lat, "accept", "register", "dispatch"
        ),
        # handled in the worker's cells, and handled far away (饶平县)
        "mine_handled": _case(store, "0201", lon - 0.0003, lat, *to_handled),
        "far_handled": _case(store, "0201", far[0], far[1], *to_handled),
    }
    app = create_app(config, store)
    app.server.config["TESTING"] = True
    passwords = demo_passwords(folder)
    admin = app.server.test_client()
    admin.post(
        "/login", data={"username": "admin", "password": passwords["admin"], "csrf": _csrf(admin)}
    )
    deps = admin.get("/_dash-dependencies").get_json()
    yield {
        "app": app,
        "store": store,
        "passwords": passwords,
        "deps": deps,
        "cases": cases,
        "cell": cell,
    }
    store.close()


def _client(world, username: str):
    client = world["app"].server.test_client()
    response = client.post(
        "/login",
        data={
            "username": username,
            "password": world["passwords"][username],
            "csrf": _csrf(client),
        },
    )
    assert response.status_code == 302
    return client


def _dep(world, output: str) -> dict:
    return next(d for d in world["deps"] if d["output"] == output)


def _items(specs: list[dict], values: dict) -> list:
    out = []
    for spec in specs:
        if spec["id"].startswith("{"):
            out.append(values.get(spec["id"], []))
        else:
            key = f"{spec['id']}.{spec['property']}"
            out.append({"id": spec["id"], "property": spec["property"], "value": values.get(key)})
    return out


def _call(client, world, output: str, values: dict, changed: list[str]):
    dep = _dep(world, output)
    outputs = [
        {"id": part.split(".", 1)[0], "property": part.split(".", 1)[1].split("@")[0]}
        for part in output.strip(".").split("...")
    ]
    body = {
        "output": output,
        "outputs": outputs if output.startswith("..") else outputs[0],
        "inputs": _items(dep["inputs"], values),
        "state": _items(dep["state"], values),
        "changedPropIds": changed,
    }
    return client.post(
        "/_dash-update-component", data=json.dumps(body), content_type="application/json"
    )


ACT = (
    "..field-task-message.children...field-task-done.data...field-task-photo.contents"
    "...field-task-note.value.."
)
ACT_PATTERN = '{"action":["ALL"],"type":"field-task-act"}'
DETAIL = "..field-task-detail.children...field-task-form.className...field-task-buttons.children.."
SUBMIT = (
    "..field-report-message.children...field-report-dupes.children...field-report-dupes-box.className"
    "...field-report-photos.contents...field-report-text.value...field-report-token.data.."
)
PATROL = "..field-patrol-result.children...field-patrol-list.children...field-patrol-note.value.."


def _act(client, world, case_id: str, action: str, note: str = "ok"):
    button = {
        "id": {"action": action, "type": "field-task-act"},
        "property": "n_clicks",
        "value": 1,
    }
    return _call(
        client, world, ACT,
        {ACT_PATTERN: [button], "field-task-selected.data": case_id, "field-task-note.value": note,
         "field-task-hours.value": 8, "field-task-done.data": 0},
        [json.dumps(button["id"], separators=(",", ":"), sort_keys=True) + ".n_clicks"],
    )  # fmt: skip


def _stage(world, case_id: str) -> str:
    return world["store"].query_value("SELECT stage FROM cases WHERE case_id = ?", [case_id])


def _text(response) -> str:
    return json.dumps(response.get_json(), ensure_ascii=False)


def test_pattern_matching_callback_bodies_pass_the_shape_check(world):
    # the body Dash sends for a card's button (its dependency is an id pattern)
    dep = world["app"].callback_map["field-task-selected.data"]
    body = {
        "output": "field-task-selected.data",
        "outputs": {"id": "field-task-selected", "property": "data"},
        "inputs": [
            [{"id": {"case": "C1", "type": "field-task-open"}, "property": "n_clicks", "value": 1}]
        ],
        "changedPropIds": ['{"case":"C1","type":"field-task-open"}.n_clicks'],
    }
    assert dep["inputs"][0]["id"].startswith("{")
    assert callback_body_problem(body, world["app"].callback_map) is None


@pytest.mark.parametrize("username", ["operator", "dispatcher", "leader", "emergency"])
def test_roles_without_the_field_app_are_refused_every_callback(world, username):
    client = _client(world, username)
    field_deps = [
        d for d in world["deps"] if "field-" in d["output"] and not d.get("clientside_function")
    ]
    assert len(field_deps) >= 8
    for dep in field_deps:
        response = _call(client, world, dep["output"], {}, [])
        assert response.status_code == 403, (username, dep["output"], response.status_code)
    assert client.get("/field").status_code == 403


def test_handler_cannot_act_on_another_units_case(world):
    cases = world["cases"]
    client = _client(world, "xq_cg")
    before = _stage(world, cases["street_dispatched"])
    response = _act(client, world, cases["street_dispatched"], "start")
    assert response.status_code == 200
    assert "不在您的范围内" in _text(response)
    assert _stage(world, cases["street_dispatched"]) == before == "dispatched"
    detail = _call(
        client, world, DETAIL, {"field-task-selected.data": cases["street_dispatched"]}, []
    )
    assert "不在您的范围内" in _text(detail) and "seed" not in _text(detail)
    # its own unit's case: the same call works
    assert "field-note ok" in _text(_act(client, world, cases["cg_dispatched"], "start"))
    assert _stage(world, cases["cg_dispatched"]) == "handling"


def test_street_handler_cannot_act_on_the_districts_case(world):
    client = _client(world, "street_handler")
    case_id = world["cases"]["cg_dispatched"]
    before = _stage(world, case_id)
    assert "不在您的范围内" in _text(_act(client, world, case_id, "request_extension", "等待配件"))
    assert _stage(world, case_id) == before


def test_grid_worker_cannot_verify_outside_its_cells(world):
    cases = world["cases"]
    client = _client(world, "gridworker")
    response = _act(client, world, cases["far_handled"], "verify_ok")
    assert "不在您的范围内" in _text(response)
    assert _stage(world, cases["far_handled"]) == "handled"
    # nor take a handler's action on a case in its cells
    assert "无权" in _text(_act(client, world, cases["cg_dispatched"], "feedback"))
    # and in its cells, verification works
    assert "field-note ok" in _text(_act(client, world, cases["mine_handled"], "verify_ok"))
    assert _stage(world, cases["mine_handled"]) == "verified"


def test_handler_cannot_report_or_patrol(world):
    client = _client(world, "xq_cg")
    count = world["store"].query_value("SELECT count(*) FROM cases")
    response = _call(
        client, world, SUBMIT,
        {"field-report-submit.n_clicks": 1, "field-cat-list.value": "0203",
         "field-gps.data": {"lon": 116.65, "lat": 23.67, "source": "gps"},
         "field-report-token.data": "0123456789abcdef"},
        ["field-report-submit.n_clicks"],
    )  # fmt: skip
    assert "无权" in _text(response)
    assert world["store"].query_value("SELECT count(*) FROM cases") == count
    checkins = world["store"].query_value("SELECT count(*) FROM patrol_checkins")
    patrol = _call(
        client,
        world,
        PATROL,
        {"field-patrol-fix.data": {"lon": 116.65, "lat": 23.67, "source": "gps"}},
        ["field-patrol-fix.data"],
    )
    assert "无权" in _text(patrol)
    assert world["store"].query_value("SELECT count(*) FROM patrol_checkins") == checkins


def test_bad_callback_values_get_messages_not_errors(world):
    client = _client(world, "gridworker")
    bad_values = [None, 5, "x", [], {"lon": "nan"}, {"lon": float("1e308") * 10, "lat": 1}]
    for fix in bad_values:
        response = _call(
            client, world, SUBMIT,
            {"field-report-submit.n_clicks": 1, "field-cat-list.value": "0203",
             "field-gps.data": fix, "field-report-photos.contents": ["data:x", 3],
             "field-report-token.data": "0123456789abcdef"},
            ["field-report-submit.n_clicks"],
        )  # fmt: skip
        assert response.status_code == 200 and "field-note error" in _text(response)
    for case_id in ("", "../../etc", "x" * 5000, "C1' OR 1=1 --"):
        assert _act(client, world, case_id, "verify_ok").status_code == 200
    tasks = "..field-task-list.children...field-task-seq.data.."
    for seq in (None, -1, "x", 2**70, True, 10**15):
        values = {"field-task-tick.n_intervals": 1, "field-task-seq.data": seq}
        response = _call(client, world, tasks, values, ["field-task-tick.n_intervals"])
        assert response.status_code in (200, 204), (seq, response.status_code)


JUNK = [None, 0, -1, True, "x", "x" * 5000, [], [1, "a"], {}, {"lon": "a", "lat": None}, 1e308]


@pytest.mark.parametrize("username", ["gridworker", "xq_cg", "admin"])
def test_every_field_callback_survives_junk(world, username):
    client = _client(world, username)
    field_deps = [
        d for d in world["deps"] if "field-" in d["output"] and not d.get("clientside_function")
    ]
    for dep in field_deps:
        specs = [s for s in dep["inputs"] + dep["state"] if not s["id"].startswith("{")]
        for junk in JUNK:
            values = {f"{s['id']}.{s['property']}": junk for s in specs}
            changed = [f"{s['id']}.{s['property']}" for s in dep["inputs"][:1]]
            response = _call(client, world, dep["output"], values, changed)
            assert response.status_code in (200, 204, 400), (
                dep["output"],
                junk,
                response.status_code,
            )
