"""The change cursor (migration v8): every writer that updates a map row moves its
``change_seq`` above everything handed out before, so ``since_seq`` sees the change."""

from datetime import datetime, timedelta

import pandas as pd
import pyarrow as pa
import pytest

from ingest.alarms import AlarmEngine
from ingest.rows import BatchRows
from ingest.sink import write_batch
from models.cases import transition_case
from models.categories import seed_categories
from models.map_state import current_change_seq
from models.rules import load_rules
from models.store import Store
from models.supervision import supervise
from models.work_calendar import WorkCalendar

CAL = WorkCalendar()
T0 = datetime(2026, 11, 24, 1, 0)


@pytest.fixture
def store(demo_copy):
    s = Store(demo_copy() / "cityops.duckdb")
    yield s
    s.close()


def _seq(store, table, key, value):
    return store.query_value(f"SELECT change_seq FROM {table} WHERE {key} = ?", [value])


def test_existing_rows_got_a_cursor_and_new_rows_get_one(store):
    assert store.query_value("SELECT count(*) FROM resources WHERE change_seq IS NULL") == 0
    before = current_change_seq(store)
    store.append(
        "incidents",
        pd.DataFrame([dict(incident_id="I1", incident_type="fire", level="IV", title="t",
                           status="open", opened_at=T0)]),
    )  # fmt: skip
    assert _seq(store, "incidents", "incident_id", "I1") > before


def test_a_transition_and_an_escalation_move_the_case(store):
    seed_categories(store)
    cell = store.query_value("SELECT cell_code FROM grid_cells ORDER BY cell_code LIMIT 1")
    store.write(
        lambda tx: (
            tx.execute(
                "INSERT INTO cases (case_id, source, category_code, reported_at, cell_code, "
                "stage) VALUES ('C1', 'hotline', '0101', ?, ?, 'reported')",
                [T0, cell],
            ),
            tx.execute(
                "INSERT INTO case_transitions (case_id, seq, occurred_at, actor, role, action, "
                "to_stage) VALUES ('C1', 1, ?, 'op', 'operator', 'report', 'reported')",
                [T0],
            ),
        )
    )
    for action, minutes in (("accept", 5), ("register", 10)):
        before = current_change_seq(store)
        transition_case(store, "C1", action, actor="d", role="dispatcher",
                        at=T0 + timedelta(minutes=minutes), calendar=CAL)  # fmt: skip
        assert _seq(store, "cases", "case_id", "C1") > before
    transition_case(store, "C1", "dispatch", actor="d", role="dispatcher",
                    at=T0 + timedelta(minutes=20), calendar=CAL, unit="U1")  # fmt: skip
    before = current_change_seq(store)
    assert supervise(store, now=T0 + timedelta(days=2), calendar=CAL) >= 1
    assert _seq(store, "cases", "case_id", "C1") > before


def test_an_alarm_clear_moves_the_alarm(store):
    sensor, warning = store.query_rows(
        "SELECT sensor_id, warning_level FROM sensors WHERE kind = 'water_level' "
        "AND warning_level IS NOT NULL AND cell_code IS NOT NULL ORDER BY sensor_id LIMIT 1"
    )[0]

    def levels(start, minutes, level, tag):
        store.append(
            "observations",
            pd.DataFrame(
                [(f"{tag}-{i}", sensor, start + timedelta(minutes=i), "water_level_m", level,
                  start + timedelta(minutes=i, seconds=5)) for i in range(minutes)],
                columns=["msg_id", "sensor_id", "ts", "metric", "value", "received_at"],
            ),
        )  # fmt: skip

    engine = AlarmEngine(store, load_rules())
    engine.run_pass(T0 - timedelta(minutes=1))
    levels(T0, 10, warning + 0.2, "high")
    engine.run_pass(T0 + timedelta(minutes=11))
    opened = store.query_df(
        "SELECT alarm_id, change_seq FROM alarms WHERE sensor_id = ? AND cleared_at IS NULL",
        [sensor],
    )
    assert len(opened) >= 1 and opened["change_seq"].notna().all()
    before = current_change_seq(store)
    levels(T0 + timedelta(minutes=10), 90, warning - 0.5, "low")
    engine.run_pass(T0 + timedelta(minutes=101))
    after = store.query_df(
        "SELECT change_seq FROM alarms WHERE list_contains(?, alarm_id)",
        [opened["alarm_id"].tolist()],
    )
    assert (after["change_seq"] > before).all()


def test_a_unit_position_moves_the_resource(store):
    unit = store.query_value(
        "SELECT resource_id FROM resources WHERE kind = 'vehicle' ORDER BY resource_id LIMIT 1"
    )
    before = current_change_seq(store)
    ts = (store.query_value("SELECT max(position_at) FROM resources") or T0) + timedelta(minutes=1)
    positions = pa.table(
        {
            "msg_id": ["p1"],
            "unit_id": [unit],
            "ts": pa.array([ts], pa.timestamp("us")),
            "lon": [116.6],
            "lat": [23.66],
            "status": ["dispatched"],
            "received_at": pa.array([ts], pa.timestamp("us")),
        }
    )
    store.write(lambda tx: write_batch(tx, BatchRows(positions=positions)))
    assert _seq(store, "resources", "resource_id", unit) > before
    assert current_change_seq(store) == _seq(store, "resources", "resource_id", unit)
