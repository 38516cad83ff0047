"""The dispatch console's callbacks called directly, as a browser (or an attacker) would: the
queue, the case pane, one action, bulk actions, claims; refused for roles that may not use
/dispatch and for cases outside a scoped dispatcher's district."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from models.config import load_config
from models.store import Store
from tests.app.test_auth import _csrf
from tests.conftest import SECRET, demo_passwords

SCOPED = "xq_dispatcher"
SCOPED_PASSWORD = "scoped-dispatcher-pass-1"
#: Roles that may not open /dispatch: every callback of the console is 403 for them.
REFUSED_USERS = ("operator", "gridworker", "xq_cg", "street_handler", "leader", "emergency")


def seed_cases(folder, *, inside: int = 6) -> dict[str, list[str]]:
    """``inside`` cases in 湘桥区 (445102) and one in 饶平县 (445122), reported by the hotline."""
    from ingest.locate import store_locator
    from models.cases import report_case
    from models.geography import load_cells
    from models.security import parse_scope

    now = datetime.now(UTC).replace(tzinfo=None)
    made: dict[str, list[str]] = {"inside": [], "outside": []}
    with Store(folder / "cityops.duckdb") as store:
        locate = store_locator(store)
        for name, scope, n in (
            ("inside", "district:445102", inside),
            ("outside", "district:445122", 1),
        ):
            cells = load_cells(store, scope=parse_scope(scope))
            for i in range(n):
                # far apart cells: no report is taken for a duplicate of another
                spot = cells.geometry.iloc[(i * 37) % len(cells)].representative_point()
                made[name].append(
                    report_case(
                        store,
                        category_code="0201",
                        lon=spot.x,
                        lat=spot.y,
                        at=now - timedelta(minutes=30 - i),
                        source="hotline",
                        actor="12345",
                        role="dispatcher",
                        locate=locate,
                        text=f"dispatch-test-{name}-{i}",
                    ).case_id
                )
    return made


def callback_world(folder, *, scoped: tuple[str, str, str, str], first_user: str) -> dict:
    """The app over ``folder`` with one more user ``(name, password, role, scope)``, a
    logged-in client factory and the server-side callbacks' dependencies."""
    from app.server import create_app
    from models.security import parse_scope
    from models.users import add_user

    config = load_config(folder / "config.yaml", environ={"CITYOPS_SECRET_KEY": SECRET})
    store = Store(config.database_path)
    name, password, role, scope = scoped
    add_user(store, name, password, role=role, scope=parse_scope(scope))
    app = create_app(config, store)
    app.server.config["TESTING"] = True
    client = logged_in_clients(app, {**demo_passwords(folder), name: password})
    deps = client(first_user).get("/_dash-dependencies").get_json()
    return {
        "app": app,
        "store": store,
        "client": client,
        "deps": [d for d in deps if not d.get("clientside_function")],
    }


@pytest.fixture(scope="module")
def console(demo_copy):
    folder = demo_copy()
    seeded = seed_cases(folder)
    world = callback_world(
        folder,
        scoped=(SCOPED, SCOPED_PASSWORD, "dispatcher", "district:445102"),
        first_user="dispatcher",
    )
    yield {**world, "seeded": seeded}
    world["store"].close()


def dispatch_deps(console) -> list[dict]:
    return [d for d in console["deps"] if "dispatch-" in d["output"]]


def dep_for(console, output_part: str) -> dict:
    found = [d for d in dispatch_deps(console) if output_part in d["output"]]
    assert len(found) == 1, (output_part, [d["output"] for d in found])
    return found[0]


def _outputs(output: str) -> object:
    if not output.startswith(".."):
        target, prop = output.split(".", 1)
        return {"id": target, "property": prop.split("@", 1)[0]}
    return [
        {"id": part.split(".", 1)[0], "property": part.split(".", 1)[1].split("@", 1)[0]}
        for part in output.strip(".").split("...")
    ]


