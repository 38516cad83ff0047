"""A small city for the incident tests: a city outline and two districts side by side, and
the actors of each role and scope."""

from __future__ import annotations

from datetime import datetime

import shapely

from models.case_service import Actor
from models.security import Scope
from models.store import Store

WEST = "445102"  # 116.50-116.65
EAST = "445103"  # 116.65-116.80
NOW = datetime(2026, 11, 24, 2, 0)  # 10:00 in Chaozhou
IN_WEST = (116.60, 23.65)
IN_EAST = (116.70, 23.65)
CITY = Scope("city")
EMERGENCY = Actor("emergency", "emergency", CITY)
ADMIN = Actor("admin", "admin", CITY)
OPERATOR = Actor("operator", "operator", CITY)
LEADER = Actor("leader", "leader", CITY)
DISPATCHER = Actor("dispatcher", "dispatcher", CITY)
WEST_EMERGENCY = Actor("west_emergency", "emergency", Scope("district", (WEST,)))
EAST_EMERGENCY = Actor("east_emergency", "emergency", Scope("district", (EAST,)))


def add_city(store: Store) -> None:
    """The outline of the city and its two districts (admin_areas)."""
    shapes = [
        ("445100", "city", None, "潮州市", shapely.box(116.50, 23.50, 116.80, 23.80)),
        (WEST, "district", "445100", "湘桥区", shapely.box(116.50, 23.50, 116.65, 23.80)),
        (EAST, "district", "445100", "潮安区", shapely.box(116.65, 23.50, 116.80, 23.80)),
    ]
    for code, level, parent, name, geom in shapes:
        store.write(
            lambda tx, c=code, lv=level, p=parent, n=name, g=geom: tx.execute(
                "INSERT INTO admin_areas (code, level, parent_code, name_zh, geom_wkb) "
                "VALUES (?, ?, ?, ?, ?)",
                [c, lv, p, n, shapely.to_wkb(g)],
            )
        )


def square(lon: float, lat: float, half: float = 0.005) -> dict:
    """A GeoJSON square around (lon, lat)."""
    x0, y0, x1, y1 = lon - half, lat - half, lon + half, lat + half
    return {
        "type": "Polygon",
        "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]],
    }
