"""A report the case builder refuses in an ingest batch (coordinates that are not a place on
Earth, should a parser ever let one through) becomes a dead letter with the reason, never a
silently lost message (issue 10, found by the independent tester)."""

import json
from datetime import datetime

from ingest.route_reports import attach_routes
from ingest.rows import BatchRows
from models.case_builder import NewReport
from models.store import Store

AT = datetime(2026, 11, 24, 4, 0)


def _report(lon: float, lat: float, ext: str) -> NewReport:
    return NewReport("0201", lon, lat, AT, source="public", actor="app", external_id=ext)


def test_a_refused_report_becomes_a_dead_letter(demo_copy):
    with Store(demo_copy() / "cityops.duckdb") as store:
        rows = BatchRows(
            reports=[_report(float("nan"), 23.67, "mqtt:a"), _report(116.6465, 23.6707, "mqtt:b")],
            received_at=AT,
        )
        attach_routes(store, rows)
        assert rows.cases is not None
        assert [r.external_id for r in rows.cases.reports] == ["mqtt:b"]
        assert rows.dead_letters is not None and rows.dead_letters.num_rows == 1
        letter = rows.dead_letters.to_pylist()[0]
        assert "coordinates" in letter["reason"]
        assert json.loads(letter["payload"])["external_id"] == "mqtt:a"
