"""SLA clock maths (时限): working time on the clock, green/yellow/red standing, 督办 tiers due."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from numbers import Real
from typing import Literal

from models.workflow import TERMINAL_STAGES, CaseState

WorkingTime = Callable[[datetime, datetime], timedelta]

#: SLA level yellow from this share of the (extended) limit used.
YELLOW_FRACTION = 0.8


@dataclass(frozen=True)
class SlaStatus:
    """Deadline standing: ``left`` is negative when overdue; ``limit`` includes extensions."""

    used: timedelta
    left: timedelta
    fraction: float
    level: Literal["green", "yellow", "red"]
    limit: timedelta

    @property
    def overdue(self) -> bool:
        """Whether the (extended) limit has been exceeded."""
        return self.level == "red"


def sla_elapsed(state: CaseState, *, now: datetime, working_time_between: WorkingTime) -> timedelta:
    """Working time on the clock at ``now`` (running intervals only, cut at ``now``).

    Parameters
    ----------
    working_time_between
        ``(a, b) -> timedelta``, e.g. a ``WorkCalendar``'s bound ``working_time_between``.
    """
    total = timedelta()
    for start, end in state.clock:
        stop = now if end is None or end > now else end
        if stop > start:
            total += working_time_between(start, stop)
    return total


def dispatched_limit(
    sla_limit_s: object, state: CaseState, *, category_limit: timedelta | None
) -> timedelta | None:
    """The handling limit a case keeps: the one it was dispatched with.

    ``sla_limit_s`` is written at every dispatch and answered extension as the limit then in
    force plus the extensions granted so far; less those it is the case's own limit, which a
    later change of its category does not move. A case never dispatched (or with no stored
    limit) takes ``category_limit``.
    """
    stored = isinstance(sla_limit_s, Real) and not isinstance(sla_limit_s, bool)
    if stored and sla_limit_s == sla_limit_s and float(sla_limit_s) > 0:  # type: ignore[arg-type]
        own = timedelta(seconds=float(sla_limit_s)) - state.extra_time  # type: ignore[arg-type]
        if own > timedelta():
            return own
    return category_limit


def sla_status(
    state: CaseState, *, limit: timedelta, now: datetime, working_time_between: WorkingTime
) -> SlaStatus:
    """Time used and left against ``limit`` plus approved extensions.

    Yellow from 80 % used, red once strictly more than the limit is used. A closed case
    is frozen at closure because its clock interval ends there.
    """
    if limit <= timedelta():
        raise ValueError(f"limit must be positive, not {limit}")
    total = limit + state.extra_time
    used = sla_elapsed(state, now=now, working_time_between=working_time_between)
    fraction = used / total
    level: Literal["green", "yellow", "red"] = (
        "red" if used > total else "yellow" if fraction >= YELLOW_FRACTION else "green"
    )
    return SlaStatus(used=used, left=total - used, fraction=fraction, level=level, limit=total)


def escalations_due(
    state: CaseState,
    *,
    limit: timedelta,
    now: datetime,
    tiers: Sequence[tuple[str, timedelta]],
    already: set[str] | frozenset[str],
    working_time_between: WorkingTime,
) -> list[str]:
    """督办 tiers to raise now: overdue by at least the tier's delay and not yet raised.

    Parameters
    ----------
    tiers
        ``(name, delay_after_overdue)`` in escalation order (unit head → department →
        leader); delays must not decrease and names must be unique.
    already
        Names of tiers raised before (from the case's events).

    Returns
    -------
    list of str
        Tier names in tier order. Empty for closed or void cases.
    """
    names = [name for name, _ in tiers]
    if len(set(names)) != len(names):
        raise ValueError(f"tier names must be unique: {names}")
    delays = [delay for _, delay in tiers]
    if any(b < a for a, b in zip(delays, delays[1:], strict=False)):
        raise ValueError("tier delays must not decrease")
    if state.stage in TERMINAL_STAGES:
        return []
    status = sla_status(state, limit=limit, now=now, working_time_between=working_time_between)
    if not status.overdue:
        return []
    overdue_by = -status.left
    return [name for name, delay in tiers if overdue_by >= delay and name not in already]
