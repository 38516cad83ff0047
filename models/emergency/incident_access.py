"""Who reaches which incident: the role checks, the scope (a district's users see their
district's incidents), the row read inside a write, and the change marks every write leaves
(``change_seq``, ``updated_at``, an audit row in the same transaction)."""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import datetime
from typing import Any

from models.case_service import Actor
from models.emergency.incident_rules import IncidentError
from models.security import Scope
from models.store import Store, WriteTx

#: The incident columns every read returns, in this order.
COLUMNS = (
    "incident_id", "incident_type", "level", "title", "lon", "lat", "status", "exercise",
    "opened_at", "opened_by", "closed_at", "closed_by", "updated_at", "source_kind",
    "source_ref", "district_code", "change_seq",
)  # fmt: skip
SELECT = ", ".join(COLUMNS)


def require_role(actor: Actor, roles: Collection[str], what: str) -> None:
    if actor.role not in roles:
        raise IncidentError(f"role {actor.role!r} may not {what}", 403, "role", {"what": what})


def scope_districts(scope: Scope) -> list[str] | None:
    """The districts a scope sees incidents of; None for the whole city. Incidents carry a
    district only: a street's or cells' users see their district's; a unit's none."""
    if scope.kind == "city":
        return None
    if scope.kind == "unit":
        return []
    return sorted({code[:6] for code in scope.codes})


def scope_condition(scope: Scope, column: str = "district_code") -> tuple[str, list[Any]]:
    """A SQL condition on the incidents' district column for ``scope``, and its parameter."""
    districts = scope_districts(scope)
    if districts is None:
        return "TRUE", []
    return f"list_contains(?, {column})", [districts]


def not_found(incident_id: Any) -> IncidentError:
    shown = str(incident_id)[:40]
    return IncidentError(f"no incident {shown!r} in your scope", 404, "not_found",
                         {"incident": shown})  # fmt: skip


def row_dict(values: tuple) -> dict[str, Any]:
    return dict(zip(COLUMNS, values, strict=True))


def visible_row(store: Store, actor: Actor, incident_id: Any) -> dict[str, Any]:
    """The incident's row when it lies in the actor's scope; 404 otherwise (the same answer
    for an unknown id, so ids outside one's scope cannot be probed)."""
    if not isinstance(incident_id, str) or not 0 < len(incident_id) <= 64:
        raise not_found(incident_id)
    where, params = scope_condition(actor.scope)
    rows = store.query_rows(
        f"SELECT {SELECT} FROM incidents WHERE incident_id = ? AND {where}",
        [incident_id, *params],
    )
    if not rows:
        raise not_found(incident_id)
    return row_dict(rows[0])


def locked_row(tx: WriteTx, incident_id: str) -> dict[str, Any]:
    """The incident's row as the write transaction sees it (the single writer: no change
    can come between this read and the write that follows)."""
    rows = tx.fetch(f"SELECT {SELECT} FROM incidents WHERE incident_id = ?", [incident_id])
    if not rows:
        raise not_found(incident_id)
    return row_dict(rows[0])


def require_open(row: dict[str, Any], what: str) -> None:
    if row["status"] == "closed":
        raise IncidentError(
            f"incident {row['incident_id']} is closed: reopen it to {what}", 409, "closed",
            {"what": what},
        )  # fmt: skip


def touch(tx: WriteTx, incident_id: str, now: datetime, sets: str = "", params=()) -> None:
    """Mark the incident changed (the wall's cursor and ``updated_at``), with more columns
    set by ``sets`` (``"level = ?, "``) and their ``params``."""
    tx.execute(
        f"UPDATE incidents SET {sets}updated_at = ?, change_seq = nextval('change_seq') "
        "WHERE incident_id = ?",
        [*params, now, incident_id],
    )


def audit(
    tx: WriteTx, action: str, *, actor: str, target: str, at: datetime, detail: Any = None
) -> None:
    """One audit row in the same transaction as the change it records."""
    text = None if detail is None else json.dumps(detail, ensure_ascii=False, default=str)
    tx.execute(
        "INSERT INTO audit_log (occurred_at, actor, action, target, outcome, detail) "
        "VALUES (?, ?, ?, ?, 'ok', ?)",
        [at, actor, action, target, text],
    )
