"""Case workflow (案件流转): stages, the action table, validating an action and folding history."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any

from models.security import ROLES

#: Stage -> (zh, en) label. Order is the happy path, then the side stages.
STAGE_LABELS: dict[str, tuple[str, str]] = {
    "reported": ("上报", "Reported"),
    "accepted": ("受理", "Accepted"),
    "registered": ("立案", "Registered"),
    "dispatched": ("派遣", "Dispatched"),
    "handling": ("处置", "Handling"),
    "handled": ("处置反馈", "Handled"),
    "verified": ("核查", "Verified"),
    "closed": ("结案", "Closed"),
    "void": ("作废", "Void"),
    "returned": ("退回", "Returned"),
    "rework": ("返工", "Rework"),
    "extension_requested": ("延期申请", "Extension requested"),
}
STAGES: tuple[str, ...] = tuple(STAGE_LABELS)


def stage_label(stage: str, lang: str) -> str:
    """The stage's name in ``lang`` ("zh" or "en"); an unknown stage shows as itself."""
    zh, en = STAGE_LABELS.get(stage, (stage, stage))
    return zh if lang == "zh" else en


TERMINAL_STAGES: frozenset[str] = frozenset({"closed", "void"})
#: The longest extension one request may ask for or an approval grant (30 working days of
#: eight hours): every channel (field app, console, API) takes this one bound.
MAX_EXTENSION = timedelta(hours=240)
VOID_REASONS: tuple[str, ...] = ("duplicate", "not_our_business", "no_problem_found")

#: The assigned unit's acting user, a log-in role scoped to units (``models.security``): the
#: caller passes ``role="handler"`` once it has checked the user belongs to ``CaseState.unit``.
HANDLER = "handler"
WORKFLOW_ROLES: tuple[str, ...] = ROLES

_DISPATCH = frozenset({"dispatcher", "admin"})
_VERIFY = frozenset({"grid_worker", "admin"})
# Dispatcher may act for a unit that has no user in the system (phone/paper hand-over).
_UNIT = frozenset({HANDLER, "dispatcher", "admin"})
_REPORT = frozenset({"grid_worker", "operator", "dispatcher", "leader", "admin"})
_SUPERVISE = frozenset({"dispatcher", "leader", "admin"})
#: Stages of a case that is with a unit: 督办 may be raised on it by hand.
_WITH_UNIT = ("dispatched", "handling", "handled", "rework", "extension_requested", "returned")


@dataclass(frozen=True)
class Action:
    """One row of the action table: where it may start, where it leads, who may do it."""

    name: str
    sources: frozenset[str | None]
    target: str | None  # None: the case stays in the stage it is in
    roles: frozenset[str]
    label_zh: str
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()

    def target_from(self, stage: str | None) -> str:
        """The stage this action leads to from ``stage``."""
        target = self.target if self.target is not None else stage
        if target is None:
            raise TransitionError(f"{self.name} needs a case that has a stage")
        return target


def _a(
    name: str,
    src: Iterable[str | None],
    dst: str | None,
    roles: frozenset[str],
    zh: str,
    required: tuple[str, ...] = (),
    optional: tuple[str, ...] = (),
) -> Action:
    return Action(name, frozenset(src), dst, roles, zh, required, optional)


