"""Dead letters sent through ingest again (issue 14): an MQTT reading refused for a sensor not
in the registry is taken once the sensor is added, written once however often it is sent
again; a position of a unit still unknown keeps being refused, without a second dead letter;
a truncated payload and anything not kept as received are refused with the reason. Real
mosquitto and the real ingest make the dead letters; a real DuckDB copy of the demo city."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from ingest.locate import store_locator
from ingest.mqtt.consumer import MqttIngest
from ingest.reingest import ReingestOptions, reingest_dead_letters, reingest_refusal
from models.dead_letters import DeadLetter, load_dead_letters
from models.store import Store
from tests.broker import INGEST, mosquitto
from tests.ingest.mqtt_helpers import P, publish_all, wait_until

NEW_SENSOR = "AIR-NEW-901"


def _now_iso() -> str:
    return datetime.now(UTC).isoformat()


def _reading(msg_id: str, *, pad: int = 0) -> tuple[str, bytes]:
    body = json.dumps({"id": msg_id, "ts": _now_iso(), "values": {"pm25": 41.0}})
    # whitespace is valid JSON: a big message that parses, of which only 64 KiB are kept
    return f"{P}/obs/air/{NEW_SENSOR}", (body[:-1] + " " * pad + "}").encode()


@pytest.fixture(scope="module")
def letters(demo_copy, tmp_path_factory):
    """Three dead letters made by the live ingest: {name: dead_letter_id}, and the store."""
    folder = demo_copy()
    store = Store(folder / "cityops.duckdb")
    with mosquitto(tmp_path_factory.mktemp("broker")) as port:
        ingest = MqttIngest(
            store,
            locate=store_locator(store),
            host="127.0.0.1",
            port=port,
            client_id="reingest-test",
            username=INGEST[0],
            password=INGEST[1],
            topic_prefix=P,
            batch_ms=100,
        )
        ingest.start()
        try:
            assert wait_until(lambda: ingest.stats.connected, timeout_s=10)
            ghost = {
                "id": "ri-pos",
                "ts": _now_iso(),
                "lon": 116.6,
                "lat": 23.6,
                "status": "available",
            }
            publish_all(
                port,
                [
                    _reading("ri-obs"),
                    (f"{P}/units/GHOST-77/position", json.dumps(ghost).encode()),
                    _reading("ri-big", pad=70 * 1024),
                ],
            )
            assert wait_until(lambda: ingest.stats.dead_letters >= 3, timeout_s=20)
        finally:
            ingest.stop()
    rows = store.query_rows("SELECT dead_letter_id, topic, payload_size FROM dead_letters")
    ids = {
        "big" if size > 65536 else "pos" if "units" in topic else "obs": int(i)
        for i, topic, size in rows
    }
    assert len(ids) == 3, rows
    yield store, ids
    store.close()


def _options(store: Store) -> ReingestOptions:
    return ReingestOptions(locate=store_locator(store), prefix=P)


def _count(store: Store, sql: str, *params: object) -> int:
    return int(store.query_value(sql, list(params)))


def test_a_reading_is_taken_once_its_sensor_is_registered_and_twice_is_harmless(letters):
    store, ids = letters
    before = _count(store, "SELECT count(*) FROM dead_letters")
    refused = reingest_dead_letters(
        store, [ids["obs"]], actor="admin", now=datetime(2026, 1, 1), options=_options(store)
    )
    assert not refused[0].taken and "unknown sensor" in refused[0].outcome
    assert _count(store, "SELECT count(*) FROM dead_letters") == before  # no second letter
    store.write(
        lambda tx: tx.execute(
            "INSERT INTO sensors (sensor_id, kind, lon, lat, interval_s) "
            "VALUES (?, 'air', 116.62, 23.66, 300)",
            [NEW_SENSOR],
        )
    )
    for _ in range(2):
        (result,) = reingest_dead_letters(
            store, [ids["obs"]], actor="admin", now=datetime(2026, 1, 2), options=_options(store)
        )
        assert result.taken, result
        assert _count(store, "SELECT count(*) FROM observations WHERE msg_id = 'ri-obs'") == 1
    outcome, by, resolved, reason = store.query_rows(
        "SELECT reingest_outcome, reingested_by, resolved_at, reason FROM dead_letters "
        "WHERE dead_letter_id = ?",
        [ids["obs"]],
    )[0]
    assert outcome == "ingested" and by == "admin" and resolved == datetime(2026, 1, 2)
    assert "unknown sensor" in reason  # why it came here first is kept
    assert _count(store, "SELECT count(*) FROM dead_letters") == before
    assert (
        store.query_value("SELECT last_seen FROM sensors WHERE sensor_id = ?", [NEW_SENSOR])
        is not None
    )  # the live path's side effects ran too
    audited = store.query_rows(
        "SELECT outcome, detail FROM audit_log WHERE action = 'deadletter.reingest' "
        "AND target = ? ORDER BY seq",
        [f"dead_letter:{ids['obs']}"],
    )
    assert [a[0] for a in audited] == ["refused", "ok", "ok"]


def test_a_position_of_a_unit_still_unknown_keeps_its_reason_and_its_one_letter(letters):
    store, ids = letters
    before = _count(store, "SELECT count(*) FROM dead_letters")
    (result,) = reingest_dead_letters(
        store, [ids["pos"]], actor="admin", now=datetime(2026, 1, 3), options=_options(store)
    )
    assert not result.taken and "unknown unit 'GHOST-77'" in result.outcome
    assert _count(store, "SELECT count(*) FROM dead_letters") == before
    assert _count(store, "SELECT count(*) FROM unit_positions WHERE unit_id = 'GHOST-77'") == 0
    outcome, resolved = store.query_rows(
        "SELECT reingest_outcome, resolved_at FROM dead_letters WHERE dead_letter_id = ?",
        [ids["pos"]],
    )[0]
    assert "unknown unit" in outcome and resolved is None


def test_a_truncated_payload_is_refused_even_once_its_cause_is_fixed(letters):
    store, ids = letters
    (result,) = reingest_dead_letters(
        store, [ids["big"]], actor="admin", now=datetime(2026, 1, 4), options=_options(store)
    )
    assert not result.taken and "truncated" in result.outcome and "65,536" in result.outcome
    assert _count(store, "SELECT count(*) FROM observations WHERE msg_id = 'ri-big'") == 0
    (missing,) = reingest_dead_letters(
        store, [987654321], actor="admin", now=datetime(2026, 1, 4), options=_options(store)
    )
    assert missing.outcome == "no such dead letter"
    with pytest.raises(ValueError):
        reingest_dead_letters(
            store, range(1, 500), actor="admin", now=datetime(2026, 1, 4), options=_options(store)
        )


def test_what_cannot_be_reingested_at_all_says_why(letters):
    store, ids = letters
    letter = load_dead_letters(store, [ids["pos"]])[ids["pos"]]
    assert reingest_refusal(letter) is None

    def like(**changes: object) -> DeadLetter:
        from dataclasses import replace

        return replace(letter, **changes)

    assert "cityops ingest" in (reingest_refusal(like(channel="file")) or "")
    assert "http" in (reingest_refusal(like(channel="http")) or "")
    assert "case builder" in (reingest_refusal(like(topic="case-builder/refused")) or "")
    assert "sha256" in (reingest_refusal(like(payload=letter.payload + b" ")) or "")
    assert "no payload" in (reingest_refusal(like(payload=None)) or "")
