"""Moving cases along the workflow in the store, one case or five hundred: the rows and
histories read in one query each, every move checked and planned on its own (one refusal
stops no other), and all of them written in one transaction (history, milestones, routing
and override events, audit rows), each guarded against a concurrent change."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pyarrow as pa

from models.bulk_routing import load_routing_tables, route_many
from models.case_builder import route_detail
from models.categories import MAX_LIMIT
from models.clock import utcnow
from models.routing import RouteSuggestion
from models.security import Scope
from models.sla import dispatched_limit, sla_elapsed
from models.store import Store, WriteTx
from models.work_calendar import WorkCalendar
from models.workflow import CaseState, Transition, TransitionError, apply, fold

DISPATCH_LIMIT = timedelta(hours=1)  # working time from registration to dispatch
_TS = pa.timestamp("us")


class CaseError(ValueError):
    """A case operation refused, with the reason."""


#: The case columns a move reads, with the routing's latest suggested unit.
CASE_ROW_SQL = """
SELECT c.case_id, c.stage, c.cell_code, c.assigned_unit, c.category_code, c.claimed_by,
       c.duplicate_of, c.registered_at, c.dispatched_at, c.grid_version, c.reported_by,
       c.sla_limit_s, s.suggested
FROM cases c LEFT JOIN (
    SELECT case_id, arg_max(json_extract_string(detail, '$.unit'), seq) AS suggested
    FROM case_events WHERE kind = 'route_suggested' AND case_id IN (SELECT unnest(?))
    GROUP BY case_id
) s USING (case_id)
WHERE c.case_id IN (SELECT unnest(?))
"""


def case_rows(store: Store, case_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The key columns of these cases (``suggested``: the routing's latest unit), one query;
    unknown ids are left out."""
    ids = [c for c in dict.fromkeys(case_ids) if isinstance(c, str)]
    if not ids:
        return {}
    frame = store.query_df(CASE_ROW_SQL, [ids, ids])
    rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
    return {row["case_id"]: row for row in rows}