#: The action table. ``None`` as a source means "no history yet" (a new case).
ACTIONS: dict[str, Action] = {
    a.name: a
    for a in (
        _a("report", [None], "reported", _REPORT, "上报"),
        _a("accept", ["reported"], "accepted", _DISPATCH, "受理"),
        _a("register", ["accepted"], "registered", _DISPATCH, "立案"),
        _a("void", ["reported", "accepted"], "void", _DISPATCH, "作废", ("reason",)),
        # a duplicate is merged into the case it repeats: it ends here, keeps a link
        # (cases.duplicate_of) and its reporter's channel shows the original's status
        _a("merge", ["reported", "accepted", "registered"], "void", _DISPATCH, "合并", ("into",)),
        # a wrong, unknown or disabled category is corrected before dispatch or once the
        # unit returned the case; the store re-routes it and the next dispatch takes the
        # new category's limit
        _a(
            "recategorise",
            ["reported", "accepted", "registered", "returned"],
            None,
            _DISPATCH,
            "改类",
            ("category", "reason"),
            ("previous",),
        ),
        _a("dispatch", ["registered", "returned"], "dispatched", _DISPATCH, "派遣", ("unit",)),
        _a("start", ["dispatched"], "handling", _UNIT, "开始处置"),
        _a("return", ["dispatched"], "returned", _UNIT, "退回", ("reason",)),
        _a("feedback", ["handling", "rework"], "handled", _UNIT, "处置反馈"),
        _a("verify_ok", ["handled"], "verified", _VERIFY, "核查通过"),
        _a("verify_fail", ["handled"], "rework", _VERIFY, "核查不通过", (), ("reason",)),
        _a("close", ["verified"], "closed", _DISPATCH, "结案"),
        _a(
            "request_extension",
            ["handling"],
            "extension_requested",
            _UNIT,
            "延期申请",
            ("reason", "extension"),
        ),
        _a(
            "approve_extension",
            ["extension_requested"],
            "handling",
            _DISPATCH,
            "批准延期",
            (),
            ("extension",),
        ),
        _a(
            "deny_extension",
            ["extension_requested"],
            "handling",
            _DISPATCH,
            "驳回延期",
            (),
            ("reason",),
        ),
        # 督办 by hand, with a note: the case stays where it is
        _a("supervise", _WITH_UNIT, None, _SUPERVISE, "督办"),
    )
}
_EXTENSION_ACTIONS = frozenset({"request_extension", "approve_extension", "deny_extension"})


class TransitionError(ValueError):
    """An action refused: wrong stage, role, data or time."""


@dataclass(frozen=True)
class Transition:
    """One appended history entry (a row of ``case_transitions`` plus role/action/data)."""

    seq: int
    at: datetime
    actor: str
    role: str
    action: str
    from_stage: str | None
    to_stage: str
    note: str | None = None
    data: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class CaseState:
    """A case as derived by folding its history; never stored, always recomputed.

    ``clock`` holds the SLA clock's running intervals since the last dispatch; the last may
    be open (end ``None``). ``extra_time`` is working time granted by approved extensions.
    """

    history: tuple[Transition, ...] = ()
    stage: str | None = None
    reported_at: datetime | None = None
    dispatched_at: datetime | None = None
    unit: str | None = None
    rework_count: int = 0
    returns: int = 0
    extensions: tuple[timedelta, ...] = ()
    pending_extension: timedelta | None = None
    closed_at: datetime | None = None
    clock: tuple[tuple[datetime, datetime | None], ...] = ()

    @property
    def extra_time(self) -> timedelta:
        """Working time added to the limit by approved extensions."""
        return sum(self.extensions, timedelta())


def _stop(clock: tuple[tuple[datetime, datetime | None], ...], at: datetime) -> tuple:
    if clock and clock[-1][1] is None:
        return (*clock[:-1], (clock[-1][0], at))
    return clock


def step(state: CaseState, t: Transition) -> CaseState:
    """Return the state after ``t`` (trusted, e.g. read back from the store)."""
    s = replace(state, history=(*state.history, t), stage=t.to_stage)
    if t.action == "report":
        return replace(s, reported_at=t.at)
    if t.action == "dispatch":  # a fresh clock: time before any return does not count
        return replace(
            s,
            dispatched_at=t.at,
            unit=t.data.get("unit"),
            clock=((t.at, None),),
            extensions=(),
            pending_extension=None,
        )
    if t.action == "return":
        return replace(s, returns=s.returns + 1, unit=None, dispatched_at=None, clock=())
    if t.action == "verify_fail":
        return replace(s, rework_count=s.rework_count + 1)
    if t.action == "request_extension":
        return replace(s, clock=_stop(s.clock, t.at), pending_extension=t.data.get("extension"))
    if t.action in ("approve_extension", "deny_extension"):
        granted = t.data.get("extension") if t.action == "approve_extension" else None
        return replace(
            s,
            clock=(*s.clock, (t.at, None)),
            pending_extension=None,
            extensions=(*s.extensions, granted) if granted else s.extensions,
        )
    if t.action in ("close", "void", "merge"):
        return replace(s, clock=_stop(s.clock, t.at), closed_at=t.at)
    return s


def fold(history: Iterable[Transition]) -> CaseState:
    """Derive the current state from a case's history (oldest first)."""
    state = CaseState()
    for t in history:
        state = step(state, t)
    return state


