"""A demo case's walk through the workflow: its transitions and milestones, drawn from its uniforms.

Each case follows a legal path of the action table (``models.workflow``): accept, register
(or void), dispatch (sometimes returned and re-dispatched), start, extension requests,
feedback, verify (sometimes failed → rework), close. Delays are working time placed with
``add_working_time``, so the SLA time used at feedback is known without re-measuring it.
Transitions after ``end`` are cut off, which leaves the last days' cases open in every stage.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from models.case_builder import NewReport
from models.cases import DISPATCH_LIMIT

P_VOID = 0.05
P_RETURN = 0.03
P_EXTENSION = 0.04
P_APPROVE = 0.7
P_LATE = 0.12
P_LATE_DISPATCH = 0.04
P_VERIFY_FAIL = 0.065
DISPATCHERS = tuple(f"d{i:02d}" for i in range(1, 9))
RETURN_REASONS = ("非本单位职责", "权属不清，请重新派遣", "应由属地街道处置")
EXTENSION_REASONS = ("需协调产权单位", "材料采购中", "天气原因无法施工", "需多部门联合处置")
VERIFY_FAIL_REASONS = ("现场问题未彻底解决", "反馈照片与现场不符", "仍有残留")
DENY_REASONS = ("理由不充分", "请按原时限处置")

_MIN = 60.0
_HOUR = 3600.0

#: ``(at, actor, role, action, from_stage, to_stage, note, data)``
Row = tuple[datetime, str, str, str, str | None, str, str | None, Any]
AddWorkingTime = Callable[[datetime, timedelta], datetime]


@dataclass(frozen=True)
class CasePath:
    """One case's transitions (oldest first, the report included), last stage, milestones.

    ``milestones`` holds the ``cases`` columns a walk sets, mirroring
    ``models.cases.transition_case``.
    """

    rows: list[Row]
    stage: str | None
    milestones: dict[str, Any]


class _Path:
    """One case's transitions as rows, built oldest first and cut at ``end``."""

    def __init__(self, end: datetime) -> None:
        self.end = end
        self.rows: list[Row] = []
        self.stage: str | None = None
        self.cut = False

    def add(
        self,
        at: datetime,
        actor: str,
        role: str,
        action: str,
        to: str,
        note: str | None = None,
        data: dict[str, Any] | None = None,
    ) -> bool:
        if self.cut or at > self.end:
            self.cut = True
            return False
        self.rows.append((at, actor, role, action, self.stage, to, note, data))
        self.stage = to
        return True


def _wt(seconds: float) -> timedelta:
    return timedelta(seconds=max(1, int(seconds)))


def walk_case(
    report: NewReport,
    r: np.ndarray,
    *,
    worker: str,
    routed_unit: str,
    unit_pool: Sequence[str],
    limit_s: float,
    end: datetime,
    add: AddWorkingTime,
) -> CasePath:
    """Walk one reported case through the workflow until it closes or ``end`` comes.

    Parameters
    ----------
    report
        The case's report (its time, reporter, role and text make the first transition).
    r
        The case's uniforms (see ``ingest.demo_city.case_arrivals.DRAWS_PER_CASE``).
    worker
        The cell's grid worker, who verifies.
    routed_unit, unit_pool
        The unit the case is routed to and every routed unit (a return goes to another).
    limit_s
        The category's handling limit in working seconds.
    end
        Transitions after this are not taken.
    add
        ``(t, working_time) -> t'``: the calendar's ``add_working_time``.

    Returns
    -------
    CasePath
        The rows (the report first), the stage reached and the milestones.
    """
    wt = _wt
    at0 = report.at
    dispatcher = DISPATCHERS[int(r[1] * len(DISPATCHERS))]
    p = _Path(end)
    p.add(at0, report.actor, report.role, "report", "reported", (report.text or "")[:200] or None)
    m: dict[str, Any] = {
        "registered_at": None,
        "dispatch_due_at": None,
        "dispatched_at": None,
        "due_at": None,
        "sla_limit_s": None,
        "handled_at": None,
        "handling_used_s": None,
        "closed_at": None,
        "assigned_unit": routed_unit,
        "returns": 0,
        "rework": 0,
    }
    # accept / void / register
    t = add(at0, wt(_MIN * (3 + 40 * r[3] ** 2)))
    void = r[4] < P_VOID
    if void and r[5] < 0.6:
        if p.add(t, dispatcher, "dispatcher", "void", "void", None, {"reason": "duplicate"}):
            m["closed_at"] = t
    else:
        if p.add(t, dispatcher, "dispatcher", "accept", "accepted"):
            t = add(t, wt(_MIN * (5 + 35 * r[6])))
            if void:
                reason = "not_our_business" if r[5] < 0.85 else "no_problem_found"
                if p.add(t, dispatcher, "dispatcher", "void", "void", None, {"reason": reason}):
                    m["closed_at"] = t
            elif p.add(t, dispatcher, "dispatcher", "register", "registered"):
                m["registered_at"] = t
                m["dispatch_due_at"] = add(t, DISPATCH_LIMIT)
    unit = routed_unit
    if p.stage == "registered":
        late_d = r[7] < P_LATE_DISPATCH
        d = _HOUR * (1.1 + 3 * r[8]) if late_d else _MIN * (5 + 50 * r[8] ** 1.5)
        t = add(t, wt(d))
        returned = r[9] < P_RETURN and len(unit_pool) > 1
        if returned:
            others = [x for x in unit_pool if x != routed_unit]
            unit = others[int(r[10] * len(others))]
        if p.add(t, dispatcher, "dispatcher", "dispatch", "dispatched", None, {"unit": unit}):
            m["dispatched_at"] = t
            m["assigned_unit"] = unit
            m["due_at"] = add(t, wt(limit_s))
            m["sla_limit_s"] = int(limit_s)
        if returned:
            t = add(t, wt(_MIN * (15 + 100 * r[10])))
            reason = RETURN_REASONS[int(r[11] * len(RETURN_REASONS))]
            if p.add(t, f"{unit}/h1", "handler", "return", "returned", None, {"reason": reason}):
                m["returns"] = 1
            t = add(t, wt(_MIN * (10 + 50 * r[11])))
            unit = routed_unit
            if p.add(t, dispatcher, "dispatcher", "dispatch", "dispatched", "退回后重新派遣",
                     {"unit": unit}):  # fmt: skip
                m["assigned_unit"] = unit
                m["due_at"] = add(t, wt(limit_s))
                m["sla_limit_s"] = int(limit_s)
    if p.stage == "dispatched":
        _handle(
            p, m, r, t, unit=unit, worker=worker, dispatcher=dispatcher, limit_s=limit_s, add=add
        )
    return CasePath(rows=p.rows, stage=p.stage, milestones=m)


