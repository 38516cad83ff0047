"""The case API's writes on existing cases: workflow actions (one case or many) and claims."""

from __future__ import annotations

from typing import Any

import flask

from app.api.errors import (
    MAX_NOTE,
    ApiError,
    actor,
    case_id_value,
    check_fields,
    extension,
    json_body,
    refused,
    text,
)
from app.bounds import expensive
from app.context import get_context
from models.case_service import Refused, act, act_many, actions_for, claim, visible_case
from models.cases import history
from models.clock import utcnow
from models.store import Store
from models.workflow import ACTIONS

#: Action data a client may send, by name (the workflow's ``required``/``optional`` keys;
#: ``previous`` of recategorise is the store's to fill in).
DATA_KEYS = ("unit", "reason", "category", "extension", "into")
#: Most cases one bulk request may name (a surge after a storm).
MAX_BULK = 500
_COMMON = frozenset({"action", "note", "override_reason"})


def _action_request(data: dict[str, Any], *, extra: frozenset[str] = frozenset()) -> tuple:
    """(action, note, override_reason, action data) of a request body, every field checked."""
    check_fields(data, _COMMON | set(DATA_KEYS) | extra)
    name = text(data, "action", max_len=40, required=True)
    spec = ACTIONS.get(name or "")
    if spec is None or name == "report":
        known = [a for a in ACTIONS if a != "report"]
        raise ApiError(422, f"unknown action {name!r}; known: {', '.join(known)}")
    takes = set(spec.required) | set(spec.optional)
    given = {key for key in DATA_KEYS if data.get(key) not in (None, "")}
    if stray := sorted(given - takes):
        raise ApiError(422, f"{name} takes no {', '.join(stray)}")
    values: dict[str, Any] = {}
    for key in sorted(given):
        if key == "extension":
            values[key] = extension(data[key])
        else:
            values[key] = text(data, key, max_len=MAX_NOTE if key == "reason" else 64)
    note = text(data, "note", max_len=MAX_NOTE)
    override = text(data, "override_reason", max_len=MAX_NOTE)
    if override is not None and name != "dispatch":
        raise ApiError(422, "override_reason belongs to dispatch only")
    return name, note, override, values


def _check_version(store: Store, case_id: str, version: Any) -> None:
    """Optimistic concurrency: ``version`` (the case view's, its last step) must still be the
    case's last step, or someone acted meanwhile (409: read the case again)."""
    if version is None:
        return
    if isinstance(version, bool) or not isinstance(version, int) or version < 0:
        raise ApiError(422, "version must be a whole number (the case view's version)")
    past = history(store, case_id)
    current = past[-1].seq if past else 0
    if version != current:
        raise ApiError(
            409, f"case {case_id} changed meanwhile (version {current}, not {version})",
            code="changed",
        )  # fmt: skip


def case_action(case_id: str) -> tuple[flask.Response, int]:
    """POST /api/v1/cases/{id}/actions: one workflow action on one case."""
    who = actor()
    data = json_body()
    ctx = get_context()
    try:
        stage = visible_case(ctx.store, who, case_id)["stage"]
    except Refused as exc:
        raise refused(exc) from None
    try:
        name, note, override, values = _action_request(data, extra=frozenset({"version"}))
        _check_version(ctx.store, case_id, data.get("version"))
    except ApiError as exc:
        exc.allowed = actions_for(who, stage)  # what the caller could send instead
        raise
    try:
        state = act(
            ctx.store,
            who,
            case_id,
            name,
            at=utcnow(),
            calendar=ctx.calendar(),
            note=note,
            override_reason=override,
            data=values,
        )
    except Refused as exc:
        raise refused(exc) from None
    return flask.jsonify(
        id=case_id,
        action=name,
        stage=state.stage,
        unit=state.unit,
        allowed_actions=actions_for(who, state.stage),
    ), 200


def bulk_action() -> tuple[flask.Response, int]:
    """POST /api/v1/cases/actions: one action on up to :data:`MAX_BULK` cases, each case's
    own outcome (one refusal does not stop the others)."""
    who = actor()
    data = json_body()
    name, note, override, values = _action_request(data, extra=frozenset({"case_ids"}))
    if override is not None:
        raise ApiError(422, "a bulk dispatch takes each case's suggestion: no override_reason")
    if who.role not in ACTIONS[name].roles:
        raise ApiError(403, f"a {who.role} may not {name}", [])
    ids = data.get("case_ids")
    if not isinstance(ids, list) or not ids:
        raise ApiError(422, "case_ids must be a non-empty list of case ids")
    if len(ids) > MAX_BULK:
        raise ApiError(413, f"at most {MAX_BULK} cases at once, not {len(ids)}")
    case_ids = [case_id_value(v, "case_ids[]") for v in ids]
    ctx = get_context()
    with expensive(who.username):  # up to 500 writes: one of the user's heavy slots
        outcomes = act_many(
            ctx.store, who, case_ids, name, at=utcnow(), calendar=ctx.calendar(), note=note,
            data=values,
        )  # fmt: skip
    results = [
        {"id": o.case_id, "ok": o.ok, "stage": o.stage, "status": o.status}
        | ({} if o.ok else {"error": o.message})
        for o in outcomes
    ]
    done = sum(o.ok for o in outcomes)
    return flask.jsonify(action=name, ok=done, failed=len(outcomes) - done, results=results), 200


def case_claim(case_id: str) -> tuple[flask.Response, int]:
    """POST (take) or DELETE (give back) /api/v1/cases/{id}/claim: the personal to-do list."""
    who = actor()
    store = get_context().store
    take = flask.request.method == "POST"
    try:
        claim(store, who, case_id, take=take)
        row = visible_case(store, who, case_id)
    except Refused as exc:
        raise refused(exc) from None
    holder = row.get("claimed_by")
    return flask.jsonify(id=case_id, claimed_by=holder if isinstance(holder, str) else None), 200
