"""The one map's HTTP endpoints through Flask's test client: log-in, roles, scope, bad input."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.app.test_auth import login


@pytest.fixture
def client(demo_app):
    app, _passwords, _store = demo_app
    return app.server.test_client()


def _as(client, demo_app, username):
    _app, passwords, _store = demo_app
    assert login(client, username, passwords[username]).status_code == 302
    return client


@pytest.mark.parametrize(
    "path", ["/screen/api/base", "/screen/api/layers", "/screen/api/changes?cursor=x"]
)
def test_endpoints_answer_401_without_a_session(client, path):
    response = client.get(path)
    assert response.status_code == 401 and response.is_json


def test_a_role_without_the_screen_gets_403(client, demo_app):
    _as(client, demo_app, "gridworker")
    assert client.get("/screen/api/layers").status_code == 403


def test_layers_and_changes_for_an_operator(client, demo_app):
    _as(client, demo_app, "operator")
    body = client.get("/screen/api/layers").get_json()
    assert {layer["id"] for layer in body["layers"]} >= {"case-points", "traffic-segments"}
    changes = client.get("/screen/api/changes", query_string={"cursor": body["cursor"]})
    assert changes.status_code == 200 and "reset" not in changes.get_json()
    assert client.get("/screen/api/changes?cursor=nonsense").get_json() == {"reset": True}


def test_a_district_user_gets_only_the_district(client, demo_app):
    _as(client, demo_app, "xq_operator")
    base = client.get("/screen/api/base").get_json()
    grid = next(layer for layer in base["layers"] if layer["id"] == "grid-cells")
    assert grid["data"] and all(r["cell_code"].startswith("445102") for r in grid["data"])


@pytest.mark.parametrize(
    ("at", "words"),
    [
        ("yesterday", "ISO-8601"),
        ((datetime.now(UTC) + timedelta(hours=2)).isoformat(), "future"),
        ((datetime.now(UTC) - timedelta(days=91)).isoformat(), "90 days"),
    ],
    ids=["words", "future", "too-old"],  # not the instants: collections must agree (xdist)
)
def test_replay_refuses_bad_instants_with_a_reason(client, demo_app, at, words):
    _as(client, demo_app, "operator")
    response = client.get("/screen/api/layers", query_string={"at": at})
    assert response.status_code == 400 and words in response.get_json()["error"]


def test_replay_at_a_past_instant_has_no_cursor(client, demo_app):
    _as(client, demo_app, "operator")
    at = (datetime.now(UTC) - timedelta(days=3)).isoformat()
    body = client.get("/screen/api/layers", query_string={"at": at}).get_json()
    assert body["replay"] is True and "cursor" not in body


def test_grid_colours_need_a_known_mode(client, demo_app):
    _as(client, demo_app, "operator")
    assert client.get("/screen/api/grid-colors?mode=rainbow").status_code == 400
    body = client.get("/screen/api/grid-colors?mode=overdue").get_json()
    assert body["mode"] == "overdue" and body["colors"]["dtype"] == "uint8"


def test_attachments_of_unknown_cases_are_not_found(client, demo_app):
    _as(client, demo_app, "operator")
    assert client.get("/screen/api/attachment/nope").status_code == 404


def test_case_points_on_demand(client, demo_app):
    _as(client, demo_app, "operator")
    body = client.get("/screen/api/case-points").get_json()
    assert body["id"] == "case-points" and body["group"] == "cases" and "deferred" not in body
    assert client.get("/screen/api/case-points?at=tomorrow").status_code == 400


def test_the_browser_is_told_to_fetch_from_this_server_only(client, demo_app):
    from app.server import content_security_connect

    _as(client, demo_app, "operator")
    policy = client.get("/screen").headers["Content-Security-Policy"]
    assert "connect-src 'self';" in policy and "unpkg" not in policy
    tiles = content_security_connect("https://tiles.example.cn/{z}/{x}/{y}.png")
    assert "connect-src 'self' https://tiles.example.cn;" in tiles
    assert content_security_connect("/tiles/{z}/{x}/{y}.png").startswith("connect-src 'self';")
