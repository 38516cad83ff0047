"""Standing security tests: every door of the app, taken from the app itself, refuses those it
should (no session, a role that may not use it, a user outside its scope) and holds against
injection strings.

Routes come from the Flask URL map, pages from Dash's page registry and callbacks from
``/_dash-dependencies``: a new one is covered without editing this file, or the test fails
until it is classified here (public, self-guarded or changing data) with a reason.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dash
import pytest

from models.config import load_config
from models.security import PAGE_ROLES, may_open
from models.store import Store
from tests.app.test_auth import _csrf
from tests.conftest import SECRET, demo_passwords, write_config

API_KEY = "standing-test-key-0123456789"

#: Endpoints anyone may reach without a session, and why.
PUBLIC_ENDPOINTS = {
    "login": "the log-in form and its POST (CSRF, throttled)",
    "logout": "GET only asks (a form); POST needs the session's CSRF token",
    "set_language": "stores a UI language in the cookie, redirects only to a local path",
    "lang_unknown": "answers 404 so /lang/<x>/<y> never falls through to the Dash page",
    "health": "liveness probe: up/down and the schema version only",
    "favicon": "a static icon",
}
#: Prefixes of endpoint names that guard themselves instead of by session, and why.
SELF_GUARDED = {
    "open311.": "the city's public status API (public channels, redacted); POST needs an API key",
    "open311_unknown": "404 under /open311/ without Dash's page",
    "cap_feed": "the public Atom index of published warnings in force (public gate)",
    "cap_alert": "one published warning's CAP XML; drafts 404 (public gate)",
    "cap_unknown": "404 under /cap/ without Dash's page",
}
#: Every endpoint that changes data (a method other than GET), with who may use it: new
#: ones fail :func:`test_every_changing_endpoint_is_classified` until listed here.
CHANGING = {
    ("login", "POST"): "anyone with the CSRF token of the form; the password decides",
    ("logout", "POST"): "the session's own user, with the session's CSRF token",
    ("open311.requests_create", "POST"): "an Open311 API key, never a session",
    ("open311_unknown", "POST"): "nobody: 404",
    ("api_unknown", "POST"): "nobody: JSON 404/405 (no endpoint took the path or method)",
    ("api_unknown", "PUT"): "nobody: JSON 404/405",
    ("api_unknown", "PATCH"): "nobody: JSON 404/405",
    ("api_unknown", "DELETE"): "nobody: JSON 404/405",
    ("api_v1.report", "POST"): "case API: roles of the workflow's report action",
    ("api_v1.bulk_action", "POST"): "case API: the action's roles, each case in the scope",
    ("api_v1.case_action", "POST"): "case API: the action's roles, the case in the scope",
    ("api_v1.case_claim", "POST"): "case API: dispatcher/admin, the case in the scope",
    ("api_v1.case_claim", "DELETE"): "case API: dispatcher/admin, their own claim",
    ("api_v1.add_case_photo", "POST"): "case API: the photo roles, the case in the scope",
    ("api_v1.create_alert", "POST"): "warnings: emergency/admin, city scope",
    ("api_v1.edit_alert", "PATCH"): "warnings: emergency/admin, city scope; not published",
    ("api_v1.approve_alert", "POST"): "warnings: emergency/leader/admin, never the author",
    ("api_v1.publish_alert", "POST"): "warnings: emergency/admin, approved ones only",
    ("api_v1.update_alert", "POST"): "warnings: emergency/admin, our published alerts",
    ("api_v1.cancel_alert", "POST"): "warnings: emergency/admin, our published alerts",
    ("api_v1.incident_create", "POST"): "incidents: emergency/admin/operator, place in scope",
    ("api_v1.incident_action", "POST"): "incidents: notes emergency/admin/operator, the rest "
    "emergency/admin; incident in scope (404 outside)",
    ("api_v1.order_create", "POST"): "orders: emergency/admin; incident in scope, the unit "
    "of the caller's districts or the city's",
    ("api_v1.order_cancel", "POST"): "orders: emergency/admin; an open order of the incident",
    ("screen_api.unknown", "POST"): "nobody: JSON 404 (an unknown path of the map's API)",
    ("api_v1.user_create", "POST"): "users: admins of the whole city only (403 else)",
    ("api_v1.user_patch", "PATCH"): "users: admins of the whole city only; ends the user's "
    "sessions",
    ("/_dash-update-component", "POST"): "callbacks: per page roles and the user's scope",
}
#: Dash callbacks whose outputs name no page (the shell and the Pages router): any user.
SHELL_CALLBACK_IDS = ("shell-", "_pages_")

INJECTIONS = [
    "' OR 1=1 --",
    '"; DROP TABLE cases; --',
    "%",
    "_",
    "%%'--",
    "a\x00b",
    "\x00",
    "x" * 5000,
    "ОR 1=1",  # Cyrillic О
    "ｓｅｌｅｃｔ＊",  # fullwidth
    "'); DELETE FROM users; --",
    "1; SELECT * FROM users",
    "\\'",
    "445102007%",
]


def _seed(folder: Path) -> dict[str, str]:
    """One case inside 445102007 (the street operator's street) and one in 饶平县 (445122)."""
    from ingest.locate import store_locator
    from models.cases import report_case
    from models.geography import load_cells
    from models.security import parse_scope

    now = datetime.now(UTC).replace(tzinfo=None)
    found: dict[str, str] = {}
    with Store(folder / "cityops.duckdb") as store:
        locate = store_locator(store)
        for name, scope in (("inside", "street:445102007"), ("outside", "district:445122")):
            cell = load_cells(store, scope=parse_scope(scope)).geometry.iloc[0]
            spot = cell.representative_point()
            found[name] = report_case(
                store,
                category_code="0201",
                lon=spot.x,
                lat=spot.y,
                at=now - timedelta(minutes=3),
                source="hotline",
                actor="12345",
                role="dispatcher",
                locate=locate,
                text=f"standing-{name}-case",
            ).case_id
        rows = store.query_rows(
            "SELECT resource_id FROM resources WHERE district_code = '445122' LIMIT 1"
        )
        found["outside_resource"] = rows[0][0]
        rows = store.query_rows(
            "SELECT sensor_id FROM sensors WHERE cell_code LIKE '445122%' LIMIT 1"
        )
        found["outside_sensor"] = rows[0][0]
        rows = store.query_rows("SELECT cell_code FROM cases WHERE case_id = ?", [found["outside"]])
        found["outside_cell"] = rows[0][0]
    return found


@pytest.fixture(scope="module")
def standing(demo_copy):
    """The app over its own demo copy with the seeded cases; Open311 limits out of the way."""
    from app.server import create_app

    folder = demo_copy()
    seeded = _seed(folder)
    write_config(folder, open311={"burst": 10_000, "rate_per_minute": 60_000, "max_concurrent": 8})
    config = load_config(
        folder / "config.yaml",
        environ={"CITYOPS_SECRET_KEY": SECRET, "CITYOPS_OPEN311_API_KEYS": API_KEY},
    )
    store = Store(config.database_path)
    app = create_app(config, store)
    app.server.config["TESTING"] = True
    passwords = demo_passwords(folder)
    roles = dict(
        line.split()[:2]
        for line in (folder / "demo-users.txt").read_text(encoding="utf-8").splitlines()[1:]
        if line.strip()
    )
    admin = _client(app, "admin", passwords)
    deps = admin.get("/_dash-dependencies").get_json()
    yield {
        "app": app,
        "store": store,
        "passwords": passwords,
        "roles": roles,
        "callbacks": [d for d in deps if not d.get("clientside_function")],
        "seeded": seeded,
    }
    store.close()


_logins: dict[str, object] = {}


def _client(app, username: str, passwords: dict[str, str]):
    client = app.server.test_client()
    response = client.post(
        "/login",
        data={"username": username, "password": passwords[username], "csrf": _csrf(client)},
    )
    assert response.status_code == 302, username
    return client


def _user(standing, username: str):
    return _client(standing["app"], username, standing["passwords"])


def _sample_path(rule) -> str:
    path = rule.rule
    for name in rule.arguments:
        path = re.sub(
            rf"<(?:[^:<>]+:)?{name}(?:\([^)]*\))?>", "json" if name == "fmt" else "x", path
        )
    return path


def _rules(app):
    for rule in app.server.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def _self_guarded(endpoint: str) -> bool:
    return any(endpoint == key or endpoint.startswith(key) for key in SELF_GUARDED)


def _outputs(output: str) -> object:
    if not output.startswith(".."):
        target, prop = output.split(".", 1)
        return {"id": target, "property": prop.split("@", 1)[0]}
    return [
        {"id": part.split(".", 1)[0], "property": part.split(".", 1)[1]}
        for part in output.strip(".").split("...")
    ]


def _body(dep: dict, values: dict[str, object] | None = None) -> dict:
    """A well-formed request for callback ``dep``; ``values`` by ``id.property``."""
    values = values or {}

    def filled(items: list[dict]) -> list[dict]:
        return [{**i, "value": values.get(f"{i['id']}.{i['property']}")} for i in items]

    inputs = filled(dep["inputs"])
    return {
        "output": dep["output"],
        "outputs": _outputs(dep["output"]),
        "inputs": inputs,
        "state": filled(dep["state"]),
        "changedPropIds": [f"{i['id']}.{i['property']}" for i in inputs],
    }


def _call(client, dep: dict, values: dict[str, object] | None = None):
    return client.post(
        "/_dash-update-component",
        data=json.dumps(_body(dep, values)),
        content_type="application/json",
    )


def _pages_of(dep: dict) -> set[str]:
    ids = re.findall(r"(?:^|\.\.|\.\.\.)([A-Za-z_][\w-]*)\.", dep["output"])
    return {i.split("-", 1)[0] for i in ids if i.split("-", 1)[0] in PAGE_ROLES}


# -- 1. nothing without a session ----------------------------------------------------------


def test_every_route_without_a_session_is_refused_unless_public(standing):
    client = standing["app"].server.test_client()
    checked = 0
    for rule, method in _rules(standing["app"]):
        if rule.endpoint in PUBLIC_ENDPOINTS or _self_guarded(rule.endpoint):
            continue
        path = _sample_path(rule)
        response = client.open(path, method=method, json={} if method == "POST" else None)
        body = response.get_data(as_text=True)
        checked += 1
        if response.status_code == 302:
            assert method == "GET", (method, path)
            assert response.headers["Location"].startswith("/login?next="), path
        else:
            assert response.status_code in (401, 403), (method, path, response.status_code)
            assert response.get_json() == {"error": "authentication required"}, (path, body)
    assert checked >= 10


def test_the_public_allow_list_is_what_the_app_serves(standing):
    endpoints = {rule.endpoint for rule, _m in _rules(standing["app"])}
    assert set(PUBLIC_ENDPOINTS) <= endpoints  # a stale entry would hide nothing but mislead


def test_every_page_without_a_session_redirects_to_login(standing):
    client = standing["app"].server.test_client()
    pages = [p["path"] for p in dash.page_registry.values()]
    assert "/screen" in pages and "/admin" in pages
    for path in [*pages, "/", "/screen?x=1"]:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/login?next="), path


def test_every_callback_without_a_session_is_401_with_no_data(standing):
    client = standing["app"].server.test_client()
    assert client.get("/_dash-dependencies").status_code == 401
    assert client.get("/_dash-layout").status_code == 401
    assert standing["callbacks"]
    for dep in standing["callbacks"]:
        response = _call(client, dep, {"_pages_location.pathname": "/screen"})
        assert response.status_code == 401, dep["output"]
        assert response.get_json() == {"error": "authentication required"}


def test_a_forged_session_cookie_is_refused(standing):
    client = standing["app"].server.test_client()
    client.set_cookie("session", "eyJfdXNlcl9pZCI6ImFkbWluIn0.forged.sig")
    assert client.get("/screen").status_code == 302
    assert client.get("/screen/api/base").status_code == 401


# -- 2. roles and scopes --------------------------------------------------------------------


def test_each_page_opens_for_its_roles_only(standing):
    for username, role in standing["roles"].items():
        client = _user(standing, username)
        for page in PAGE_ROLES:
            response = client.get(f"/{page}")
            expected = 200 if may_open(role, page) else 403
            assert response.status_code == expected, (username, page)


def test_each_page_callback_answers_only_its_roles(standing):
    """A callback writing to a page's components is 403 for roles that may not open it."""
    for username, role in standing["roles"].items():
        client = _user(standing, username)
        for dep in standing["callbacks"]:
            pages = _pages_of(dep)
            response = _call(client, dep)
            if any(not may_open(role, p) for p in pages):
                assert response.status_code == 403, (username, dep["output"])
                assert response.get_json() == {"error": "forbidden for this role"}
            else:
                # let through the gate: answered (an empty body is a 400 of its own checks)
                assert response.status_code not in (401, 403), (username, dep["output"])
                assert response.status_code < 500, (username, dep["output"])


def test_the_pages_router_renders_no_forbidden_page(standing):
    """The Pages router callback is the shell's, so each page's layout refuses by itself."""
    router = next(d for d in standing["callbacks"] if "_pages_content" in d["output"])
    client = _user(standing, "gridworker")
    for page in PAGE_ROLES:
        if may_open("grid_worker", page):
            continue
        response = _call(
            client, router, {"_pages_location.pathname": f"/{page}", "_pages_location.search": ""}
        )
        assert response.status_code in (200, 204, 403), page
        if response.status_code == 200:
            text = response.get_data(as_text=True)
            assert f"{page}-" not in text.replace("_pages", ""), page  # no component of the page


def test_screen_api_is_403_for_roles_without_the_screen(standing):
    rules = [
        r for r in standing["app"].server.url_map.iter_rules() if r.rule.startswith("/screen/api/")
    ]
    assert rules
    for username, role in standing["roles"].items():
        if may_open(role, "screen"):
            continue
        client = _user(standing, username)
        for rule in rules:
            response = client.get(_sample_path(rule), query_string={"mode": "score"})
            assert response.status_code == 403, (username, rule.rule)


def test_every_changing_endpoint_is_classified(standing):
    changing = {
        (rule.endpoint, method) for rule, method in _rules(standing["app"]) if method != "GET"
    }
    assert changing <= set(CHANGING), changing - set(CHANGING)


def test_a_session_is_no_open311_api_key(standing):
    client = _user(standing, "admin")
    response = client.post(
        "/open311/v2/requests.json",
        data={"service_code": "0201", "lat": "23.67", "long": "116.64", "description": "x"},
        environ_base={"REMOTE_ADDR": "10.9.0.1"},
    )
    assert response.status_code == 403


def test_logout_post_needs_the_sessions_own_token(standing):
    victim = _user(standing, "operator")
    attacker = _user(standing, "leader")
    token = _csrf(attacker, "/logout")
    # the attacker's token in the victim's session (cross-site POST): refused
    assert victim.post("/logout", data={"csrf": token}).status_code == 400
    assert victim.get("/screen").status_code == 200


def _card_text(client, standing, layer: str, key: object) -> tuple[int, str]:
    dep = next(d for d in standing["callbacks"] if "screen-card-body" in d["output"])
    response = _call(client, dep, {"screen-selection.data": {"layer": layer, "id": key}})
    return response.status_code, response.get_data(as_text=True)


@pytest.mark.parametrize("username", ["street_operator", "xq_operator"])
def test_scoped_user_gets_nothing_of_another_district(standing, username):
    seeded = standing["seeded"]
    client = _user(standing, username)
    status, inside = _card_text(client, standing, "case-points", seeded["inside"])
    assert status == 200 and "standing-inside-case" in inside  # the check sees a card at all
    for layer, key, secret in (
        ("case-points", seeded["outside"], "standing-outside-case"),
        ("incidents", seeded["outside"], "standing-outside-case"),
        ("resources", seeded["outside_resource"], seeded["outside_resource"]),
        ("sensor-points", seeded["outside_sensor"], seeded["outside_sensor"]),
        ("grid-cells", seeded["outside_cell"], "standing-outside-case"),
    ):
        status, text = _card_text(client, standing, layer, key)
        assert status in (200, 204), (layer, status)
        assert secret not in text, (username, layer)
        assert seeded["outside"] not in text
    for path in ("/screen/api/layers", "/screen/api/case-points", "/screen/api/base"):
        text = client.get(path, query_string={"points": "1"}).get_data(as_text=True)
        assert seeded["outside"] not in text and "standing-outside-case" not in text, path
    assert seeded["outside_resource"] not in client.get("/screen/api/layers").get_data(as_text=True)
    changes = client.get("/screen/api/changes").get_json()
    assert seeded["outside"] not in json.dumps(changes, ensure_ascii=False)


# -- 3. injection strings --------------------------------------------------------------------


def _tables(store: Store) -> set[str]:
    return {r[0] for r in store.query_rows("SELECT table_name FROM information_schema.tables")}


def test_injection_strings_reach_no_sql(standing):
    store, seeded = standing["store"], standing["seeded"]
    store.flush()
    tables = _tables(store)
    cases = store.query_value("SELECT count(*) FROM cases")
    users = store.query_value("SELECT count(*) FROM users")
    anonymous = standing["app"].server.test_client()
    scoped = _user(standing, "street_operator")
    for n, text in enumerate(INJECTIONS):
        where = {"REMOTE_ADDR": f"10.8.{n // 200}.{n % 200 + 1}"}
        for path, query in (
            ("/open311/v2/requests.json", {"service_code": text}),
            ("/open311/v2/requests.json", {"service_request_id": text}),
            ("/open311/v2/requests.json", {"start_date": text}),
            ("/open311/v2/requests.json", {"end_date": text, "status": text}),
            ("/open311/v2/requests.xml", {"service_code": f"0201,{text}"}),
            ("/open311/v2/services.json", {"lang": text}),
        ):
            response = anonymous.get(path, query_string=query, environ_base=where)
            assert response.status_code < 500, (path, query)
            body = response.get_data(as_text=True)
            assert seeded["inside"] not in body and seeded["outside"] not in body  # hotline cases
        response = anonymous.get(
            "/open311/v2/requests/x.json".replace("x", text.replace("/", "")[:2000] or "x"),
            environ_base=where,
        )
        assert response.status_code in (400, 404), text[:40]
        for path, query in (
            ("/screen/api/grid-colors", {"mode": text}),
            ("/screen/api/layers", {"at": text, "layer": text}),
            ("/screen/api/case-points", {"at": text, "key": text}),
            ("/screen/api/changes", {"cursor": text}),
            ("/screen/api/changes", {"cursor": f"x~{text}~{text}~{text}~0~{text}"}),
        ):
            response = scoped.get(path, query_string=query)
            assert response.status_code < 500, (path, query)
            assert seeded["outside"] not in response.get_data(as_text=True)
        attachment = scoped.get("/screen/api/attachment/" + (text.replace("/", "")[:500] or "x"))
        assert attachment.status_code in (400, 404), text[:40]
        for layer in ("case-points", "resources", "sensor-points", "grid-cells", text):
            status, card = _card_text(scoped, standing, layer, text)
            assert status < 500, (layer, text[:40])
            assert seeded["outside"] not in card and "standing-outside-case" not in card
        response = anonymous.post(
            "/login",
            data={"username": text, "password": text, "csrf": _csrf(anonymous)},
            environ_base=where,
        )
        assert response.status_code in (400, 401, 429), text[:40]
    store.flush()
    assert _tables(store) == tables
    assert store.query_value("SELECT count(*) FROM cases") == cases
    assert store.query_value("SELECT count(*) FROM users") == users


def test_injection_strings_in_an_open311_report_are_kept_as_text(standing):
    """A report's text is data: stored as sent and published (redacted) as text."""
    client = standing["app"].server.test_client()
    store = standing["store"]
    for n, text in enumerate(INJECTIONS[:6]):
        response = client.post(
            "/open311/v2/requests.json",
            data={
                "api_key": API_KEY,
                "service_code": "0201",
                "lat": "23.6707",
                "long": "116.6465",
                "description": text,
            },
            environ_base={"REMOTE_ADDR": f"10.7.0.{n + 1}"},
        )
        assert response.status_code == 200, (text, response.get_data(as_text=True))
        case_id = response.get_json()[0]["service_request_id"]
        one = client.get(
            f"/open311/v2/requests/{case_id}.json", environ_base={"REMOTE_ADDR": "10.7.1.1"}
        )
        assert one.status_code == 200
        assert one.get_json()[0]["description"] == text.strip()  # as sent, nothing run
    store.flush()
    assert {"cases", "users", "case_transitions"} <= _tables(store)


# -- 4. found by the independent tester ------------------------------------------------------


@pytest.mark.parametrize("username", ["operator", "gridworker", "street_operator"])
def test_the_pages_router_is_403_for_a_page_the_role_may_not_open(standing, username):
    """The router writes the page at ``pathname`` into the shell: it answers like a GET of it."""
    router = next(d for d in standing["callbacks"] if "_pages_content" in d["output"])
    role = standing["roles"][username]
    client = _user(standing, username)
    for page in PAGE_ROLES:
        for pathname in (f"/{page}", f"/{page}/", f"//{page}"):
            response = _call(
                client,
                router,
                {"_pages_location.pathname": pathname, "_pages_location.search": ""},
            )
            if may_open(role, page):
                assert response.status_code == 200, (username, pathname)
            else:
                assert response.status_code == 403, (username, pathname)
                assert response.get_json() == {"error": "forbidden for this role"}


def test_health_details_without_a_session_is_401_json(standing):
    response = standing["app"].server.test_client().get("/health/details")
    assert response.status_code == 401
    assert response.get_json() == {"error": "authentication required"}
    assert _user(standing, "operator").get("/health/details").status_code == 403
    assert _user(standing, "admin").get("/health/details").status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/screen/api/attachment/..%2F..%2Fconfig.yaml",
        "/screen/api/attachment/../../config.yaml",
        "/screen/api/attachment/nope",
        "/screen/api/nothing-here",
        "/screen/api/base/deeper",
        "/api/nothing-here",
        "/api/",
    ],
)
def test_unknown_api_paths_answer_json_404_never_the_page(standing, path):
    response = _user(standing, "operator").get(path)
    assert response.status_code == 404, path
    assert response.is_json and "error" in response.get_json(), response.get_data(as_text=True)


