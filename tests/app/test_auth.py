"""Log-in and the server-side gate, through Flask's test client on the real app and store."""

import json
import re

import pytest

from app import ids


def _csrf(client, path="/login"):
    page = client.get(path).get_data(as_text=True)
    return re.search(r"name='csrf' value='([^']+)'", page).group(1)


def login(client, username, password, next_url=""):
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf": _csrf(client), "next": next_url},
    )


@pytest.fixture
def client(demo_app):
    app, _passwords, _store = demo_app
    return app.server.test_client()


@pytest.mark.parametrize("path", ["/", "/screen", "/admin", "/dispatch", "/anything"])
def test_pages_redirect_to_login(client, path):
    r = client.get(path)
    assert r.status_code == 302
    assert r.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize(
    "method,path",
    [
        ("GET", "/_dash-layout"),
        ("GET", "/_dash-dependencies"),
        ("POST", "/_dash-update-component"),
        ("GET", "/_dash-component-suites/dash/dcc/dash_core_components.js"),
    ],
)
def test_machine_endpoints_answer_401(client, method, path):
    r = client.open(path, method=method, json={} if method == "POST" else None)
    assert r.status_code == 401
    assert r.get_json() == {"error": "authentication required"}


def test_login_page_is_chinese_by_default(client):
    page = client.get("/login").get_data(as_text=True)
    assert "潮州市城市运行指挥中心" in page and "登录" in page


def test_wrong_password_refused_logged_and_vague(demo_app, client):
    _app, _pw, store = demo_app
    r = login(client, "operator", "wrong-password-1")
    body = r.get_data(as_text=True)
    assert r.status_code == 401
    assert "用户名或密码错误" in body
    r2 = login(client, "nobody-here", "wrong-password-1")
    assert r2.status_code == 401
    # the same words whether the user exists or not
    assert re.search(r"<p class='err'.*?</p>", body).group(0) == re.search(
        r"<p class='err'.*?</p>", r2.get_data(as_text=True)
    ).group(0)
    store.flush()
    assert (
        store.query_value(
            "SELECT count(*) FROM audit_log WHERE action = 'login' AND outcome = 'failed' "
            "AND actor = 'operator'"
        )
        >= 1
    )
    assert client.get("/screen").status_code == 302


def test_login_without_csrf_token_is_refused(client, demo_app):
    _app, passwords, _ = demo_app
    client.get("/login")
    r = client.post("/login", data={"username": "operator", "password": passwords["operator"]})
    assert r.status_code == 400


def test_operator_logs_in_and_reaches_screen_not_admin(demo_app):
    app, passwords, _ = demo_app
    c = app.server.test_client()
    r = login(c, "operator", passwords["operator"])
    assert r.status_code == 302 and r.headers["Location"] == "/screen"
    assert c.get("/screen").status_code == 200
    assert c.get("/_dash-layout").status_code == 200
    assert c.get("/admin").status_code == 403
    assert c.get("/field").status_code == 403


def test_callback_of_a_forbidden_page_is_403_before_dash_runs(demo_app):
    app, passwords, _ = demo_app
    c = app.server.test_client()
    login(c, "gridworker", passwords["gridworker"])
    body = {
        "output": f"..{ids.SCREEN_KPIS}.children...{ids.SCREEN_BANNERS}.children..",
        "outputs": [
            {"id": ids.SCREEN_KPIS, "property": "children"},
            {"id": ids.SCREEN_BANNERS, "property": "children"},
        ],
        "inputs": [
            {"id": ids.SCREEN_KPI_TICK, "property": "n_intervals", "value": 1},
            {"id": ids.SCREEN_REPLAY, "property": "data", "value": None},
            {"id": ids.SCREEN_THEME, "property": "data", "value": None},
        ],
        "changedPropIds": [],
    }
    r = c.post("/_dash-update-component", data=json.dumps(body), content_type="application/json")
    assert r.status_code == 403
    c2 = app.server.test_client()
    login(c2, "operator", passwords["operator"])
    r2 = c2.post("/_dash-update-component", data=json.dumps(body), content_type="application/json")
    assert r2.status_code == 200
    assert "kpi-value" in r2.get_data(as_text=True)


def test_open_redirect_is_refused(demo_app):
    app, passwords, _ = demo_app
    c = app.server.test_client()
    r = login(c, "operator", passwords["operator"], next_url="https://evil.example/")
    assert r.headers["Location"] == "/screen"


# The log-in throttle is tested with a clock the test moves: tests/app/test_login_throttle.py


def test_language_switch(demo_app):
    app, passwords, _ = demo_app
    c = app.server.test_client()
    c.get("/lang/en?next=/login")
    assert "Log in" in c.get("/login").get_data(as_text=True)


def render_page(client, path, search=""):
    """Ask Dash Pages for a page's content, as the browser does after navigation."""
    body = {
        "output": ".._pages_content.children..._pages_store.data..",
        "outputs": [
            {"id": "_pages_content", "property": "children"},
            {"id": "_pages_store", "property": "data"},
        ],
        "inputs": [
            {"id": "_pages_location", "property": "pathname", "value": path},
            {"id": "_pages_location", "property": "search", "value": search},
        ],
        "changedPropIds": ["_pages_location.pathname"],
    }
    return client.post(
        "/_dash-update-component", data=json.dumps(body), content_type="application/json"
    )


def test_admin_page_lists_users_and_dead_letters(demo_app):
    import pandas as pd

    app, passwords, store = demo_app
    store.append(
        "dead_letters",
        pd.DataFrame(
            {
                "received_at": [pd.Timestamp("2026-11-24 01:00")],
                "channel": ["mqtt"],
                "topic": ["cityops/v1/reports"],
                "payload": [b"{bad"],
                "reason": ["payload is not JSON"],
            }
        ),
    )
    c = app.server.test_client()
    login(c, "admin", passwords["admin"])
    r = render_page(c, "/admin")
    text = r.get_data(as_text=True)
    assert r.status_code == 200, text[:500]
    assert "gridworker" in text
    # the dead letters' tab lists them through its callback: tests/app/test_admin_dead_letters_*
    assert render_page(c, "/admin", "?tab=dead_letters").status_code == 200
    # the years whose 调休 are not published yet are named on /admin (issue 9, defect 14)
    from models.clock import utcnow
    from models.work_calendar import WorkCalendar

    shown = json.dumps(json.loads(text), ensure_ascii=False)
    years = WorkCalendar().unpublished_years(utcnow())
    assert ("调休" in shown) == bool(years)
    assert all(f"{year} 年" in shown for year in years)


def test_pages_callback_does_not_render_a_forbidden_page(demo_app):
    app, passwords, _ = demo_app
    c = app.server.test_client()
    login(c, "gridworker", passwords["gridworker"])
    r = render_page(c, "/screen")
    assert r.status_code == 403  # as a GET of /screen: the router renders no forbidden page
    assert "screen-map" not in r.get_data(as_text=True)
    assert render_page(c, "/field").status_code == 200
