"""People acting on cases: the one entry every screen, the API and the CLI go through.

Each call names who acts (an :class:`Actor`: username, log-in role, scope). The service
checks, on the server, that the role may take the action (the workflow's action table), that
the case lies in the actor's scope (cells, district or street by place; a handler's units by
assignment), and the stage; then it moves the case through :func:`models.cases.transition_case`.
A refusal is a :class:`Refused` with an HTTP-like status and the actions the actor could take.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from models.cases import CaseError, transition_case
from models.security import Scope
from models.store import Store
from models.work_calendar import WorkCalendar
from models.workflow import ACTIONS, TERMINAL_STAGES, CaseState, allowed_actions

#: Which workflow actions a handler (a unit's user) may take; the table says the same.
HANDLER_ACTIONS = frozenset({"start", "return", "feedback", "request_extension"})


@dataclass(frozen=True)
class Actor:
    """Who acts: the user's name, log-in role and scope, as the users table has them."""

    username: str
    role: str
    scope: Scope


@dataclass
class Refused(CaseError):
    """An action refused; ``status`` is 404 (no such case in scope), 403 (role), 409 (stage
    or a concurrent change) or 422 (missing or bad data)."""

    message: str
    status: int = 422
    allowed: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Outcome:
    """One case's result in a bulk action."""

    case_id: str
    ok: bool
    stage: str | None = None
    message: str = ""
    status: int = 200


_CASE_COLUMNS = (
    "case_id, stage, cell_code, assigned_unit, category_code, claimed_by, duplicate_of, "
    "(SELECT json_extract_string(detail, '$.unit') FROM case_events e WHERE e.case_id = "
    "c.case_id AND e.kind = 'route_suggested' ORDER BY seq DESC LIMIT 1) AS suggested"
)