#: The user administration API: (method, path, body); only admins of the whole city.
USERS_API = (
    ("GET", "/api/v1/users", None),
    ("POST", "/api/v1/users", {"username": "standing_new", "role": "admin"}),
    ("GET", "/api/v1/users/admin", None),
    ("PATCH", "/api/v1/users/admin", {"disabled": True}),
)


def test_users_api_is_for_admins_only(standing):
    anonymous = standing["app"].server.test_client()
    for method, path, body in USERS_API:
        assert anonymous.open(path, method=method, json=body).status_code == 401, path
    for username, role in standing["roles"].items():
        if role == "admin":
            continue
        client = _user(standing, username)
        client.environ_base["HTTP_X_REQUESTED_WITH"] = "standing"
        for method, path, body in USERS_API:
            response = client.open(path, method=method, json=body)
            assert response.status_code == 403, (username, method, path)
    from models.users import get_user

    assert get_user(standing["store"], "standing_new") is None
    assert not get_user(standing["store"], "admin").disabled


#: The exports (GET only, so not in CHANGING), each with who may use it; a new export
#: endpoint fails :func:`test_every_export_is_listed_with_its_rule` until listed here.
EXPORTS = {
    "api_v1.layer_as_geojson": "every role with a place scope (a unit scope 403), in scope",
    "api_v1.layer_as_gpkg": "every role with a place scope (a unit scope 403), in scope",
    "api_v1.cases_csv": "every role, the caller's scope (as GET /api/v1/cases)",
    "api_v1.cases_xlsx": "every role, the caller's scope (as GET /api/v1/cases)",
    "api_v1.evaluation_csv": "the cockpit's roles (leader, admin), the caller's scope",
    "api_v1.evaluation_xlsx": "the cockpit's roles (leader, admin), the caller's scope",
    "api_v1.indicators_csv": "the indicator API's roles (leader, admin, operator)",
    "api_v1.indicators_xlsx": "the indicator API's roles (leader, admin, operator)",
    "api_v1.audit_csv": "admin only",
    "api_v1.audit_xlsx": "admin only",
}


