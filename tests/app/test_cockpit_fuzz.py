"""Arbitrary values to every cockpit callback as a leader (past the gate, into the callbacks'
own checks): never a 5xx, and never a callback that raises (the server's net would log
"callback failed" and answer nothing; the house rule is a message instead)."""

from __future__ import annotations

import json
import logging

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.app.test_auth import login
from tests.app.test_fuzz_endpoints import FUZZ, _callback_body, json_values

periods = st.one_of(
    json_values,
    st.fixed_dictionaries({"label": st.one_of(json_values, st.sampled_from(
        ["2026-11", "2026-W45", "2026-Q4", "2026", "2026-11-05", "2026-11-01..2026-11-05",
         "2026-11-05..2026-11-01", "9999-12", "0001"]))}),
)  # fmt: skip


@pytest.fixture(scope="module")
def leader(demo_app):
    app, passwords, _store = demo_app
    client = app.server.test_client()
    assert login(client, "leader", passwords["leader"]).status_code == 302
    deps = client.get("/_dash-dependencies").get_json()
    mine = [d for d in deps if not d.get("clientside_function") and "cockpit-" in d["output"]]
    assert len(mine) >= 6
    return client, mine


@settings(FUZZ, max_examples=20)
@given(data=st.data())
def test_no_cockpit_callback_fails(leader, data, caplog):
    client, callbacks = leader
    caplog.clear()
    with caplog.at_level(logging.ERROR, logger="app.server"):
        for dep in callbacks:
            n_in, n_state = len(dep["inputs"]), len(dep["state"])
            values = data.draw(st.lists(st.one_of(json_values, periods), min_size=n_in,
                                        max_size=n_in))  # fmt: skip
            states = data.draw(st.lists(periods, min_size=n_state, max_size=n_state))
            changed = data.draw(st.lists(st.booleans(), min_size=n_in, max_size=n_in))
            body = _callback_body(dep, values, states, changed)
            response = client.post(
                "/_dash-update-component", data=json.dumps(body), content_type="application/json"
            )
            assert response.status_code < 500, (dep["output"], body)
    failed = [r for r in caplog.records if "callback failed" in r.getMessage()]
    assert not failed, [getattr(r, "callback", "") for r in failed]
