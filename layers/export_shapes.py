"""What each exported map layer keeps: its columns, times, JSON-text columns, feature id
and geometry (pure; data from :mod:`models.map_state` as the wall gets it)."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from layers.export import feature_table, points
from models.emergency.cameras import safe_stream_url


def grid_cell_features(cells: gpd.GeoDataFrame, counts: pd.DataFrame) -> gpd.GeoDataFrame:
    """Cells with the wall's two case colourings (open and overdue cases at the instant)."""
    frame = pd.DataFrame(cells.drop(columns=cells.geometry.name))
    by_cell = counts.set_index("cell_code") if len(counts) else None
    for column in ("open_cases", "overdue"):
        values = frame["cell_code"].map(by_cell[column]) if by_cell is not None else None
        frame[column] = pd.Series(values, index=frame.index).fillna(0).astype(int)
    frame["grid_workers"] = frame["grid_workers"].map(
        lambda w: ", ".join(str(x) for x in w) if w is not None and len(w) else None
    )
    columns = (
        "cell_code", "district_code", "district_name", "street_code", "street_name",
        "community_code", "community_name", "size_class", "responsible_body", "grid_workers",
        "area_m2", "synthetic", "open_cases", "overdue",
    )  # fmt: skip
    return feature_table(frame, columns, cells.geometry.array)


CASE_COLUMNS = (
    "case_id", "category_code", "category_zh", "category_en", "source", "stage", "severity",
    "sla", "time_left_h", "escalation_level", "rework_count", "assigned_unit", "exercise",
    "reported_at", "due_at", "closed_at", "cell_code", "district_code", "street_code", "lon",
    "lat",
)  # fmt: skip


def case_features(cases: pd.DataFrame) -> gpd.GeoDataFrame:
    """Open cases at the instant (as :func:`models.map_state.cases_at` reads them)."""
    return feature_table(
        cases, CASE_COLUMNS, points(cases), times=("reported_at", "due_at", "closed_at")
    )


def sensor_features(sensors: pd.DataFrame) -> gpd.GeoDataFrame:
    """Sensors with their level at the instant; ``values`` as JSON text."""
    columns = (
        "sensor_id", "kind", "level", "level_zh", "level_en", "headline", "alarm", "stale",
        "last_ts", "interval_s", "values", "cell_code", "lon", "lat",
    )  # fmt: skip
    return feature_table(sensors, columns, points(sensors), times=("last_ts",), texts=("values",))


def traffic_features(traffic: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Road segments with their latest sample (``band`` -1: no recent sample)."""
    frame = pd.DataFrame(traffic.drop(columns=traffic.geometry.name))
    frame = frame.rename(columns={"index": "travel_time_index", "ts": "sample_at"})
    columns = (
        "segment_id", "name_zh", "road_class", "free_flow_kmh", "length_m", "speed_kmh",
        "flow_vph", "travel_time_index", "band", "sample_at",
    )  # fmt: skip
    return feature_table(frame, columns, traffic.geometry.array, times=("sample_at",))


def incident_features(incidents: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Incidents open at the instant: their area, else their point."""
    frame = pd.DataFrame(incidents.drop(columns=incidents.geometry.name))
    columns = (
        "incident_id", "incident_type", "level", "title", "status", "exercise", "opened_at",
        "lon", "lat",
    )  # fmt: skip
    return feature_table(frame, columns, incidents.geometry.array, times=("opened_at",))


RESOURCE_COLUMNS = (
    "resource_id", "kind", "subtype", "name_zh", "name_en", "status", "capacity", "stock",
    "district_code", "position_at", "position_age_s", "lon", "lat",
)  # fmt: skip


def resource_features(resources: pd.DataFrame, *, shelters: bool) -> gpd.GeoDataFrame:
    """Resources where they were at the instant: the shelters, or every other kind (as the
    wall splits them into two layers)."""
    is_shelter = resources["kind"].astype(str) == "shelter"
    chosen = resources[is_shelter if shelters else ~is_shelter]
    return feature_table(
        chosen, RESOURCE_COLUMNS, points(chosen), times=("position_at",), texts=("stock",)
    )


def warning_area_features(areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """CAP warning areas in force at the instant."""
    frame = pd.DataFrame(areas.drop(columns=areas.geometry.name))
    columns = (
        "identifier", "direction", "sender", "msg_type", "severity", "headline", "exercise",
        "sent", "expires",
    )  # fmt: skip
    return feature_table(frame, columns, areas.geometry.array, times=("sent", "expires"))


def camera_features(cameras: pd.DataFrame) -> gpd.GeoDataFrame:
    """Cameras, with their stream link only when it is an acceptable one (as on the wall)."""
    frame = cameras.assign(stream_url=cameras["stream_url"].map(safe_stream_url))
    columns = (
        "camera_id",
        "name",
        "camera_class",
        "owner",
        "stream_url",
        "synthetic",
        "lon",
        "lat",
    )
    return feature_table(frame, columns, points(frame))
