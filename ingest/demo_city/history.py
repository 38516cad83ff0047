"""A realistic, legal 90-day case history for the demo city, written in one transaction.

Reports are drawn by :mod:`ingest.demo_city.case_arrivals` and each case walks the
workflow in :mod:`ingest.demo_city.case_paths`. Each case is born through the one case
builder (``models.case_builder``: id, routing, first transition, routing event); its later
transitions and milestones follow in the same transaction. The milestones mirror
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

from ingest.demo_city.case_arrivals import draw_arrivals
from ingest.demo_city.case_paths import walk_case
from models.case_builder import prepare_cases, write_cases
from models.cases import sla_limit
from models.store import Store, WriteTx
from models.work_calendar import WorkCalendar


def _naive_utc(t: datetime) -> datetime:
    return t.astimezone(UTC).replace(tzinfo=None) if t.tzinfo else t


def _cells(store: Store) -> pd.DataFrame:
    version = store.query_value("SELECT max(version_id) FROM grid_versions")
    return store.query_df(
        "SELECT c.version_id, c.cell_code, c.size_class, c.grid_workers, c.centroid_lon, "
        "c.centroid_lat, c.min_lon, c.min_lat, c.max_lon, c.max_lat, a.name_zh AS community "
        "FROM grid_cells c LEFT JOIN admin_areas a ON a.code = c.community_code "
        "WHERE c.version_id = ? ORDER BY c.cell_code",
        [version],
    )


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

    arrivals = draw_arrivals(
        cells, rng=rng, start=start, end=end, days=days, enabled=enabled, calendar=calendar
    )
    batch = prepare_cases(store, arrivals.reports, unknown_category="refuse", tz=str(calendar.tz))
    routes = batch.routes
    unit_pool = sorted({r.unit for r in routes})

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
    ratings = np.random.default_rng(seed + 1)  # its own stream: the cases stay as they were
    for i, rep in enumerate(arrivals.reports):
        path = walk_case(
            rep,
            arrivals.draws[i],
            worker=arrivals.workers[i],
            routed_unit=routes[i].unit,
            unit_pool=unit_pool,
            limit_s=limits[rep.category_code],
            end=end,
            add=calendar.add_working_time,
        )
        m = path.milestones
        # the report itself (seq 1) is written by the case builder
        for seq, (at, actor, arole, action, frm, to, note, data) in enumerate(path.rows, 1):
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
                "stage": path.stage,
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
                **_follow_up(rep.source, m, end, ratings),
            }
        )

    def write(tx: WriteTx) -> dict[str, int]:
        ids = write_cases(tx, batch).case_ids  # None: made by an earlier run already
        milestones = pa.Table.from_pylist(
            [{**row, "case_id": ids[row.pop("position")]} for row in case_rows],
            schema=_MILESTONES_SCHEMA,
        ).filter(pc.is_valid(pc.field("case_id")))
        later = pa.table(
            {**trans, "case_id": [ids[i] for i in trans["case_id"]]}, schema=TRANSITION_SCHEMA
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


#: 12345 回访 grades (满意, 基本满意, 不满意) and their odds, handled on time or late
_GRADES = ("satisfied", "basic", "unsatisfied")
_ODDS = {True: (0.82, 0.12, 0.06), False: (0.5, 0.22, 0.28)}


def _follow_up(
    source: str, m: Mapping[str, Any], end: datetime, rng: np.random.Generator
) -> dict[str, Any]:
    """The caller's rating of a closed hotline order, one to three days after closure (none
    when that is after ``end``, or for other sources)."""
    none = {"satisfaction": None, "rated_at": None}
    if source != "hotline" or m["closed_at"] is None:
        return none
    rated_at = m["closed_at"] + timedelta(hours=float(rng.uniform(2, 72)))
    on_time = (m["handling_used_s"] or 0) <= (m["sla_limit_s"] or 0)
    grade = _GRADES[int(rng.choice(3, p=_ODDS[on_time]))]
    return none if rated_at > end else {"satisfaction": grade, "rated_at": rated_at}


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
        ("satisfaction", pa.string()),
        ("rated_at", _TS),
    ]
)
#: Columns of case_transitions rows appended after a case's first (also the benchmarks').
TRANSITION_SCHEMA = pa.schema(
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
