"""The OpenAPI 3.1 document of /api/v1: valid by a maintained validator, and the same set of
(path, method) as the routes Flask serves under /api/v1, both ways."""

from __future__ import annotations

import re

import pytest
from openapi_spec_validator import validate
from openapi_spec_validator.versions.shortcuts import get_spec_version

from app.api import BLUEPRINT, PREFIX
from tests.app.test_auth import _csrf


@pytest.fixture(scope="module")
def served(demo_app):
    app, passwords, _store = demo_app
    client = app.server.test_client()
    response = client.post(
        "/login",
        data={"username": "admin", "password": passwords["admin"], "csrf": _csrf(client)},
    )
    assert response.status_code == 302
    document = client.get(f"{PREFIX}/openapi.json").get_json()
    return app, document


def test_the_document_is_valid_openapi_3_1(served):
    _app, document = served
    assert document["openapi"].startswith("3.1")
    assert str(get_spec_version(document)) == "OpenAPIV3.1"
    validate(document)  # raises on any violation of the 3.1 schema or its references
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearer"]["scheme"] == "bearer" and schemes["cookie"]["in"] == "cookie"
    for name in ("Case", "Error", "QueuePage", "Action"):
        assert name in document["components"]["schemas"], name


def test_a_broken_document_is_caught_by_the_validator(served):
    _app, document = served
    broken = {**document, "paths": {"/cases": {"get": {"responses": {"200": {"content": 5}}}}}}
    with pytest.raises(Exception, match=r"(?i)valid|type"):
        validate(broken)


def _flask_routes(app) -> set[tuple[str, str]]:
    out = set()
    for rule in app.server.url_map.iter_rules():
        if not rule.endpoint.startswith(BLUEPRINT + "."):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)[len(PREFIX) :]
        out |= {(path, m.lower()) for m in rule.methods - {"HEAD", "OPTIONS"}}
    return out


def test_every_route_is_described_and_every_description_is_a_route(served):
    app, document = served
    described = {
        (path, method)
        for path, item in document["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    }
    routes = _flask_routes(app)
    assert len(routes) >= 9
    assert routes == described, (routes - described, described - routes)


def test_every_case_action_is_in_the_action_schema(served):
    from models.workflow import ACTIONS

    _app, document = served
    enum = document["components"]["schemas"]["Action"]["properties"]["action"]["enum"]
    assert set(enum) == set(ACTIONS) - {"report"}
