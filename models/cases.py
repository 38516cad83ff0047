"""Cases in the store: report one (through the case builder) and move it along the workflow,
the history and the case's milestones written in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from models.case_builder import (
    DEFAULT_TIMEZONE,
    Locate,
    NewReport,
    prepare_cases,
    write_cases,
)
from models.case_moves import DISPATCH_LIMIT as DISPATCH_LIMIT
from models.case_moves import CaseError as CaseError
from models.case_moves import Move, move_cases
from models.case_moves import histories as histories
from models.case_moves import sla_limit as sla_limit
from models.routing import RouteSuggestion
from models.security import Scope
from models.store import Store
from models.work_calendar import WorkCalendar
from models.workflow import CaseState, Transition


@dataclass(frozen=True)
class Reported:
    case_id: str
    route: RouteSuggestion
    duplicates: tuple[str, ...]


def report_case(
    store: Store,
    *,
    category_code: str,
    lon: float,
    lat: float,
    at: datetime,
    source: str,
    actor: str,
    role: str,
    locate: Locate,
    text: str = "",
    exercise: bool = False,
    external_id: str | None = None,
    tz: str = DEFAULT_TIMEZONE,
    public: bool = False,
) -> Reported:
    """Create a case in stage ``reported`` through the case builder: located, routed (with
    reasons), duplicates offered. A person reports here, so an unknown or disabled category
    is refused; a location outside every cell is routed to the city fallback, never refused.
    The actor keeps seeing the case they reported even outside their scope
    (``cases.reported_by``), unless it came through a ``public`` channel (Open311: the actor
    names the channel, not a user).

    Raises
    ------
    CaseError
        Unknown or disabled category, coordinates that are not a place on Earth (NaN,
        infinite, lon outside [-180, 180] or lat outside [-90, 90]), or a case with
        ``external_id`` exists already.
    """
    report = NewReport(
        category_code=category_code,
        lon=lon,
        lat=lat,
        at=at,
        source=source,
        actor=actor,
        role=role,
        text=text,
        external_id=external_id,
        reported_by=None if public else actor,
        exercise=exercise,
    )
    batch = prepare_cases(store, [report], locate=locate, unknown_category="refuse", tz=tz)
    if batch.refused:
        raise CaseError(batch.refused[0].reason)
    written = store.write(lambda tx: write_cases(tx, batch))
    case_id = written.case_ids[0]
    if case_id is None:
        raise CaseError(f"a case with external id {external_id!r} exists already")
    return Reported(case_id, batch.routes[0], written.duplicates[0])


def history(store: Store, case_id: str) -> list[Transition]:
    """The transitions of one case, oldest first (see :func:`histories`)."""
    return histories(store, [case_id])[case_id]


def transition_case(
    store: Store,
    case_id: str,
    action: str,
    *,
    actor: str,
    role: str,
    at: datetime,
    calendar: WorkCalendar,
    scope: Scope | None = None,
    note: str | None = None,
    override_reason: str | None = None,
    **data: Any,
) -> CaseState:
    """Apply one workflow action; the history row and the case's milestones commit together.

    Dispatching to another unit than the routing suggested needs ``override_reason``; the
    override (suggested, chosen, reason, who) is recorded as a case event. ``recategorise``
    (data ``category`` and ``reason``) changes the category to an enabled one, records the
    old one, re-routes the case (a new ``route_suggested`` event) and clears its category
    flag; the next dispatch sets the deadline from the new category. A case whose category
    is unknown or disabled moves like any other (void, recategorise, ...).

    Raises
    ------
    CaseError
        Unknown case, outside the actor's scope, or refused by the workflow (its reason).
    """
    result = move_cases(
        store,
        [Move(case_id, action, data, note, override_reason)],
        actor=actor,
        role=role,
        at=at,
        calendar=calendar,
        scope=scope,
    )[0]
    if isinstance(result, CaseError):
        raise result
    return result
