import threading
from datetime import datetime

import duckdb
import pandas as pd
import pyarrow as pa
import pytest

from models.store import LATEST_VERSION, SchemaTooNewError, Store, StoreError
from models.store.migrations import MIGRATIONS

DOMAIN_TABLES = {
    "admin_areas",
    "grid_versions",
    "grid_cells",
    "categories",
    "cases",
    "case_transitions",
    "sensors",
    "observations",
    "alarms",
    "road_segments",
    "traffic_samples",
    "incidents",
    "resources",
    "users",
    "audit_log",
    "dead_letters",
    "plans",
    "alerts",
    "dispatch_orders",
}


def _dead_letters(n: int, reason: str = "bad") -> pa.Table:
    return pa.table(
        {
            "received_at": pa.array([datetime(2026, 11, 1)] * n, pa.timestamp("us")),
            "channel": ["mqtt"] * n,
            "topic": [f"t/{i}" for i in range(n)],
            "payload": [b"\x00\xff"] * n,
            "reason": [reason] * n,
        }
    )


def test_new_database_has_the_whole_domain(store):
    assert store.schema_version == LATEST_VERSION
    tables = {r[0] for r in store.query_rows("SELECT table_name FROM information_schema.tables")}
    assert tables >= DOMAIN_TABLES


def test_versions_are_consecutive():
    assert [m.version for m in MIGRATIONS] == list(range(1, len(MIGRATIONS) + 1))


def test_older_file_is_migrated_and_keeps_its_rows(tmp_path):
    path = tmp_path / "old.duckdb"
    old = Store(path, upto=1)
    assert old.schema_version == 1
    assert old.append("dead_letters", _dead_letters(3)) == 3
    assert "cases" not in {
        r[0] for r in old.query_rows("SELECT table_name FROM information_schema.tables")
    }
    old.close()
    new = Store(path)
    assert new.schema_version == LATEST_VERSION
    assert new.query_value("SELECT count(*) FROM dead_letters") == 3
    assert new.query_value("SELECT count(*) FROM cases") == 0
    new.close()


def test_newer_file_is_refused_untouched(tmp_path):
    path = tmp_path / "new.duckdb"
    Store(path).close()
    conn = duckdb.connect(str(path))
    conn.execute(
        "INSERT INTO schema_migrations VALUES (?, 'from the future', now())", [LATEST_VERSION + 1]
    )
    conn.close()
    with pytest.raises(SchemaTooNewError, match=f"version {LATEST_VERSION + 1}"):
        Store(path)
    conn = duckdb.connect(str(path))
    assert (
        conn.execute("SELECT max(version) FROM schema_migrations").fetchone()[0]
        == LATEST_VERSION + 1
    )
    conn.close()


def test_batch_is_all_or_nothing(store):
    good = _dead_letters(5)

    def half_then_fail(tx):
        tx.append("dead_letters", good)
        tx.execute(
            "INSERT INTO dead_letters (received_at, channel, reason) VALUES (now(), NULL, 'x')"
        )

    with pytest.raises(duckdb.ConstraintException):
        store.write(half_then_fail)
    assert store.query_value("SELECT count(*) FROM dead_letters") == 0
    # the writer survives the failed job
    assert store.append("dead_letters", good) == 5


def test_append_accepts_pandas_and_reads_see_commits_from_other_threads(store):
    df = pd.DataFrame(
        {
            "received_at": [pd.Timestamp("2026-11-01")] * 2,
            "channel": "file",
            "topic": ["a", "b"],
            "payload": [b"1", b"2"],
            "reason": "r",
        }
    )
    store.append("dead_letters", df)
    seen = []

    def reader():
        seen.append(store.query_value("SELECT count(*) FROM dead_letters"))

    threads = [threading.Thread(target=reader) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert seen == [2] * 8


def test_writes_are_serialised_in_submission_order(store):
    futures = [
        store.submit(lambda tx, i=i: tx.append("dead_letters", _dead_letters(1, f"r{i}")))
        for i in range(200)
    ]
    assert all(f.result(10) == 1 for f in futures)
    ids = store.query_rows("SELECT reason FROM dead_letters ORDER BY dead_letter_id")
    assert [r[0] for r in ids] == [f"r{i}" for i in range(200)]


def test_audit_log_is_appended(store):
    store.audit("login", actor="alice", outcome="failed", remote="127.0.0.1")
    store.flush()
    assert store.query_rows("SELECT actor, action, outcome FROM audit_log") == [
        ("alice", "login", "failed")
    ]


def test_second_process_gets_a_clear_error(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "locked.duckdb"
    s = Store(path)
    code = (
        "import sys\nfrom models.store import Store, StoreError\n"
        f"try:\n    Store({str(path)!r})\nexcept StoreError as e:\n    print(e); sys.exit(7)\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    s.close()
    assert run.returncode == 7, run.stderr
    assert "Another CityOps process" in run.stdout


def test_closed_store_refuses_writes(tmp_path):
    s = Store(tmp_path / "c.duckdb")
    s.close()
    with pytest.raises(StoreError):
        s.submit(lambda tx: None)


def test_a_failed_batch_reports_its_own_error(store):
    bad = pa.table(
        {"received_at": pa.array([None], pa.timestamp("us")), "channel": ["mqtt"], "reason": ["r"]}
    )  # received_at is NOT NULL
    with pytest.raises(duckdb.ConstraintException, match="received_at"):
        store.append("dead_letters", bad)
    assert store.append("dead_letters", _dead_letters(1)) == 1
