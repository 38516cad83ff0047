"""GET /api/v1/indicators: the fields of the issue, the caller's scope or a narrower one only,
bad periods and scopes as 400 JSON, refused roles 403."""

from __future__ import annotations

import pytest

from models.config_sections import DIMENSIONS
from tests.app.reports_support import MONTH, REFUSED, RP, XQ, build_report_world

URL = "/api/v1/indicators"


@pytest.fixture(scope="module")
def world(demo_copy):
    w = build_report_world(demo_copy)
    yield w
    w.store.close()


def _get(world, user, **params):
    return world.bearer(user).get(URL, query_string=params)


def test_a_leader_gets_every_indicator_with_the_issue_fields(world):
    response = _get(world, "leader", period=MONTH)
    assert response.status_code == 200, response.get_json()
    items = response.get_json()
    assert isinstance(items, list) and len(items) >= 30
    for item in items:
        for key in (
            "id",
            "name",
            "dimension",
            "value",
            "unit",
            "target",
            "status",
            "trend",
            "name_en",
            "previous",
            "change",
        ):
            assert key in item, (key, item["id"])
        assert item["dimension"] in DIMENSIONS
        assert item["status"] in ("green", "yellow", "red", None)
        assert len(item["trend"]) == 12 and item["trend"][-1] == item["value"]
    registered = [i for i in items if i["value"] is not None and i["unit"] == "件"]
    assert registered and max(i["value"] for i in registered) > 0  # November has cases


def test_a_district_narrows_and_only_narrows(world):
    city = {i["id"]: i["value"] for i in _get(world, "leader", period=MONTH).get_json()}
    xq = _get(world, "leader", period=MONTH, scope=f"district:{XQ}")
    assert xq.status_code == 200
    own = _get(world, "xq_leader", period=MONTH)
    assert own.get_json() == xq.get_json()  # a district leader's default is their district
    counts = [i for i in own.get_json() if i["unit"] == "件" and i["value"] is not None]
    assert any(i["value"] < city[i["id"]] for i in counts)  # a part of the city
    assert _get(world, "xq_leader", period=MONTH, scope="street:445102007").status_code == 200
    for user, scope in (
        ("xq_leader", f"district:{RP}"),
        ("xq_leader", "city"),
        ("rp_leader", f"district:{XQ}"),
        ("st_leader", f"district:{XQ}"),
        ("st_leader", "street:445102001"),
    ):
        response = _get(world, user, period=MONTH, scope=scope)
        assert response.status_code == 403, (user, scope)
        assert response.get_json()["code"] == "forbidden"


@pytest.mark.parametrize(
    "params",
    [
        {"period": "2026-13"},
        {"period": "november"},
        {"period": "2026-11-31"},
        {"period": "../2026"},
        {"period": "x" * 100},
        {"period": "0001"},  # overflows in UTC
        {"period": "9999-12"},
        {"period": "1899-12"},  # before models.indicators.periods.YEARS
        {"period": "2001-01-01..2026-01-01"},  # a custom span longer than a year
        {"scope": "district:12"},
        {"scope": "planet:earth"},
        {"scope": "unit:CG-445102"},
        {"period": MONTH, "colour": "red"},
    ],
)
def test_bad_input_is_a_400_json(world, params):
    response = _get(world, "leader", **params)
    assert response.status_code == 400, response.get_data()[:200]
    assert response.get_json()["code"] == "bad_request"


@pytest.mark.parametrize("user", REFUSED)
def test_other_roles_are_refused(world, user):
    response = _get(world, user, period=MONTH)
    assert response.status_code == 403
    assert response.is_json


def test_operator_and_admin_may_read(world):
    for user in ("operator", "admin"):
        assert _get(world, user, period=MONTH).status_code == 200


def test_without_credentials_401(world):
    response = world.app.server.test_client().get(URL)
    assert response.status_code == 401


def test_an_unknown_place_is_a_404_not_zeros(world):
    # found by the independent tester: district:999999 answered 200 with zeros everywhere
    for scope in ("district:999999", "street:445102999"):
        response = _get(world, "leader", period=MONTH, scope=scope)
        assert response.status_code == 404, (scope, response.get_data()[:200])
        assert response.get_json()["code"] == "not_found"
