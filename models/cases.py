"""Cases in the store: report one (through the case builder) and move it along the workflow,
the history and the case's milestones written in one transaction."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pandas as pd

from models.bulk_routing import load_routing_tables, route_many
from models.case_builder import (
    DEFAULT_TIMEZONE,
    Locate,
    NewReport,
    prepare_cases,
    route_detail,
    write_cases,
)
from models.routing import RouteSuggestion
from models.security import Scope
from models.sla import sla_elapsed
from models.store import Store, WriteTx
from models.work_calendar import WorkCalendar
from models.workflow import CaseState, Transition, TransitionError, apply, fold

DISPATCH_LIMIT = timedelta(hours=1)  # working time from registration to dispatch


class CaseError(ValueError):
    """A case operation refused, with the reason."""


@dataclass(frozen=True)
class Reported:
    case_id: str
    route: RouteSuggestion
    duplicates: tuple[str, ...]


def _category(store: Store, code: str | None) -> dict[str, Any] | None:
    """The category row (enabled or not), or None when the code is unknown."""
    if not code:
        return None
    rows = store.query_df(
        "SELECT category_code, name_zh, owner_dept, grid_level, limit_value, limit_unit, "
        "enabled FROM categories WHERE category_code = ?",
        [code],
    ).to_dict("records")
    return rows[0] if rows else None


def sla_limit(category: Mapping[str, Any], calendar: WorkCalendar) -> timedelta:
    """The handling limit of a category as working time."""
    value = float(category["limit_value"])
    if category["limit_unit"] == "working_days":
        return calendar.working_days(value)
    return timedelta(hours=value)


def _data_json(data: Mapping[str, Any]) -> str | None:
    out = {k: (v.total_seconds() if isinstance(v, timedelta) else v) for k, v in data.items()}
    return json.dumps(out, ensure_ascii=False) if out else None


def _transition_row(case_id: str, t: Transition) -> list[Any]:
    return [
        case_id,
        t.seq,
        t.at,
        t.actor,
        t.role,
        t.action,
        t.from_stage,
        t.to_stage,
        t.note,
        _data_json(t.data),
    ]


_INSERT_TRANSITION = (
    "INSERT INTO case_transitions (case_id, seq, occurred_at, actor, role, action, from_stage, "
    "to_stage, note, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


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
) -> Reported:
    """Create a case in stage ``reported`` through the case builder: located, routed (with
    reasons), duplicates offered. A person reports here, so an unknown or disabled category
    is refused; a location outside every cell is routed to the city fallback, never refused.

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


def histories(store: Store, case_ids: Sequence[str]) -> dict[str, list[Transition]]:
    """The transitions of each case, oldest first, read in one query.

    Parameters
    ----------
    store
        Where the cases are.
    case_ids
        The cases to read; an unknown id gets an empty history.

    Returns
    -------
    dict
        ``case_id -> transitions`` for every id asked for (``extension`` data as a
        ``timedelta``; a missing role reads as ``operator``, a missing action as ``report``).
    """
    out: dict[str, list[Transition]] = {case_id: [] for case_id in case_ids}
    if not out:
        return out
    rows = store.query_rows(
        "SELECT case_id, seq, occurred_at, actor, role, action, from_stage, to_stage, note, data "
        "FROM case_transitions WHERE case_id IN (SELECT unnest(?)) ORDER BY case_id, seq",
        [list(out)],
    )
    for case_id, seq, at, actor, role, action, src, dst, note, data in rows:
        payload = json.loads(data) if data else {}
        if "extension" in payload:
            payload["extension"] = timedelta(seconds=payload["extension"])
        out[case_id].append(
            Transition(
                seq, at, actor, role or "operator", action or "report", src, dst, note, payload
            )
        )
    return out


def history(store: Store, case_id: str) -> list[Transition]:
    """The transitions of one case, oldest first (see :func:`histories`)."""
    return histories(store, [case_id])[case_id]