def _handle(
    p: _Path,
    m: dict[str, Any],
    r: np.ndarray,
    t_disp: datetime,
    *,
    unit: str,
    worker: str,
    dispatcher: str,
    limit_s: float,
    add: AddWorkingTime,
) -> None:
    """From dispatch on: start, maybe an extension, feedback, verify (maybe rework), close."""
    wt = _wt
    handler = f"{unit}/h{1 + int(r[12] * 3)}"
    total_limit = limit_s
    ext_s = 0.0
    extension = r[13] < P_EXTENSION
    approved = extension and r[14] < P_APPROVE
    if approved:
        ext_s = round(limit_s * (0.5 + 0.5 * r[15]) / _MIN) * _MIN
        total_limit = limit_s + ext_s
    late = r[16] < P_LATE
    frac = 1.03 + 1.5 * r[17] ** 1.5 if late else 0.12 + 0.83 * r[17]
    used = max(_MIN * 5, frac * total_limit)
    spent = max(1, int(used * (0.05 + 0.15 * r[18])))
    t = add(t_disp, timedelta(seconds=spent))
    if not p.add(t, handler, "handler", "start", "handling"):
        return
    if extension:
        # asked for before the original limit runs out
        u_req = min(used * (0.3 + 0.3 * r[19]), limit_s * 0.9)
        step_s = max(1, int(u_req - spent))
        t = add(t, timedelta(seconds=step_s))
        spent += step_s
        ask = timedelta(seconds=ext_s or round(limit_s * 0.5 / _MIN) * _MIN)
        why = EXTENSION_REASONS[int(r[20] * len(EXTENSION_REASONS))]
        p.add(t, handler, "handler", "request_extension", "extension_requested", None,
              {"reason": why, "extension": ask})  # fmt: skip
        t = add(t, wt(_MIN * (30 + 400 * r[21])))  # the clock is paused
        if approved:
            if p.add(t, dispatcher, "dispatcher", "approve_extension", "handling",
                     None, {"extension": ask}):  # fmt: skip
                m["due_at"] = add(t, wt(total_limit - spent))
                m["sla_limit_s"] = int(total_limit)
        else:
            why = DENY_REASONS[int(r[21] * len(DENY_REASONS))]
            p.add(t, dispatcher, "dispatcher", "deny_extension", "handling", None,
                  {"reason": why})  # fmt: skip
    step_s = max(1, int(used - spent))
    t = add(t, timedelta(seconds=step_s))
    spent += step_s
    if not p.add(t, handler, "handler", "feedback", "handled"):
        return
    m["handled_at"], m["handling_used_s"] = t, spent
    dv = int(_MIN * (20 + 400 * r[22]))
    t = add(t, timedelta(seconds=dv))
    if r[23] < P_VERIFY_FAIL:
        why = VERIFY_FAIL_REASONS[int(r[20] * len(VERIFY_FAIL_REASONS))]
        if p.add(t, worker, "grid_worker", "verify_fail", "rework", None,
                 {"reason": why}):  # fmt: skip
            m["rework"] = 1
        dr = max(_MIN * 10, int(limit_s * (0.15 + 0.5 * r[19])))
        t = add(t, timedelta(seconds=int(dr)))
        if p.add(t, handler, "handler", "feedback", "handled", "返工后再次反馈"):
            m["handled_at"] = t
            m["handling_used_s"] = spent + dv + int(dr)
        t = add(t, timedelta(seconds=int(_MIN * (20 + 200 * r[22]))))
    if p.add(t, worker, "grid_worker", "verify_ok", "verified"):
        t = add(t, wt(_MIN * (5 + 115 * r[21])))
        if p.add(t, dispatcher, "dispatcher", "close", "closed"):
            m["closed_at"] = t
