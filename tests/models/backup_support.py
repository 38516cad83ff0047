"""Shared checks of the backup tests: a live MQTT stream into the store while a backup is made,
and the comparison of every table of a restored database with its source at the backup's
moment (rows committed after it are told apart by the manifest's highest sequence keys)."""

from __future__ import annotations

import threading
from collections import Counter

from models.backup_manifest import Manifest
from models.store import Store
from tests.ingest.mqtt_helpers import P, obs, publish_all, report

#: Tables whose rows belong to a case (no key of their own): kept when their case is.
CASE_CHILDREN = ("case_transitions", "case_events")
#: Sensors the stream reads from (their last_seen is set by the warm-up and then stays).
SENSORS = ("AIR-001", "AIR-002", "AIR-003")


def _rows(store: Store, table: str, where: str = "", params: list | None = None) -> Counter:
    """The table's rows as a multiset of their reprs (NaN equals NaN, lists compare)."""
    return Counter(repr(r) for r in store.query_rows(f'SELECT * FROM "{table}" {where}', params))


def compare_with_source(source: Store, restored: Store, manifest: Manifest) -> dict[str, int]:
    """Assert that every table of ``restored`` holds exactly the rows ``source`` held when the
    backup was made; returns the rows compared per table.

    A table with a sequence key keeps the source's rows up to the manifest's highest key
    (later rows and updates draw higher keys: one writer, so sequence order is commit
    order); the rows of a case follow their case; every other table must equal the
    source's whole (nothing wrote to it during the stream). The restore's own audit row
    is the one row past the key in the restored audit log.
    """
    compared = {}
    cases = {r[0] for r in restored.query_rows("SELECT case_id FROM cases")}
    for entry in manifest.tables:
        name = entry.name
        if name in CASE_CHILDREN:
            ids = sorted(cases)
            where = "WHERE list_contains(?, case_id)"
            want, got = _rows(source, name, where, [ids]), _rows(restored, name)
        elif entry.key is not None:
            bound = -1 if entry.max_key is None else entry.max_key
            where = f'WHERE "{entry.key}" <= ?'
            want = _rows(source, name, where, [bound])
            got = _rows(restored, name, where, [bound])
            if name == "audit_log":
                extra = restored.query_rows(f"SELECT action FROM audit_log WHERE seq > {bound}")
                assert extra == [("backup.restore",)], extra
            else:
                assert restored.query_value(f'SELECT count(*) FROM "{name}"') == entry.rows
        else:
            want, got = _rows(source, name), _rows(restored, name)
        assert sum(got.values()) == entry.rows, (name, sum(got.values()), entry.rows)
        assert got == want, f"{name}: {len(got - want)} rows not in the source, " + (
            f"{len(want - got)} source rows missing"
        )
        compared[name] = entry.rows
    # cross-table: each case restored with its whole history, no history without its case
    orphans = restored.query_value(
        "SELECT count(*) FROM case_transitions t ANTI JOIN cases c USING (case_id)"
    )
    assert orphans == 0
    return compared


class Stream:
    """A device gateway publishing readings, reports and bad messages until stopped."""

    def __init__(self, port: int, *, batch: int = 120):
        self.port = port
        self.batch = batch
        self.sent = 0
        self.stop = threading.Event()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="test-stream", daemon=True)

    def messages(self, round_: int) -> list[tuple[str, bytes]]:
        base = 10_000 + round_ * self.batch
        out = [obs(base + i, SENSORS[i % len(SENSORS)]) for i in range(self.batch)]
        # reports spread 200 m apart (no two are duplicates of each other)
        out += [report(base + i, lon=116.6300 + 0.002 * (round_ % 20), lat=23.6600 + 0.002 * i)
                for i in range(3)]  # fmt: skip
        out.append((f"{P}/obs/air/AIR-001", b"not json"))
        return out

    def _run(self) -> None:
        round_ = 0
        try:
            while not self.stop.is_set():
                self.sent += publish_all(self.port, self.messages(round_), window=500)
                round_ += 1
        except BaseException as exc:  # shown by the test
            self.error = exc

    def start(self) -> Stream:
        self.thread.start()
        return self

    def finish(self) -> int:
        self.stop.set()
        self.thread.join(60)
        assert self.error is None, self.error
        return self.sent
