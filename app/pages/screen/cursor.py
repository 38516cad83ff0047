"""The live cursor: where a browser's view of the map stands between two polls."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

#: A new server process starts a new epoch: browsers holding an older cursor reload.
EPOCH = uuid.uuid4().hex[:8]

#: Hexagons summarise thousands of cases: one new case need not resend them every second.
HEX_EVERY = timedelta(seconds=10)

#: A cursor whose receipt time or poll instant is older than this asks for a reload: reading
#: every change since an old receipt time costs more than a fresh picture. A polling wall
#: renews both every second (a quiet minute moves the receipt time on too, see changes.py).
CURSOR_MAX_AGE = timedelta(minutes=10)

#: A cursor this many change sequences behind the store asks for a reload too: a diff of
#: everything since costs a picture and more (a polling wall is a few changes behind).
CURSOR_MAX_BEHIND = 20_000

#: Longest cursor text read (a real one is under 120 characters).
MAX_CURSOR_CHARS = 200

_MAX_SEQ = 2**62  # change sequences are BIGINT


@dataclass(frozen=True)
class Cursor:
    """Where a browser's live view stands: server epoch, change sequence, receipt time, when
    it last got the case hexagons (rebuilt at most every :data:`HEX_EVERY`), and the instant
    of its last poll (``at``; ``None`` on a first picture's cursor, whose ``hex_at`` is its
    instant), from which the SLA clock has run."""

    epoch: str
    seq: int
    received: datetime
    hex_at: datetime
    hex_dirty: bool = False
    at: datetime | None = None

    @property
    def polled(self) -> datetime:
        """The instant the browser's view is as of (its last poll, or its picture)."""
        return self.at if self.at is not None else self.hex_at

    def fresh(self, now: datetime, max_age: timedelta) -> bool:
        """Whether the receipt time and the poll instant lie within ``max_age`` before
        ``now`` (neither after it): a crafted or long-forgotten cursor is not read from."""
        return all(now - max_age <= t <= now for t in (self.received, self.polled))

    def encode(self) -> str:
        return "~".join(
            (
                self.epoch,
                str(self.seq),
                self.received.isoformat(),
                self.hex_at.isoformat(),
                "1" if self.hex_dirty else "0",
                self.at.isoformat() if self.at is not None else "",
            )
        )

    @staticmethod
    def decode(text: str) -> Cursor | None:
        """The cursor ``text`` encodes, or None for anything else (too long, a sequence out
        of range, a time with a zone: cursors hold naive UTC)."""
        if not isinstance(text, str) or len(text) > MAX_CURSOR_CHARS:
            return None
        try:
            epoch, seq, received, hex_at, dirty, *rest = text.split("~")
            if len(rest) > 1 or not 0 <= int(seq) < _MAX_SEQ:
                return None
            at = datetime.fromisoformat(rest[0]) if rest and rest[0] else None
            cursor = Cursor(
                epoch,
                int(seq),
                datetime.fromisoformat(received),
                datetime.fromisoformat(hex_at),
                dirty == "1",
                at,
            )
        except ValueError:
            return None
        times = (cursor.received, cursor.hex_at, cursor.at)
        return None if any(t is not None and t.tzinfo is not None for t in times) else cursor
