"""The live cursor: where a browser's view of the map stands between two polls."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

#: A new server process starts a new epoch: browsers holding an older cursor reload.
EPOCH = uuid.uuid4().hex[:8]

#: Hexagons summarise thousands of cases: one new case need not resend them every second.
HEX_EVERY = timedelta(seconds=10)


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
        try:
            epoch, seq, received, hex_at, dirty, *rest = text.split("~")
            if len(rest) > 1:
                return None
            at = datetime.fromisoformat(rest[0]) if rest and rest[0] else None
            return Cursor(
                epoch,
                int(seq),
                datetime.fromisoformat(received),
                datetime.fromisoformat(hex_at),
                dirty == "1",
                at,
            )
        except ValueError:
            return None
