"""A callback request naming a clientside callback's output gets 400 "not a callback of this
app", as an unknown output does (the tester got a 500 HTML page for the admin's grid map)."""

from __future__ import annotations

import json

import pytest

from app.validation import callback_body_problem
from tests.app.test_security_standing import _client
from tests.conftest import SECRET, demo_passwords


@pytest.fixture(scope="module")
def admin_client(demo_copy):
    from app.server import create_app
    from models.config import load_config
    from models.store import Store

    folder = demo_copy()
    config = load_config(folder / "config.yaml", environ={"CITYOPS_SECRET_KEY": SECRET})
    store = Store(config.database_path)
    app = create_app(config, store)
    app.server.config["TESTING"] = True
    yield _client(app, "admin", demo_passwords(folder))
    store.close()


@pytest.mark.parametrize(
    ("output", "inputs"),
    [
        ("admin-grids-map-mounted.data", [("admin-grids-map-config", "data")]),
        ("shell-clock.children", [("shell-clock-tick", "n_intervals")]),
    ],
)
def test_a_clientside_output_is_not_a_server_callback(admin_client, output, inputs) -> None:
    ident, prop = output.rsplit(".", 1)
    body = {
        "output": output,
        "outputs": {"id": ident, "property": prop},
        "inputs": [{"id": i, "property": p, "value": 1} for i, p in inputs],
        "changedPropIds": [f"{i}.{p}" for i, p in inputs],
        "state": [],
    }
    response = admin_client.post(
        "/_dash-update-component", data=json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 400, response.get_data(as_text=True)[:200]
    assert response.get_json()["error"] == "output: not a callback of this app"


def test_the_check_itself() -> None:
    clientside = {"x.data": {"inputs": [], "state": []}}
    body = {"output": "x.data", "inputs": [], "state": []}
    assert callback_body_problem(body, clientside) == "output: not a callback of this app"
