"""Sessions end on the server: log-out (a POST with CSRF), password, role, scope or disable."""

import itertools
import json
import re

from models.security import Scope
from models.users import add_user, set_password, set_role_scope, set_user_disabled
from tests.app.test_auth import login

PASSWORD = "Session-test-2026"
_names = itertools.count()


def _new_user(store, role="operator"):
    name = f"sess-{role}-{next(_names)}"
    add_user(store, name, PASSWORD, role=role, scope=Scope("city"), actor="test")
    return name


def _logged_in(app, name, password=PASSWORD, addr="10.9.0.1"):
    c = app.server.test_client()
    c.environ_base["REMOTE_ADDR"] = addr
    r = login(c, name, password)
    assert r.status_code == 302, r.get_data(as_text=True)[:300]
    return c


def _replay(app, cookie):
    """A fresh client holding a copy of an old session cookie."""
    c = app.server.test_client()
    c.set_cookie("session", cookie)
    return c


def _logout_token(client):
    page = client.get("/logout").get_data(as_text=True)
    return re.search(r"name='csrf' value='([^']+)'", page).group(1)


def _assert_refused(client):
    page = client.get("/screen")
    assert page.status_code == 302 and page.headers["Location"].startswith("/login")
    api = client.get("/screen/api/changes")
    assert api.status_code == 401
    assert api.get_json() == {"error": "authentication required"}
    assert client.post("/_dash-update-component", json={}).status_code == 401


def test_old_cookie_is_refused_after_logout(demo_app):
    app, _pw, store = demo_app
    c = _logged_in(app, _new_user(store))
    old = c.get_cookie("session").value
    assert _replay(app, old).get("/screen").status_code == 200
    r = c.post("/logout", data={"csrf": _logout_token(c)})
    assert r.status_code == 302 and r.headers["Location"] == "/login"
    _assert_refused(c)
    _assert_refused(_replay(app, old))


def test_logout_ends_every_session_of_that_user(demo_app):
    app, _pw, store = demo_app
    name = _new_user(store)
    desk, wall = _logged_in(app, name), _logged_in(app, name, addr="10.9.0.2")
    assert wall.get("/screen").status_code == 200
    desk.post("/logout", data={"csrf": _logout_token(desk)})
    _assert_refused(wall)


def test_get_logout_does_not_log_out(demo_app):
    app, _pw, store = demo_app
    c = _logged_in(app, _new_user(store))
    r = c.get("/logout")
    assert r.status_code == 200
    assert "method='post'" in r.get_data(as_text=True)
    assert c.get("/screen").status_code == 200


def test_logout_without_the_csrf_token_is_refused(demo_app):
    app, _pw, store = demo_app
    c = _logged_in(app, _new_user(store))
    assert c.post("/logout").status_code == 400
    assert c.post("/logout", data={"csrf": "forged"}).status_code == 400
    assert c.get("/screen").status_code == 200


def test_password_change_ends_sessions(demo_app):
    app, _pw, store = demo_app
    name = _new_user(store)
    c = _logged_in(app, name)
    set_password(store, name, "Changed-pass-77", actor="test")
    _assert_refused(c)
    assert login(app.server.test_client(), name, PASSWORD).status_code == 401
    _logged_in(app, name, "Changed-pass-77")


def test_disabling_ends_sessions_for_good(demo_app):
    app, _pw, store = demo_app
    name = _new_user(store)
    c = _logged_in(app, name)
    old = c.get_cookie("session").value
    set_user_disabled(store, name, True, actor="test")
    _assert_refused(c)
    set_user_disabled(store, name, False, actor="test")
    # enabled again, the user logs in anew: the cookie of before stays dead
    _assert_refused(_replay(app, old))
    _logged_in(app, name)


def test_role_or_scope_change_ends_sessions(demo_app):
    app, _pw, store = demo_app
    name = _new_user(store)
    c = _logged_in(app, name)
    set_role_scope(store, name, role="leader", actor="test")
    _assert_refused(c)
    c = _logged_in(app, name)
    set_role_scope(store, name, scope=Scope("district", ("445102",)), actor="test")
    _assert_refused(c)


def _find(node, component_id):
    if isinstance(node, dict):
        if node.get("props", {}).get("id") == component_id:
            return node
        children = list(node.values())
    elif isinstance(node, list):
        children = node
    else:
        return None
    return next((f for f in (_find(c, component_id) for c in children) if f), None)


def test_shell_logs_out_through_a_post_form(demo_app):
    app, _pw, store = demo_app
    c = _logged_in(app, _new_user(store))
    form = _find(c.get("/_dash-layout").get_json(), "shell-logout")
    assert form is not None and form["type"] == "Form", form
    assert form["props"]["method"].lower() == "post" and form["props"]["action"] == "/logout"
    assert f'"value": "{_logout_token(c)}"' in json.dumps(form)