def logged_in_clients(app, passwords: dict[str, str]):
    """A factory of Flask test clients of ``app``, each logged in once as its user."""
    clients: dict[str, object] = {}

    def client(username: str):
        if username not in clients:
            c = app.server.test_client()
            r = c.post(
                "/login",
                data={"username": username, "password": passwords[username], "csrf": _csrf(c)},
            )
            assert r.status_code == 302, username
            clients[username] = c
        return clients[username]

    return client


def call(client, dep: dict, values: dict[str, object] | None = None, trigger: str | None = None):
    """POST a callback request shaped like Dash's; ``values`` by ``id.property``."""
    values = values or {}

    def filled(items: list[dict]) -> list[dict]:
        return [{**i, "value": values.get(f"{i['id']}.{i['property']}")} for i in items]

    inputs = filled(dep["inputs"])
    changed = [trigger] if trigger else [f"{i['id']}.{i['property']}" for i in inputs]
    body = {
        "output": dep["output"],
        "outputs": _outputs(dep["output"]),
        "inputs": inputs,
        "state": filled(dep["state"]),
        "changedPropIds": changed,
    }
    return client.post(
        "/_dash-update-component", data=json.dumps(body), content_type="application/json"
    )


def rows(console, username: str = "dispatcher", **filters: object) -> tuple[int, dict]:
    dep = dep_for(console, "dispatch-grid.getRowsResponse")
    values = {"dispatch-grid.getRowsRequest": {"startRow": 0, "endRow": 100, "sortModel": []}}
    values.update({f"dispatch-f-{k}.value": v for k, v in filters.items()})
    response = call(console["client"](username), dep, values)
    return response.status_code, response.get_json() or {}


def open_case(console, case_id: str, username: str = "dispatcher"):
    dep = dep_for(console, "dispatch-pane-body.children")
    return call(
        console["client"](username),
        dep,
        {"dispatch-open.data": {"id": case_id}},
        trigger="dispatch-open.data",
    )


def press(console, button: str, case_id: str, username: str = "dispatcher", **fields: object):
    dep = dep_for(console, "dispatch-note.value")
    values: dict[str, object] = {f"{button}.n_clicks": 1, "dispatch-case.data": {"id": case_id}}
    values.update({f"dispatch-{k.replace('_', '-')}.value": v for k, v in fields.items()})
    return call(console["client"](username), dep, values, trigger=f"{button}.n_clicks")


def stage(console, case_id: str) -> str:
    return console["store"].query_value("SELECT stage FROM cases WHERE case_id = ?", [case_id])


def text_of(response) -> str:
    body = response.get_json(silent=True)
    return (
        json.dumps(body, ensure_ascii=False)
        if body is not None
        else response.get_data(as_text=True)
    )


# -- the queue --------------------------------------------------------------------------------


def test_queue_rows_come_from_the_server_filtered_and_counted(console):
    status, body = rows(console, text="dispatch-test-inside-2")
    assert status == 200
    response = body["response"]
    data = response["dispatch-grid"]["getRowsResponse"]
    assert [r["case_id"] for r in data["rowData"]] == [console["seeded"]["inside"][2]]
    assert data["rowCount"] == 1
    row = data["rowData"][0]
    assert row["stage_label"] == "上报" and row["time_left"] == "—"
    assert "1" in response["dispatch-count"]["children"]


def test_queue_sorts_on_the_server(console):
    dep = dep_for(console, "dispatch-grid.getRowsResponse")
    client = console["client"]("dispatcher")
    ids_by = {}
    for direction in ("asc", "desc"):
        request = {
            "startRow": 0,
            "endRow": 100,
            "sortModel": [{"colId": "case_id", "sort": direction}],
        }
        body = call(
            client,
            dep,
            {
                "dispatch-grid.getRowsRequest": request,
                "dispatch-f-text.value": "dispatch-test-inside",
            },
        ).get_json()
        ids_by[direction] = [
            r["case_id"] for r in body["response"]["dispatch-grid"]["getRowsResponse"]["rowData"]
        ]
    assert ids_by["asc"] == sorted(ids_by["asc"]) and len(ids_by["asc"]) >= 4
    assert ids_by["desc"] == ids_by["asc"][::-1]


