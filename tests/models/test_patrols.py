"""Patrol check-ins on the demo grid: the cell located, in or out of the worker's cells."""

from datetime import datetime, timedelta

import pytest

from ingest.locate import store_locator
from models.case_service import Actor, Refused
from models.patrols import check_in, checkins_of_day, local_day_bounds
from models.security import Scope
from models.store import Store

# 2026-11-23 09:00 in Chaozhou (UTC+8)
AT = datetime(2026, 11, 23, 1, 0)


@pytest.fixture(scope="module")
def env(demo_copy):
    s = Store(demo_copy() / "cityops.duckdb")
    cells = s.query_rows(
        "SELECT cell_code, centroid_lon, centroid_lat FROM grid_cells "
        "WHERE version_id = (SELECT max(version_id) FROM grid_cells) "
        "AND street_code = '445102007' ORDER BY cell_code LIMIT 3"
    )
    other = s.query_rows(
        "SELECT cell_code, centroid_lon, centroid_lat FROM grid_cells "
        "WHERE version_id = (SELECT max(version_id) FROM grid_cells) "
        "AND district_code = '445122' ORDER BY cell_code LIMIT 1"
    )[0]
    worker = Actor("gw_patrol", "grid_worker", Scope("cells", tuple(c[0] for c in cells[:2])))
    yield s, worker, cells, other
    s.close()


def test_check_in_in_own_cell(env):
    store, worker, cells, _ = env
    got = check_in(
        store,
        worker,
        cells[0][1],
        cells[0][2],
        at=AT,
        locate=store_locator(store),
        accuracy_m=8.5,
        note=" 正常 ",
    )
    assert got["cell_code"] == cells[0][0] and got["in_scope"] is True
    assert got["accuracy_m"] == 8.5 and got["note"] == "正常" and got["checked_at"] == AT
    assert got["grid_version"] is not None and isinstance(got["seq"], int)


def test_check_in_outside_own_cells_is_kept_and_flagged(env):
    store, worker, cells, other = env
    for cell, lon, lat in (cells[2], other):
        got = check_in(
            store, worker, lon, lat, at=AT + timedelta(minutes=5), locate=store_locator(store)
        )
        assert got["cell_code"] == cell and got["in_scope"] is False
    nowhere = check_in(store, worker, 100.0, 10.0, at=AT, locate=store_locator(store))
    assert nowhere["cell_code"] is None and nowhere["in_scope"] is False


@pytest.mark.parametrize(
    "lon, lat, kw",
    [
        (float("nan"), 23.6, {}),
        (116.6, 95.0, {}),
        (None, None, {}),
        (116.6, 23.6, {"accuracy_m": -1}),
        (116.6, 23.6, {"accuracy_m": float("inf")}),
        (116.6, 23.6, {"accuracy_m": "x"}),
        (116.6, 23.6, {"note": "x" * 201}),
    ],
)
def test_bad_input_is_refused_and_writes_nothing(env, lon, lat, kw):
    store, worker, _, _ = env
    before = store.query_value("SELECT count(*) FROM patrol_checkins")
    with pytest.raises(Refused) as err:
        check_in(store, worker, lon, lat, at=AT, locate=store_locator(store), **kw)
    assert err.value.status == 422
    assert store.query_value("SELECT count(*) FROM patrol_checkins") == before


@pytest.mark.parametrize("role", ["handler", "dispatcher", "operator", "leader", "admin"])
def test_only_grid_workers_patrol(env, role):
    store, _, cells, _ = env
    actor = Actor("x", role, Scope("city") if role != "handler" else Scope("unit", ("CG-445102",)))
    with pytest.raises(Refused) as err:
        check_in(store, actor, cells[0][1], cells[0][2], at=AT, locate=store_locator(store))
    assert err.value.status == 403


def test_local_day(env):
    store, _, cells, _ = env
    worker = Actor("gw_day", "grid_worker", Scope("cells", (cells[0][0],)))
    # local 2026-11-23 runs 2026-11-22 16:00 .. 2026-11-23 16:00 UTC
    assert local_day_bounds(AT) == (datetime(2026, 11, 22, 16), datetime(2026, 11, 23, 16))
    for at in (
        datetime(2026, 11, 22, 15, 59),
        datetime(2026, 11, 22, 16),
        AT,
        datetime(2026, 11, 23, 16),
    ):
        check_in(store, worker, cells[0][1], cells[0][2], at=at, locate=store_locator(store))
    day = checkins_of_day(store, "gw_day", now=AT)
    assert [c["checked_at"] for c in day] == [AT, datetime(2026, 11, 22, 16)]
    assert checkins_of_day(store, "someone_else", now=AT) == []
