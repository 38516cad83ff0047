"""Arbitrary values to every /screen/api endpoint and every Dash callback: never a 5xx.

The endpoints come from the Flask URL map and the callbacks from ``/_dash-dependencies``, so
a new one is covered without editing this file. Examples are few (the whole file runs in
well under a minute once the demo database exists); a failure prints the request to replay.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from app.pages.screen.cursor import EPOCH
from tests.app.test_auth import login

USER = "street_operator"
FUZZ = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],  # the failing request is in the message as sent
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

NOW = datetime.now(UTC)

zones = st.sampled_from([None, UTC, timezone(timedelta(hours=14)), timezone(-timedelta(hours=14))])
instants = st.one_of(
    st.datetimes(timezones=zones).map(lambda d: d.isoformat()),
    st.datetimes(
        min_value=(NOW - timedelta(days=95)).replace(tzinfo=None),
        max_value=(NOW + timedelta(days=2)).replace(tzinfo=None),
        timezones=zones,
    ).map(lambda d: d.isoformat()),
    st.sampled_from(
        ["now", "", "Z", "2200-01-01", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"]
    ),
)
texts = st.one_of(st.text(max_size=40), instants, st.integers().map(str))
json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(allow_nan=False),
        texts,
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from(["at", "anchor", "playing", "layer", "id"]), inner),
        st.dictionaries(st.text(max_size=8), inner, max_size=3),
    ),
    max_leaves=8,
)
numbers = st.integers(min_value=-5, max_value=2**70).map(str)
cursors = st.one_of(
    st.lists(st.one_of(st.just(EPOCH), texts, numbers), max_size=7).map("~".join),
    # shaped like a real one: this server's epoch, a sequence, three instants, a flag
    st.tuples(st.just(EPOCH), numbers, instants, instants, st.sampled_from("01"), instants).map(
        "~".join
    ),
)

#: The query parameters the screen API reads, each optional, and one it does not know.
queries = st.fixed_dictionaries(
    {},
    optional={
        "at": instants,
        "mode": st.one_of(st.sampled_from(["open_cases", "overdue", "score"]), texts),
        "points": st.one_of(st.just("1"), texts),
        "cursor": cursors,
        "x": texts,
    },
)


@pytest.fixture(scope="module")
def fuzz(demo_app):
    app, passwords, _store = demo_app
    client = app.server.test_client()
    assert login(client, USER, passwords[USER]).status_code == 302
    deps = client.get("/_dash-dependencies").get_json()
    server_side = [d for d in deps if not d.get("clientside_function")]
    rules = [
        r
        for r in app.server.url_map.iter_rules()
        if r.rule.startswith("/screen/api/") and "GET" in r.methods
    ]
    assert server_side and rules
    return client, server_side, rules


def _outputs(output: str) -> object:
    if not output.startswith(".."):
        target, prop = output.split(".", 1)
        return {"id": target, "property": prop}
    return [
        {"id": part.split(".", 1)[0], "property": part.split(".", 1)[1]}
        for part in output.strip(".").split("...")
    ]


def _callback_body(dep: dict, values: list, states: list, changed: list[bool]) -> dict:
    inputs = [{**i, "value": v} for i, v in zip(dep["inputs"], values, strict=False)]
    return {
        "output": dep["output"],
        "outputs": _outputs(dep["output"]),
        "inputs": inputs,
        "state": [{**s, "value": v} for s, v in zip(dep["state"], states, strict=False)],
        "changedPropIds": [
            f"{i['id']}.{i['property']}" for i, c in zip(dep["inputs"], changed, strict=False) if c
        ],
    }


#: The callbacks are fuzzed in this many shares (every callback in each example of its
#: share): one example drawing values for all of them at once outgrows Hypothesis's buffer.
CALLBACK_SHARES = 4


@pytest.mark.parametrize("share", range(CALLBACK_SHARES))
@FUZZ
@given(data=st.data())
def test_no_callback_answers_5xx(fuzz, share, data):
    client, callbacks, _rules = fuzz
    for dep in callbacks[share::CALLBACK_SHARES]:
        n_in, n_state = len(dep["inputs"]), len(dep["state"])
        body = _callback_body(
            dep,
            data.draw(st.lists(json_values, min_size=n_in, max_size=n_in)),
            data.draw(st.lists(json_values, min_size=n_state, max_size=n_state)),
            data.draw(st.lists(st.booleans(), min_size=n_in, max_size=n_in)),
        )
        response = client.post(
            "/_dash-update-component", data=json.dumps(body), content_type="application/json"
        )
        assert response.status_code < 500, (dep["output"], body)


@FUZZ
@given(bodies=st.lists(json_values, min_size=1, max_size=3), raw=st.binary(max_size=40))
def test_no_callback_body_answers_5xx(fuzz, bodies, raw):
    client, callbacks, _rules = fuzz
    for body in bodies:
        response = client.post(
            "/_dash-update-component", data=json.dumps(body), content_type="application/json"
        )
        assert response.status_code < 500, body
    response = client.post("/_dash-update-component", data=raw, content_type="application/json")
    assert response.status_code < 500, raw
    # a real callback's name with arbitrary inputs, states and outputs
    for dep in callbacks:
        body = {"output": dep["output"], "inputs": bodies, "state": bodies, "outputs": bodies[0]}
        response = client.post(
            "/_dash-update-component", data=json.dumps(body), content_type="application/json"
        )
        assert response.status_code < 500, body


@settings(FUZZ, max_examples=12)  # six endpoints, some building a whole picture
@given(data=st.data())
def test_no_screen_api_endpoint_answers_5xx(fuzz, data):
    client, _callbacks, rules = fuzz
    for rule in rules:
        path = rule.rule
        for name in rule.arguments:
            value = quote(data.draw(texts), safe="")
            path = path.replace(f"<{name}>", value).replace(f"<path:{name}>", value)
        query = data.draw(queries)
        response = client.get(path, query_string=query)
        assert response.status_code < 500, (path, query)