def test_crafted_queue_values_get_no_500(console):
    dep = dep_for(console, "dispatch-grid.getRowsResponse")
    client = console["client"]("dispatcher")
    for request in (
        None,
        [],
        {"startRow": -1, "endRow": 5},
        {"startRow": "0", "endRow": 9},
        {"startRow": 0, "endRow": 10, "sortModel": [{"colId": "x; DROP", "sort": "asc"}]},
    ):
        values = {
            "dispatch-grid.getRowsRequest": request,
            "dispatch-f-stage.value": ["nope", 3],
            "dispatch-f-district.value": "' OR 1=1",
            "dispatch-f-text.value": "%_\x00",
        }
        assert call(client, dep, values).status_code in (200, 204), request


# -- one case ---------------------------------------------------------------------------------


def test_open_accept_register_dispatch_as_suggested(console):
    case = console["seeded"]["inside"][0]
    response = open_case(console, case)
    assert response.status_code == 200
    body = response.get_json()["response"]
    assert case in text_of(response)
    assert "can-accept" in body["dispatch-actions"]["className"]
    assert "can-register" not in body["dispatch-actions"]["className"]
    assert body["dispatch-case"]["data"]["id"] == case
    assert body["dispatch-map-config"]["data"]["layers"]  # the small map has its layers
    response = press(console, "dispatch-act-accept", case, note="已核实")
    assert response.status_code == 200 and stage(console, case) == "accepted"
    assert "已受理" in text_of(response)
    press(console, "dispatch-act-register", case)
    assert stage(console, case) == "registered"
    suggested = console["store"].query_value(
        "SELECT json_extract_string(detail, '$.unit') FROM case_events WHERE case_id = ? "
        "AND kind = 'route_suggested' ORDER BY seq DESC LIMIT 1",
        [case],
    )
    press(console, "dispatch-act-dispatch", case)
    assert stage(console, case) == "dispatched"
    unit = console["store"].query_value("SELECT assigned_unit FROM cases WHERE case_id = ?", [case])
    assert unit == suggested
    body = open_case(console, case).get_json()["response"]
    assert "can-supervise" in body["dispatch-actions"]["className"]


def test_a_refused_action_is_a_message_not_an_error(console):
    case = console["seeded"]["inside"][1]
    response = press(console, "dispatch-act-register", case)  # still reported: 409
    assert response.status_code == 200
    assert "不能执行「立案」" in text_of(response) and stage(console, case) == "reported"
    response = press(console, "dispatch-act-void", case, void_reason="bogus")
    assert response.status_code == 200 and stage(console, case) == "reported"
    response = press(console, "dispatch-act-dispatch-override", case, unit="CG-445102")
    assert "改派须填写理由" in text_of(response)


def test_void_with_reason_and_merge_into_a_nearby_case(console):
    first, second, third = console["seeded"]["inside"][3:6]
    press(console, "dispatch-act-void", first, void_reason="no_problem_found", note="现场无问题")
    assert stage(console, first) == "void"
    press(console, "dispatch-act-merge", second, merge_typed=third)
    assert stage(console, second) == "void"
    link = console["store"].query_value(
        "SELECT duplicate_of FROM cases WHERE case_id = ?", [second]
    )
    assert link == third


def test_claim_and_my_todo_filter(console):
    case = console["seeded"]["inside"][1]
    button = "dispatch-claim"
    dep = dep_for(console, "dispatch-note.value")
    client = console["client"]("dispatcher")
    values = {f"{button}.n_clicks": 1, "dispatch-case.data": {"id": case}}
    assert call(client, dep, values, trigger=f"{button}.n_clicks").status_code == 200
    holder = console["store"].query_value("SELECT claimed_by FROM cases WHERE case_id = ?", [case])
    assert holder == "dispatcher"
    _status, body = rows(console, flags=["mine"])
    data = body["response"]["dispatch-grid"]["getRowsResponse"]
    assert [r["case_id"] for r in data["rowData"]] == [case]


