"""One case as JSON-friendly data, for the dispatch console's pane, the field cards and the
API alike; and the open cases of its category nearby (the pane's small map)."""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta
from functools import cache
from typing import Any

import numpy as np
import pyproj

from models.attachments import case_photos
from models.case_service import Actor, Refused, actions_for, visible_case
from models.cases import CaseError, histories, sla_limit
from models.config import MapSettings
from models.coordinates import degree_box
from models.routing import reason_texts
from models.sla import dispatched_limit, sla_status
from models.store import Store
from models.units import unit_name
from models.work_calendar import WorkCalendar
from models.workflow import STAGE_LABELS, Transition, fold

DEFAULT_METRIC_CRS: str = MapSettings.model_fields["metric_crs"].default

_CASE_SQL = """
SELECT c.*, k.name_zh AS category_name_zh, k.name_en AS category_name_en, k.limit_value,
       k.limit_unit
FROM cases c LEFT JOIN categories k USING (category_code) WHERE c.case_id = ?
"""


def iso(value: Any) -> str | None:
    """A time as ISO 8601 UTC with ``Z`` (naive UTC in, second precision); None for none."""
    if value is None or not hasattr(value, "strftime"):
        return None
    try:
        if value != value:  # NaT
            return None
    except TypeError:
        return None
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _plain(value: Any) -> Any:
    """A JSON-friendly copy of a stored value: NaN/NaT → None, times → ISO, numpy → Python."""
    if value is None:
        return None
    if isinstance(value, (datetime,)) or hasattr(value, "to_pydatetime"):
        return iso(value)
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    try:
        if value != value:  # pd.NA, NaT
            return None
    except (TypeError, ValueError):
        return None
    return value


def _json_or_text(text: Any) -> Any:
    if not isinstance(text, str):
        return _plain(text)
    try:
        return json.loads(text)
    except ValueError:
        return text


def _history_item(t: Transition) -> dict[str, Any]:
    return {
        "seq": t.seq,
        "at": iso(t.at),
        "actor": t.actor,
        "role": t.role,
        "action": t.action,
        "from": t.from_stage,
        "to": t.to_stage,
        "note": t.note,
        "data": {k: _plain(v) for k, v in t.data.items()},
    }


def _sla(
    state: Any, row: dict[str, Any], *, now: datetime, calendar: WorkCalendar
) -> dict[str, Any] | None:
    if not state.clock or _plain(row["limit_value"]) is None:
        return None
    try:
        category_limit: timedelta | None = sla_limit(row, calendar)
    except CaseError:  # an absurd limit left by an old database: no clock shown
        category_limit = None
    limit = dispatched_limit(row["sla_limit_s"], state, category_limit=category_limit)
    limit = limit or category_limit
    if limit is None:
        return None
    status = sla_status(
        state,
        limit=limit,
        now=now,
        working_time_between=calendar.working_time_between,
    )
    return {
        "level": status.level,
        "left_s": int(status.left.total_seconds()),
        "used_s": int(status.used.total_seconds()),
        "limit_s": int(status.limit.total_seconds()),
        "fraction": round(status.fraction, 4),
    }


