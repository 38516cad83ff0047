"""Backup and restore of the whole database (models.backup, models.restore, the store's
snapshot): the round trip while MQTT ingest writes, damaged / truncated / foreign files and a
newer schema refused with a clear message, an older schema migrated up, sequences past their
keys, one backup at a time, the schedule's pure rule."""

from __future__ import annotations

import dataclasses
import tarfile
from datetime import date, datetime
from pathlib import Path

import pytest

from ingest.locate import store_locator
from ingest.mqtt.consumer import MqttIngest
from ingest.time_window import TimeWindow
from models.backup import (
    BackupBusy,
    BackupError,
    expired_scheduled,
    list_backups,
    make_backup,
    one_at_a_time,
    open_verified,
    read_manifest,
    scheduled_due,
)
from models.backup_manifest import MANIFEST
from models.restore import restore_backup
from models.store import LATEST_VERSION, Store
from tests.broker import INGEST, mosquitto
from tests.ingest.mqtt_helpers import P, wait_until
from tests.models.backup_support import Stream, compare_with_source

TZ = "Asia/Shanghai"
NOW = datetime(2026, 12, 7, 10, 0, 0)  # naive UTC: 18:00 in Chaozhou


@pytest.fixture
def small(tmp_path):
    """A store with the schema and a few rows (audit, dead letters): quick to back up."""
    store = Store(tmp_path / "small.duckdb")
    for i in range(5):
        store.audit("test.row", actor="tester", target=f"t{i}", detail="含中文的说明")
    store.write(
        lambda tx: tx.execute(
            "INSERT INTO dead_letters (received_at, channel, topic, reason, payload) "
            "VALUES (?, 'mqtt', 'x/y', 'bad', 'payload')",
            [NOW],
        )
    )
    store.flush()
    yield store
    store.close()


@pytest.fixture
def made(small, tmp_path):
    path, manifest = make_backup(small, tmp_path / "backups", now=NOW, tz=TZ)
    return path, manifest


def test_the_round_trip_while_mqtt_ingest_writes(demo_copy, tmp_path):
    """Every table restored equals the source at the backup's moment, while a broker's
    stream went on being committed before, during and after the snapshot."""
    folder = demo_copy()
    store = Store(folder / "cityops.duckdb")
    with mosquitto(tmp_path / "broker") as port:
        ingest = MqttIngest(
            store,
            locate=store_locator(store),
            host="127.0.0.1",
            port=port,
            client_id="test-backup-ingest",
            username=INGEST[0],
            password=INGEST[1],
            topic_prefix=P,
            batch_rows=100,
            batch_ms=20,
            window=TimeWindow(max_age_days=36_500),
        )
        ingest.start()
        try:
            assert wait_until(lambda: ingest.stats.connected, timeout_s=10)
            stream = Stream(port)
            from tests.ingest.mqtt_helpers import publish_all

            warm = publish_all(port, stream.messages(-1))  # every sensor heard once
            assert wait_until(lambda: ingest.stats.received >= warm, timeout_s=30)
            store.flush()
            before = store.query_value("SELECT count(*) FROM observations")
            stream.start()
            assert wait_until(
                lambda: store.query_value("SELECT count(*) FROM observations") > before + 500,
                timeout_s=60,
            )
            path, manifest = make_backup(store, tmp_path / "backups", now=NOW, tz=TZ)
            at_backup = manifest.counts["observations"]
            assert wait_until(
                lambda: store.query_value("SELECT count(*) FROM observations") > at_backup + 500,
                timeout_s=60,
            )
            sent = warm + stream.finish()
            assert wait_until(lambda: ingest.stats.received >= sent, timeout_s=60)
        finally:
            ingest.stop()
    store.flush()
    try:
        # the snapshot fell inside the stream: rows came before it and after it
        assert before < at_backup < store.query_value("SELECT count(*) FROM observations")
        assert 0 < manifest.counts["cases"] < store.query_value("SELECT count(*) FROM cases")
        assert manifest.counts["dead_letters"] > 0
        restored_path = tmp_path / "fresh" / "cityops.duckdb"
        done = restore_backup(path, restored_path, now=NOW, tz=TZ, actor="os:tester")
        assert done.kept is None and done.rows == manifest.counts
        with Store(restored_path) as restored:
            compared = compare_with_source(store, restored, manifest)
            assert len(compared) == len(manifest.tables) >= 38
            # sequences restored past their keys: new rows draw fresh ones
            restored.audit("after.restore", actor="tester")
            restored.flush()
            top = restored.query_value("SELECT max(seq) FROM audit_log")
            assert top > manifest.sequences["audit_seq"]
            assert (
                restored.query_value("SELECT last_value FROM duckdb_sequences() "
                                     "WHERE sequence_name = 'case_number_seq'")
                >= manifest.sequences["case_number_seq"] > 0
            )  # fmt: skip
    finally:
        store.close()