def test_bulk_results_per_case(console):
    from models.cases import report_case  # noqa: F401  (cases come from the seed)

    dep = dep_for(console, "dispatch-bulk-result.children")
    client = console["client"]("dispatcher")
    chosen = [
        console["seeded"]["inside"][2],
        console["seeded"]["inside"][0],
    ]  # reported, dispatched
    values = {
        "dispatch-bulk-accept.n_clicks": 1,
        "dispatch-grid.selectedRows": [{"case_id": c} for c in chosen],
    }
    response = call(client, dep, values, trigger="dispatch-bulk-accept.n_clicks")
    assert response.status_code == 200
    text = text_of(response)
    assert "成功 1 件" in text and "未成功 1 件" in text
    assert stage(console, chosen[0]) == "accepted" and stage(console, chosen[1]) == "dispatched"


# -- who may not ---------------------------------------------------------------------------------


@pytest.mark.parametrize("username", REFUSED_USERS)
def test_every_console_callback_is_refused_for_roles_without_dispatch(console, username):
    deps = dispatch_deps(console)
    assert len(deps) >= 6
    case = console["seeded"]["inside"][1]
    client = console["client"](username)
    before = console["store"].query_value("SELECT count(*) FROM case_transitions")
    for dep in deps:
        values = {
            "dispatch-open.data": {"id": case},
            "dispatch-case.data": {"id": case},
            "dispatch-act-accept.n_clicks": 1,
            "dispatch-grid.getRowsRequest": {"startRow": 0, "endRow": 100},
        }
        response = call(client, dep, values)
        assert response.status_code == 403, (username, dep["output"])
        assert case not in text_of(response)
    assert console["store"].query_value("SELECT count(*) FROM case_transitions") == before


def test_a_district_dispatcher_gets_nothing_of_another_district(console):
    outside = console["seeded"]["outside"][0]
    inside = console["seeded"]["inside"][1]
    _status, body = rows(console, SCOPED, text="dispatch-test")
    listed = {r["case_id"] for r in body["response"]["dispatch-grid"]["getRowsResponse"]["rowData"]}
    assert inside in listed and outside not in listed
    _status, body = rows(console, "dispatcher", text="dispatch-test-outside")
    assert body["response"]["dispatch-grid"]["getRowsResponse"]["rowCount"] == 1  # it exists
    response = open_case(console, outside, SCOPED)
    assert response.status_code == 200
    assert "dispatch-test-outside" not in text_of(response)
    assert response.get_json()["response"]["dispatch-case"]["data"] is None
    assert "不在您的范围内" in text_of(response)
    for button in ("dispatch-act-accept", "dispatch-claim"):
        response = press(console, button, outside, SCOPED)
        assert response.status_code == 200 and "不在您的范围内" in text_of(response)
    assert stage(console, outside) == "reported"
    holder = console["store"].query_value(
        "SELECT claimed_by FROM cases WHERE case_id = ?", [outside]
    )
    assert holder is None
    dep = dep_for(console, "dispatch-bulk-result.children")
    values = {
        "dispatch-bulk-accept.n_clicks": 1,
        "dispatch-grid.selectedRows": [{"case_id": outside}],
    }
    response = call(console["client"](SCOPED), dep, values, trigger="dispatch-bulk-accept.n_clicks")
    assert response.status_code == 200 and stage(console, outside) == "reported"
    # merging an inside case into the outside one is refused too
    response = press(console, "dispatch-act-merge", inside, SCOPED, merge_typed=outside)
    assert stage(console, inside) != "void"


