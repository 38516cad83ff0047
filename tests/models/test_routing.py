import re

import pytest

from models.routing import CITY_FALLBACK_UNIT, CategoryInfo, CellInfo, route_case

DEPTS = {
    "CG": "市城市管理和综合执法局",
    "CG-445102": "湘桥区城市管理和综合执法局",
    "SZ": "市市政公用事业局",
}
ADS = CategoryInfo("0601", "小广告", "CG", grid_level=True)
LAMP = CategoryInfo("0105", "路灯", "SZ", grid_level=False)
DIRT = CategoryInfo("0201", "道路不洁", "CG", grid_level=False)


def cell(
    body="桥东社区居委会",
    workers=("GW1", "GW2"),
    community="桥东社区",
    street="桥东街道",
    district="445102",
):
    return CellInfo("445102007002014", 1, body, tuple(workers), community, street, district)


def test_grid_level_goes_to_the_cell_body_and_its_worker():
    r = route_case(ADS, cell(), departments=DEPTS)
    assert (r.unit, r.assignee, r.basis) == ("桥东社区居委会", "GW1", "cell_body")
    assert "cell 445102007002014" in r.explain() and "grid level" in r.explain()


@pytest.mark.parametrize(
    "kwargs,unit,basis,fragment",
    [
        ({"body": None}, "桥东社区", "community", "fallback to community"),
        ({"body": None, "community": None}, "桥东街道", "street", "fallback to street"),
        (
            {"body": None, "community": None, "street": None},
            CITY_FALLBACK_UNIT,
            "city",
            "city fallback",
        ),
    ],
)
def test_locality_is_the_fallback(kwargs, unit, basis, fragment):
    r = route_case(ADS, cell(**kwargs), departments=DEPTS)
    assert (r.unit, r.basis) == (unit, basis)
    assert fragment in r.explain()


def test_department_matters_use_the_district_counterpart_when_there_is_one():
    r = route_case(DIRT, cell(), departments=DEPTS)
    assert r.unit == "CG-445102" and r.basis == "department" and r.assignee is None
    assert "湘桥区城市管理和综合执法局" in r.explain() and "属地" in r.explain()
    r2 = route_case(DIRT, cell(district="445122"), departments=DEPTS)
    assert r2.unit == "CG"
    r3 = route_case(LAMP, cell(), departments=DEPTS)
    assert r3.unit == "SZ" and "市市政公用事业局" in r3.explain()


def test_outside_every_cell_goes_to_the_city_never_lost():
    r = route_case(LAMP, None, departments=DEPTS, grid_version=3)
    assert r.unit == CITY_FALLBACK_UNIT and r.cell_code is None and r.basis == "city"
    assert "outside every cell of grid version 3" in r.explain()


def test_no_grid_worker_is_said():
    r = route_case(ADS, cell(workers=()), departments=DEPTS)
    assert r.assignee is None and "no grid worker" in r.explain()


def test_bulk_routing_never_drops_a_report():
    from models.bulk_routing import RoutingTables, route_many

    tables = RoutingTables({"0601": ADS, "0201": DIRT}, DEPTS, {(1, "445102007002014"): cell()})
    routes = route_many(
        [
            ("0601", 1, "445102007002014"),
            ("0201", 1, "445102007002014"),
            ("7777", 1, "445102007002014"),
            ("0201", 1, None),
        ],
        tables,
    )
    assert [r.unit for r in routes] == [
        "桥东社区居委会",
        "CG-445102",
        CITY_FALLBACK_UNIT,
        CITY_FALLBACK_UNIT,
    ]
    assert "unknown or disabled category 7777" in routes[2].explain()
    assert "outside every cell" in routes[3].explain()


# -- the reasons in the reader's language (the dispatcher reads Chinese) ----------------


@pytest.mark.parametrize(
    "category,kwargs",
    [
        (ADS, {}),
        (ADS, {"body": None}),
        (ADS, {"body": None, "community": None}),
        (ADS, {"body": None, "community": None, "street": None, "workers": ()}),
        (DIRT, {}),
        (DIRT, {"district": "445103"}),
        (LAMP, {"body": None, "community": None, "street": None}),
    ],
)
def test_every_reason_has_its_chinese_and_english_text(category, kwargs):
    from models.routing import reason_texts

    r = route_case(category, cell(**kwargs), departments=DEPTS)
    assert len(r.codes) == len(r.reasons)
    assert reason_texts({"reasons": list(r.reasons), "reason_codes": r.codes}, "en") == list(
        r.reasons
    )
    zh = reason_texts({"reasons": list(r.reasons), "reason_codes": r.codes}, "zh")
    assert len(zh) == len(r.reasons)
    for text in zh:
        assert re.search(r"[\u4e00-\u9fff]", text), text
        assert not re.search(r"\b(cell|category|fallback|owned|grid worker)\b", text), text


def test_outside_every_cell_and_stored_reasons_without_codes():
    from models.routing import reason_texts

    r = route_case(DIRT, None, departments=DEPTS, grid_version=3)
    assert reason_texts({"reason_codes": r.codes}, "zh")[0].startswith("位置不在")
    # events written before the codes existed show their stored (English) text
    assert reason_texts({"reasons": ["old text"]}, "zh") == ["old text"]
    # a code this version does not know shows the stored text, never raises
    detail = {"reasons": ["kept"], "reason_codes": [["no_such_code", {}]]}
    assert reason_texts(detail, "zh") == ["kept"]
