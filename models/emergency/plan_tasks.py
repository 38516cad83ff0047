"""An incident's plan tasks: activating its type's plan (run cards: a level's actions and
every less severe level's, none twice), marking a task done, and the tasks overdue.

Activation copies the plan's steps into ``incident_tasks``, each due at the activation time
plus its offset; a later edit of the plan does not change an activated incident. A task is
overdue when its due time has passed, it is not done and its incident is open.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pyarrow as pa

from models.case_service import Actor
from models.emergency.incident_access import (
    audit,
    locked_row,
    require_open,
    require_role,
    scope_condition,
    touch,
    visible_row,
)
from models.emergency.incident_rules import (
    COMMAND_ROLES,
    NOTE_MAX,
    READ_ROLES,
    IncidentError,
    check_text,
    more_severe,
    parse_level,
)
from models.emergency.plans import PlanBook
from models.emergency.timeline import append_event
from models.store import Store, WriteTx

_TS = pa.timestamp("us")
TASK_COLUMNS = (
    "task_no", "plan_id", "plan_level", "step_no", "action_zh", "action_en", "owner",
    "requires", "created_at", "due_at", "done_at", "done_by",
)  # fmt: skip


def add_plan_tasks(
    tx: WriteTx, incident: dict[str, Any], level: str, *, plans: PlanBook, now: datetime
) -> list[int]:
    """Inside the caller's transaction: add the tasks of a ``level`` response the incident
    does not have yet, due from ``now``; returns the new task numbers (maybe none).

    Raises
    ------
    IncidentError
        409 when no plan covers the incident's type.
    """
    plan = plans.for_type(incident["incident_type"])
    if plan is None:
        raise IncidentError(f"no plan for incident type {incident['incident_type']}", 409,
                            "no_plan")  # fmt: skip
    incident_id = incident["incident_id"]
    have = {
        (p, lv, n)
        for p, lv, n in tx.fetch(
            "SELECT plan_id, plan_level, step_no FROM incident_tasks WHERE incident_id = ?",
            [incident_id],
        )
    }
    last = tx.fetch(
        "SELECT coalesce(max(task_no), 0) FROM incident_tasks WHERE incident_id = ?",
        [incident_id],
    )[0][0]
    steps = [s for s in plan.steps_up_to(level) if (plan.id, s[0], s[1]) not in have]
    if not steps:
        return []
    numbers = list(range(int(last) + 1, int(last) + 1 + len(steps)))
    batch = pa.table(
        {
            "incident_id": pa.array([incident_id] * len(steps), pa.string()),
            "task_no": pa.array(numbers, pa.int32()),
            "plan_id": pa.array([plan.id] * len(steps), pa.string()),
            "plan_level": pa.array([lv for lv, _, _ in steps], pa.string()),
            "step_no": pa.array([n for _, n, _ in steps], pa.int32()),
            "action_zh": pa.array([a.zh for _, _, a in steps], pa.string()),
            "action_en": pa.array([a.en for _, _, a in steps], pa.string()),
            "owner": pa.array([a.owner for _, _, a in steps], pa.string()),
            "requires": pa.array([a.requires for _, _, a in steps], pa.string()),
            "created_at": pa.array([now] * len(steps), _TS),
            "due_at": pa.array([now + timedelta(minutes=a.due_min) for _, _, a in steps], _TS),
        }
    )
    tx.append("incident_tasks", batch)
    return numbers


def activate_plan(
    store: Store,
    actor: Actor,
    incident_id: str,
    *,
    plans: PlanBook,
    now: datetime,
    level: Any = None,
) -> dict[str, Any]:
    """Activate the incident's plan at ``level`` (default: the incident's own level).

    A level other than the incident's sets the incident to it first (recorded on the
    timeline, as :func:`models.emergency.incidents.set_level` does). The tasks of the level
    and of every less severe one are created, each due at ``now`` + its offset, except those
    an earlier activation created already; a ``plan`` entry on the timeline names the plan,
    the level and the tasks added.

    Returns
    -------
    dict
        ``plan_id``, ``level``, ``added`` (the new task numbers, empty when the response
        at that level is complete already).

    Raises
    ------
    IncidentError
        403 role, 404 not in scope, 400 bad level, 409 closed or no plan for its type.
    """
    require_role(actor, COMMAND_ROLES, "activate a plan")
    wanted = None if level is None else parse_level(level)
    visible_row(store, actor, incident_id)

    def write(tx: WriteTx) -> dict[str, Any]:
        row = locked_row(tx, incident_id)
        require_open(row, "activate a plan")
        target = wanted or row["level"]
        if target != row["level"]:
            touch(tx, incident_id, now, "level = ?, ", [target])
            append_event(
                tx,
                incident_id,
                "level",
                at=now,
                actor=actor.username,
                detail={"from": row["level"], "to": target, "via": "activate_plan"},
            )
        added = add_plan_tasks(tx, row, target, plans=plans, now=now)
        plan = plans.for_type(row["incident_type"])
        assert plan is not None  # add_plan_tasks refused otherwise
        if added:
            touch(tx, incident_id, now)
            append_event(tx, incident_id, "plan", at=now, actor=actor.username, detail={
                "plan_id": plan.id, "name_zh": plan.name_zh, "name_en": plan.name_en,
                "level": target, "tasks": added,
            })  # fmt: skip
            audit(tx, "incident.plan", actor=actor.username, target=incident_id, at=now,
                  detail={"plan": plan.id, "level": target, "tasks": len(added)})  # fmt: skip
        return {"plan_id": plan.id, "level": target, "added": added}

    return store.write(write)


def escalation_tasks(
    tx: WriteTx,
    row: dict[str, Any],
    new_level: str,
    *,
    plans: PlanBook | None,
    now: datetime,
    actor: str,
) -> list[int]:
    """When a level change makes a response with an active plan more severe, add the tasks
    the new level adds (inside the level change's transaction); nothing otherwise."""
    if plans is None or not more_severe(new_level, row["level"]):
        return []
    active = tx.fetch(
        "SELECT count(*) FROM incident_tasks WHERE incident_id = ?", [row["incident_id"]]
    )[0][0]
    if not active:
        return []
    added = add_plan_tasks(tx, row, new_level, plans=plans, now=now)
    plan = plans.for_type(row["incident_type"])
    if added and plan is not None:
        append_event(tx, row["incident_id"], "plan", at=now, actor=actor, detail={
            "plan_id": plan.id, "name_zh": plan.name_zh, "name_en": plan.name_en,
            "level": new_level, "tasks": added, "via": "set_level",
        })  # fmt: skip
    return added


def complete_task(
    store: Store,
    actor: Actor,
    incident_id: str,
    task_no: Any,
    *,
    now: datetime,
    note: Any = None,
) -> dict[str, Any]:
    """Mark one task done by ``actor`` at ``now`` (a ``task_done`` timeline entry).

    Raises
    ------
    IncidentError
        403 role, 404 incident or task unknown, 400 bad task number or note, 409 done
        already or the incident closed.
    """
    require_role(actor, COMMAND_ROLES, "mark tasks done")
    if isinstance(task_no, bool) or not isinstance(task_no, int) or not 0 < task_no < 1_000_000:
        raise IncidentError("task must be a task number (a whole number from 1)", 400, "task")
    text = check_text(note, "note", NOTE_MAX, required=False)
    visible_row(store, actor, incident_id)

    def write(tx: WriteTx) -> dict[str, Any]:
        row = locked_row(tx, incident_id)
        require_open(row, "mark tasks done")
        found = tx.fetch(
            "SELECT action_zh, action_en, done_at, done_by FROM incident_tasks "
            "WHERE incident_id = ? AND task_no = ?",
            [incident_id, task_no],
        )
        if not found:
            raise IncidentError(f"incident {incident_id} has no task {task_no}", 404,
                                "no_task", {"task": task_no})  # fmt: skip
        zh, en, done_at, done_by = found[0]
        if done_at is not None:
            raise IncidentError(f"task {task_no} was done by {done_by} already", 409,
                                "task_done", {"task": task_no, "by": done_by})  # fmt: skip
        tx.execute(
            "UPDATE incident_tasks SET done_at = ?, done_by = ? "
            "WHERE incident_id = ? AND task_no = ?",
            [now, actor.username, incident_id, task_no],
        )
        touch(tx, incident_id, now)
        detail = {"task_no": task_no, "action_zh": zh, "action_en": en}
        if text:
            detail["note"] = text
        append_event(tx, incident_id, "task_done", at=now, actor=actor.username, detail=detail)
        audit(tx, "incident.task_done", actor=actor.username, target=incident_id, at=now,
              detail={"task": task_no})  # fmt: skip
        return {"task_no": task_no, "done_at": now, "done_by": actor.username}

    return store.write(write)


def incident_tasks(store: Store, incident_id: str, *, now: datetime) -> list[dict[str, Any]]:
    """The incident's tasks in order, each with ``overdue`` (due passed, not done, the
    incident open) and ``overdue_s`` (seconds past due; 0 when not overdue)."""
    rows = store.query_rows(
        f"SELECT {', '.join('t.' + c for c in TASK_COLUMNS)}, i.status = 'open' "
        "FROM incident_tasks t JOIN incidents i USING (incident_id) "
        "WHERE t.incident_id = ? ORDER BY t.task_no",
        [incident_id],
    )
    out = []
    for *values, open_ in rows:
        task = dict(zip(TASK_COLUMNS, values, strict=True))
        late = bool(open_) and task["done_at"] is None and task["due_at"] is not None
        late = late and task["due_at"] < now
        task["overdue"] = late
        task["overdue_s"] = int((now - task["due_at"]).total_seconds()) if late else 0
        out.append(task)
    return out


def overdue_tasks(store: Store, actor: Actor, *, now: datetime) -> list[dict[str, Any]]:
    """Every overdue task of the open incidents in the actor's scope (the screen flags them
    red), the longest overdue first: the incident's id, title, type and level, the task."""
    require_role(actor, READ_ROLES, "read incidents")
    where, params = scope_condition(actor.scope, "i.district_code")
    rows = store.query_rows(
        "SELECT t.incident_id, i.title, i.incident_type, i.level, i.exercise, "
        f"{', '.join('t.' + c for c in TASK_COLUMNS)} "
        "FROM incident_tasks t JOIN incidents i USING (incident_id) "
        "WHERE i.status = 'open' AND t.done_at IS NULL AND t.due_at < ? "
        f"AND {where} ORDER BY t.due_at, t.incident_id, t.task_no",
        [now, *params],
    )
    head = ("incident_id", "title", "incident_type", "level", "exercise")
    out = []
    for values in rows:
        task = dict(zip(head + TASK_COLUMNS, values, strict=True))
        task["overdue_s"] = int((now - task["due_at"]).total_seconds())
        out.append(task)
    return out
