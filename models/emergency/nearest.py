"""The nearest available units (最近可用资源): units ranked by travel time to a scene, each
with its reasons, and every unit left out with why.

A unit can go when it is available, of the type the requirement names, at a trusted place
(a mobile unit's position no older than ``position_max_age_s``; depots, shelters and
experts are fixed), a shelter with room and a depot with the item in stock. Candidates are
ordered by ETA on the road network (:mod:`models.emergency.travel`), at most
``nearest_limit`` of them.

Districts: every district's units are ranked, whoever asks (a district's emergency user gets
mutual aid from the next district when it is nearer); each candidate carries its district,
and a reason says so when it is not the scene's district. Limiting what a user may *dispatch*
is the order's business, not the ranking's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
import shapely

from models.config_sections import EmergencySettings
from models.coordinates import coordinates_problem
from models.emergency.nearest_text import Reason
from models.emergency.places import district_of
from models.emergency.requirements import (
    Requirement,
    match_requirement,
    number,
    parse_requirement,
    parse_stock,
)
from models.emergency.resources import MOBILE_KINDS, load_units
from models.emergency.road_graph import DEFAULT_METRIC_CRS, RoadGraph, road_graph_for, to_metric
from models.emergency.travel import VIA_ROAD, travel_to_scene
from models.emergency.unit_rows import UnitRow, unit_rows
from models.store import Store
from models.vocabulary import RESOURCE_KINDS

#: A road route's off-road legs shorter than this are not worth a reason (snapping noise).
OFF_ROAD_NOTE_M = 50.0
#: Order of the excluded list: nearly-available first, the wrong type last.
EXCLUSION_ORDER: tuple[str, ...] = (
    "stale_position", "no_position", "returning", "on_scene", "dispatched", "out_of_service",
    "unknown_status", "no_capacity", "no_stock", "wrong_type",
)  # fmt: skip
_STATUS_CODES = ("dispatched", "on_scene", "returning", "out_of_service")


@dataclass(frozen=True)
class _Unit:
    unit: str
    name_zh: str
    name_en: str | None
    kind: str
    subtype: str | None
    district: str | None
    district_zh: str | None
    district_en: str | None

    def name(self, lang: str) -> str:
        return self.name_zh if lang == "zh" or not self.name_en else self.name_en

    def _json(self, lang: str) -> dict[str, Any]:
        return {
            "unit": self.unit,
            "name": self.name(lang),
            "kind": self.kind,
            "subtype": self.subtype,
            "district": self.district,
            "district_name": self.district_zh
            if lang == "zh"
            else (self.district_en or self.district_zh),
        }


@dataclass(frozen=True)
class Candidate(_Unit):
    """A unit that can go, with its time and distance to the scene and why it ranks."""

    eta_s: float = math.inf
    distance_m: float = math.inf
    via: str = VIA_ROAD
    lon: float = math.nan
    lat: float = math.nan
    reasons: tuple[Reason, ...] = ()


@dataclass(frozen=True)
class Excluded(_Unit):
    """A unit that cannot go, and why."""

    why: Reason = Reason("unknown_status")


@dataclass(frozen=True)
class Ranking:
    """Candidates by ETA (at most the limit), the units left out, how many could go in all,
    and what was wrong with the request itself (then nothing is ranked)."""

    candidates: tuple[Candidate, ...] = ()
    excluded: tuple[Excluded, ...] = ()
    eligible: int = 0
    problem: Reason | None = None

    def to_json(self, lang: str = "zh") -> dict[str, Any]:
        """The API's answer, texts in ``lang`` (``zh`` or ``en``)."""
        return {
            "candidates": [
                {
                    **c._json(lang),
                    "eta_s": round(c.eta_s, 1),
                    "distance_m": round(c.distance_m, 1),
                    "via": c.via,
                    "lon": c.lon,
                    "lat": c.lat,
                    "reasons": [r.text(lang) for r in c.reasons],
                    "reason_codes": [r.code for r in c.reasons],
                }
                for c in self.candidates
            ],
            "excluded": [
                {**e._json(lang), "why": e.why.text(lang), "why_code": e.why.code}
                for e in self.excluded
            ],
            "eligible": self.eligible,
            "problem": None if self.problem is None else self.problem.text(lang),
            "problem_code": None if self.problem is None else self.problem.code,
        }


