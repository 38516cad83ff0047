"""Generated emergency resources (应急资源): teams, vehicles, depots, shelters and experts."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ingest.demo_city.anchors import CORE_CENTRE, PORT, UTM50N
from ingest.demo_city.geomutil import lonlat_to_xy, snap_inside
from ingest.demo_city.resource_catalog import (
    CN_NUMERALS,
    DISTRICT_NAMES,
    EXPERT_FIELDS,
    FIRE_TOWNS,
    FOREST_TOWNS,
    MEDICAL_TOWNS,
    POLICE_TOWNS,
    RESCUE_TOWNS,
    SHELTER_PLACES,
    SHELTER_TOWNS,
)

_STAGE = 7


class _Builder:
    """Collects resource rows; positions in UTM metres."""

    def __init__(self, streets: gpd.GeoDataFrame, rng: np.random.Generator) -> None:
        self.streets = streets.set_index("street_code")
        self.rng = rng
        self.rows: list[dict[str, object]] = []
        self.counter: dict[str, int] = {}

    def near_town(self, code: str, spread: float = 900.0) -> tuple[np.ndarray, str]:
        town = self.streets.loc[code]
        x = town.seat_x + self.rng.uniform(-spread, spread)
        y = town.seat_y + self.rng.uniform(-spread, spread)
        return np.array(snap_inside(town.geometry, x, y, margin=60.0)), str(town.district_code)

    def town_name(self, code: str) -> str:
        name = str(self.streets.loc[code, "name_zh"])
        return name.replace("潮州市", "").replace("广东", "")

    def add(
        self,
        kind: str,
        subtype: str,
        name_zh: str,
        name_en: str,
        xy: np.ndarray,
        district: str,
        *,
        capacity: int | None = None,
        stock: dict[str, int] | None = None,
    ) -> None:
        prefix = {"team": "TM", "vehicle": "VH", "depot": "DP", "shelter": "SH", "expert": "EX"}[
            kind
        ]
        self.counter[kind] = self.counter.get(kind, 0) + 1
        self.rows.append(
            {
                "resource_id": f"{prefix}-{self.counter[kind]:03d}",
                "kind": kind,
                "subtype": subtype,
                "name_zh": f"{name_zh}（模拟）",
                "name_en": f"{name_en} (simulated)",
                "status": "available",
                "capacity": capacity,
                "stock": json.dumps(stock, ensure_ascii=False, sort_keys=True) if stock else None,
                "district_code": district,
                "x": float(xy[0]),
                "y": float(xy[1]),
            }
        )


def _ordinal_zh(n: int) -> str:
    return CN_NUMERALS[n - 1] if n <= 10 else str(n)


def _stock(rng: np.random.Generator, base: dict[str, int]) -> dict[str, int]:
    return {k: int(np.rint(v * rng.uniform(0.6, 1.4))) for k, v in base.items()}


def _river_points(
    rivers: gpd.GeoDataFrame, city: shapely.Geometry, n: int, rng: np.random.Generator
) -> np.ndarray:
    river = shapely.intersection(shapely.union_all(rivers.geometry.values), city)
    lines = [g for g in shapely.get_parts(river) if shapely.get_type_id(g) == 1]
    total = np.array([g.length for g in lines])
    at = (np.arange(n) + rng.uniform(0.2, 0.8, n)) / n * total.sum()
    which = np.minimum(np.searchsorted(np.cumsum(total), at), len(lines) - 1)
    local = at - np.r_[0, np.cumsum(total)][which]
    pts = np.array([lines[w].interpolate(d).coords[0] for w, d in zip(which, local)])
    pts = pts + rng.uniform(-200, 200, pts.shape)
    return np.array([snap_inside(city, x, y, margin=100.0) for x, y in pts])


def _fire_and_medical(b: _Builder) -> None:
    per_district: dict[str, int] = {}
    for code in FIRE_TOWNS:
        xy, dist = b.near_town(code)
        per_district[dist] = per_district.get(dist, 0) + 1
        n = per_district[dist]
        zh = f"{DISTRICT_NAMES[dist][0]}第{_ordinal_zh(n)}消防救援站"
        en = f"{DISTRICT_NAMES[dist][1]} Fire Station No. {n}"
        b.add("team", "fire", zh, en, xy, dist)
        b.add(
            "vehicle", "fire", f"{zh}水罐消防车", f"{en} water tender", xy + 30.0, dist, capacity=6
        )
        b.add(
            "vehicle",
            "rescue",
            f"{zh}抢险救援车",
            f"{en} rescue truck",
            xy - 30.0,
            dist,
            capacity=5,
        )
    bases = []
    for code in MEDICAL_TOWNS:
        xy, dist = b.near_town(code)
        town = b.town_name(code)
        b.add("team", "medical", f"{town}急救站", f"{town} emergency medical station", xy, dist)
        bases.append((xy, dist, town))
    for n in range(10):
        xy, dist, town = bases[n % len(bases)]
        b.add(
            "vehicle",
            "medical",
            f"{town}急救站救护车{n // len(bases) + 1}号",
            f"{town} ambulance {n // len(bases) + 1}",
            xy + 20.0 * (n + 1),
            dist,
            capacity=4,
        )


def _rescue_police_utility(b: _Builder) -> None:
    for n, code in enumerate(RESCUE_TOWNS, 1):
        xy, dist = b.near_town(code)
        b.add(
            "team",
            "rescue",
            f"潮州市应急救援队第{_ordinal_zh(n)}分队",
            f"Chaozhou emergency rescue squad {n}",
            xy,
            dist,
        )
    for code in POLICE_TOWNS:
        xy, dist = b.near_town(code, 500.0)
        town = b.town_name(code)
        b.add("team", "police", f"{town}派出所", f"{town} police station", xy, dist)
        b.add(
            "vehicle",
            "police",
            f"{town}派出所巡逻车",
            f"{town} patrol car",
            xy + 25.0,
            dist,
            capacity=4,
        )
    for code, zh, en in (
        ("445102007", "湘桥供电抢修队", "Xiangqiao power repair crew"),
        ("445103110", "潮安供电抢修队", "Chao'an power repair crew"),
        ("445122100", "饶平供电抢修队", "Raoping power repair crew"),
        ("445102008", "市区供水抢修队", "City water-main repair crew"),
        ("445103121", "燃气管网抢修队", "Gas network repair crew"),
    ):
        xy, dist = b.near_town(code)
        b.add("team", "utility", zh, en, xy, dist)


def _water_and_hazards(
    b: _Builder,
    rivers: gpd.GeoDataFrame,
    city: shapely.Geometry,
    districts: gpd.GeoDataFrame,
    port: np.ndarray,
) -> None:
    def district_of(xy: np.ndarray) -> str:
        hit = districts[districts.contains(shapely.Point(xy))]
        return str(hit["district_code"].iloc[0]) if len(hit) else "445102"

    pts = _river_points(rivers, city, 15, b.rng)
    for n, xy in enumerate(pts[:5], 1):
        b.add(
            "team",
            "flood_control",
            f"韩江防汛抢险队第{_ordinal_zh(n)}队",
            f"Han River flood-fighting team {n}",
            xy,
            district_of(xy),
        )
    for n, xy in enumerate(pts[5:11], 1):
        stock = _stock(
            b.rng,
            {
                "sandbags": 6000,
                "water_pumps": 10,
                "life_jackets": 300,
                "rubber_boats": 4,
                "tarpaulins": 500,
            },
        )
        b.add(
            "depot",
            "flood_control",
            f"防汛物资仓库{n}号",
            f"Flood-control depot {n}",
            xy,
            district_of(xy),
            stock=stock,
        )
    for n, xy in enumerate(pts[11:15], 1):
        b.add(
            "vehicle",
            "flood_control",
            f"移动排涝泵车{n}号",
            f"Mobile drainage pump truck {n}",
            xy,
            district_of(xy),
            capacity=3,
        )
    b.add(
        "team",
        "hazmat",
        "潮州港危化品应急处置队",
        "Port of Chaozhou hazmat response team",
        port,
        "445122",
    )
    xy, dist = b.near_town("445102401")
    b.add(
        "team",
        "hazmat",
        "开发区危化品应急处置队",
        "Development zone hazmat response team",
        xy,
        dist,
    )
    b.add(
        "depot",
        "hazmat",
        "潮州港危化品应急物资库",
        "Port of Chaozhou hazmat depot",
        port + 120.0,
        "445122",
        stock=_stock(
            b.rng,
            {
                "absorbent_booms_m": 800,
                "neutraliser_kg": 2000,
                "protective_suits": 60,
                "gas_detectors": 20,
            },
        ),
    )
    for n in (1, 2):
        b.add(
            "vehicle",
            "hazmat",
            f"危化品洗消车{n}号",
            f"Hazmat decontamination truck {n}",
            port + 40.0 * n,
            "445122",
            capacity=4,
        )
    for code in FOREST_TOWNS:
        xy, dist = b.near_town(code, 1500.0)
        town = b.town_name(code)
        b.add(
            "team", "forest_fire", f"{town}森林消防队", f"{town} forest firefighting team", xy, dist
        )
    for code in ("445103117", "445122107"):
        xy, dist = b.near_town(code)
        town = b.town_name(code)
        b.add(
            "depot",
            "forest_fire",
            f"{town}森林防火物资库",
            f"{town} forest-fire depot",
            xy,
            dist,
            stock=_stock(
                b.rng, {"fire_beaters": 400, "water_bags": 200, "blowers": 60, "chainsaws": 30}
            ),
        )


def _shelters_experts_relief(b: _Builder, centre: np.ndarray) -> None:
    for n, code in enumerate(SHELTER_TOWNS):
        xy, dist = b.near_town(code, 1200.0)
        town = b.town_name(code)
        place_zh, place_en = SHELTER_PLACES[n % len(SHELTER_PLACES)]
        urban = b.streets.loc[code, "kind"] == "街道"
        cap = int(b.rng.integers(15, 31) * 100) if urban else int(b.rng.integers(3, 16) * 100)
        b.add(
            "shelter",
            "shelter",
            f"{town}{place_zh}应急避难场所",
            f"{town} {place_en} shelter",
            xy,
            dist,
            capacity=cap,
        )
    for n, (sub, zh, en) in enumerate(EXPERT_FIELDS, 1):
        xy = centre + b.rng.uniform(-800, 800, 2)
        b.add("expert", sub, f"{zh}专家{n:02d}", f"{en} expert {n:02d}", xy, "445102")
    for code, zh, en in (
        ("445102010", "潮州市救灾物资储备库", "Chaozhou relief supplies depot"),
        ("445103110", "潮安区救灾物资储备库", "Chao'an relief supplies depot"),
        ("445122100", "饶平县救灾物资储备库", "Raoping relief supplies depot"),
    ):
        xy, dist = b.near_town(code)
        b.add(
            "depot",
            "relief",
            zh,
            en,
            xy,
            dist,
            stock=_stock(
                b.rng,
                {
                    "tents": 300,
                    "quilts": 2000,
                    "bottled_water_cases": 3000,
                    "instant_food_cases": 2500,
                    "generators": 12,
                },
            ),
        )


def build_resources(
    districts_utm: gpd.GeoDataFrame,
    streets_utm: gpd.GeoDataFrame,
    rivers_utm: gpd.GeoDataFrame,
    *,
    seed: int,
) -> gpd.GeoDataFrame:
    """Place the emergency resources, plainly named as simulated.

    Fire stations and police in the larger towns, flood-control teams and depots along the
    Han River, forest-fire teams in the northern mountains, hazmat at the port of 饶平,
    shelters in school-like places, experts in the city centre. A few units are out of
    service.

    Parameters
    ----------
    districts_utm, streets_utm, rivers_utm : GeoDataFrame
        In EPSG:32650; streets carry ``seat_x``/``seat_y``.
    seed : int

    Returns
    -------
    GeoDataFrame in EPSG:32650
        ``resource_id``, ``kind``, ``subtype``, ``name_zh``, ``name_en``, ``status``,
        ``capacity``, ``stock``, ``district_code``, ``synthetic``, ``geometry`` (Point).
    """
    rng = np.random.default_rng([seed, _STAGE])
    city = shapely.union_all(districts_utm.geometry.values)
    raoping = districts_utm[districts_utm["district_code"] == "445122"].geometry.iloc[0]
    port = np.array(snap_inside(raoping, *lonlat_to_xy(*PORT), margin=150.0), dtype=float)
    centre = np.array(lonlat_to_xy(*CORE_CENTRE), dtype=float)
    b = _Builder(streets_utm, rng)
    _fire_and_medical(b)
    _rescue_police_utility(b)
    _water_and_hazards(b, rivers_utm, city, districts_utm, port)
    _shelters_experts_relief(b, centre)
    frame = pd.DataFrame(b.rows)
    mobile = frame.index[frame["kind"].isin(["team", "vehicle"])].to_numpy()
    frame.loc[rng.choice(mobile, size=5, replace=False), "status"] = "out_of_service"
    frame["capacity"] = frame["capacity"].astype("Int64")
    # keep missing stock as None (pandas' string dtype would turn it into NaN)
    frame["stock"] = pd.Series(
        [v if isinstance(v, str) else None for v in frame["stock"]], dtype=object
    )
    frame["synthetic"] = True
    geom = shapely.points(frame[["x", "y"]].to_numpy())
    return gpd.GeoDataFrame(frame.drop(columns=["x", "y"]), geometry=geom, crs=UTM50N)
