"""People acting on cases: the one entry every screen, the API and the CLI go through.

Each call names who acts (an :class:`Actor`: username, log-in role, scope). The service
checks, on the server, that the role may take the action (the workflow's action table), that
the case lies in the actor's scope (cells, district or street by place; a handler's units by
assignment), and the stage; then it moves the cases through
:func:`models.case_moves.move_cases` (one read and one write for a whole batch).
A refusal is a :class:`Refused` with an HTTP-like status and the actions the actor could take.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from models.case_moves import CaseError, Move, case_rows, move_cases
from models.security import Scope
from models.store import Store, WriteTx
from models.units import known_units
from models.work_calendar import WorkCalendar
from models.workflow import ACTIONS, HANDLER, TERMINAL_STAGES, CaseState, allowed_actions

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
    #: A stable name of the reason, and its values, for the screens' catalogs
    #: (``refusal.<code>``); empty when the message is all there is.
    code: str = ""
    values: dict[str, Any] = field(default_factory=dict)

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


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def in_scope(actor: Actor, row: Mapping[str, Any]) -> bool:
    """Whether a case row (``cell_code``, ``assigned_unit``, ``dispatched_at``,
    ``reported_by``) lies in the actor's scope: their area, their unit's dispatched cases,
    and whatever they reported themselves (a grid worker may report outside their cells)."""
    if row.get("reported_by") is not None and row.get("reported_by") == actor.username:
        return True
    return actor.scope.contains_case(
        _text(row.get("cell_code")),
        _text(row.get("assigned_unit")),
        dispatched=row.get("dispatched_at") is not None,
    )


def _not_found(case_id: Any) -> Refused:
    return Refused(f"no case {case_id!r} in your scope", 404, code="not_found",
                   values={"case": str(case_id)[:40]})  # fmt: skip


def visible_case(store: Store, actor: Actor, case_id: str) -> dict[str, Any]:
    """The case's key columns when the actor may see it.

    Raises
    ------
    Refused
        404 when the case is unknown or outside the actor's scope (the same answer, so ids
        outside one's scope cannot be probed).
    """
    if not isinstance(case_id, str):
        raise _not_found(case_id)
    row = case_rows(store, [case_id]).get(case_id)
    if row is None or not in_scope(actor, row):
        raise _not_found(case_id)
    return dict(row)


def actions_for(actor: Actor, stage: str | None) -> list[str]:
    """The workflow actions this actor's role may take on a case in ``stage``."""
    state = CaseState(stage=stage)
    return allowed_actions(state, role=actor.role) if stage else []


def _request(action: Any, data: Any, note: Any) -> dict[str, Any]:
    """The action's data without empty values; refuses what no case could take (422)."""
    if not isinstance(action, str) or action not in ACTIONS:
        raise Refused(f"unknown action {action!r}; known: {', '.join(ACTIONS)}", 422)
    if data is not None and not isinstance(data, Mapping):
        raise Refused("the action's data must be an object of named values", 422)
    if note is not None and not isinstance(note, str):
        raise Refused("the note must be text", 422)
    values = {k: v for k, v in (data or {}).items() if v is not None and v != ""}
    unit = values.get("unit")
    if action == "dispatch" and unit is not None and not isinstance(unit, str):
        raise Refused("the unit must be a unit code", 422)
    return values


class _Checks:
    """What the per-case checks need to know about the other cases and units, read once
    for a whole batch: merge targets and the known units."""

    def __init__(
        self, store: Store, action: str, values: Mapping[str, Any], case_ids: Sequence[str]
    ):
        self.store = store
        into = values.get("into")
        self.targets = case_rows(store, [into]) if action == "merge" and _text(into) else {}
        self._units: dict[str, str] | None = None
        self.with_result_photo = (
            _with_result_photo(store, case_ids) if action == "feedback" else frozenset()
        )

    def unit_known(self, unit: str) -> bool:
        if self._units is None:
            self._units = known_units(self.store)
        return unit in self._units


