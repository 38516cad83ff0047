"""File loads refuse times from the future (every kind) and too old (hotline orders, CAP)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from ingest.demo_city.generate import generate_demo_city
from ingest.demo_city.load import load_demo_city
from ingest.files import ingest_file
from models.store import Store

DATA = Path(__file__).parent / "data"
NOW = datetime(2026, 11, 25, 9)
HEADER = "工单编号,受理时间,问题分类,问题描述,经度,纬度,所属社区,地址,来电人\n"


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory):
    store = Store(tmp_path_factory.mktemp("window") / "x.duckdb")
    load_demo_city(store, generate_demo_city(), now=datetime(2026, 11, 24))
    yield store
    store.close()


def test_hotline_orders_from_the_future_or_too_old_are_bad_rows(db, tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text(
        HEADER + "W-1,2026-11-24 10:00,0201,ok,116.654367,23.66935,,,\n"
        "W-2,2099-01-01 10:00,0201,future,116.654367,23.66935,,,\n"
        "W-3,2000-01-01 10:00,0201,ancient,116.654367,23.66935,,,\n",
        encoding="utf-8",
    )
    result = ingest_file(db, path, now=NOW)
    assert result.status == "failed"
    reasons = {b.line: b.reason for b in result.bad_rows}
    assert set(reasons) == {3, 4}
    assert "ingest.max_clock_skew_s" in reasons[3] and "ingest.max_age_days" in reasons[4]
    assert {b.column for b in result.bad_rows} == {"received_at"}


@pytest.mark.parametrize(
    ("shift", "words"),
    [(timedelta(hours=-1), "ingest.max_clock_skew_s"), (timedelta(days=45), "max_age_days")],
)
def test_cap_files_sent_outside_the_window_are_refused(db, tmp_path, shift, words):
    path = tmp_path / "alert.xml"
    xml = (DATA / "cap_rainstorm_polygon.xml").read_text("utf-8")  # sent 2026-11-24T00:00 UTC
    identifier = xml.split("<identifier>")[1].split("<")[0]
    path.write_text(xml.replace(identifier, f"{identifier}-{words}"), encoding="utf-8")
    result = ingest_file(db, path, now=datetime(2026, 11, 24) + shift)
    assert result.status == "failed" and words in result.reason
    ok = ingest_file(db, path, now=datetime(2026, 11, 24, 1))
    assert ok.status == "loaded", ok.reason
