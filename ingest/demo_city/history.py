"""A realistic, legal 90-day case history for the demo city, written in one transaction.

Every case walks a path of the workflow's action table (``models.workflow``): report,
accept, register (or void), dispatch (sometimes returned and re-dispatched), start,
extension requests, feedback, verify (sometimes failed → rework), close. Delays are drawn
as working time and placed on the calendar with ``add_working_time``, so the SLA time used
at feedback is known exactly without re-measuring it. Transitions after ``end`` are cut
off, which leaves the last days' cases open in every stage. Each case is born through the
one case builder (``models.case_builder``: id, routing, first transition, routing event);
its later transitions and milestones follow in the same transaction. The milestones mirror
``models.cases.transition_case`` column for column.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ingest.simulator.reports import (
    CATEGORY_BY_CODE,
    GRID_HOURLY,
    GRID_MIX,
    HOTLINE_HOURLY,
    HOTLINE_MIX,
)
from models.case_builder import NewReport, prepare_cases, write_cases
from models.cases import DISPATCH_LIMIT, sla_limit
from models.store import Store, WriteTx
from models.work_calendar import WorkCalendar

#: Reports per local day at a working-day peak, by source (before the hourly profile).
GRID_PER_DAY = 200.0
HOTLINE_PER_DAY = 150.0
IOT_PER_DAY = 18.0
PUBLIC_PER_DAY = 12.0
IOT_MIX = {"0401": 5, "0101": 4, "0203": 4, "0601": 3, "0604": 1, "0105": 2}
PUBLIC_MIX = {"0202": 4, "0501": 4, "0302": 3, "0105": 3, "0402": 3, "0601": 2, "0502": 2}
#: Cell weights by size class: the urban core reports most.
CLASS_WEIGHT = {"urban": 8.0, "plain": 2.5, "rural": 0.5, "mountain": 0.15}
UTC_OFFSET = timedelta(hours=8)  # Asia/Shanghai has no DST; only for drawing local hours

P_EXERCISE = 0.01
P_VOID = 0.05
P_RETURN = 0.03
P_EXTENSION = 0.04
P_APPROVE = 0.7
P_LATE = 0.12
P_LATE_DISPATCH = 0.04
P_VERIFY_FAIL = 0.065
DISPATCHERS = tuple(f"d{i:02d}" for i in range(1, 9))
OPERATORS = tuple(f"op{i:02d}" for i in range(1, 7))
RETURN_REASONS = ("非本单位职责", "权属不清，请重新派遣", "应由属地街道处置")
EXTENSION_REASONS = ("需协调产权单位", "材料采购中", "天气原因无法施工", "需多部门联合处置")
VERIFY_FAIL_REASONS = ("现场问题未彻底解决", "反馈照片与现场不符", "仍有残留")
DENY_REASONS = ("理由不充分", "请按原时限处置")

_MIN = 60.0
_HOUR = 3600.0


def _naive_utc(t: datetime) -> datetime:
    return t.astimezone(UTC).replace(tzinfo=None) if t.tzinfo else t


def _mix_probs(mix: Mapping[str, float], enabled: set[str]) -> tuple[list[str], np.ndarray]:
    codes = [c for c in mix if c in enabled]
    if not codes:
        codes = sorted(enabled)
        weights = np.ones(len(codes))
    else:
        weights = np.array([float(mix[c]) for c in codes])
    return codes, weights / weights.sum()


def _draw_times(
    rng: np.random.Generator,
    start: datetime,
    days: int,
    per_day: float,
    hourly: tuple[float, ...],
    calendar: WorkCalendar,
    weekend_factor: float,
) -> np.ndarray:
    """Report instants (naive UTC, epoch seconds) over ``days`` local days."""
    profile = np.asarray(hourly, float)
    profile = profile / profile.sum()
    local0 = (start + UTC_OFFSET).replace(hour=0, minute=0, second=0, microsecond=0)
    out = []
    for k in range(days + 1):
        day = local0 + timedelta(days=k)
        factor = 1.0 if calendar.is_working_day(day.date()) else weekend_factor
        n = rng.poisson(per_day * factor)
        hours = rng.choice(24, size=n, p=profile)
        secs = hours * 3600 + rng.integers(0, 3600, size=n)
        base = (day - UTC_OFFSET - datetime(1970, 1, 1)).total_seconds()
        out.append(base + secs)
    return np.concatenate(out) if out else np.empty(0)


def _cells(store: Store) -> pd.DataFrame:
    version = store.query_value("SELECT max(version_id) FROM grid_versions")
    return store.query_df(
        "SELECT c.version_id, c.cell_code, c.size_class, c.grid_workers, c.centroid_lon, "
        "c.centroid_lat, c.min_lon, c.min_lat, c.max_lon, c.max_lat, a.name_zh AS community "
        "FROM grid_cells c LEFT JOIN admin_areas a ON a.code = c.community_code "
        "WHERE c.version_id = ? ORDER BY c.cell_code",
        [version],
    )


class _Path:
    """One case's transitions as rows, built oldest first and cut at ``end``."""

    def __init__(self, end: datetime) -> None:
        self.end = end
        self.rows: list[tuple[datetime, str, str, str, str | None, str, str | None, Any]] = []
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