def _with_result_photo(store: Store, case_ids: Sequence[str]) -> frozenset[str]:
    """The cases holding a photo of the result (kind ``handled``) taken since they were last
    dispatched or sent back for rework."""
    ids = [c for c in case_ids if isinstance(c, str)]
    if not ids:
        return frozenset()
    rows = store.query_rows(
        "SELECT t.case_id FROM (SELECT case_id, max(occurred_at) AS since FROM case_transitions "
        "WHERE case_id IN (SELECT unnest(?)) AND action IN ('dispatch', 'verify_fail') "
        "GROUP BY case_id) t WHERE EXISTS (SELECT 1 FROM case_attachments a "
        "WHERE a.case_id = t.case_id AND a.kind = 'handled' AND a.uploaded_at >= t.since)",
        [ids],
    )
    return frozenset(case_id for (case_id,) in rows)


def _check(
    actor: Actor,
    case_id: Any,
    row: Mapping[str, Any] | None,
    action: str,
    values: Mapping[str, Any],
    checks: _Checks,
    *,
    note: str | None,
    override_reason: str | None,
) -> Move:
    """One case's checks, in order: scope (404), role (403), stage (409), data (422)."""
    if row is None or not in_scope(actor, row):
        raise _not_found(case_id)
    spec = ACTIONS[action]
    allowed = actions_for(actor, row["stage"])
    if actor.role not in spec.roles:
        raise Refused(f"role {actor.role!r} may not {action}", 403, allowed, code="role",
                      values={"action": action})  # fmt: skip
    if row["stage"] not in spec.sources:
        raise Refused(
            f"cannot {action} a case in stage {row['stage']}; "
            f"allowed: {', '.join(allowed) or 'none'}",
            409,
            allowed,
            code="stage",
            values={"action": action, "stage": row["stage"]},
        )
    if action == "supervise" and not (note and note.strip()):
        raise Refused("督办 needs a note: what is to be done by whom", 422, allowed,
                      code="supervise_note")  # fmt: skip
    data = dict(values)
    if action == "dispatch":
        if not data.get("unit"):
            suggested = _text(row.get("suggested"))
            if suggested is None:
                raise Refused("the case has no routing suggestion: name the unit", 422, allowed,
                              code="no_suggestion")  # fmt: skip
            data["unit"] = suggested
        elif data["unit"] != row.get("suggested") and not checks.unit_known(data["unit"]):
            raise Refused(f"no handling unit {data['unit']!r}", 422, allowed,
                          code="unknown_unit", values={"unit": str(data["unit"])[:60]})  # fmt: skip
    if action == "merge":
        _check_merge(actor, case_id, data.get("into"), checks.targets, allowed)
    if action == "feedback" and actor.role == HANDLER and case_id not in checks.with_result_photo:
        # 处置后照片: the verifier compares it with the report's; the centre acting for a unit
        # by phone is not asked
        raise Refused(
            "report handled needs a photo of the result first (a photo of kind 'handled')",
            422,
            allowed,
            code="result_photo",
        )
    return Move(case_id, action, data, note, override_reason)


def _check_merge(
    actor: Actor, case_id: str, into: Any, targets: Mapping[str, Any], allowed: list[str]
) -> None:
    if not isinstance(into, str) or not into.strip():
        raise Refused("merge needs the case to merge into (into)", 422, allowed)
    if into == case_id:
        raise Refused("a case cannot be merged into itself", 422, allowed, code="merge_self")
    target = targets.get(into)
    if target is None or not in_scope(actor, target):
        raise Refused(f"no case {into!r} in your scope to merge into", 422, allowed,
                      code="merge_target", values={"case": str(into)[:40]})  # fmt: skip
    if target["stage"] in TERMINAL_STAGES:
        closed = {"case": into, "stage": target["stage"]}
        raise Refused(f"case {into} is {target['stage']}: merge into an open case", 422, allowed,
                      code="merge_closed", values=closed)  # fmt: skip