def test_the_poll_refreshes_the_queue_only_when_cases_changed(console):
    dep = dep_for(console, "dispatch-new.children")
    client = console["client"]("dispatcher")
    _status, body = rows(console)
    seq = body["response"]["dispatch-seq"]["data"]["seq"]
    assert seq > 0
    quiet = call(client, dep, {"dispatch-tick.n_intervals": 1, "dispatch-seq.data": {"seq": seq}})
    assert quiet.get_json()["response"] == {}  # nothing new: no refresh, the news stays
    behind = {"dispatch-tick.n_intervals": 2, "dispatch-seq.data": {"seq": seq - 1}}
    response = call(client, dep, behind)
    assert response.status_code == 200
    answer = response.get_json()["response"]
    assert "1 件新变化" in answer["dispatch-new"]["children"]
    assert answer["dispatch-refresh"]["data"]["n"] > 0
    for bad in (None, {"seq": -1}, {"seq": "9"}, {"seq": True}, [seq]):
        values = {"dispatch-tick.n_intervals": 3, "dispatch-seq.data": bad}
        assert call(client, dep, values).status_code == 204, bad


def _as(console, actor, case: str, action: str, **data: object) -> None:
    from models.case_service import act
    from models.clock import utcnow
    from models.work_calendar import WorkCalendar

    calendar = WorkCalendar.from_settings(
        console["app"].server.extensions["cityops"].config.settings.calendar
    )
    act(console["store"], actor, case, action, at=utcnow(), calendar=calendar, data=data or None)


def test_recategorise_override_extension_supervise_and_close(console):
    from models.case_service import Actor
    from models.security import Scope

    case = console["seeded"]["inside"][2]  # accepted by the bulk test or still reported
    if stage(console, case) == "reported":
        press(console, "dispatch-act-accept", case)
    press(console, "dispatch-act-recategorise", case, category="0202", recat_reason="错分")
    category = console["store"].query_value(
        "SELECT category_code FROM cases WHERE case_id = ?", [case]
    )
    assert category == "0202"
    press(console, "dispatch-act-register", case)
    response = press(
        console,
        "dispatch-act-dispatch-override",
        case,
        unit="CG-445102",
        override_reason="就近处置",
    )
    assert stage(console, case) == "dispatched", text_of(response)
    unit = console["store"].query_value("SELECT assigned_unit FROM cases WHERE case_id = ?", [case])
    assert unit == "CG-445102"
    handler = Actor("xq_cg", "handler", Scope("unit", ("CG-445102",)))
    _as(console, handler, case, "start")
    _as(
        console, handler, case, "request_extension", reason="材料未到", extension=timedelta(hours=4)
    )
    body = open_case(console, case).get_json()["response"]
    assert "can-approve-extension" in body["dispatch-actions"]["className"]
    press(console, "dispatch-act-approve-extension", case)
    assert stage(console, case) == "handling"
    response = press(console, "dispatch-act-supervise", case)  # a note is needed
    assert "请填写督办意见" in text_of(response)
    press(console, "dispatch-act-supervise", case, note="请加快处置")
    supervised = console["store"].query_value(
        "SELECT count(*) FROM case_transitions WHERE case_id = ? AND action = 'supervise'", [case]
    )
    assert supervised == 1 and stage(console, case) == "handling"
    # the unit reported back by phone: the centre records it (a handler would need a photo)
    _as(console, Actor("dispatcher", "dispatcher", Scope("city")), case, "feedback")
    _as(console, Actor("admin", "admin", Scope("city")), case, "verify_ok")
    body = open_case(console, case).get_json()["response"]
    assert body["dispatch-actions"]["className"].endswith("can-close")
    press(console, "dispatch-act-close", case, note="经核查处置到位，予以结案。")
    assert stage(console, case) == "closed"