def case_view(
    store: Store, actor: Actor, case_id: str, *, now: datetime, calendar: WorkCalendar
) -> dict[str, Any]:
    """The case as the console pane, the field cards and the API show it.

    Returns
    -------
    dict
        JSON-friendly (times ISO 8601 UTC with ``Z``): the case's columns, its category,
        SLA standing (``sla_status`` over the folded history; None before dispatch), photos
        with their URLs, history, events (JSON details parsed), the latest routing
        suggestion, the actions this actor may take, the cases merged into it, and
        ``version`` (the last transition's seq, for optimistic concurrency).

    Raises
    ------
    Refused
        404 when the case is unknown or outside the actor's scope.
    """
    visible_case(store, actor, case_id)
    frame = store.query_df(_CASE_SQL, [case_id])
    if frame.empty:
        raise Refused(f"no case {case_id!r} in your scope", 404)
    row = {k: _plain(v) for k, v in frame.iloc[0].to_dict().items()}
    past = histories(store, [case_id])[case_id]
    state = fold(past)
    stage = row["stage"]
    zh, en = STAGE_LABELS.get(stage, (stage, stage))
    events = [
        {"seq": int(seq), "at": iso(at), "actor": who, "kind": kind, "detail": _json_or_text(d)}
        for seq, at, who, kind, d in store.query_rows(
            "SELECT seq, occurred_at, actor, kind, detail FROM case_events WHERE case_id = ? "
            "ORDER BY seq",
            [case_id],
        )
    ]
    routing = None
    for event in reversed(events):
        detail = event["detail"]
        if event["kind"] == "route_suggested" and isinstance(detail, dict):
            routing = {k: detail.get(k) for k in ("unit", "assignee", "basis", "reasons")}
            routing["reasons"] = reason_texts(detail, "en")
            routing["reasons_zh"] = reason_texts(detail, "zh")
            routing["unit_name"] = unit_name(store, routing["unit"])
            break
    duplicates = [
        cid
        for (cid,) in store.query_rows(
            "SELECT case_id FROM cases WHERE duplicate_of = ? ORDER BY reported_at, case_id",
            [case_id],
        )
    ]
    return {
        "id": case_id,
        "stage": stage,
        "stage_label": {"zh": zh, "en": en},
        "category": {
            "code": row["category_code"],
            "name_zh": row["category_name_zh"],
            "name_en": row["category_name_en"],
        },
        "category_issue": row["category_issue"],
        "lon": row["lon"],
        "lat": row["lat"],
        "address": row["address"],
        "description": row["description"],
        "source": row["source"],
        "reporter": row["reporter"],
        "reported_at": row["reported_at"],
        "cell_code": row["cell_code"],
        "district_code": row["district_code"],
        "street_code": row["street_code"],
        "community_code": row["community_code"],
        "unit": row["assigned_unit"],
        "unit_name": unit_name(store, row["assigned_unit"]),
        "assignee": row["assignee"],
        "claimed_by": row["claimed_by"],
        "due_at": row["due_at"],
        "dispatch_due_at": row["dispatch_due_at"],
        "sla": _sla(state, row, now=now, calendar=calendar),
        "escalation_level": row["escalation_level"],
        "duplicate_of": row["duplicate_of"],
        "duplicates": duplicates,
        "exercise": bool(row["exercise"]),
        "photos": case_photos(store, case_id),
        "history": [_history_item(t) for t in past],
        "events": events,
        "routing": routing,
        "allowed_actions": actions_for(actor, stage),
        "version": past[-1].seq if past else 0,
    }


@cache
def _to_metric(metric_crs: str) -> pyproj.Transformer:
    return pyproj.Transformer.from_crs("EPSG:4326", metric_crs, always_xy=True)


def nearby_open_cases(
    store: Store,
    actor: Actor,
    case_id: str,
    *,
    radius_m: float = 500,
    limit: int = 50,
    metric_crs: str = DEFAULT_METRIC_CRS,
) -> list[dict[str, Any]]:
    """Open cases of the same category within ``radius_m`` metres of the case, in the
    actor's scope, nearest first (the case itself left out).

    A bounding box in degrees selects candidates in SQL; the distance is then measured in
    ``metric_crs`` (the config's ``map.metric_crs``).

    Returns
    -------
    list of dict
        ``id``, ``lon``, ``lat``, ``stage``, ``distance_m`` (rounded to 0.1 m).

    Raises
    ------
    Refused
        404 when the case is unknown or outside the actor's scope.
    ValueError
        A radius that is not a positive finite number, or a limit below 1.
    """
    if not (isinstance(radius_m, (int, float)) and math.isfinite(radius_m) and radius_m > 0):
        raise ValueError(f"radius_m must be a positive number, not {radius_m!r}")
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ValueError(f"limit must be a whole number >= 1, not {limit!r}")
    visible_case(store, actor, case_id)
    origin = store.query_rows(
        "SELECT lon, lat, category_code FROM cases WHERE case_id = ?", [case_id]
    )[0]
    lon, lat, category = origin
    if lon is None or lat is None or not (math.isfinite(lon) and math.isfinite(lat)):
        return []
    # a box a little wider than the circle: degrees of longitude shrink with latitude
    min_lon, min_lat, max_lon, max_lat = degree_box(lon, lat, radius_m * 1.05)
    where, params = actor.scope.case_filter("cell_code", "assigned_unit")
    frame = store.query_df(
        "SELECT case_id, lon, lat, stage FROM cases WHERE stage NOT IN ('closed', 'void') "
        "AND category_code IS NOT DISTINCT FROM ? AND case_id <> ? "
        "AND lon BETWEEN ? AND ? AND lat BETWEEN ? AND ? "
        f"AND isfinite(lon) AND isfinite(lat) AND {where}",
        [category, case_id, min_lon, max_lon, min_lat, max_lat, *params],
    )
    if frame.empty:
        return []
    forward = _to_metric(metric_crs)
    x0, y0 = forward.transform(lon, lat)
    xs, ys = forward.transform(frame["lon"].to_numpy(), frame["lat"].to_numpy())
    frame["distance_m"] = np.hypot(np.asarray(xs) - x0, np.asarray(ys) - y0)
    frame = frame[frame["distance_m"] <= radius_m].sort_values(["distance_m", "case_id"])
    return [
        {
            "id": r.case_id,
            "lon": float(r.lon),
            "lat": float(r.lat),
            "stage": r.stage,
            "distance_m": round(float(r.distance_m), 1),
        }
        for r in frame.head(limit).itertuples()
    ]
