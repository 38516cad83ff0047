"""Case API credentials: bearer tokens (only under /api/v1, revocable, a disabled user's
refused), cross-site protection of session-cookie writes, JSON 401/404/405, and the
`cityops token` commands."""

from __future__ import annotations

import contextlib
import io
import re
from datetime import UTC, datetime

import pytest

from app.api import ROUTES
from models.api_tokens import create_token, list_tokens, revoke_token
from models.security import parse_scope
from models.users import add_user, set_user_disabled
from tests.app.api_support import ApiWorld, build_world, report


@pytest.fixture(scope="module")
def world(demo_copy) -> ApiWorld:
    w = build_world(demo_copy)
    yield w
    w.store.close()


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _sample(path: str) -> str:
    return "/api/v1" + path.replace("<case_id>", "C20990101-000001")


def test_every_endpoint_without_credentials_is_401_json(world):
    client = world.app.server.test_client()
    for path, methods, _view in ROUTES:
        for method in methods:
            response = client.open(_sample(path), method=method, json={})
            assert response.status_code == 401, (method, path)
            assert response.get_json() == {"error": "authentication required"}, path
            assert "Location" not in response.headers  # never a redirect to the log-in page


@pytest.mark.parametrize(
    "header",
    [
        "Bearer cityops_nope",
        "Bearer " + "cityops_" + "A" * 43,
        "Basic YWRtaW46YWRtaW4=",
        "Bearer",
        "Bearer  ",
        "Token abc",
        "Bearer " + "x" * 10_000,
    ],
)
def test_bad_credentials_are_401_json(world, header):
    client = world.app.server.test_client()
    response = client.get("/api/v1/categories", headers={"Authorization": header})
    assert response.status_code == 401
    assert "error" in response.get_json()
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_bad_bearer_header_is_not_rescued_by_a_session(world):
    client = world.session("admin")
    response = client.get("/api/v1/categories", headers={"Authorization": "Bearer cityops_x"})
    assert response.status_code == 401


def test_a_revoked_token_is_401_at_once(world):
    made, secret = create_token(world.store, "dispatcher", label="gone", created_by="admin",
                                at=_now())  # fmt: skip
    client = world.app.server.test_client()
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/categories", headers=headers).status_code == 200
    revoke_token(world.store, made.token_id, actor="admin", at=_now())
    response = client.get("/api/v1/categories", headers=headers)
    assert response.status_code == 401
    assert response.get_json() == {"error": "invalid or revoked token", "code": "unauthorized"}


def test_a_disabled_users_token_is_401(world):
    add_user(world.store, "api_temp", "temporary-pw-123", role="dispatcher",
             scope=parse_scope("city"), actor="admin")  # fmt: skip
    _made, secret = create_token(world.store, "api_temp", label=None, created_by="admin",
                                 at=_now())  # fmt: skip
    headers = {"Authorization": f"Bearer {secret}"}
    client = world.app.server.test_client()
    assert client.get("/api/v1/cases", headers=headers).status_code == 200
    set_user_disabled(world.store, "api_temp", True, actor="admin")
    assert client.get("/api/v1/cases", headers=headers).status_code == 401
    set_user_disabled(world.store, "api_temp", False, actor="admin")
    assert client.get("/api/v1/cases", headers=headers).status_code == 200


def test_a_token_counts_under_api_v1_only(world):
    client = world.bearer("admin")
    assert client.get("/api/v1/categories").status_code == 200
    for path in ("/screen/api/base", "/health/details", "/_dash-layout"):
        assert client.get(path).status_code == 401, path
    assert client.get("/admin").status_code == 302  # to the log-in page, no session


def test_a_bearer_request_sets_no_session_cookie_and_marks_last_use(world):
    client = world.bearer("leader")
    response = client.get("/api/v1/cases")
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    used = [t.last_used_at for t in list_tokens(world.store, "leader")]
    assert used and used[0] is not None


