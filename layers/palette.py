"""Colours of the dark wall map, shared by every layer builder."""

from __future__ import annotations

#: District fills: distinct hues that read on a dark background.
DISTRICT_COLORS: dict[str, list[int]] = {
    "445102": [0, 196, 204],  # 湘桥区: cyan
    "445103": [64, 128, 255],  # 潮安区: blue
    "445122": [170, 102, 255],  # 饶平县: violet
}
_FALLBACK = [[255, 170, 0], [0, 200, 120], [240, 90, 120], [200, 200, 80]]

BACKGROUND = "#050b16"
LAND = [16, 28, 46]
SEA = [8, 22, 44]
RIVER = [40, 120, 220]
ROAD = {
    "expressway": [230, 170, 60],
    "arterial": [150, 160, 180],
    "secondary": [105, 115, 135],
    "local": [70, 80, 100],
}
ROAD_WIDTH_M = {"expressway": 40, "arterial": 24, "secondary": 14, "local": 8}
DISTRICT_LINE = [90, 230, 255]
STREET_LINE = [120, 150, 190]


def district_color(code: str, index: int = 0) -> list[int]:
    """The colour of a district, stable for the demo city's three."""
    return DISTRICT_COLORS.get(code, _FALLBACK[index % len(_FALLBACK)])


# Case points: fill by stage group, line by SLA; drills violet with a white ring.
CASE_STAGE_FILL: dict[str, list[int]] = {
    "awaiting": [64, 156, 255, 230],  # 待受理/立案: blue
    "handling": [0, 214, 180, 230],  # 处置中: teal
    "verifying": [170, 225, 80, 230],  # 待核查/结案: lime
    "other": [150, 160, 175, 200],  # a stage the map does not know: grey
}
CASE_SLA_LINE: dict[str, list[int]] = {
    "red": [255, 64, 64, 255],
    "yellow": [255, 184, 0, 255],
    "green": [255, 255, 255, 40],
    "none": [255, 255, 255, 40],
}
EXERCISE_FILL = [180, 110, 255, 230]
EXERCISE_LINE = [255, 255, 255, 255]

# Case hexagons: the overdue share ramps calm teal -> amber -> red; drills only: violet.
HEX_RAMP: list[tuple[float, list[int]]] = [
    (0.0, [0, 170, 200]),
    (0.1, [255, 184, 0]),
    (0.3, [255, 64, 64]),
]
HEX_EXERCISE = [180, 110, 255]
HEX_LINE = [220, 235, 255, 90]

# Grid colouring modes: classed scales (see layers.grid.GRID_MODE_BREAKS).
GRID_NO_VALUE = [120, 130, 150, 35]
GRID_MODE_COLORS: dict[str, list[list[int]]] = {
    "open_cases": [
        [40, 70, 100, 70],  # 0
        [255, 230, 140, 140],  # 1-2
        [255, 184, 0, 160],  # 3-5
        [255, 120, 40, 175],  # 6-10
        [240, 40, 40, 190],  # >10
    ],
    "overdue": [
        [40, 90, 80, 70],  # 0
        [255, 184, 0, 160],  # 1
        [255, 120, 40, 175],  # 2-3
        [240, 40, 40, 190],  # >3
    ],
    "score": [
        [230, 50, 50, 170],  # <60
        [255, 130, 40, 165],  # 60-70
        [250, 210, 60, 160],  # 70-80
        [140, 210, 90, 160],  # 80-90
        [40, 190, 110, 170],  # >=90
    ],
}
