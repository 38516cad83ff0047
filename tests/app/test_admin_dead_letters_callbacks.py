"""The dead-letter tab (/admin?tab=dead_letters) and `cityops deadletters reingest`: filters and
pages with each payload's preview, size and sha256; re-ingest of one letter and of the ticked
ones as an admin (taken once the sensor is registered, harmless twice, a truncated one refused);
every other role calling the callbacks directly or the command changes nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from app.pages.admin import ids
from ingest.locate import store_locator
from ingest.payloads import parse_message
from ingest.rows import build_rows
from ingest.sink import write_batch
from models.clock import utcnow
from tests.app.admin_audit_support import OTHER_ROLES, admin_world, text_of

SENSOR = "AIR-NEW-902"
P = "cityops/v1"


def _reading(msg_id: str, *, pad: int = 0) -> tuple[str, bytes]:
    body = json.dumps({"id": msg_id, "ts": datetime.now(UTC).isoformat(), "values": {"pm25": 9}})
    return f"{P}/obs/air/{SENSOR}", (body[:-1] + " " * pad + "}").encode()


def _live(store, topic: str, payload: bytes) -> None:
    """Ingest one message the way the MQTT consumer writes a batch."""
    now = utcnow()
    rows = build_rows([parse_message(topic, payload, prefix=P, now=now)], received_at=now,
                      locate=store_locator(store))  # fmt: skip
    store.write(lambda tx: write_batch(tx, rows))


@pytest.fixture(scope="module")
def world(demo_copy):
    w = admin_world(demo_copy)
    for msg_id, pad in (("dl-a", 0), ("dl-b", 0), ("dl-c", 0), ("dl-big", 70 * 1024)):
        _live(w.store, *_reading(msg_id, pad=pad))
    rows = w.store.query_rows(
        "SELECT dead_letter_id, payload_size FROM dead_letters WHERE topic = ? "
        "ORDER BY dead_letter_id",
        [f"{P}/obs/air/{SENSOR}"],
    )
    assert len(rows) == 4
    w.letters = {name: int(r[0]) for name, r in zip(("a", "b", "c", "big"), rows, strict=True)}
    yield w
    w.store.close()


def _outcome(world, letter: int):
    return world.store.query_value(
        "SELECT reingest_outcome FROM dead_letters WHERE dead_letter_id = ?", [letter]
    )


def _observations(world, msg_id: str) -> int:
    return world.store.query_value("SELECT count(*) FROM observations WHERE msg_id = ?", [msg_id])


@pytest.mark.parametrize("username", OTHER_ROLES)
def test_other_roles_calling_the_callbacks_directly_change_nothing(world, username):
    from app.pages.admin.dead_letters import reingest_action, show_dead_letters

    letter = world.letters["c"]
    with world.as_user(username):
        table, count, _, note = show_dead_letters("mqtt", None, None, "all", 0, 0, 0, 0)
        assert table == [] and count == "" and "只有管理员" in text_of(note)
        row = {"type": ids.DL_REINGEST_ROW, "index": letter}
        note, refresh = reingest_action(row, 1, [[letter]], 3)
        assert "只有管理员" in text_of(note) and refresh == 3
        note, _ = reingest_action(ids.DL_REINGEST_PICKED, 1, [[letter]], 3)
        assert "只有管理员" in text_of(note)
    assert _outcome(world, letter) is None


def test_the_list_filters_and_shows_size_and_sha256(world):
    from app.pages.admin.dead_letters import show_dead_letters

    with world.as_user("admin"):
        table, count, page, note = show_dead_letters("mqtt", SENSOR, None, "open", 0, 0, 0, 0)
        shown = text_of(table)
        assert note == [] and page == 0 and "4" in count
        assert f"#{world.letters['big']}" in shown and "dl-a" in shown
        digest, size = world.store.query_rows(
            "SELECT payload_sha256, payload_size FROM dead_letters WHERE dead_letter_id = ?",
            [world.letters["big"]],
        )[0]
        assert size > 70 * 1024 and f"{size:,} B" in shown and "65,536" in shown  # kept bytes
        assert digest in shown
        table, *_ = show_dead_letters("file", None, None, "open", 0, 0, 0, 0)
        assert f"#{world.letters['a']}" not in text_of(table)
        for bad in (("smtp", None, None, "open"), ("mqtt", None, "last week", "open"),
                    ("mqtt", ["x"], None, "open"), ("mqtt", None, None, "gone")):  # fmt: skip
            table, _, _, note = show_dead_letters(*bad, 0, 0, 0, 0)
            assert table == [] and "err" in text_of(note), bad


def test_reingest_of_a_row_and_of_the_ticked_ones(world):
    from app.pages.admin.dead_letters import reingest_action, show_dead_letters

    a, b, big = world.letters["a"], world.letters["b"], world.letters["big"]
    with world.as_user("admin"):
        # a row's button appearing in a new table fires the callback without a click
        note, refresh = reingest_action({"type": ids.DL_REINGEST_ROW, "index": a}, 0, [], 5)
        assert refresh == 5 and _outcome(world, a) is None
        note, refresh = reingest_action({"type": ids.DL_REINGEST_ROW, "index": a}, 1, [], 5)
        assert refresh == 6 and "unknown sensor" in text_of(note)  # still not registered
        assert "unknown sensor" in _outcome(world, a)
        world.store.write(
            lambda tx: tx.execute(
                "INSERT INTO sensors (sensor_id, kind, lon, lat, interval_s) "
                "VALUES (?, 'air', 116.62, 23.66, 300)",
                [SENSOR],
            )
        )
        for _ in range(2):  # twice is harmless: the message id deduplicates
            note, _ = reingest_action({"type": ids.DL_REINGEST_ROW, "index": a}, 1, [], 6)
            assert "成功 1 条" in text_of(note)
            assert _observations(world, "dl-a") == 1
        note, _ = reingest_action(ids.DL_REINGEST_PICKED, 1, [[b], [], [big], ["x", True]], 7)
        said = text_of(note)
        assert "成功 1 条" in said and "仍被拒绝 1 条" in said and "truncated" in said
        assert _observations(world, "dl-b") == 1 and _observations(world, "dl-big") == 0
        assert _outcome(world, b) == "ingested" and "truncated" in _outcome(world, big)
        note, _ = reingest_action(ids.DL_REINGEST_PICKED, 1, [[], []], 7)
        assert "请先选择" in text_of(note)
        # taken letters leave the open list and show under re-ingested
        table, *_ = show_dead_letters("mqtt", SENSOR, None, "open", 0, 0, 0, 0)
        assert f"#{a}" not in text_of(table) and f"#{big}" in text_of(table)
        table, *_ = show_dead_letters("mqtt", SENSOR, None, "reingested", 0, 0, 0, 0)
        assert f"#{a}" in text_of(table) and "已入库" in text_of(table)
    count = world.store.query_value(
        "SELECT count(*) FROM dead_letters WHERE topic = ?", [f"{P}/obs/air/{SENSOR}"]
    )
    assert count == 4  # refusals again made no second letter


def test_the_command_reingests_as_an_admin_only(world, capsys):
    from app.cli_parser import build_parser
    from app.commands import run_store_command

    c = world.letters["c"]
    args = build_parser().parse_args(["deadletters", "reingest", str(c)])
    assert run_store_command(world.config, world.store, args, username="operator") == 1
    assert _outcome(world, c) is None
    world.store.flush()  # the refusal's audit row is queued, not awaited
    denied = world.store.query_value(
        "SELECT count(*) FROM audit_log WHERE action = 'cli.denied' AND actor = 'operator' "
        "AND target = 'deadletters reingest'"
    )
    assert denied >= 1
    assert run_store_command(world.config, world.store, args, username="admin") == 0
    assert f"#{c}: ingested" in capsys.readouterr().out
    assert _outcome(world, c) == "ingested" and _observations(world, "dl-c") == 1
    listing = build_parser().parse_args(["deadletters", "--limit", "3"])
    assert run_store_command(world.config, world.store, listing, username=None) == 0