def histories(store: Store, case_ids: Sequence[str]) -> dict[str, list[Transition]]:
    """The transitions of each case, oldest first, read in one query.

    Returns
    -------
    dict
        ``case_id -> transitions`` for every id asked for (``extension`` data as a
        ``timedelta``; a missing role reads as ``operator``, a missing action as ``report``);
        an unknown id gets an empty history.
    """
    out: dict[str, list[Transition]] = {case_id: [] for case_id in case_ids}
    if not out:
        return out
    ids = sorted(out)
    # the range lets the scan skip row groups: case ids grow with time, as the table does
    rows = store.query_rows(
        "SELECT case_id, seq, occurred_at, actor, role, action, from_stage, to_stage, note, data "
        "FROM case_transitions WHERE case_id BETWEEN ? AND ? AND case_id IN (SELECT unnest(?)) "
        "ORDER BY case_id, seq",
        [ids[0], ids[-1], ids],
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


def sla_limit(category: Mapping[str, Any], calendar: WorkCalendar) -> timedelta:
    """The handling limit of a category as working time.

    Raises
    ------
    CaseError
        When the limit is beyond :data:`models.categories.MAX_LIMIT` (a category saved
        before limits were bounded): refused with the reason, never an overflow or a long
        count.
    """
    value = float(category["limit_value"])
    unit = category["limit_unit"]
    top = MAX_LIMIT.get(unit, MAX_LIMIT["working_hours"])
    if not (math.isfinite(value) and value <= top):
        code = category.get("category_code", "?")
        raise CaseError(
            f"category {code}: time limit {value:.6g} {unit} is too large (at most {top}); "
            "correct the category first"
        )
    if unit == "working_days":
        return calendar.working_days(value)
    return timedelta(hours=value)


def _kept_limit(
    row: Mapping[str, Any], past: list[Transition], category_limit: timedelta | None
) -> timedelta | None:
    """The limit a dispatch or answered extension counts with: the one the case was first
    dispatched with (a later change of the category applies to new cases only), or the
    category's when it was never dispatched or recategorised since."""
    dispatches = [i for i, t in enumerate(past) if t.action == "dispatch"]
    if category_limit is None or not dispatches:
        return category_limit
    if any(t.action == "recategorise" for t in past[dispatches[-1] + 1 :]):
        return category_limit
    return dispatched_limit(row.get("sla_limit_s"), fold(past), category_limit=category_limit)


def _categories(store: Store) -> dict[str, dict[str, Any]]:
    """The category table (enabled or not) by code: a few dozen rows, read whole."""
    frame = store.query_df(
        "SELECT category_code, name_zh, owner_dept, grid_level, limit_value, limit_unit, "
        "enabled FROM categories"
    )
    return {row["category_code"]: row for row in frame.to_dict("records")}


def _data_json(data: Mapping[str, Any]) -> str | None:
    out = {k: (v.total_seconds() if isinstance(v, timedelta) else v) for k, v in data.items()}
    return json.dumps(out, ensure_ascii=False) if out else None


@dataclass(frozen=True)
class Move:
    """One action asked for one case."""

    case_id: str
    action: str
    data: Mapping[str, Any] = field(default_factory=dict)
    note: str | None = None
    override_reason: str | None = None


@dataclass
class _Planned:
    case_id: str
    transition: Transition
    state: CaseState
    updates: dict[str, Any]
    events: list[tuple[str, str, str]]  # (actor, kind, detail)


def _plan(
    move: Move,
    row: Mapping[str, Any],
    past: list[Transition],
    category: Mapping[str, Any] | None,
    reroute: RouteSuggestion | CaseError | None,
    *,
    actor: str,
    role: str,
    at: datetime,
    calendar: WorkCalendar,
) -> _Planned:
    """Check one move against its case and work out what to write (no I/O)."""
    data = dict(move.data)
    if move.action == "recategorise":
        data.setdefault("previous", row["category_code"])
    try:
        t = apply(past, move.action, actor=actor, role=role, at=at, note=move.note, **data)
    except TransitionError as exc:
        raise CaseError(str(exc)) from None
    if isinstance(reroute, CaseError):  # the workflow's reasons first, then the category's
        raise reroute
    state = fold([*past, t])
    limit = _kept_limit(row, past, sla_limit(category, calendar) if category else None)
    extra = sum(state.extensions, timedelta())
    updates: dict[str, Any] = {
        "stage": state.stage,
        "rework_count": state.rework_count,
        "returns_count": state.returns,
    }
    events: list[tuple[str, str, str]] = []
    if move.action == "register":
        updates["registered_at"] = at
        updates["dispatch_due_at"] = calendar.add_working_time(at, DISPATCH_LIMIT)
    if move.action == "dispatch":
        updates["assigned_unit"] = t.data["unit"]
        suggested = row.get("suggested")
        if isinstance(suggested, str) and suggested and t.data["unit"] != suggested:
            reason = move.override_reason
            if not (isinstance(reason, str) and reason.strip()):
                raise CaseError(
                    f"dispatching to {t.data['unit']} instead of the suggested {suggested} "
                    "needs an override reason"
                )
            detail = {"suggested": suggested, "chosen": t.data["unit"],
                      "reason": reason.strip(), "by": actor}  # fmt: skip
            events.append((actor, "route_override", json.dumps(detail, ensure_ascii=False)))
        if row.get("dispatched_at") is None:
            updates["dispatched_at"] = at
    if limit is not None and move.action in ("dispatch", "approve_extension", "deny_extension"):
        # the clock restarts at every dispatch: what was used before a return does not count;
        # an answered extension request resumes it with what was left when it paused
        try:
            used = sla_elapsed(state, now=at, working_time_between=calendar.working_time_between)
            updates["due_at"] = calendar.add_working_time(at, limit + extra - used)
        except (ValueError, OverflowError) as exc:  # an absurd limit or extension
            raise CaseError(f"no deadline can be set: {exc}") from None
        updates["sla_limit_s"] = int((limit + extra).total_seconds())
    if move.action == "feedback":
        updates["handled_at"] = at
        used = sla_elapsed(state, now=at, working_time_between=calendar.working_time_between)
        updates["handling_used_s"] = int(used.total_seconds())
    if move.action in ("close", "void", "merge"):
        updates["closed_at"] = at
    if move.action == "merge":
        updates["duplicate_of"] = t.data["into"]
    if reroute is not None:
        updates["category_code"] = t.data["category"]
        updates["category_issue"] = None
        updates["assigned_unit"] = reroute.unit
        updates["assignee"] = reroute.assignee
        events.insert(0, ("routing", "route_suggested", route_detail(reroute)))
    return _Planned(move.case_id, t, state, updates, events)


def _reroutes(
    store: Store,
    moves: Sequence[Move],
    rows: Mapping[str, Mapping[str, Any]],
    categories: Mapping[str, Mapping[str, Any]],
) -> dict[str, RouteSuggestion | CaseError]:
    """The routing suggestion of each re-categorised case under its new category."""
    asked = [m for m in moves if m.action == "recategorise" and m.case_id in rows]
    out: dict[str, RouteSuggestion | CaseError] = {}
    todo = []
    for m in asked:
        code = m.data.get("category")
        category = categories.get(code) if isinstance(code, str) else None
        if category is None:
            out[m.case_id] = CaseError(f"unknown category {code!r}")
        elif not category["enabled"]:
            out[m.case_id] = CaseError(f"category {code} is disabled")
        else:
            row = rows[m.case_id]
            version = row.get("grid_version")
            cell = row["cell_code"] if isinstance(row["cell_code"], str) else None
            todo.append((m.case_id, code, None if version is None else int(version), cell))
    if todo:
        tables = load_routing_tables(store, [(v, c) for _, _, v, c in todo])
        routes = route_many([(code, v, c) for _, code, v, c in todo], tables)
        out.update({case_id: r for (case_id, *_), r in zip(todo, routes, strict=True)})
    return out


_UPDATE_TYPES: dict[str, pa.DataType] = {
    "stage": pa.string(), "rework_count": pa.int32(), "returns_count": pa.int32(),
    "registered_at": _TS, "dispatch_due_at": _TS, "assigned_unit": pa.string(),
    "dispatched_at": _TS, "due_at": _TS, "sla_limit_s": pa.int64(), "handled_at": _TS,
    "handling_used_s": pa.int64(), "closed_at": _TS, "duplicate_of": pa.string(),
    "category_code": pa.string(), "category_issue": pa.string(), "assignee": pa.string(),
}  # fmt: skip


def _write(tx: WriteTx, plans: list[_Planned], actor: str, audit_at: datetime) -> set[str]:
    """Write the planned moves whose case did not change since it was read; return the ids
    that did (refused, nothing written for them)."""
    ids = sorted(p.case_id for p in plans)
    current = dict(
        tx.fetch(
            "SELECT case_id, max(seq) FROM case_transitions WHERE case_id BETWEEN ? AND ? "
            "AND case_id IN (SELECT unnest(?)) GROUP BY case_id",
            [ids[0], ids[-1], ids],
        )
    )
    stale = {p.case_id for p in plans if current.get(p.case_id, 0) != p.transition.seq - 1}
    plans = [p for p in plans if p.case_id not in stale]
    if not plans:
        return stale
    ts = [p.transition for p in plans]
    tx.append(
        "case_transitions",
        pa.table({
            "case_id": pa.array([p.case_id for p in plans], pa.string()),
            "seq": pa.array([t.seq for t in ts], pa.int32()),
            "occurred_at": pa.array([t.at for t in ts], _TS),
            "actor": pa.array([t.actor for t in ts], pa.string()),
            "role": pa.array([t.role for t in ts], pa.string()),
            "action": pa.array([t.action for t in ts], pa.string()),
            "from_stage": pa.array([t.from_stage for t in ts], pa.string()),
            "to_stage": pa.array([t.to_stage for t in ts], pa.string()),
            "note": pa.array([t.note for t in ts], pa.string()),
            "data": pa.array([_data_json(t.data) for t in ts], pa.string()),
        }),
    )  # fmt: skip
    groups: dict[tuple[str, ...], list[_Planned]] = {}
    for p in plans:
        groups.setdefault(tuple(p.updates), []).append(p)
    for columns, group in groups.items():
        table = pa.table(
            {"case_id": pa.array([p.case_id for p in group], pa.string())}
            | {k: pa.array([p.updates[k] for p in group], _UPDATE_TYPES[k]) for k in columns}
        )
        # every update moves the row's change cursor, so the map hears of it (migration v8)
        sets = ", ".join([*(f"{k} = u.{k}" for k in columns), "change_seq = nextval('change_seq')"])
        with tx.registered(table) as name:
            tx.execute(f"UPDATE cases SET {sets} FROM {name} u WHERE cases.case_id = u.case_id")
    with_events = [p for p in plans if p.events]
    if with_events:
        last = dict(
            tx.fetch(
                "SELECT case_id, max(seq) FROM case_events WHERE case_id IN (SELECT unnest(?)) "
                "GROUP BY case_id",
                [[p.case_id for p in with_events]],
            )
        )
        rows = [
            (p.case_id, last.get(p.case_id, 0) + i, p.transition.at, who, kind, detail)
            for p in with_events
            for i, (who, kind, detail) in enumerate(p.events, start=1)
        ]
        cid, seq, at, who, kind, detail = zip(*rows, strict=True)
        tx.append(
            "case_events",
            pa.table({
                "case_id": pa.array(cid, pa.string()), "seq": pa.array(seq, pa.int32()),
                "occurred_at": pa.array(at, _TS), "actor": pa.array(who, pa.string()),
                "kind": pa.array(kind, pa.string()), "detail": pa.array(detail, pa.string()),
            }),
        )  # fmt: skip
    n = len(plans)
    tx.append(
        "audit_log",
        pa.table({
            "occurred_at": pa.array([audit_at] * n, _TS),
            "actor": pa.array([actor] * n, pa.string()),
            "action": pa.array([f"case.{t.action}" for t in ts], pa.string()),
            "target": pa.array([p.case_id for p in plans], pa.string()),
            "outcome": pa.array(["ok"] * n, pa.string()),
            "detail": pa.array([t.note for t in ts], pa.string()),
        }),
    )  # fmt: skip
    return stale


def move_cases(
    store: Store,
    moves: Sequence[Move],
    *,
    actor: str,
    role: str,
    at: datetime,
    calendar: WorkCalendar,
    scope: Scope | None = None,
    rows: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[CaseState | CaseError]:
    """Apply each move; the history rows and the cases' milestones commit together.

    Dispatching to another unit than the routing suggested needs the move's
    ``override_reason``; the override (suggested, chosen, reason, who) is recorded as a case
    event. ``recategorise`` (data ``category`` and ``reason``) changes the category to an
    enabled one, records the old one, re-routes the case (a new ``route_suggested`` event)
    and clears its category flag; the next dispatch sets the deadline from the new
    category. A case whose category is unknown or disabled moves like any other.

    Parameters
    ----------
    scope
        When given (not a city scope), a case outside its cells is refused.
    rows
        The cases' rows (:func:`case_rows`) when the caller has read them already.

    Returns
    -------
    list
        Per move, in order: the case's new state, or the :class:`CaseError` that refused it
        (unknown case, outside the scope, the workflow's reason, or a concurrent change).
        One case appears at most once; a repeated id is refused.
    """
    ids = [m.case_id for m in moves]
    rows = case_rows(store, ids) if rows is None else rows
    categories = _categories(store)
    reroutes = _reroutes(store, moves, rows, categories)
    past_of = histories(store, [c for c in dict.fromkeys(ids) if c in rows])
    results: list[CaseState | CaseError] = []
    plans: list[_Planned] = []
    seen: set[str] = set()
    for move in moves:
        row = rows.get(move.case_id)
        try:
            if row is None:
                raise CaseError(f"unknown case {move.case_id!r}")
            if move.case_id in seen:
                raise CaseError(f"case {move.case_id} is asked for twice")
            seen.add(move.case_id)
            cell = row["cell_code"]
            if (
                scope is not None
                and scope.kind != "city"
                and not (cell and scope.contains_cell(cell))
            ):
                raise CaseError(f"case {move.case_id} is outside the scope of {actor}")
            past = past_of[move.case_id]
            if past and past[-1].to_stage != row["stage"]:
                # the row was read (and checked) before the case moved on
                raise CaseError(f"case {move.case_id} changed meanwhile; reload and retry")
            reroute = reroutes.get(move.case_id)
            category = categories.get(row["category_code"])
            if isinstance(reroute, RouteSuggestion):
                category = categories[move.data["category"]]
            plan = _plan(move, row, past, category, reroute,
                         actor=actor, role=role, at=at, calendar=calendar)  # fmt: skip
        except CaseError as exc:
            results.append(exc)
            continue
        plans.append(plan)
        results.append(plan.state)
    if plans:
        stale = store.write(lambda tx: _write(tx, plans, actor, utcnow()))
        for i, move in enumerate(moves):
            if move.case_id in stale and isinstance(results[i], CaseState):
                results[i] = CaseError(f"case {move.case_id} changed meanwhile; reload and retry")
    return results
