"""A small hand-made city for the warning tests: one district, one street, four cells with
known populations (one unknown), an incident, and a composed warning."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

import shapely

from models.emergency.warnings import Issuer
from models.store import Store

NOW = datetime(2026, 11, 24, 0, 0, 0)  # 08:00 in Chaozhou
ISSUER = Issuer("cityops@chaozhou.example", "445100", "Asia/Shanghai", "EPSG:32650")
DISTRICT = shapely.box(116.60, 23.60, 116.70, 23.70)
STREET = shapely.box(116.60, 23.60, 116.65, 23.65)
#: cell code -> (west, south, population); each cell 0.025° square inside the street
CELLS = {
    "445102001001001": (116.600, 23.625, 1000),
    "445102001001002": (116.625, 23.625, 2000),
    "445102001001003": (116.600, 23.600, None),
    "445102001001004": (116.625, 23.600, 4000),
}
INCIDENT = "INC-TEST-1"
CONTENT: dict[str, Any] = {
    "event": "typhoon",
    "urgency": "Expected",
    "severity": "Severe",
    "certainty": "Likely",
    "headline": {"zh": "潮州市台风橙色预警", "en": "Chaozhou typhoon orange warning"},
    "description": {
        "zh": "受台风影响，未来24小时内湘桥区将出现10级以上大风和暴雨。",
        "en": "Gales of force 10 and rainstorms are expected in Xiangqiao within 24 hours.",
    },
    "instruction": {
        "zh": "停止户外作业，远离低洼地带。",
        "en": "Stop outdoor work; keep off low ground.",
    },
    "area": {
        # the west half of the two northern cells
        "polygons": [[[116.600, 23.625], [116.6375, 23.625], [116.6375, 23.650],
                      [116.600, 23.650], [116.600, 23.625]]],
    },
    "onset": "2026-11-24T10:00:00+08:00",
    "expires": "2026-11-25T08:00:00+08:00",
    "status": "Exercise",
    "response_types": ["Prepare", "Avoid"],
}  # fmt: skip


def content(**changes: Any) -> dict[str, Any]:
    """The composed warning with top-level ``changes``."""
    out = copy.deepcopy(CONTENT)
    out.update(changes)
    return out


def small_city(store: Store, *, incident_exercise: bool = True) -> None:
    """Write the district, street, grid version 1 with :data:`CELLS` and an incident."""

    def write(tx):
        for code, level, zh, en, geom in (
            ("445102", "district", "湘桥区", "Xiangqiao District", DISTRICT),
            ("445102001", "street", "桥东街道", None, STREET),
        ):
            tx.execute(
                "INSERT INTO admin_areas (code, level, name_zh, name_en, geom_wkb) "
                "VALUES (?, ?, ?, ?, ?)",
                [code, level, zh, en, shapely.to_wkb(geom)],
            )
        tx.execute(
            "INSERT INTO grid_versions VALUES (1, 'test', ?, NULL, 'test', ?, ?, NULL)",
            [NOW, NOW, len(CELLS)],
        )
        for n, (code, (west, south, people)) in enumerate(CELLS.items()):
            cell = shapely.box(west, south, west + 0.025, south + 0.025)
            tx.execute(
                "INSERT INTO grid_cells (version_id, cell_code, district_code, street_code, "
                "community_code, seq, centroid_lon, centroid_lat, min_lon, min_lat, max_lon, "
                "max_lat, geom_wkb, population) VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [code, code[:6], code[:9], code[:12], n + 1, cell.centroid.x, cell.centroid.y,
                 *cell.bounds, shapely.to_wkb(cell), people],
            )  # fmt: skip
        tx.execute(
            "INSERT INTO incidents (incident_id, incident_type, level, title, status, exercise, "
            "opened_at) VALUES (?, 'typhoon', 'III', '台风演练', 'open', ?, ?)",
            [INCIDENT, incident_exercise, NOW],
        )

    store.write(write)
