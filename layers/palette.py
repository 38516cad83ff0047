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
