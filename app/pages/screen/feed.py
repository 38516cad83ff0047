"""The wall's live feed: new cases and alarms as items for the browser."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from app.i18n import t
from layers.sensors import ENV_KINDS
from models.map_state.feed import feed_alarms, feed_cases
from models.rules import STALE_RULE
from models.security import Scope
from models.store import Store

#: A changed case or alarm enters the feed only while it is this fresh (a case that moves
#: from 立案 to 派遣 an hour later is not "new").
FEED_WINDOW = timedelta(minutes=15)
FEED_LENGTH = 30


def _local_time(moment: datetime, tz: str) -> str:
    return moment.replace(tzinfo=UTC).astimezone(ZoneInfo(tz)).strftime("%H:%M:%S")


def feed_items(
    store: Store,
    scope: Scope,
    *,
    until: datetime,
    since: int | None,
    lang: str,
    tz: str,
    case_majors: tuple[str, ...] = (),
) -> list[dict[str, Any]]:
    """Feed items, oldest first: with ``since`` (a change sequence) only rows changed after it
    and fresh at ``until``; without, the last :data:`FEED_LENGTH` events up to ``until``.
    A theme's ``case_majors`` keep the cases to its categories (alarms all stay)."""
    options = {"until": until, "since": since, "window": FEED_WINDOW, "limit": FEED_LENGTH}
    cases = feed_cases(store, scope, **options, majors=case_majors)
    alarms = feed_alarms(store, scope, **options)
    items: list[tuple[datetime, dict[str, Any]]] = []
    for case in cases.itertuples(index=False):
        at, source = case.reported_at, case.source
        category = case.category_zh if lang == "zh" else case.category_en or case.category_zh
        items.append(
            (
                at,
                {
                    "kind": "case",
                    "id": case.case_id,
                    "ext": _text(case.external_id),
                    "layer": "case-points",
                    "time": _local_time(at, tz),
                    "tag": t(f"source.{source}", lang) if _text(source) else "",
                    "text": " · ".join(x for x in (_text(category), _text(case.address)) if x)
                    or case.case_id,
                    "lon": _number(case.lon),
                    "lat": _number(case.lat),
                    "exercise": bool(case.exercise),
                },
            )
        )
    for alarm in alarms.itertuples(index=False):
        at, kind, sensor_id, value = alarm.opened_at, alarm.kind, alarm.sensor_id, alarm.value
        rule = str(alarm.rule_id)
        if pd.isna(value):
            shown = ""
        elif rule == STALE_RULE.rule_id:  # the value of a silence is its length in seconds
            shown = " " + t("feed.silent_for", lang, minutes=round(float(value) / 60))
        else:
            shown = f" = {value:g}"
        name = t(f"sensor_kind.{kind}", lang)
        items.append(
            (
                at,
                {
                    "kind": "alarm",
                    "id": sensor_id,
                    "layer": "sensor-points" if kind not in ENV_KINDS else "env-points",
                    "time": _local_time(at, tz),
                    "tag": t("feed.alarm", lang),
                    "text": f"{name} {sensor_id} · {t(f'rule.{rule}', lang)}{shown}",
                    "lon": _number(alarm.lon),
                    "lat": _number(alarm.lat),
                    "exercise": bool(alarm.exercise),
                },
            )
        )
    items.sort(key=lambda pair: pair[0])
    return [item for _, item in items[-FEED_LENGTH:]]


def _text(value: Any) -> str:
    """A text cell of a frame as ``str`` (``""`` for NULL/NaN)."""
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)


def _number(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)
