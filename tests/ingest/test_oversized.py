"""Oversized input is kept small: a dead letter holds the first 64 KiB of its payload with the
original size and sha256, and previews read a few hundred bytes (issue 10 item 7)."""

from __future__ import annotations

import hashlib
from datetime import datetime

import pytest

from ingest.payloads import Rejected, parse_message
from ingest.rows import DEAD_LETTER_KEEP_BYTES, build_rows
from ingest.sink import write_batch
from models.dead_letters import list_dead_letters
from models.store import Store

AT = datetime(2026, 11, 24, 2)


@pytest.fixture
def db(tmp_path):
    store = Store(tmp_path / "dl.duckdb")
    yield store
    store.close()


def test_a_10_mb_message_becomes_a_64_kib_dead_letter_with_size_and_sha256(db):
    big = b'{"id": "x", "pad": "' + b"A" * (10 * 2**20) + b'"}'
    parsed = parse_message("cityops/v1/obs/air/AIR-001", big)
    assert isinstance(parsed, Rejected)
    rows = build_rows([parsed, parsed], received_at=AT, locate=lambda lon, lat: None)
    assert db.write(lambda tx: write_batch(tx, rows))["dead_letters"] == 2
    stored = db.query_rows(
        "SELECT octet_length(payload), payload_size, payload_sha256, reason FROM dead_letters"
    )
    digest = hashlib.sha256(big).hexdigest()
    assert DEAD_LETTER_KEEP_BYTES == 64 * 1024
    assert stored == [(64 * 1024, len(big), digest, stored[0][3])] * 2
    assert "larger than" in stored[0][3]
    # two 10 MB messages cost the database 128 KiB of payload, not 20 MB
    assert db.query_value("SELECT sum(octet_length(payload)) FROM dead_letters") == 2 * 64 * 1024


def test_a_small_dead_letter_is_kept_whole_with_its_size_and_sha256(db):
    bad = b"not json"
    rows = build_rows(
        [parse_message("cityops/v1/reports", bad)], received_at=AT, locate=lambda lon, lat: None
    )
    db.write(lambda tx: write_batch(tx, rows))
    assert db.query_rows("SELECT payload, payload_size, payload_sha256 FROM dead_letters") == [
        (bad, len(bad), hashlib.sha256(bad).hexdigest())
    ]


def test_the_preview_reads_a_few_hundred_bytes_only(db):
    big = b"\xe4\xb8\xad" * 30_000  # 90 kB of 中, invalid JSON
    rows = build_rows(
        [parse_message("cityops/v1/reports", big)], received_at=AT, locate=lambda lon, lat: None
    )
    db.write(lambda tx: write_batch(tx, rows))
    df = list_dead_letters(db)
    assert "payload" not in df.columns
    preview = df["preview"].iloc[0]
    assert preview.startswith("中中") and len(preview) <= 120
    assert df["payload_size"].iloc[0] == len(big)
    assert df["payload_sha256"].iloc[0] == hashlib.sha256(big).hexdigest()