def _reroute(store: Store, row: Mapping[str, Any], code: str) -> RouteSuggestion:
    """The routing suggestion for the case's place under its new category ``code``."""
    category = _category(store, code)
    if category is None:
        raise CaseError(f"unknown category {code!r}")
    if not category["enabled"]:
        raise CaseError(f"category {code} is disabled")
    version = row.get("grid_version")
    version = None if version is None or pd.isna(version) else int(version)
    cell = row["cell_code"] if isinstance(row["cell_code"], str) else None
    tables = load_routing_tables(store, [(version, cell)])
    return route_many([(code, version, cell)], tables)[0]


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
    case = store.query_df(
        "SELECT case_id, cell_code, category_code, registered_at, dispatched_at, "
        "grid_version, (SELECT json_extract_string(detail, '$.unit') FROM case_events e "
        "WHERE e.case_id = c.case_id AND e.kind = 'route_suggested' ORDER BY seq DESC "
        "LIMIT 1) AS suggested FROM cases c WHERE case_id = ?",
        [case_id],
    ).to_dict("records")
    if not case:
        raise CaseError(f"unknown case {case_id!r}")
    row = case[0]
    outside = not row["cell_code"] or not scope.contains_cell(row["cell_code"]) if scope else False
    if scope is not None and scope.kind != "city" and outside:
        raise CaseError(f"case {case_id} is outside the scope of {actor}")
    past = history(store, case_id)
    if action == "recategorise":
        data.setdefault("previous", row["category_code"])
    try:
        t = apply(past, action, actor=actor, role=role, at=at, note=note, **data)
    except TransitionError as exc:
        raise CaseError(str(exc)) from None
    state = fold([*past, t])
    # a case of an unknown or disabled category still moves: it just has no limit to set
    category = _category(store, row["category_code"])
    reroute = _reroute(store, row, t.data["category"]) if action == "recategorise" else None
    if reroute is not None:
        category = _category(store, t.data["category"])
    limit = sla_limit(category, calendar) if category else None
    extra = sum(state.extensions, timedelta())
    updates: dict[str, Any] = {
        "stage": state.stage,
        "rework_count": state.rework_count,
        "returns_count": state.returns,
    }
    if action == "register":
        updates["registered_at"] = at
        updates["dispatch_due_at"] = calendar.add_working_time(at, DISPATCH_LIMIT)
    override = None
    if action == "dispatch":
        updates["assigned_unit"] = t.data["unit"]
        suggested = row.get("suggested")
        if isinstance(suggested, str) and suggested and t.data["unit"] != suggested:
            if not (override_reason and override_reason.strip()):
                raise CaseError(
                    f"dispatching to {t.data['unit']} instead of the suggested {suggested} "
                    "needs an override reason"
                )
            override = json.dumps(
                {
                    "suggested": suggested,
                    "chosen": t.data["unit"],
                    "reason": override_reason.strip(),
                    "by": actor,
                },
                ensure_ascii=False,
            )
        if row["dispatched_at"] is None or str(row["dispatched_at"]) == "NaT":
            updates["dispatched_at"] = at
    if limit is not None and action in ("dispatch", "approve_extension", "deny_extension"):
        # the clock restarts at every dispatch: what was used before a return does not count;
        # an answered extension request resumes it with what was left when it paused
        used = sla_elapsed(state, now=at, working_time_between=calendar.working_time_between)
        updates["due_at"] = calendar.add_working_time(at, limit + extra - used)
        updates["sla_limit_s"] = int((limit + extra).total_seconds())
    if action == "feedback":
        updates["handled_at"] = at
        used = sla_elapsed(state, now=at, working_time_between=calendar.working_time_between)
        updates["handling_used_s"] = int(used.total_seconds())
    if action in ("close", "void", "merge"):
        updates["closed_at"] = at
    if action == "merge":
        updates["duplicate_of"] = t.data["into"]
    if reroute is not None:
        updates["category_code"] = t.data["category"]
        updates["category_issue"] = None
        updates["assigned_unit"] = reroute.unit
        updates["assignee"] = reroute.assignee
    # every update moves the row's change cursor, so the map hears of it (migration v8)
    sets = ", ".join([*(f"{k} = ?" for k in updates), "change_seq = nextval('change_seq')"])
    expected = t.seq - 1

    def write(tx: WriteTx) -> None:
        current = tx.fetch(
            "SELECT coalesce(max(seq), 0) FROM case_transitions WHERE case_id = ?", [case_id]
        )[0][0]
        if current != expected:
            raise CaseError(f"case {case_id} changed meanwhile (seq {current}); reload and retry")
        tx.execute(_INSERT_TRANSITION, _transition_row(case_id, t))
        tx.execute(f"UPDATE cases SET {sets} WHERE case_id = ?", [*updates.values(), case_id])
        if reroute is not None:
            tx.execute(
                "INSERT INTO case_events (case_id, seq, occurred_at, actor, kind, detail) "
                "SELECT ?, coalesce(max(seq), 0) + 1, ?, 'routing', 'route_suggested', ? "
                "FROM case_events WHERE case_id = ?",
                [case_id, at, route_detail(reroute), case_id],
            )
        if override is not None:
            tx.execute(
                "INSERT INTO case_events (case_id, seq, occurred_at, actor, kind, detail) "
                "SELECT ?, coalesce(max(seq), 0) + 1, ?, ?, 'route_override', ? "
                "FROM case_events WHERE case_id = ?",
                [case_id, at, actor, override, case_id],
            )

    store.write(write)
    store.audit(f"case.{action}", actor=actor, target=case_id, detail=note)
    return state