def _export_allowed(endpoint: str, role: str, scope_kind: str) -> bool:
    from app.reports.store import READER_ROLES

    if endpoint.startswith("api_v1.layer_"):
        return scope_kind != "unit"
    if endpoint.startswith("api_v1.cases_"):
        return True
    if endpoint.startswith("api_v1.evaluation_"):
        return may_open(role, "cockpit")
    if endpoint.startswith("api_v1.indicators_"):
        return role in READER_ROLES
    return role == "admin"


def test_every_export_is_listed_with_its_rule_and_refuses_the_others(standing):
    exports = {
        rule.endpoint: rule
        for rule, _m in _rules(standing["app"])
        if rule.rule.startswith(("/api/v1/layers/", "/api/v1/exports/"))
    }
    assert set(exports) == set(EXPORTS)
    from models.users import get_user

    anonymous = standing["app"].server.test_client()
    for endpoint, rule in exports.items():
        assert anonymous.get(_sample_path(rule)).status_code == 401, endpoint
    for username, role in standing["roles"].items():
        client = _user(standing, username)
        kind = get_user(standing["store"], username).scope.kind
        for endpoint, rule in exports.items():
            path = _sample_path(rule).replace("/x.", "/cases.")
            query = {"period": "2026-11"} if endpoint.startswith(("api_v1.ev", "api_v1.in")) else {}
            response = client.get(path, query_string=query)
            if _export_allowed(endpoint, role, kind):
                assert response.status_code == 200, (username, path, response.status_code)
            else:
                assert response.status_code == 403, (username, path, response.status_code)
                assert response.is_json and "error" in response.get_json()