def test_manifest_holds_versions_counts_and_checksums(made):
    path, manifest = made
    assert path.name == "cityops-backup-20261207-180000.tar"
    again = read_manifest(path)
    assert again == manifest
    assert again.schema_version == LATEST_VERSION
    assert again.counts["audit_log"] == 5 and again.counts["dead_letters"] == 1
    assert again.created_local == "20261207-180000"
    with tarfile.open(path) as tar:
        names = tar.getnames()
    assert names[0] == MANIFEST
    assert sorted(names[1:]) == sorted(t.member for t in manifest.tables)
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    [entry] = list_backups(path.parent)
    assert entry.verified and entry.manifest == manifest


def _refused(path: Path, tmp_path: Path, *words: str) -> str:
    with pytest.raises(BackupError) as caught:
        open_verified(path)
    text = str(caught.value)
    assert any(w in text for w in words), text
    target = tmp_path / "target" / "cityops.duckdb"
    with pytest.raises(BackupError):
        restore_backup(path, target, now=NOW, tz=TZ)
    assert not target.exists() and not list(target.parent.glob(".*restore*"))
    return text


def test_a_flipped_byte_anywhere_is_refused(made, tmp_path):
    path, manifest = made
    data = path.read_bytes()
    with tarfile.open(path) as tar:
        members = tar.getmembers()
    table = members[1]
    positions = {
        "a header": 10,
        "the header checksum's last byte": 155,
        "the manifest": members[0].offset_data + 40,
        "a table's data": table.offset_data + table.size // 2,
        "a padding": table.offset_data + table.size + 1,
        "the end blocks": len(data) - 3,
    }
    assert table.size % 512 != 0  # there is a padding to flip
    for where, at in positions.items():
        bad = bytearray(data)
        bad[at] ^= 0x20
        flipped = tmp_path / f"flip-{at}.tar"
        flipped.write_bytes(bytes(bad))
        text = _refused(flipped, tmp_path, "damaged", "truncated", "not a CityOps backup")
        assert "Traceback" not in text, where


