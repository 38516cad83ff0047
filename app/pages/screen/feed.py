"""The wall's live feed (new cases and alarms) and the receipt watermarks of live polling."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from app.i18n import t
from layers.sensors import ENV_KINDS
from models.security import Scope
from models.store import Store

#: A changed case or alarm enters the feed only while it is this fresh (a case that moves
#: from 立案 to 派遣 an hour later is not "new").
FEED_WINDOW = timedelta(minutes=15)
FEED_LENGTH = 30


def _local_time(moment: datetime, tz: str) -> str:
    return moment.replace(tzinfo=UTC).astimezone(ZoneInfo(tz)).strftime("%H:%M:%S")


def feed_items(
    store: Store, scope: Scope, *, until: datetime, since: int | None, lang: str, tz: str
) -> list[dict[str, Any]]:
    """Feed items, oldest first: with ``since`` (a change sequence) only rows changed after it
    and fresh at ``until``; without, the last :data:`FEED_LENGTH` events up to ``until``."""
    where, params = scope.sql_filter("c.cell_code")
    alarm_where, alarm_params = scope.sql_filter("s.cell_code")
    if since is None:
        case_cond, case_params = "c.reported_at <= ?", [until]
        alarm_cond, alarm_params_extra = "a.opened_at <= ?", [until]
    else:
        case_cond, case_params = (
            "c.change_seq > ? AND c.reported_at > ? AND c.reported_at <= ? "
            "AND c.stage NOT IN ('closed', 'void')",
            [since, until - FEED_WINDOW, until],
        )
        alarm_cond, alarm_params_extra = (
            "a.change_seq > ? AND a.opened_at > ? AND a.cleared_at IS NULL",
            [since, until - FEED_WINDOW],
        )
    name = "k.name_zh" if lang == "zh" else "coalesce(k.name_en, k.name_zh)"
    cases = store.query_rows(
        f"SELECT c.case_id, c.reported_at, c.source, {name}, c.address, c.lon, c.lat, "
        "c.exercise, c.external_id FROM cases c "
        "LEFT JOIN categories k ON k.category_code = c.category_code "
        f"WHERE {case_cond} AND {where} ORDER BY c.reported_at DESC LIMIT {FEED_LENGTH}",
        [*case_params, *params],
    )
    alarms = store.query_rows(
        "SELECT a.alarm_id, a.opened_at, s.kind, s.sensor_id, a.rule_id, a.value, s.lon, s.lat, "
        "a.exercise FROM alarms a JOIN sensors s ON s.sensor_id = a.sensor_id "
        f"WHERE {alarm_cond} AND {alarm_where} ORDER BY a.opened_at DESC LIMIT {FEED_LENGTH}",
        [*alarm_params_extra, *alarm_params],
    )
    items: list[tuple[datetime, dict[str, Any]]] = []
    for case_id, at, source, category, address, lon, lat, exercise, external_id in cases:
        items.append(
            (
                at,
                {
                    "kind": "case",
                    "id": case_id,
                    "ext": external_id or "",
                    "layer": "case-points",
                    "time": _local_time(at, tz),
                    "tag": t(f"source.{source}", lang) if source else "",
                    "text": " · ".join(x for x in (category, address) if x) or case_id,
                    "lon": lon,
                    "lat": lat,
                    "exercise": bool(exercise),
                },
            )
        )
    for _alarm_id, at, kind, sensor_id, rule_id, value, lon, lat, exercise in alarms:
        shown = "" if value is None else f" = {value:g}"
        items.append(
            (
                at,
                {
                    "kind": "alarm",
                    "id": sensor_id,
                    "layer": "sensor-points" if kind not in ENV_KINDS else "env-points",
                    "time": _local_time(at, tz),
                    "tag": t("feed.alarm", lang),
                    "text": f"{t(f'sensor_kind.{kind}', lang)} {sensor_id} · {rule_id}{shown}",
                    "lon": lon,
                    "lat": lat,
                    "exercise": bool(exercise),
                },
            )
        )
    items.sort(key=lambda pair: pair[0])
    return [item for _, item in items[-FEED_LENGTH:]]


def newest_receipt(store: Store, after: datetime) -> datetime:
    """The latest receipt time of observations, traffic samples and unit positions after
    ``after`` (or ``after`` itself when nothing newer arrived)."""
    value = store.query_value(
        "SELECT max(r) FROM (SELECT max(received_at) AS r FROM observations WHERE received_at > ? "
        "UNION ALL SELECT max(received_at) FROM traffic_samples WHERE received_at > ? "
        "UNION ALL SELECT max(received_at) FROM unit_positions WHERE received_at > ?)",
        [after, after, after],
    )
    return value if isinstance(value, datetime) else after


def positions_moved(store: Store, after: datetime) -> bool:
    """Whether a unit reported its position after ``after``."""
    return bool(
        store.query_value("SELECT count(*) > 0 FROM unit_positions WHERE received_at > ?", [after])
    )


def emergency_changed(store: Store, since: int) -> bool:
    """Whether an incident, resource or warning changed after change sequence ``since``."""
    return bool(
        store.query_value(
            "SELECT count(*) > 0 FROM (SELECT change_seq FROM incidents WHERE change_seq > ? "
            "UNION ALL SELECT change_seq FROM resources WHERE change_seq > ? "
            "UNION ALL SELECT change_seq FROM alerts WHERE change_seq > ?)",
            [since, since, since],
        )
    )
