"""Supervision (督办): overdue cases escalate in tiers, each tier once, each an event."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta

from models.store import Store, WriteTx
from models.work_calendar import WorkCalendar

#: Stages in which the handling clock is (or was) running and a case can be overdue.
OPEN_STAGES = ("dispatched", "handling", "extension_requested", "rework", "handled")
DEFAULT_TIERS: tuple[tuple[str, timedelta], ...] = (
    ("unit_head", timedelta(0)),
    ("department", timedelta(hours=7)),
    ("leader", timedelta(hours=21)),
)


def due_escalations(
    overdue_for: timedelta, tiers: Sequence[tuple[str, timedelta]], already: set[str]
) -> list[str]:
    """Tiers whose delay after the deadline has passed and that were not raised yet (in order)."""
    return [name for name, delay in tiers if overdue_for > delay and name not in already]


def supervise(
    store: Store,
    *,
    now: datetime,
    calendar: WorkCalendar,
    tiers: Sequence[tuple[str, timedelta]] = DEFAULT_TIERS,
) -> int:
    """Raise every escalation now due; returns how many were raised.

    Overdue time counts working time after ``due_at`` (which already includes granted
    extensions). Exercise cases escalate like others; evaluation leaves them out.
    """
    marks = ", ".join("?" for _ in OPEN_STAGES)
    rows = store.query_rows(
        "SELECT c.case_id, c.due_at, list(e.detail) FILTER (WHERE e.kind = 'escalation') "
        "FROM cases c LEFT JOIN case_events e USING (case_id) "
        f"WHERE c.stage IN ({marks}) AND c.due_at < ? GROUP BY c.case_id, c.due_at",
        [*OPEN_STAGES, now],
    )
    raised: list[tuple[str, str, timedelta]] = []
    for case_id, due_at, details in rows:
        already = {json.loads(d)["tier"] for d in (details or []) if d}
        overdue_for = calendar.working_time_between(due_at, now)
        for tier in due_escalations(overdue_for, tiers, already):
            raised.append((case_id, tier, overdue_for))
    if not raised:
        return 0

    def write(tx: WriteTx) -> None:
        for case_id, tier, overdue_for in raised:
            tx.execute(
                "INSERT INTO case_events (case_id, seq, occurred_at, actor, kind, detail) "
                "SELECT ?, coalesce(max(seq), 0) + 1, ?, 'supervision', 'escalation', ? "
                "FROM case_events WHERE case_id = ?",
                [
                    case_id,
                    now,
                    json.dumps(
                        {"tier": tier, "overdue_working_s": int(overdue_for.total_seconds())}
                    ),
                    case_id,
                ],
            )
            tx.execute(
                "UPDATE cases SET escalation_level = ?, change_seq = nextval('change_seq') "
                "WHERE case_id = ?",
                [tier, case_id],
            )

    store.write(write)
    return len(raised)
