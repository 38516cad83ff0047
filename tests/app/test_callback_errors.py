"""A callback that raises answers no update, never a 500 page, and the error is logged
with the callback it came from (the tester found a rows callback answering an HTML 500)."""

from __future__ import annotations

import json
import logging

from dash import Input, Output

from tests.app.test_security_standing import _client
from tests.conftest import SECRET, demo_passwords


def test_a_raising_callback_answers_no_update_and_is_logged(demo_copy, caplog):
    from app.server import create_app
    from models.config import load_config
    from models.store import Store

    folder = demo_copy()
    config = load_config(folder / "config.yaml", environ={"CITYOPS_SECRET_KEY": SECRET})
    store = Store(config.database_path)
    app = create_app(config, store)  # its own app: the extra callback stays in it
    app.server.config["TESTING"] = True
    passwords = demo_passwords(folder)
    app.callback(Output("shell-test-out", "children"), Input("shell-test-in", "value"))(
        lambda value: 1 / 0
    )
    client = _client(app, "operator", passwords)
    body = {
        "output": "shell-test-out.children",
        "outputs": {"id": "shell-test-out", "property": "children"},
        "inputs": [{"id": "shell-test-in", "property": "value", "value": 1}],
        "changedPropIds": ["shell-test-in.value"],
        "state": [],
    }
    with caplog.at_level(logging.ERROR):
        response = client.post(
            "/_dash-update-component", data=json.dumps(body), content_type="application/json"
        )
    # no update: Dash 4 answers 200 with an empty response (or 204)
    assert response.status_code in (200, 204), response.get_data(as_text=True)[:200]
    if response.status_code == 200:
        assert response.get_json()["response"] == {}
    logged = [r for r in caplog.records if "callback failed" in r.getMessage()]
    assert logged and logged[0].exc_info and "shell-test-out" in str(logged[0].__dict__)
    store.close()
