"""Supervision (督办): overdue cases escalate in tiers, each tier once, each an event."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta

from models.cases import histories
from models.sla import escalations_due, sla_status
from models.store import Store, WriteTx
from models.work_calendar import WorkCalendar
from models.workflow import fold

#: Stages in which the handling clock is (or was) running and a case can be overdue.
OPEN_STAGES = ("dispatched", "handling", "extension_requested", "rework", "handled")
DEFAULT_TIERS: tuple[tuple[str, timedelta], ...] = (
    ("unit_head", timedelta(0)),
    ("department", timedelta(hours=7)),
    ("leader", timedelta(hours=21)),
)

# Cases past their stored due time: the SLA clock never runs faster than the wall clock,
# so a case whose due_at lies ahead cannot be overdue (a pause only moves the real one later).
_CANDIDATES = """
SELECT c.case_id,
       coalesce(c.sla_limit_s, k.limit_value * CASE k.limit_unit
           WHEN 'working_days' THEN $day_s ELSE 3600 END) AS limit_s,
       list(e.detail) FILTER (WHERE e.kind = 'escalation') AS details
FROM cases c LEFT JOIN case_events e USING (case_id) LEFT JOIN categories k USING (category_code)
WHERE c.stage IN ({stages}) AND c.due_at < $now
GROUP BY ALL
HAVING limit_s > 0
"""


def supervise(
    store: Store,
    *,
    now: datetime,
    calendar: WorkCalendar,
    tiers: Sequence[tuple[str, timedelta]] = DEFAULT_TIERS,
) -> int:
    """Raise every escalation now due; returns how many were raised.

    Whether and how long a case is overdue is :func:`models.sla.escalations_due` on
    its folded history: working time on the SLA clock, which stands still while an
    extension request is pending (SPEC §2.3), against the limit the case was dispatched
    with (``sla_limit_s``, granted extensions included; the category's limit for rows
    from before that column). Exercise cases escalate like
    others; evaluation leaves them out.

    Parameters
    ----------
    now
        The instant of the pass, naive UTC.
    tiers
        ``(name, delay_after_overdue)`` in escalation order.
    """
    stages = ", ".join(f"'{stage}'" for stage in OPEN_STAGES)
    day_s = calendar.day_length.total_seconds()
    rows = store.query_rows(_CANDIDATES.format(stages=stages), {"now": now, "day_s": day_s})
    if not rows:
        return 0
    by_case = histories(store, [r[0] for r in rows])
    between = calendar.working_time_between
    raised: list[tuple[str, str, timedelta]] = []
    for case_id, limit_s, details in rows:
        state = fold(by_case[case_id])
        limit = timedelta(seconds=limit_s) - state.extra_time
        if limit <= timedelta():
            continue
        already = {json.loads(d)["tier"] for d in (details or []) if d}
        due = escalations_due(
            state, limit=limit, now=now, tiers=tiers, already=already, working_time_between=between
        )
        if due:
            status = sla_status(state, limit=limit, now=now, working_time_between=between)
            raised += [(case_id, tier, -status.left) for tier in due]
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