def _screen(row: UnitRow, req: Requirement | None, settings: EmergencySettings) -> Reason | None:
    """Why the unit cannot go, or None when it can."""
    stock_problem = None
    if req is not None:
        matched = match_requirement(req, row.kind, row.subtype, _stock_of(row))
        if matched.code == "wrong_type":
            return matched
        if matched.code == "no_stock":
            stock_problem = matched
    if row.status != "available":
        code = row.status if row.status in _STATUS_CODES else "unknown_status"
        return Reason(code, {"status": row.status})
    if math.isnan(row.lon) or math.isnan(row.lat):
        return Reason("no_position")
    if row.kind in MOBILE_KINDS:
        if math.isnan(row.age_s):
            return Reason("no_position")
        if row.age_s > settings.position_max_age_s:
            return Reason(
                "stale_position", {"age_s": row.age_s, "max_s": settings.position_max_age_s}
            )
    if row.kind == "shelter" and not math.isnan(row.capacity):
        occupancy = 0.0 if math.isnan(row.occupancy) else row.occupancy
        if occupancy >= row.capacity:
            return Reason("no_capacity", {"capacity": row.capacity, "occupancy": occupancy})
    return stock_problem


def _stock_of(row: UnitRow) -> dict[str, float]:
    return parse_stock(row.stock) if row.kind == "depot" else {}


def _notes(
    row: UnitRow, req: Requirement | None, scene_district: str | None
) -> tuple[list[Reason], list[Reason]]:
    """Why a unit that can go ranks: the reasons before its travel and those after."""
    before, after = [Reason("available")], []
    if req is not None:
        before.append(Reason("matches", {"alternatives": req}))
    if row.kind in MOBILE_KINDS:
        after.append(Reason("position_age", {"age_s": row.age_s}))
    else:
        after.append(Reason("fixed_site"))
    if req is not None:
        matched = match_requirement(req, row.kind, row.subtype, _stock_of(row))
        if "item" in matched.params:
            after.append(Reason("in_stock", {k: matched.params[k] for k in ("item", "quantity")}))
    if row.kind == "shelter" and not math.isnan(row.capacity):
        occupancy = 0.0 if math.isnan(row.occupancy) else row.occupancy
        after.append(Reason("room", {"free": row.capacity - occupancy}))
    if scene_district and row.district and row.district != scene_district:
        names = {"district": row.district, "district_zh": row.district_zh,
                 "district_en": row.district_en}  # fmt: skip
        after.append(Reason("other_district", names))
    return before, after


def _travel_reasons(travel: Any, i: int, settings: EmergencySettings) -> list[Reason]:
    distance = float(travel.distance_m[i])
    speed = settings.fallback_speed_kmh
    if travel.via[i] == VIA_ROAD:
        out = [Reason("road", {"distance_m": distance})]
        if travel.off_road_m[i] >= OFF_ROAD_NOTE_M:
            out.append(Reason("off_road_leg", {"distance_m": float(travel.off_road_m[i]),
                                               "speed_kmh": speed}))  # fmt: skip
        return out
    road = float(travel.scene_road_m if travel.line_why[i] == "scene_off_network"
                 else travel.road_m[i])  # fmt: skip
    params = {"distance_m": distance, "speed_kmh": speed}
    if math.isfinite(road):
        params["road_m"] = road
    return [Reason(str(travel.line_why[i]), params)]


