"""Arbitrary values to every Open311 endpoint (from the Flask URL map): never a 5xx.

Anonymous, as the public API is called; a 429 of the public rate limit is an answer too.
"""

from __future__ import annotations

import itertools
import re
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.app.test_fuzz_endpoints import FUZZ, instants, texts

ADDRESSES = itertools.count(1)

#: The query and form fields the GeoReport v2 API reads, each optional, and one it does not.
fields = st.fixed_dictionaries(
    {},
    optional={
        "start_date": st.one_of(instants, st.just("9999-12-31")),
        "end_date": st.one_of(instants, st.just("0001-01-01")),
        "status": st.one_of(st.sampled_from(["open", "closed"]), texts),
        "service_code": texts,
        "service_request_id": texts,
        "lang": texts,
        "locale": texts,
        "page": texts,
        "page_size": texts,
        "lat": texts,
        "long": texts,
        "description": texts,
        "api_key": texts,
        "x": texts,
    },
)


@pytest.fixture(scope="module")
def open311(demo_app):
    app, _passwords, _store = demo_app
    rules = [r for r in app.server.url_map.iter_rules() if r.rule.startswith("/open311/")]
    assert rules
    return app.server.test_client(), rules


def _path(rule, draw) -> str:
    path = rule.rule
    for name in rule.arguments:
        choices = getattr(rule._converters[name], "items", None)  # any(json, xml): the formats
        value = draw(st.sampled_from(sorted(choices))) if choices else quote(draw(texts), safe="")
        path = re.sub(rf"<(?:[^<>]*:)?{name}>", lambda _m, v=value: v, path)
    return path


@FUZZ
@given(data=st.data())
def test_no_open311_endpoint_answers_5xx(open311, data):
    client, rules = open311
    for rule in rules:
        path = _path(rule, data.draw)
        for method in sorted(rule.methods & {"GET", "POST"}):
            values = data.draw(fields)
            # each from its own address, so the public rate limit lets the fuzzing through
            n = next(ADDRESSES)
            environ = {"REMOTE_ADDR": f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"}
            if method == "GET":
                response = client.get(path, query_string=values, environ_base=environ)
            else:
                response = client.post(path, data=values, environ_base=environ)
            assert response.status_code < 500, (method, path, values)
            assert response.status_code != 404 or "<" not in path, path  # the path was built