def _as_state(state_or_history: CaseState | Sequence[Transition]) -> CaseState:
    if isinstance(state_or_history, CaseState):
        return state_or_history
    return fold(state_or_history)


def allowed_actions(
    state_or_history: CaseState | Sequence[Transition], *, role: str | None = None
) -> list[str]:
    """Actions possible from the current stage, optionally only those ``role`` may take."""
    stage = _as_state(state_or_history).stage
    return [
        a.name for a in ACTIONS.values() if stage in a.sources and (role is None or role in a.roles)
    ]


def _check_data(action: Action, state: CaseState, data: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(data) - set(action.required) - set(action.optional))
    if unknown:
        raise TransitionError(f"{action.name} takes no {', '.join(unknown)}")
    for key in action.required:
        value = data.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            raise TransitionError(f"{action.name} requires {key}")
    if action.name == "void" and data["reason"] not in VOID_REASONS:
        raise TransitionError(
            f"void reason must be one of {', '.join(VOID_REASONS)}, not {data['reason']!r}"
        )
    if action.name == "recategorise" and data["category"] == data.get("previous"):
        raise TransitionError(f"the case is already of category {data['category']}")
    if "extension" in data:
        ext = data["extension"]
        if not isinstance(ext, timedelta) or ext <= timedelta():
            raise TransitionError(f"extension must be a positive timedelta, not {ext!r}")
        if ext > MAX_EXTENSION:
            hours = MAX_EXTENSION.total_seconds() / 3600
            raise TransitionError(f"extension must be at most {hours:g} working hours")
    if action.name == "approve_extension" and "extension" not in data:
        data["extension"] = state.pending_extension
    return data


def apply(
    state_or_history: CaseState | Sequence[Transition],
    action: str,
    *,
    actor: str,
    role: str,
    at: datetime,
    note: str | None = None,
    **data: Any,
) -> Transition:
    """Validate ``action`` against the case and return the transition to append.

    Parameters
    ----------
    state_or_history
        The case's :class:`CaseState` or its history (oldest first). Not mutated.
    action
        A key of :data:`ACTIONS`.
    actor, role
        Who acts and in which role (one of :data:`WORKFLOW_ROLES`).
    at
        When; must not be earlier than the last transition.
    note
        Free text kept with the transition.
    **data
        Action data: ``unit`` (dispatch), ``reason`` (void, return, request_extension,
        recategorise; optional for verify_fail and deny_extension), ``extension`` (a positive
        working-time ``timedelta``: required to request; optional on approval, defaults to
        the request), ``category`` and ``previous`` (recategorise: the new and old codes).

    Returns
    -------
    Transition
        With ``seq`` one past the last; append it to the history.

    Raises
    ------
    TransitionError
        Unknown action, illegal from the current stage, role not allowed, missing or bad
        data, extension on a closed case, or time going backwards.
    """
    state = _as_state(state_or_history)
    spec = ACTIONS.get(action)
    if spec is None:
        raise TransitionError(f"unknown action {action!r}; known: {', '.join(ACTIONS)}")
    if not actor or not actor.strip():
        raise TransitionError("actor is required")
    last = state.history[-1] if state.history else None
    try:
        backwards = last is not None and at < last.at
    except TypeError as exc:
        raise TransitionError(f"time {at!r} cannot be compared with {last.at!r}") from exc
    if backwards:
        assert last is not None
        raise TransitionError(
            f"time goes backwards: {at.isoformat()} is before the last transition "
            f"(seq {last.seq}) at {last.at.isoformat()}"
        )
    stage = state.stage
    if action in _EXTENSION_ACTIONS and stage in TERMINAL_STAGES:
        raise TransitionError(f"cannot {action} on a {stage} case")
    if stage not in spec.sources:
        allowed = ", ".join(allowed_actions(state)) or "none"
        where = f"stage {stage}" if stage else "no history (report it first)"
        raise TransitionError(f"cannot {action} a case in {where}; allowed actions: {allowed}")
    if role not in spec.roles:
        raise TransitionError(
            f"role {role!r} may not {action}; allowed roles: {', '.join(sorted(spec.roles))}"
        )
    checked = _check_data(spec, state, dict(data))
    return Transition(
        seq=(last.seq if last else 0) + 1,
        at=at,
        actor=actor,
        role=role,
        action=action,
        from_stage=stage,
        to_stage=spec.target_from(stage),
        note=note,
        data=MappingProxyType(checked),
    )
