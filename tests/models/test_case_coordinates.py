"""A report whose coordinates are not a place on Earth (NaN, infinite, lon outside
[-180, 180], lat outside [-90, 90]) is refused with a reason by the case builder, never
raised as an internal error (issue 10, found by the independent tester)."""

from datetime import datetime

import pytest

from app.cli import main
from ingest.locate import store_locator
from models.case_builder import NewReport, prepare_cases
from models.cases import CaseError, report_case
from models.store import Store
from tests.conftest import write_config

AT = datetime(2026, 11, 24, 4, 0)
BAD = [
    (float("nan"), 23.6707),
    (116.6465, float("nan")),
    (float("inf"), float("inf")),
    (-float("inf"), 23.6707),
    (200.0, 23.6707),
    (116.6465, 95.0),
    (-180.5, -90.5),
]


@pytest.fixture
def store(demo_copy):
    s = Store(demo_copy() / "cityops.duckdb")
    yield s
    s.close()


def _report(lon, lat, **kw) -> NewReport:
    return NewReport("0201", lon, lat, AT, source="hotline", actor="someone", **kw)


def test_the_builder_refuses_positions_off_the_globe_with_a_reason(store):
    reports = [_report(lon, lat) for lon, lat in BAD] + [_report(116.6465, 23.6707)]
    batch = prepare_cases(store, reports, locate=store_locator(store), unknown_category="flag")
    assert [r.index for r in batch.refused] == list(range(len(BAD)))
    assert all("coordinates" in r.reason for r in batch.refused)
    assert batch.index == [len(BAD)] and batch.reports[0].cell_code
    # the edges of the globe are places
    edge = prepare_cases(store, [_report(180.0, -90.0), _report(-180.0, 90.0)])
    assert not edge.refused


@pytest.mark.parametrize(("lon", "lat"), BAD)
def test_report_case_raises_case_error_with_the_reason(store, lon, lat):
    with pytest.raises(CaseError, match="coordinates"):
        report_case(
            store,
            category_code="0201",
            lon=lon,
            lat=lat,
            at=AT,
            source="hotline",
            actor="someone",
            role="operator",
            locate=store_locator(store),
        )
    assert store.query_value("SELECT count(*) FROM cases") == 0


@pytest.mark.parametrize(
    ("lon", "lat"), [("nan", "23.6707"), ("116.6465", "nan"), ("1e400", "inf"), ("200", "95")]
)
def test_the_cli_refuses_with_rc_1_and_the_reason(demo_copy, capsys, lon, lat):
    folder = demo_copy()
    config = str(write_config(folder, demo={"history_days": 0}, ingest={"mqtt_enabled": False}))
    rc = main(
        [
            "--config",
            config,
            "--user",
            "dispatcher",
            "case",
            "report",
            "--category",
            "0202",
            "--lon",
            lon,
            "--lat",
            lat,
            "--text",
            "x",
        ]
    )
    err = capsys.readouterr().err
    assert rc == 1 and "coordinates" in err and "internal error" not in err
    with Store(folder / "cityops.duckdb") as s:
        assert s.query_value("SELECT count(*) FROM cases") == 0
