"""What a report holds, gathered through models/ (no rendering here): the indicators and
city score, the rankings, the period's cases for the map and charts, notable incidents."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import geopandas as gpd
import pandas as pd
from shapely.geometry import Point

from app.reports.store import KINDS, ReportKey
from models.config import Config
from models.evaluation import evaluate
from models.geography import load_admin_areas
from models.indicators.compute import city_score, compute_indicators
from models.indicators.periods import Period, parse_period
from models.report_queries import (
    area_names,
    category_counts,
    daily_counts,
    notable_cases,
    period_cases,
    period_incidents,
    synthetic_parts,
)
from models.security import Scope
from models.store import Store

#: Groupings of the rankings, in report order: (evaluate's ``by``, zh, en).
RANKINGS = (
    ("district", "区县排名", "Districts"),
    ("street", "镇街排名", "Streets"),
    ("department", "部门排名", "Departments"),
)


@dataclass
class ReportContent:
    key: ReportKey
    period: Period
    scope: Scope
    city_zh: str
    city_en: str
    area_zh: str  # the city's name, or the district's
    tz: str
    made_at: datetime  # naive UTC
    indicators: list[dict[str, Any]]
    score: dict[str, Any]
    weights: dict[str, float]
    rankings: dict[str, pd.DataFrame]
    cases: pd.DataFrame
    categories: pd.DataFrame
    daily: pd.DataFrame
    incidents: pd.DataFrame
    notable: pd.DataFrame
    districts: gpd.GeoDataFrame
    streets: gpd.GeoDataFrame
    synthetic: list[str] = field(default_factory=list)  # see synthetic_parts


def report_period(key: ReportKey, tz: str) -> Period:
    """The engine's period of a report key (a local day or month)."""
    period = parse_period(key.period, tz)
    if period.kind != KINDS[key.kind][0]:
        raise ValueError(f"{key.period} is not a {KINDS[key.kind][0]}")
    return period


def _scope_of(key: ReportKey) -> Scope:
    return Scope("district", (key.district,)) if key.district else Scope("city")


def _ranking(store: Store, by: str, period: Period, key: ReportKey, weights, now) -> pd.DataFrame:
    df = evaluate(
        store, period_start=period.start, period_end=period.end, by=by, weights=weights, now=now
    )
    if key.district is not None:  # evaluate sees the city: keep the district's own groups
        values = df["group_value"].fillna("")
        keep = (
            values.str.startswith(key.district)
            if by != "department"
            else (values.str.contains(key.district, regex=False))
        )
        df = df[keep]
    df = df[df["group_value"].notna()].reset_index(drop=True)
    df["group_name"] = df["group_name"].fillna(df["group_value"])
    return df


def _incidents_in(store: Store, df: pd.DataFrame, key: ReportKey) -> pd.DataFrame:
    """Incidents within the report's district (by their point), all for the city."""
    if key.district is None or df.empty:
        return df
    areas = load_admin_areas(store, "district", scope=_scope_of(key))
    areas = areas[areas["code"] == key.district]
    if areas.empty:
        return df.iloc[0:0]
    shape = areas.geometry.union_all()
    inside = [
        lon is not None and lat is not None and pd.notna(lon) and shape.contains(Point(lon, lat))
        for lon, lat in zip(df["lon"], df["lat"], strict=True)
    ]
    return df[inside].reset_index(drop=True)


def gather(store: Store, config: Config, key: ReportKey, *, now: datetime) -> ReportContent:
    """Everything the report ``key`` shows, as of ``now`` (naive UTC)."""
    settings = config.settings
    tz = settings.calendar.timezone
    period = report_period(key, tz)
    scope = _scope_of(key)
    cockpit = settings.cockpit
    indicators = compute_indicators(
        store, period=period, scope=scope, now=now, trend_periods=cockpit.trend_periods
    )
    score = city_score(indicators, cockpit.dimension_weights)
    weights = dict(cockpit.ranking_weights)
    rankings = {
        by: _ranking(store, by, period, key, weights, now)
        for by, _zh, _en in RANKINGS
        if not (by == "district" and key.district)
    }
    bounds = {"start": period.start, "end": period.end, "scope": scope}
    area = settings.city.name_zh
    if key.district:
        area = area_names(store, [key.district]).get(key.district, key.district)
    return ReportContent(
        key=key,
        period=period,
        scope=scope,
        city_zh=settings.city.name_zh,
        city_en=settings.city.name_en,
        area_zh=area,
        tz=tz,
        made_at=now,
        indicators=indicators,
        score=score,
        weights=weights,
        rankings=rankings,
        cases=period_cases(store, **bounds),
        categories=category_counts(store, **bounds),
        daily=daily_counts(store, **bounds, tz=tz),
        incidents=_incidents_in(
            store, period_incidents(store, start=period.start, end=period.end), key
        ),
        notable=notable_cases(store, **bounds, now=now),
        districts=load_admin_areas(store, "district", scope=scope),
        streets=load_admin_areas(store, "street", scope=scope),
        synthetic=synthetic_parts(store),
    )
