"""Cases in the store: report (located, routed, duplicates offered) and move along the
workflow, the history and the case's milestones written in one transaction."""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from models.bulk_routing import load_routing_tables
from models.routing import CategoryInfo, RouteSuggestion, route_case
from models.security import Scope
from models.store import Store, WriteTx
from models.work_calendar import WorkCalendar
from models.workflow import CaseState, Transition, TransitionError, apply, fold, sla_elapsed

#: (lon, lat) arrays → (cell codes or None, grid version); ingest provides the grid index.
Locate = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, int | None]]
DISPATCH_LIMIT = timedelta(hours=1)  # working time from registration to dispatch
DUPLICATE_RADIUS_M = 50.0
DUPLICATE_WINDOW = timedelta(days=3)


class CaseError(ValueError):
    """A case operation refused, with the reason."""


@dataclass(frozen=True)
class Reported:
    case_id: str
    route: RouteSuggestion
    duplicates: tuple[str, ...]


def _category(store: Store, code: str) -> dict[str, Any]:
    rows = store.query_df(
        "SELECT category_code, name_zh, owner_dept, grid_level, limit_value, limit_unit, "
        "enabled FROM categories WHERE category_code = ?",
        [code],
    ).to_dict("records")
    if not rows:
        raise CaseError(f"unknown category {code!r}")
    if not rows[0]["enabled"]:
        raise CaseError(f"category {code} is disabled")
    return rows[0]


def sla_limit(category: Mapping[str, Any], calendar: WorkCalendar) -> timedelta:
    """The handling limit of a category as working time."""
    value = float(category["limit_value"])
    if category["limit_unit"] == "working_days":
        return calendar.working_days(value)
    return timedelta(hours=value)


def duplicate_candidates(
    store: Store, *, category_code: str, lon: float, lat: float, at: datetime
) -> list[str]:
    """Open cases of the same category within 50 m and three days before ``at``."""
    dlat = DUPLICATE_RADIUS_M / 111_320
    dlon = dlat / max(math.cos(math.radians(lat)), 1e-6)
    rows = store.query_rows(
        "SELECT case_id FROM cases WHERE category_code = ? AND stage NOT IN ('closed', 'void') "
        "AND reported_at BETWEEN ? AND ? AND lon BETWEEN ? AND ? AND lat BETWEEN ? AND ? "
        "AND power((lon - ?) / ?, 2) + power((lat - ?) / ?, 2) <= 1 ORDER BY reported_at",
        [
            category_code,
            at - DUPLICATE_WINDOW,
            at,
            lon - dlon,
            lon + dlon,
            lat - dlat,
            lat + dlat,
            lon,
            dlon,
            lat,
            dlat,
        ],
    )
    return [r[0] for r in rows]


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
    case_id: str | None = None,
) -> Reported:
    """Create a case in stage ``reported``: located, routed (with reasons), duplicates offered.

    A location outside every cell is routed to the city fallback, never refused.
    """
    category = _category(store, category_code)
    cells, version = locate(np.array([lon], float), np.array([lat], float))
    code = cells[0] if len(cells) else None
    tables = load_routing_tables(store, [(version, code)])
    cell = tables.cells.get((version, code)) if code and version is not None else None
    route = route_case(
        CategoryInfo(
            category_code, category["name_zh"], category["owner_dept"], bool(category["grid_level"])
        ),
        cell,
        departments=tables.departments,
        grid_version=version,
    )
    duplicates = duplicate_candidates(store, category_code=category_code, lon=lon, lat=lat, at=at)
    first = apply((), "report", actor=actor, role=role, at=at, note=text[:200] or None)
    case_id = case_id or f"C{at:%Y%m%d}-{uuid.uuid4().hex[:8].upper()}"

    def write(tx: WriteTx) -> None:
        if external_id and tx.fetch("SELECT 1 FROM cases WHERE external_id = ?", [external_id]):
            raise CaseError(f"a case with external id {external_id!r} exists already")
        tx.execute(
            "INSERT INTO cases (case_id, external_id, source, category_code, lon, lat, "
            "description, reporter, reported_at, grid_version, cell_code, district_code, "
            "street_code, community_code, exercise, stage, assigned_unit, assignee) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'reported', ?, ?)",
            [
                case_id,
                external_id,
                source,
                category_code,
                lon,
                lat,
                text,
                actor,
                at,
                route.grid_version,
                route.cell_code,
                code[:6] if code else None,
                code[:9] if code else None,
                code[:12] if code else None,
                exercise,
                route.unit,
                route.assignee,
            ],
        )
        tx.execute(_INSERT_TRANSITION, _transition_row(case_id, first))
        tx.execute(
            "INSERT INTO case_events (case_id, seq, occurred_at, actor, kind, detail) "
            "VALUES (?, 1, ?, 'routing', 'route_suggested', ?)",
            [
                case_id,
                at,
                json.dumps(
                    {
                        "unit": route.unit,
                        "assignee": route.assignee,
                        "basis": route.basis,
                        "reasons": list(route.reasons),
                        "duplicates": duplicates,
                    },
                    ensure_ascii=False,
                ),
            ],
        )

    store.write(write)
    return Reported(case_id, route, tuple(duplicates))


def history(store: Store, case_id: str) -> list[Transition]:
    rows = store.query_rows(
        "SELECT seq, occurred_at, actor, role, action, from_stage, to_stage, note, data "
        "FROM case_transitions WHERE case_id = ? ORDER BY seq",
        [case_id],
    )
    out = []
    for seq, at, actor, role, action, src, dst, note, data in rows:
        payload = json.loads(data) if data else {}
        if "extension" in payload:
            payload["extension"] = timedelta(seconds=payload["extension"])
        out.append(
            Transition(
                seq, at, actor, role or "operator", action or "report", src, dst, note, payload
            )
        )
    return out


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
    override (suggested, chosen, reason, who) is recorded as a case event.

    Raises
    ------
    CaseError
        Unknown case, outside the actor's scope, or refused by the workflow (its reason).
    """
    case = store.query_df(
        "SELECT case_id, cell_code, category_code, registered_at, dispatched_at, "
        "(SELECT json_extract_string(detail, '$.unit') FROM case_events e WHERE "
        "e.case_id = c.case_id AND e.kind = 'route_suggested' ORDER BY seq LIMIT 1) "
        "AS suggested FROM cases c WHERE case_id = ?",
        [case_id],
    ).to_dict("records")
    if not case:
        raise CaseError(f"unknown case {case_id!r}")
    row = case[0]
    outside = not row["cell_code"] or not scope.contains_cell(row["cell_code"]) if scope else False
    if scope is not None and scope.kind != "city" and outside:
        raise CaseError(f"case {case_id} is outside the scope of {actor}")
    past = history(store, case_id)
    try:
        t = apply(past, action, actor=actor, role=role, at=at, note=note, **data)
    except TransitionError as exc:
        raise CaseError(str(exc)) from None
    state = fold([*past, t])
    category = _category(store, row["category_code"]) if row["category_code"] else None
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
    if limit is not None and action in ("dispatch", "approve_extension"):
        # the clock restarts at every dispatch: what was used before a return does not count
        used = sla_elapsed(state, now=at, working_time_between=calendar.working_time_between)
        updates["due_at"] = calendar.add_working_time(at, limit + extra - used)
        updates["sla_limit_s"] = int((limit + extra).total_seconds())
    if action == "feedback":
        updates["handled_at"] = at
        used = sla_elapsed(state, now=at, working_time_between=calendar.working_time_between)
        updates["handling_used_s"] = int(used.total_seconds())
    if action in ("close", "void"):
        updates["closed_at"] = at
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