def _case_rows(store: Store, case_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    if not case_ids:
        return {}
    frame = store.query_df(
        f"SELECT {_CASE_COLUMNS} FROM cases c WHERE case_id IN (SELECT unnest(?))",
        [list(case_ids)],
    )
    return {row["case_id"]: row for row in frame.to_dict("records")}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def in_scope(actor: Actor, row: Mapping[str, Any]) -> bool:
    """Whether a case row (``cell_code``, ``assigned_unit``) lies in the actor's scope."""
    return actor.scope.contains_case(_text(row.get("cell_code")), _text(row.get("assigned_unit")))


def visible_case(store: Store, actor: Actor, case_id: str) -> dict[str, Any]:
    """The case's key columns when the actor may see it.

    Raises
    ------
    Refused
        404 when the case is unknown or outside the actor's scope (the same answer, so ids
        outside one's scope cannot be probed).
    """
    row = _case_rows(store, [case_id]).get(case_id)
    if row is None or not in_scope(actor, row):
        raise Refused(f"no case {case_id!r} in your scope", 404)
    return row


def actions_for(actor: Actor, stage: str | None) -> list[str]:
    """The workflow actions this actor's role may take on a case in ``stage``."""
    state = CaseState(stage=stage)
    return allowed_actions(state, role=actor.role) if stage else []


def act(
    store: Store,
    actor: Actor,
    case_id: str,
    action: str,
    *,
    at: datetime,
    calendar: WorkCalendar,
    note: str | None = None,
    override_reason: str | None = None,
    data: Mapping[str, Any] | None = None,
) -> CaseState:
    """Take one workflow action on a case as ``actor``.

    ``dispatch`` without a ``unit`` takes the routing suggestion. ``merge`` takes ``into``:
    another open case in the actor's scope, never the case itself or one merged already.

    Raises
    ------
    Refused
        The case is not in scope (404), the role may not (403), the stage does not allow it
        (409, with the allowed actions), or the data is missing or wrong (422).
    """
    row = visible_case(store, actor, case_id)
    spec = ACTIONS.get(action)
    allowed = actions_for(actor, row["stage"])
    if spec is None:
        raise Refused(f"unknown action {action!r}; known: {', '.join(ACTIONS)}", 422, allowed)
    if actor.role not in spec.roles:
        raise Refused(f"a {actor.role} may not {action}", 403, allowed)
    if row["stage"] not in spec.sources:
        raise Refused(
            f"cannot {action} a case in stage {row['stage']}; "
            f"allowed: {', '.join(allowed) or 'none'}",
            409,
            allowed,
        )
    values = {k: v for k, v in (data or {}).items() if v is not None and v != ""}
    if action == "dispatch" and not values.get("unit"):
        suggested = _text(row.get("suggested"))
        if suggested is None:
            raise Refused("the case has no routing suggestion: name the unit", 422, allowed)
        values["unit"] = suggested
    if action == "merge":
        _check_merge(store, actor, case_id, values.get("into"), allowed)
    try:
        return transition_case(
            store,
            case_id,
            action,
            actor=actor.username,
            role=actor.role,
            at=at,
            calendar=calendar,
            note=note,
            override_reason=override_reason,
            **values,
        )
    except Refused:
        raise
    except CaseError as exc:
        status = 409 if "changed meanwhile" in str(exc) else 422
        raise Refused(str(exc), status, allowed) from None


def _check_merge(store: Store, actor: Actor, case_id: str, into: Any, allowed: list[str]) -> None:
    if not isinstance(into, str) or not into.strip():
        raise Refused("merge needs the case to merge into (into)", 422, allowed)
    if into == case_id:
        raise Refused("a case cannot be merged into itself", 422, allowed)
    target = _case_rows(store, [into]).get(into)
    if target is None or not in_scope(actor, target):
        raise Refused(f"no case {into!r} in your scope to merge into", 422, allowed)
    if target["stage"] in TERMINAL_STAGES:
        raise Refused(f"case {into} is {target['stage']}: merge into an open case", 422, allowed)


def act_many(
    store: Store,
    actor: Actor,
    case_ids: Sequence[str],
    action: str,
    *,
    at: datetime,
    calendar: WorkCalendar,
    note: str | None = None,
    data: Mapping[str, Any] | None = None,
) -> list[Outcome]:
    """The same action on each case (a surge after a storm); one case's refusal does not
    stop the others. Returns one :class:`Outcome` per case, in the order given."""
    outcomes = []
    for case_id in dict.fromkeys(case_ids):
        try:
            state = act(
                store, actor, case_id, action, at=at, calendar=calendar, note=note, data=data
            )
        except Refused as exc:
            outcomes.append(Outcome(case_id, False, None, exc.message, exc.status))
            continue
        outcomes.append(Outcome(case_id, True, state.stage))
    return outcomes


#: Roles that keep a personal to-do list of cases ("assign to me").
CLAIM_ROLES = frozenset({"dispatcher", "admin"})


def claim(store: Store, actor: Actor, case_id: str, *, take: bool = True) -> None:
    """Put the case on the actor's to-do list (``take``) or give it back.

    Raises
    ------
    Refused
        Not in scope (404), a role without a to-do list (403), or claimed by someone else
        (409: they give it back first).
    """
    if actor.role not in CLAIM_ROLES:
        raise Refused(f"a {actor.role} keeps no to-do list of cases", 403)
    row = visible_case(store, actor, case_id)
    holder = _text(row.get("claimed_by"))
    if take and holder not in (None, actor.username):
        raise Refused(f"case {case_id} is on {holder}'s list", 409)
    if not take and holder not in (None, actor.username) and actor.role != "admin":
        raise Refused(f"case {case_id} is on {holder}'s list, not yours", 409)
    value = actor.username if take else None
    store.write(
        lambda tx: tx.execute(
            "UPDATE cases SET claimed_by = ?, change_seq = nextval('change_seq') WHERE case_id = ?",
            [value, case_id],
        )
    )
    store.audit("case.claim" if take else "case.unclaim", actor=actor.username, target=case_id)
