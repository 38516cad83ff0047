"""The dispatcher reads the routing reasons in Chinese: the case view carries them in both
languages (stored as codes with the route_suggested event), with the unit's name."""

from __future__ import annotations

import re

import pytest

from models.case_view import case_view
from models.store import Store
from tests.models.case_fixtures import CAL, DISPATCHER, MON, new_case


@pytest.fixture(scope="module")
def store(demo_copy):
    s = Store(demo_copy() / "cityops.duckdb")
    yield s
    s.close()


def test_the_case_view_gives_the_reasons_in_chinese_and_the_units_name(store):
    case_id = new_case(store)
    routing = case_view(store, DISPATCHER, case_id, now=MON, calendar=CAL)["routing"]
    assert routing["unit"] == "CG-445102"
    assert routing["unit_name"] == "湘桥区城市管理和综合执法局"
    assert len(routing["reasons_zh"]) == len(routing["reasons"]) >= 2
    assert all(re.search(r"[\u4e00-\u9fff]", r) for r in routing["reasons_zh"])
    assert not any("owned by" in r or "grid version" in r for r in routing["reasons_zh"])
    assert any("owned by" in r for r in routing["reasons"])
