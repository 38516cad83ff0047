"""One definition of a possible duplicate: the field app's warning and the case builder agree."""

from datetime import datetime, timedelta

import pytest

from ingest.locate import store_locator
from models.case_service import Actor, act
from models.cases import report_case
from models.coordinates import distance_m
from models.duplicates import DUPLICATE_RADIUS_M, DUPLICATE_WINDOW, possible_duplicates
from models.security import Scope
from models.store import Store
from models.work_calendar import WorkCalendar

MON = datetime(2026, 11, 23, 1, 0)
PAIFANG = (116.6465, 23.6707)
#: Degrees of longitude for ~1 m at the demo city's latitude.
M_LON = 1 / (111_320 * 0.9161)


@pytest.fixture(scope="module")
def store(demo_copy):
    s = Store(demo_copy() / "cityops.duckdb")
    yield s
    s.close()


def _report(store, *, category="0201", at=MON, lonlat=PAIFANG):
    return report_case(
        store,
        category_code=category,
        lon=lonlat[0],
        lat=lonlat[1],
        at=at,
        source="grid_worker",
        actor="gw",
        role="grid_worker",
        locate=store_locator(store),
        text="t",
    )


def test_distance_is_metres():
    assert distance_m(*PAIFANG, PAIFANG[0], PAIFANG[1] + 1 / 111_320) == pytest.approx(1, 0.01)
    assert distance_m(*PAIFANG, PAIFANG[0] + 30 * M_LON, PAIFANG[1]) == pytest.approx(30, 0.01)


def test_pre_submit_warning_and_builder_name_the_same_cases(store):
    first = _report(store)
    probes = [
        ("0201", (PAIFANG[0] + 40 * M_LON, PAIFANG[1]), MON + timedelta(hours=2)),  # 40 m: yes
        ("0201", (PAIFANG[0] + 60 * M_LON, PAIFANG[1]), MON + timedelta(hours=2)),  # 60 m: no
        ("0202", PAIFANG, MON + timedelta(hours=2)),  # other category: no
        ("0201", PAIFANG, MON + DUPLICATE_WINDOW + timedelta(hours=1)),  # too late: no
        ("0201", PAIFANG, MON - timedelta(hours=1)),  # before it: no
    ]
    for category, lonlat, at in probes:
        warned = possible_duplicates(store, category, lonlat[0], lonlat[1], at)
        built = _report(store, category=category, at=at, lonlat=lonlat)
        assert tuple(d["id"] for d in warned if d["id"] == first.case_id) == tuple(
            c for c in built.duplicates if c == first.case_id
        ), (category, lonlat, at)
    near = possible_duplicates(store, "0201", PAIFANG[0] + 40 * M_LON, PAIFANG[1], MON + MON_H2)
    hit = next(d for d in near if d["id"] == first.case_id)
    assert hit["stage"] == "reported" and hit["reported_at"] == MON
    assert (
        hit["distance_m"] == pytest.approx(40, abs=0.5) and hit["distance_m"] <= DUPLICATE_RADIUS_M
    )


MON_H2 = timedelta(hours=2)


def test_nearest_first_and_closed_cases_are_no_duplicates(store):
    at = MON + timedelta(days=20)
    far = _report(store, category="0203", at=at, lonlat=(PAIFANG[0] + 30 * M_LON, PAIFANG[1]))
    close = _report(store, category="0203", at=at, lonlat=(PAIFANG[0] + 5 * M_LON, PAIFANG[1]))
    found = possible_duplicates(store, "0203", *PAIFANG, at + timedelta(minutes=1))
    assert [d["id"] for d in found] == [close.case_id, far.case_id]
    admin = Actor("admin", "admin", Scope("city"))
    act(
        store,
        admin,
        close.case_id,
        "void",
        at=at,
        calendar=WorkCalendar(),
        data={"reason": "duplicate"},
    )
    found = possible_duplicates(store, "0203", *PAIFANG, at + timedelta(minutes=2))
    assert [d["id"] for d in found] == [far.case_id]


@pytest.mark.parametrize("lonlat", [(float("nan"), 23.6), (116.6, float("inf")), (None, 1.0)])
def test_bad_coordinates_find_nothing(store, lonlat):
    assert possible_duplicates(store, "0201", lonlat[0], lonlat[1], MON) == []
