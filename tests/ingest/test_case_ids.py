"""Case ids of MQTT reports: free of collisions, the local date, replays harmless (defect 7)."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from ingest.payloads import Report, ReportPayload
from ingest.route_reports import attach_routes
from ingest.rows import build_rows
from ingest.sink import write_batch
from models.store import Store

DAY = datetime(2026, 11, 24, 2, 0)  # 10:00 in Beijing


def _nowhere(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, int | None]:
    return np.full(len(lon), None, dtype=object), None


def _report(msg_id: str, *, at: datetime = DAY, text: str = "垃圾") -> Report:
    payload = ReportPayload(
        id=msg_id,
        ts=at.replace(tzinfo=UTC),
        source="grid_worker",
        category="0201",
        lon=116.6465,
        lat=23.6707,
        text=text,
        reporter="GW1",
    )
    return Report("cityops/v1/reports", payload)


def _ingest(store: Store, reports: list[Report]) -> dict[str, int]:
    rows = build_rows(reports, received_at=DAY, locate=_nowhere)
    attach_routes(store, rows)
    return store.write(lambda tx: write_batch(tx, rows))


def _number(case_id: str) -> int:
    return int(case_id.rsplit("-", 1)[1])


def test_100k_reports_on_one_day_become_100k_cases(store):
    reports = [_report(f"m{i}") for i in range(100_000)]
    _ingest(store, reports)
    assert store.query_value("SELECT count(*) FROM cases") == 100_000
    assert store.query_value("SELECT count(DISTINCT case_id) FROM cases") == 100_000
    assert store.query_value("SELECT count(*) FROM case_transitions") == 100_000
    assert store.query_value("SELECT count(*) FROM case_events") == 100_000


def test_a_report_at_half_past_midnight_beijing_carries_the_local_date(store):
    _ingest(store, [_report("late", at=datetime(2026, 12, 6, 16, 30))])  # 00:30 on the 7th
    case_id = store.query_value("SELECT case_id FROM cases")
    assert case_id.startswith("C20261207-")


def test_a_redelivered_message_creates_nothing_and_draws_no_number(store):
    _ingest(store, [_report("a")])
    first = store.query_value("SELECT case_id FROM cases")
    _ingest(store, [_report("a")])
    assert store.query_value("SELECT count(*) FROM cases") == 1
    assert store.query_value("SELECT count(*) FROM case_transitions") == 1
    _ingest(store, [_report("b")])
    second = store.query_value("SELECT case_id FROM cases WHERE external_id = 'mqtt:b'")
    assert _number(second) == _number(first) + 1


def test_inside_one_batch_the_first_copy_of_a_message_wins(store):
    _ingest(store, [_report("x", text="first"), _report("x", text="second")])
    assert store.query_rows("SELECT description FROM cases") == [("first",)]


def test_an_unknown_category_over_mqtt_is_kept_and_flagged(store):
    # the empty test database knows no category at all
    _ingest(store, [_report("u")])
    row = store.query_rows("SELECT assigned_unit, category_issue FROM cases")[0]
    assert row == ("市城市运行管理指挥中心", "unknown")


def test_the_case_date_follows_the_configured_time_zone(store):
    rows = build_rows([_report("z", at=datetime(2026, 12, 6, 16, 30))], received_at=DAY,
                      locate=_nowhere)  # fmt: skip
    attach_routes(store, rows, tz="UTC")
    store.write(lambda tx: write_batch(tx, rows))
    assert store.query_value("SELECT case_id FROM cases").startswith("C20261206-")