def test_bulk_merge_into_one_of_the_selection_and_bulk_void(console):
    dep = dep_for(console, "dispatch-bulk-result.children")
    client = console["client"]("dispatcher")
    fresh = seed_more(console, 3)
    into, *others = fresh
    selected = [{"case_id": c} for c in fresh]
    values = {
        "dispatch-bulk-merge.n_clicks": 1,
        "dispatch-grid.selectedRows": selected,
        "dispatch-bulk-merge-into.value": "C-not-selected",
    }
    response = call(client, dep, values, trigger="dispatch-bulk-merge.n_clicks")
    assert "请选择或输入要合并到的案件" in text_of(response)
    values["dispatch-bulk-merge-into.value"] = into
    response = call(client, dep, values, trigger="dispatch-bulk-merge.n_clicks")
    assert "成功 2 件" in text_of(response)
    links = console["store"].query_rows(
        "SELECT duplicate_of FROM cases WHERE case_id IN (SELECT unnest(?))", [others]
    )
    assert [r[0] for r in links] == [into, into]
    values = {
        "dispatch-bulk-void.n_clicks": 1,
        "dispatch-grid.selectedRows": [{"case_id": into}],
        "dispatch-bulk-void-reason.value": "not_our_business",
    }
    call(client, dep, values, trigger="dispatch-bulk-void.n_clicks")
    assert stage(console, into) == "void"


def seed_more(console, n: int) -> list[str]:
    from ingest.locate import store_locator
    from models.cases import report_case
    from models.clock import utcnow
    from models.geography import load_cells
    from models.security import Scope

    store = console["store"]
    cells = load_cells(store, scope=Scope("district", ("445102",)))
    made = []
    for i in range(n):
        spot = cells.geometry.iloc[100 + 29 * i].representative_point()
        made.append(
            report_case(store, category_code="0203", lon=spot.x, lat=spot.y, at=utcnow(),
                        source="hotline", actor="12345", role="dispatcher",
                        locate=store_locator(store), text=f"bulk-more-{i}").case_id
        )  # fmt: skip
    return made


def test_the_street_filter_follows_the_district(console):
    dep = dep_for(console, "dispatch-f-street.options")
    client = console["client"]("dispatcher")
    every = call(client, dep, {"dispatch-f-district.value": None}).get_json()["response"]
    streets = [o["value"] for o in every["dispatch-f-street"]["options"]]
    assert len({s[:6] for s in streets}) > 1
    answer = call(
        client, dep, {"dispatch-f-district.value": "445102", "dispatch-f-street.value": streets[-1]}
    ).get_json()["response"]
    narrowed = [o["value"] for o in answer["dispatch-f-street"]["options"]]
    assert narrowed and all(s.startswith("445102") for s in narrowed)
    assert answer["dispatch-f-street"]["value"] == (
        streets[-1] if streets[-1] in narrowed else None
    )
    crafted = call(client, dep, {"dispatch-f-district.value": "' OR 1=1"}).get_json()["response"]
    assert len(crafted["dispatch-f-street"]["options"]) == len(streets)


def test_a_refresh_redraws_the_pane_only_when_its_case_changed(console):
    case = console["seeded"]["inside"][4]
    dep = dep_for(console, "dispatch-pane-body.children")
    client = console["client"]("dispatcher")
    shown = open_case(console, case).get_json()["response"]["dispatch-case"]["data"]
    values = {"dispatch-refresh.data": {"n": 1, "case": None}, "dispatch-case.data": shown}
    quiet = call(client, dep, values, trigger="dispatch-refresh.data")
    assert quiet.status_code == 204  # another case changed: no redraw, the map stays
    values["dispatch-refresh.data"] = {"n": 2, "case": case}
    assert call(client, dep, values, trigger="dispatch-refresh.data").status_code == 200
    stale = {**shown, "version": shown["version"] - 1}
    values = {"dispatch-refresh.data": {"n": 3, "case": None}, "dispatch-case.data": stale}
    assert call(client, dep, values, trigger="dispatch-refresh.data").status_code == 200


def test_the_page_renders_for_a_dispatcher(console):
    router = next(d for d in console["deps"] if "_pages_content" in d["output"])
    values = {"_pages_location.pathname": "/dispatch", "_pages_location.search": ""}
    response = call(console["client"]("dispatcher"), router, values)
    assert response.status_code == 200
    text = text_of(response)
    assert "dispatch-grid" in text and "受理 (a)" in text and "键盘快捷键" in text