def _act(
    store: Store,
    actor: Actor,
    case_ids: Sequence[Any],
    action: Any,
    *,
    at: datetime,
    calendar: WorkCalendar,
    note: str | None,
    override_reason: str | None,
    data: Mapping[str, Any] | None,
) -> list[CaseState | Refused]:
    """The one path of :func:`act` and :func:`act_many`: every case's checks, then all the
    moves that passed in one read of the histories and one write transaction."""
    try:
        values = _request(action, data, note)
    except Refused as exc:
        return [exc for _ in case_ids]
    rows = case_rows(store, [c for c in case_ids if isinstance(c, str)])
    checks = _Checks(store, action, values, case_ids)
    results: list[CaseState | Refused | None] = []
    moves: list[Move] = []
    for case_id in case_ids:
        try:
            moves.append(
                _check(actor, case_id, rows.get(case_id) if isinstance(case_id, str) else None,
                       action, values, checks, note=note, override_reason=override_reason)
            )  # fmt: skip
        except Refused as exc:
            results.append(exc)
            continue
        results.append(None)
    moved = iter(
        move_cases(store, moves, actor=actor.username, role=actor.role, at=at,
                   calendar=calendar, rows=rows)
    )  # fmt: skip
    out: list[CaseState | Refused] = []
    for case_id, result in zip(case_ids, results, strict=True):
        if result is not None:
            out.append(result)
            continue
        done = next(moved)
        if isinstance(done, CaseError):
            stage = rows[case_id]["stage"]
            conflict = "changed meanwhile" in str(done) or "asked for twice" in str(done)
            code = "changed" if conflict else "override_reason" if "override" in str(done) else ""
            done = Refused(str(done), 409 if conflict else 422, actions_for(actor, stage), code)
        out.append(done)
    return out


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

    ``dispatch`` without a ``unit`` takes the routing suggestion; another, known unit needs
    ``override_reason``. ``merge`` takes ``into``: another open case in the actor's scope,
    never the case itself or one closed or merged already. ``supervise`` (督办) needs a note.

    Raises
    ------
    Refused
        The case is not in scope (404), the role may not (403), the stage does not allow it
        (409, with the allowed actions), the case changed meanwhile (409), or the data is
        missing or wrong (422).
    """
    result = _act(store, actor, [case_id], action, at=at, calendar=calendar, note=note,
                  override_reason=override_reason, data=data)[0]  # fmt: skip
    if isinstance(result, Refused):
        raise result
    return result


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
    """The same action on each case (a surge after a storm), with the same checks per case
    as :func:`act`; one case's refusal does not stop the others. The cases are read once and
    the moves written in one transaction. Returns one :class:`Outcome` per distinct case, in
    the order given."""
    ids = list(dict.fromkeys(case_ids))
    results = _act(store, actor, ids, action, at=at, calendar=calendar, note=note,
                   override_reason=None, data=data)  # fmt: skip
    return [
        Outcome(case_id, False, None, r.message, r.status)
        if isinstance(r, Refused)
        else Outcome(case_id, True, r.stage)
        for case_id, r in zip(ids, results, strict=True)
    ]


#: Roles that keep a personal to-do list of cases ("assign to me").
CLAIM_ROLES = frozenset({"dispatcher", "admin"})


def claim(store: Store, actor: Actor, case_id: str, *, take: bool = True) -> None:
    """Put the case on the actor's to-do list (``take``) or give it back.

    Raises
    ------
    Refused
        Not in scope (404), a role without a to-do list (403), claimed by someone else
        (409: they give it back first), or closed or void (409).
    """
    if actor.role not in CLAIM_ROLES:
        raise Refused(f"a {actor.role} keeps no to-do list of cases", 403)
    row = visible_case(store, actor, case_id)
    if take and row["stage"] in TERMINAL_STAGES:
        raise Refused(f"case {case_id} is {row['stage']}: nothing left to do", 409,
                      code="claim_finished", values={"stage": row["stage"]})  # fmt: skip

    def swap(tx: WriteTx) -> None:
        # the holder is read in the write transaction: of two claims at once, one wins
        holder = _text(tx.fetch("SELECT claimed_by FROM cases WHERE case_id = ?", [case_id])[0][0])
        if take and holder not in (None, actor.username):
            raise Refused(f"case {case_id} is on {holder}'s list", 409, code="claimed",
                          values={"holder": holder})  # fmt: skip
        if not take and holder not in (None, actor.username) and actor.role != "admin":
            raise Refused(f"case {case_id} is on {holder}'s list, not yours", 409,
                          code="claimed", values={"holder": holder})  # fmt: skip
        tx.execute(
            "UPDATE cases SET claimed_by = ?, change_seq = nextval('change_seq') WHERE case_id = ?",
            [actor.username if take else None, case_id],
        )

    store.write(swap)
    store.audit("case.claim" if take else "case.unclaim", actor=actor.username, target=case_id)
