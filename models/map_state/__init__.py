"""The state of the one map at an instant (live or replayed) and what changed since a cursor."""

from models.map_state.cases import CASE_COLUMNS, case_counts_by_cell, cases_at
from models.map_state.changes import current_change_seq
from models.map_state.emergency import incidents_at, resources_at, warning_areas_at
from models.map_state.kpis import kpis_at, local_midnight
from models.map_state.ranking import RANKING_WINDOW, ranking_at, street_scores
from models.map_state.sensing import (
    SENSOR_COLUMNS,
    TRAFFIC_COLUMNS,
    sensors_at,
    sensors_changed_since,
    traffic_at,
    traffic_changed_since,
)

__all__ = [
    "CASE_COLUMNS",
    "RANKING_WINDOW",
    "SENSOR_COLUMNS",
    "TRAFFIC_COLUMNS",
    "case_counts_by_cell",
    "cases_at",
    "current_change_seq",
    "incidents_at",
    "kpis_at",
    "local_midnight",
    "ranking_at",
    "resources_at",
    "sensors_at",
    "sensors_changed_since",
    "street_scores",
    "traffic_at",
    "traffic_changed_since",
    "warning_areas_at",
]