def generate_case_history(
    store: Store,
    *,
    end: datetime,
    days: int = 90,
    seed: int,
    calendar: WorkCalendar,
) -> dict[str, int]:
    """Write ``days`` of synthetic case history ending at ``end`` in one transaction.

    Parameters
    ----------
    store
        A store holding the demo grid and the category table.
    end
        The moment the history reaches (naive UTC; aware is converted). Transitions after
        it are not written, so recent cases stay open.
    days
        Length of the history in days.
    seed
        Random seed; the same seed, grid and ``end`` give the same rows.
    calendar
        The working calendar the SLA clock runs on.

    Returns
    -------
    dict
        ``cases``, ``transitions``, ``events`` written and the count per stage
        (``stage:<name>``).
    """
    end = _naive_utc(end).replace(microsecond=0)
    start = end - timedelta(days=days)
    rng = np.random.default_rng(seed)
    cats = store.query_df(
        "SELECT category_code, limit_value, limit_unit FROM categories WHERE enabled"
    )
    if cats.empty:
        raise ValueError("no categories: seed the category table first")
    limits = {
        r["category_code"]: sla_limit(r, calendar).total_seconds() for r in cats.to_dict("records")
    }
    enabled = set(limits)
    cells = _cells(store)
    if cells.empty:
        raise ValueError("no grid cells: load the demo city first")

    # ---- who, what, where, when: vectorised ----
    sources = [
        ("grid_worker", GRID_PER_DAY, GRID_HOURLY, GRID_MIX, 0.5),
        ("hotline", HOTLINE_PER_DAY, HOTLINE_HOURLY, HOTLINE_MIX, 1.1),
        ("iot", IOT_PER_DAY, (1.0,) * 24, IOT_MIX, 1.0),
        ("open311", PUBLIC_PER_DAY, HOTLINE_HOURLY, PUBLIC_MIX, 1.2),
    ]
    parts = []
    for name, per_day, hourly, mix, weekend in sources:
        ts = _draw_times(rng, start, days, per_day, hourly, calendar, weekend)
        codes, probs = _mix_probs(mix, enabled)
        cat = np.asarray(codes, dtype=object)[rng.choice(len(codes), size=len(ts), p=probs)]
        parts.append(pd.DataFrame({"ts": ts, "source": name, "category_code": cat}))
    frame = pd.concat(parts, ignore_index=True)
    t0 = (start - datetime(1970, 1, 1)).total_seconds()
    t1 = (end - datetime(1970, 1, 1)).total_seconds()
    frame = frame[(frame["ts"] >= t0) & (frame["ts"] < t1)]
    frame = frame.sort_values(["ts", "source", "category_code"], kind="stable")
    frame = frame.reset_index(drop=True)
    n = len(frame)

    weights = cells["size_class"].map(CLASS_WEIGHT).fillna(0.5).to_numpy(float)
    idx = rng.choice(len(cells), size=n, p=weights / weights.sum())
    c = cells.iloc[idx].reset_index(drop=True)
    jitter = rng.uniform(-0.25, 0.25, size=(n, 2))
    lon = c["centroid_lon"].to_numpy() + jitter[:, 0] * (c["max_lon"] - c["min_lon"]).to_numpy()
    lat = c["centroid_lat"].to_numpy() + jitter[:, 1] * (c["max_lat"] - c["min_lat"]).to_numpy()
    versions = c["version_id"].astype(int).tolist()
    cell_codes = c["cell_code"].tolist()

    u = rng.random((n, 25))  # every per-case draw comes from this block: deterministic
    reported = pd.to_datetime(frame["ts"], unit="s").dt.floor("s").dt.to_pydatetime()
    src = frame["source"].tolist()
    catl = frame["category_code"].tolist()
    workers_col = c["grid_workers"].tolist()
    community = c["community"].fillna("辖区内").tolist()

    # who reports what: the case is born through the one case builder (routed there)
    reports: list[NewReport] = []
    for i in range(n):
        r = u[i]
        workers = list(workers_col[i]) if workers_col[i] is not None else []
        worker = workers[int(r[0] * len(workers))] if workers else f"GW{cell_codes[i][:12]}-01"
        cat_info = CATEGORY_BY_CODE.get(catl[i])
        text = ""
        if cat_info is not None:
            text = cat_info.texts[int(r[2] * len(cat_info.texts))].format(name=community[i])
        s = src[i]
        if s == "grid_worker":
            reporter, role, text = worker, "grid_worker", "巡查发现：" + text
        elif s == "hotline":
            reporter, role = OPERATORS[int(r[2] * len(OPERATORS))], "operator"
            text = "市民来电反映：" + text
        elif s == "iot":
            reporter, role, text = "iot-gateway", "operator", "物联感知告警：" + text
        else:
            reporter, role = OPERATORS[int(r[2] * len(OPERATORS))], "operator"
        reports.append(
            NewReport(
                category_code=catl[i],
                lon=float(lon[i]),
                lat=float(lat[i]),
                at=reported[i],
                source=s,
                actor=reporter,
                role=role,
                text=text,
                reporter=reporter,
                external_id=f"hist:{i + 1}",
                exercise=bool(r[24] < P_EXERCISE),
                cell_code=cell_codes[i],
                grid_version=versions[i],
            )
        )
    batch = prepare_cases(store, reports, unknown_category="refuse", tz=str(calendar.tz))
    routes = batch.routes
    unit_pool = sorted({r.unit for r in routes})

    add = calendar.add_working_time
    case_rows: list[dict[str, Any]] = []
    trans: dict[str, list[Any]] = {
        k: []
        for k in (
            "case_id",
            "seq",
            "occurred_at",
            "actor",
            "role",
            "action",
            "from_stage",
            "to_stage",
            "note",
            "data",
        )
    }

    def wt(seconds: float) -> timedelta:
        return timedelta(seconds=max(1, int(seconds)))

    for i in range(n):
        r = u[i]
        at0: datetime = reported[i]
        code = catl[i]
        route = routes[i]
        limit_s = limits[code]
        workers = list(workers_col[i]) if workers_col[i] is not None else []
        worker = workers[int(r[0] * len(workers))] if workers else f"GW{cell_codes[i][:12]}-01"
        dispatcher = DISPATCHERS[int(r[1] * len(DISPATCHERS))]
        rep = reports[i]
        p = _Path(end)
        p.add(at0, rep.actor, rep.role, "report", "reported", (rep.text or "")[:200] or None)
        m: dict[str, Any] = {
            "registered_at": None,
            "dispatch_due_at": None,
            "dispatched_at": None,
            "due_at": None,
            "sla_limit_s": None,
            "handled_at": None,
            "handling_used_s": None,
            "closed_at": None,
            "assigned_unit": route.unit,
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
        if p.stage == "registered":
            late_d = r[7] < P_LATE_DISPATCH
            d = _HOUR * (1.1 + 3 * r[8]) if late_d else _MIN * (5 + 50 * r[8] ** 1.5)
            t = add(t, wt(d))
            unit = route.unit
            returned = r[9] < P_RETURN and len(unit_pool) > 1
            if returned:
                others = [x for x in unit_pool if x != route.unit]
                unit = others[int(r[10] * len(others))]
            if p.add(t, dispatcher, "dispatcher", "dispatch", "dispatched", None, {"unit": unit}):
                m["dispatched_at"] = t
                m["assigned_unit"] = unit
                m["due_at"] = add(t, wt(limit_s))
                m["sla_limit_s"] = int(limit_s)
            if returned:
                t = add(t, wt(_MIN * (15 + 100 * r[10])))
                reason = RETURN_REASONS[int(r[11] * len(RETURN_REASONS))]
                if p.add(
                    t, f"{unit}/h1", "handler", "return", "returned", None, {"reason": reason}
                ):
                    m["returns"] = 1
                t = add(t, wt(_MIN * (10 + 50 * r[11])))
                unit = route.unit
                if p.add(t, dispatcher, "dispatcher", "dispatch", "dispatched", "退回后重新派遣",
                         {"unit": unit}):  # fmt: skip
                    m["assigned_unit"] = unit
                    m["due_at"] = add(t, wt(limit_s))
                    m["sla_limit_s"] = int(limit_s)
        if p.stage == "dispatched":
            handler = f"{unit}/h{1 + int(r[12] * 3)}"
            t_disp = t
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
            if p.add(t, handler, "handler", "start", "handling"):
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
                if p.add(t, handler, "handler", "feedback", "handled"):
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
        # the report itself (seq 1) is written by the case builder
        for seq, (at, actor, arole, action, frm, to, note, data) in enumerate(p.rows, 1):
            if seq == 1:
                continue
            trans["case_id"].append(i)  # the row's position: the builder numbers the case
            trans["seq"].append(seq)
            trans["occurred_at"].append(at)
            trans["actor"].append(actor)
            trans["role"].append(arole)
            trans["action"].append(action)
            trans["from_stage"].append(frm)
            trans["to_stage"].append(to)
            trans["note"].append(note)
            trans["data"].append(_data_json(data))
        case_rows.append(
            {
                "position": i,
                "stage": p.stage,
                "assigned_unit": m["assigned_unit"],
                "due_at": m["due_at"],
                "closed_at": m["closed_at"],
                "rework_count": m["rework"],
                "registered_at": m["registered_at"],
                "dispatched_at": m["dispatched_at"],
                "dispatch_due_at": m["dispatch_due_at"],
                "handled_at": m["handled_at"],
                "sla_limit_s": m["sla_limit_s"],
                "handling_used_s": m["handling_used_s"],
                "returns_count": m["returns"],
            }
        )

    def write(tx: WriteTx) -> dict[str, int]:
        ids = write_cases(tx, batch).case_ids  # None: made by an earlier run already
        milestones = pa.Table.from_pylist(
            [{**row, "case_id": ids[row.pop("position")]} for row in case_rows],
            schema=_MILESTONES_SCHEMA,
        ).filter(pc.is_valid(pc.field("case_id")))
        later = pa.table(
            {**trans, "case_id": [ids[i] for i in trans["case_id"]]}, schema=_TRANS_SCHEMA
        ).filter(pc.is_valid(pc.field("case_id")))
        tx.append("case_transitions", later)
        with tx.registered(milestones) as name:
            columns = [f for f in _MILESTONES_SCHEMA.names if f != "case_id"]
            tx.execute(
                f"UPDATE cases SET {', '.join(f'{f} = m.{f}' for f in columns)} "
                f"FROM {name} m WHERE cases.case_id = m.case_id"
            )
        return {
            "cases": milestones.num_rows,
            "transitions": milestones.num_rows + later.num_rows,
            "events": milestones.num_rows,
        }

    counts = store.write(write)
    stages = pd.Series([row["stage"] for row in case_rows]).value_counts()
    counts.update({f"stage:{k}": int(v) for k, v in sorted(stages.items())})
    return counts


def _data_json(data: Mapping[str, Any] | None) -> str | None:
    # the same encoding as models.cases: timedeltas as seconds
    if not data:
        return None
    out = {k: (v.total_seconds() if isinstance(v, timedelta) else v) for k, v in data.items()}
    return json.dumps(out, ensure_ascii=False)


_TS = pa.timestamp("us")
_MILESTONES_SCHEMA = pa.schema(
    [
        ("case_id", pa.string()),
        ("stage", pa.string()),
        ("assigned_unit", pa.string()),
        ("due_at", _TS),
        ("closed_at", _TS),
        ("rework_count", pa.int32()),
        ("registered_at", _TS),
        ("dispatched_at", _TS),
        ("dispatch_due_at", _TS),
        ("handled_at", _TS),
        ("sla_limit_s", pa.int64()),
        ("handling_used_s", pa.int64()),
        ("returns_count", pa.int32()),
    ]
)
_TRANS_SCHEMA = pa.schema(
    [
        ("case_id", pa.string()),
        ("seq", pa.int32()),
        ("occurred_at", _TS),
        ("actor", pa.string()),
        ("role", pa.string()),
        ("action", pa.string()),
        ("from_stage", pa.string()),
        ("to_stage", pa.string()),
        ("note", pa.string()),
        ("data", pa.string()),
    ]
)