def rank_units(
    units: pd.DataFrame,
    graph: RoadGraph,
    scene_lon: float,
    scene_lat: float,
    *,
    now: datetime,
    settings: EmergencySettings,
    kind: str | None = None,
    requires: str | None = None,
    scene_district: str | None = None,
) -> Ranking:
    """Rank ``units`` (rows as :func:`models.emergency.resources.load_units` gives) by travel
    time to the scene (pure; never raises on bad data).

    Parameters
    ----------
    units
        Resources with their current position and status.
    graph
        The road graph (may be empty: straight lines at the fallback speed).
    scene_lon, scene_lat
        The scene (WGS 84). Not a place on Earth: an empty ranking with ``problem``.
    now
        Naive UTC; positions are aged against it.
    settings
        ``position_max_age_s``, ``fallback_speed_kmh``, ``snap_max_m``, ``nearest_limit``.
    kind
        Only units of this kind (others are not listed at all); unknown: ``problem``.
    requires
        A plan step's requirement (see :func:`parse_requirement`); units of another type
        are listed as excluded (``wrong_type``).
    scene_district
        The scene's district code: candidates from another district say so.

    Returns
    -------
    Ranking
    """
    if kind is not None and kind not in RESOURCE_KINDS:
        return Ranking(problem=Reason("unknown_kind", {"kind": kind}))
    lon, lat = number(scene_lon), number(scene_lat)
    detail = coordinates_problem(scene_lon, scene_lat) if lon is not None and lat is not None \
        else f"{scene_lon}, {scene_lat}"  # fmt: skip
    if detail is not None:
        return Ranking(problem=Reason("bad_scene", {"detail": detail}))
    if kind is not None and "kind" in units.columns:
        units = units[units["kind"] == kind]
    req = parse_requirement(requires)
    excluded: list[Excluded] = []
    ok: list[UnitRow] = []
    for row in unit_rows(units, now):
        why = _screen(row, req, settings)
        if why is None:
            ok.append(row)
        else:
            excluded.append(Excluded(**row.fields(), why=why))
    rank = {code: n for n, code in enumerate(EXCLUSION_ORDER)}
    excluded.sort(key=lambda e: (rank.get(e.why.code, len(rank)), e.unit))
    if not ok:
        return Ranking(excluded=tuple(excluded))
    forward = to_metric(graph.metric_crs)
    xs, ys = forward.transform(np.array([r.lon for r in ok]), np.array([r.lat for r in ok]))
    travel = travel_to_scene(
        graph,
        forward.transform(lon, lat),
        np.column_stack([xs, ys]),
        snap_max_m=settings.snap_max_m,
        fallback_speed_kmh=settings.fallback_speed_kmh,
    )
    ids = np.array([r.unit for r in ok], dtype=object)
    candidates = []
    for i in np.lexsort((ids, travel.eta_s))[: settings.nearest_limit]:
        row = ok[i]
        before, after = _notes(row, req, scene_district)
        candidates.append(
            Candidate(
                **row.fields(),
                eta_s=float(travel.eta_s[i]),
                distance_m=float(travel.distance_m[i]),
                via=str(travel.via[i]),
                lon=row.lon,
                lat=row.lat,
                reasons=(*before, *_travel_reasons(travel, int(i), settings), *after),
            )
        )
    return Ranking(tuple(candidates), tuple(excluded), eligible=len(ok))


def nearest_for(
    store: Store,
    scene_lon: float,
    scene_lat: float,
    *,
    now: datetime,
    settings: EmergencySettings,
    metric_crs: str = DEFAULT_METRIC_CRS,
    kind: str | None = None,
    requires: str | None = None,
    scene_district: str | None = None,
) -> Ranking:
    """The nearest available units to a scene, read from ``store`` (every district's units;
    the road graph from the store's cache). See :func:`rank_units` for the options;
    ``metric_crs`` is the config's ``map.metric_crs``; ``scene_district`` defaults to the
    district holding the scene point."""
    if kind is not None and kind not in RESOURCE_KINDS:
        return Ranking(problem=Reason("unknown_kind", {"kind": kind}))
    graph = road_graph_for(store, metric_crs=metric_crs)
    units = load_units(store, kind=kind)
    if scene_district is None and number(scene_lon) is not None and number(scene_lat) is not None:
        # the district the units drive to (an incident's own district may be that of the
        # largest part of its area): units from elsewhere are marked as mutual aid
        scene_district = district_of(store, shapely.Point(float(scene_lon), float(scene_lat)))
    return rank_units(
        units,
        graph,
        scene_lon,
        scene_lat,
        now=now,
        settings=settings,
        kind=kind,
        requires=requires,
        scene_district=scene_district,
    )