def test_a_truncated_file_is_refused(made, tmp_path):
    path, _ = made
    data = path.read_bytes()
    with tarfile.open(path) as tar:
        last = tar.getmembers()[-1]
    for size in (100, 600, len(data) // 2, last.offset_data + 10, last.offset_data + last.size):
        cut = tmp_path / f"cut-{size}.tar"
        cut.write_bytes(data[:size])
        _refused(cut, tmp_path, "truncated", "damaged", "not a CityOps backup")


def test_files_that_are_not_backups_are_refused(tmp_path, made):
    path, _ = made
    garbage = tmp_path / "garbage.tar"
    garbage.write_bytes(b"\x89PNG not a tar at all" * 100)
    empty = tmp_path / "empty.tar"
    empty.write_bytes(b"")
    other = tmp_path / "other.tar"
    with tarfile.open(other, "w") as tar:
        tar.add(path, arcname="something.bin")
    for file in (garbage, empty, other):
        text = _refused(file, tmp_path, "not a CityOps backup")
        assert file.name in text


def _rewritten(path: Path, out: Path, **changes) -> Path:
    """The backup ``path`` written again with manifest fields changed (checksums redone)."""
    from models.backup import _write_tar

    folder = out.parent / "members"
    folder.mkdir()
    manifest = open_verified(path, extract_to=folder)
    changed = dataclasses.replace(manifest, **changes)
    _write_tar(out, changed, {t.member: folder / f"{t.name}.parquet" for t in changed.tables})
    return out


def test_a_newer_schema_is_refused_with_a_clear_message(made, tmp_path):
    path, _ = made
    newer = _rewritten(path, tmp_path / "newer.tar", schema_version=LATEST_VERSION + 1)
    target = tmp_path / "live" / "cityops.duckdb"
    Store(target).close()
    before = target.read_bytes()
    with pytest.raises(BackupError) as caught:
        restore_backup(newer, target, now=NOW, tz=TZ, force=True)
    assert f"schema version {LATEST_VERSION + 1}" in str(caught.value)
    assert "newer CityOps" in str(caught.value)
    assert target.read_bytes() == before
    assert not list(target.parent.glob("*.before-restore-*"))


def test_an_older_schema_is_restored_and_migrated_up(tmp_path):
    old = Store(tmp_path / "old.duckdb", upto=LATEST_VERSION - 1)
    old.audit("old.row", actor="tester")
    old.flush()
    path, manifest = make_backup(old, tmp_path / "b", now=NOW, tz=TZ)
    old.close()
    assert manifest.schema_version == LATEST_VERSION - 1
    target = tmp_path / "new" / "cityops.duckdb"
    done = restore_backup(path, target, now=NOW, tz=TZ)
    assert done.schema_version == LATEST_VERSION
    with Store(target) as store:
        assert store.query_value("SELECT max(version) FROM schema_migrations") == LATEST_VERSION
        assert store.query_rows("SELECT action FROM audit_log ORDER BY seq") == [
            ("old.row",),
            ("backup.restore",),
        ]


def test_an_existing_database_is_replaced_only_with_force_and_kept(made, small, tmp_path):
    path, _ = made
    target = tmp_path / "live" / "cityops.duckdb"
    with Store(target) as other:
        other.audit("other.row", actor="tester")
    with pytest.raises(BackupError, match="--force"):
        restore_backup(path, target, now=NOW, tz=TZ)
    done = restore_backup(path, target, now=NOW, tz=TZ, force=True)
    assert done.kept == target.with_name("cityops.duckdb.before-restore-20261207-180000")
    with Store(done.kept) as kept:
        assert kept.query_value("SELECT count(*) FROM audit_log WHERE action = 'other.row'") == 1
    with Store(target) as restored:
        assert restored.query_value("SELECT count(*) FROM audit_log WHERE action = 'test.row'") == 5
        assert (
            restored.query_value("SELECT count(*) FROM audit_log WHERE action = 'other.row'") == 0
        )


def test_one_backup_at_a_time(small, tmp_path):
    with one_at_a_time(), pytest.raises(BackupBusy):
        make_backup(small, tmp_path / "b", now=NOW, tz=TZ)
    assert make_backup(small, tmp_path / "b", now=NOW, tz=TZ)[0].exists()  # the slot is free
    second, _ = make_backup(small, tmp_path / "b", now=NOW, tz=TZ)
    assert second.name == "cityops-backup-20261207-180000-2.tar"  # same second: no overwrite


def test_schedule_rule_and_retention_choice(small, tmp_path):
    # 02:30 local = 18:30 UTC the day before
    at = dict(tz=TZ, backup_at="02:30")
    assert not scheduled_due(datetime(2026, 12, 6, 18, 29), last_local_day=None, **at)
    assert scheduled_due(datetime(2026, 12, 6, 18, 30), last_local_day=None, **at)
    assert scheduled_due(datetime(2026, 12, 7, 3, 0), last_local_day=date(2026, 12, 6), **at)
    assert not scheduled_due(datetime(2026, 12, 7, 3, 0), last_local_day=date(2026, 12, 7), **at)
    assert not scheduled_due(datetime(2026, 12, 7, 3, 0), last_local_day=None, tz=TZ, backup_at="")
    folder = tmp_path / "b"
    for day in (3, 4, 5, 6):
        make_backup(small, folder, now=datetime(2026, 12, day, 1), tz=TZ, kind="scheduled")
    manual, _ = make_backup(small, folder, now=datetime(2026, 12, 1, 1), tz=TZ)
    entries = list_backups(folder)
    assert [e.path.name[15:23] for e in entries] == [
        "20261206", "20261205", "20261204", "20261203", "20261201"
    ]  # fmt: skip
    gone = expired_scheduled(entries, keep=2)
    assert [p.name[15:23] for p in gone] == ["20261204", "20261203"]
    assert manual not in gone
