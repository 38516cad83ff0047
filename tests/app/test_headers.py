"""The public surface leaks nothing: a real favicon, no Dash page for anonymous unknown paths,
framing and sniffing refused, and ``/health`` details only for an admin (issue 10, item 8)."""

import pytest

from app.runtime import Background
from models.config import load_config
from models.store import Store
from tests.app.test_auth import login
from tests.conftest import SECRET, demo_passwords

DASH_MARKERS = ("_dash-config", "dash_renderer", "plotly", "react")


@pytest.fixture(scope="module")
def served(demo_copy):
    """An app with a (quiet) background, so ``/health`` has ingest details to hide."""
    from app.server import create_app

    folder = demo_copy()
    config = load_config(folder / "config.yaml", environ={"CITYOPS_SECRET_KEY": SECRET})
    store = Store(config.database_path)
    app = create_app(config, store, background=Background())
    app.server.config["TESTING"] = True
    yield app, demo_passwords(folder)
    store.close()


@pytest.fixture
def client(served):
    return served[0].server.test_client()


def _as(client, served, username):
    assert login(client, username, served[1][username]).status_code == 302
    return client


def test_favicon_is_a_real_icon_not_the_dash_page(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.mimetype in ("image/x-icon", "image/vnd.microsoft.icon")
    assert response.data[:4] == b"\x00\x00\x01\x00"  # the ICO header
    text = response.data.decode("latin-1").lower()
    assert not any(marker in text for marker in DASH_MARKERS)


@pytest.mark.parametrize(
    "path", ["/favicon.ico/x", "/lang/en/x", "/lang/zh/../../screen", "/health/x", "/logout/x"]
)
def test_anonymous_unknown_paths_never_get_the_dash_page(client, path):
    response = client.get(path)
    text = response.get_data(as_text=True).lower()
    assert response.status_code in (302, 401, 404), (path, response.status_code)
    assert not any(marker in text for marker in DASH_MARKERS), path


@pytest.mark.parametrize("path", ["/login", "/health", "/favicon.ico", "/open311/v2/services.json"])
def test_every_answer_refuses_framing_and_sniffing(client, path):
    headers = client.get(path).headers
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] in ("no-referrer", "same-origin", "strict-origin")
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]


def test_the_screen_keeps_its_policy_and_refuses_framing(client, served):
    _as(client, served, "operator")
    response = client.get("/screen")
    policy = response.headers["Content-Security-Policy"]
    assert "connect-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert response.headers["X-Frame-Options"] == "DENY"


def test_public_health_says_up_or_down_and_the_schema_only(client):
    response = client.get("/health")
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"status", "schema_version"} and body["status"] == "ok"


def test_health_details_only_for_an_admin(client, served):
    anonymous = client.get("/health/details")
    assert anonymous.status_code in (302, 401) and b"mqtt" not in anonymous.data
    _as(client, served, "operator")
    assert client.get("/health/details").status_code == 403
    admin = _as(served[0].server.test_client(), served, "admin")
    response = admin.get("/health/details")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok" and "mqtt" in body["ingest"] and "problems" in body["ingest"]