def test_a_session_cookie_write_needs_the_csrf_header_and_this_origin(world):
    lon, lat = world.spots["worker"]
    body = {"category": "0201", "lon": lon, "lat": lat, "text": "csrf"}
    client = world.session("dispatcher")
    del client.environ_base["HTTP_X_REQUESTED_WITH"]
    response = client.post("/api/v1/cases", json=body)
    assert response.status_code == 403 and "X-Requested-With" in response.get_json()["error"]
    # a form a foreign page could post: refused too (no custom header possible cross-site)
    response = client.post("/api/v1/cases", data=body)
    assert response.status_code == 403
    headers = {"X-Requested-With": "x", "Origin": "https://evil.example"}
    assert client.post("/api/v1/cases", json=body, headers=headers).status_code == 403
    headers["Origin"] = "http://localhost"
    assert client.post("/api/v1/cases", json=body, headers=headers).status_code == 201
    assert (
        client.post("/api/v1/cases", json=body, headers={"X-Requested-With": "x"}).status_code
        == 201
    )
    # reads need no header; the session cookie is SameSite
    assert client.get("/api/v1/cases").status_code == 200
    cookie = world.app.server.config["SESSION_COOKIE_SAMESITE"]
    assert cookie in ("Lax", "Strict")


def test_a_bearer_write_needs_no_csrf_header(world):
    case_id = report(world, "worker")  # by the admin's token, no X-Requested-With
    response = world.bearer("dispatcher").post(
        f"/api/v1/cases/{case_id}/actions", json={"action": "accept"}
    )
    assert response.status_code == 200 and response.get_json()["stage"] == "accepted"


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/api/v1/unknown", 404),
        ("POST", "/api/v1/unknown/deeper", 404),
        ("GET", "/api/v1", 404),
        ("GET", "/api/v2/cases", 404),  # a valid token gets the JSON 404 (authenticates nothing)
        ("DELETE", "/api/v1/cases", 405),
        ("PUT", "/api/v1/cases/C1/actions", 405),
        ("GET", "/api/v1/cases/C1/actions", 405),
        ("PATCH", "/api/v1/categories", 405),
        ("GET", "/api/v1/cases/C1/claim", 405),
        ("PROPFIND", "/api/v1/cases", 405),
    ],
)
def test_unknown_paths_and_wrong_methods_answer_json(world, method, path, status):
    response = world.bearer("admin").open(path, method=method)
    assert response.status_code == status, response.get_data(as_text=True)[:200]
    assert response.is_json and "error" in response.get_json()
    if status == 405 and method != "PROPFIND":
        assert response.headers["Allow"]


def test_token_commands_are_for_admins_and_print_the_secret_once(world):
    from app.cli_parser import build_parser
    from app.commands import run_store_command

    config_store = (world.app.server.extensions["cityops"].config, world.store)

    def run(user: str, *argv: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        args = build_parser().parse_args(list(argv))
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = run_store_command(*config_store, args, username=user)
        return code, out.getvalue(), err.getvalue()

    code, _out, err = run("dispatcher", "token", "create", "operator")
    assert code == 1 and "admin" in err
    code, out, _err = run("admin", "token", "create", "operator", "--label", "12345 hotline")
    assert code == 0
    token_id = re.search(r"token (tok-[0-9a-f]+)", out).group(1)
    secret = out.strip().splitlines()[-1]
    client = world.app.server.test_client()
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/categories", headers=headers).status_code == 200
    code, out, _err = run("admin", "token", "list", "operator")
    assert code == 0 and token_id in out and "12345 hotline" in out and secret not in out
    code, out, _err = run("admin", "token", "revoke", token_id)
    assert code == 0 and "revoked" in out
    assert client.get("/api/v1/categories", headers=headers).status_code == 401
    code, _out, err = run("admin", "token", "revoke", token_id)
    assert code == 1 and "revoked already" in err
    code, _out, err = run("admin", "token", "create", "nobody")
    assert code == 1 and "unknown user" in err


def test_token_commands_run_in_the_server_for_the_cli(world):
    """The control socket's server side runs `token` (the CLI while a server holds the file)."""
    from app.commands import STORE_COMMANDS, execute_request

    assert "token" in STORE_COMMANDS
    config = world.app.server.extensions["cityops"].config
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = execute_request(
            config,
            world.store,
            {"argv": ["token", "create", "leader"], "cwd": "/", "user": "admin"},
        )
    assert code == 0
    secret = out.getvalue().strip().splitlines()[-1]
    client = world.app.server.test_client()
    assert (
        client.get("/api/v1/cases", headers={"Authorization": f"Bearer {secret}"}).status_code
        == 200
    )
    with contextlib.redirect_stderr(io.StringIO()):
        refused = execute_request(
            config, world.store, {"argv": ["token", "list"], "cwd": "/", "user": "operator"}
        )
    assert refused == 1
