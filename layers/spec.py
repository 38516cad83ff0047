"""A map layer as plain data (type, id, rows, props), independent of the renderer.

A layer carries its rows one of two ways:

- ``data``: a list of records; ``get*`` props given as a string name a record field
  (small layers: grid, traffic, sensors, emergency, base map);
- ``columns``: a :class:`Columns` table, for dense point layers (cases): numeric columns
  travel as little-endian typed arrays (base64 in JSON), text columns as lists or
  dictionary-encoded, and ``binary`` maps a deck accessor (``getPosition``) to the column
  that feeds it as a binary attribute, so the browser never builds 100k objects.

``key`` names the field that identifies a row (for live upserts and for clicks).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Columns:
    """A columnar table: every array the same length.

    ``numeric`` holds 1-d or 2-d numpy arrays (2-d: a fixed-size vector per row, as
    positions ``(n, 2)`` or colours ``(n, 4)``); ``text`` holds lists of strings, or a
    ``(codes, values)`` pair for a dictionary-encoded column with few distinct values.
    """

    length: int
    numeric: dict[str, np.ndarray] = field(default_factory=dict)
    text: dict[str, list[str] | tuple[np.ndarray, list[str]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, array in self.numeric.items():
            if len(array) != self.length:
                raise ValueError(f"column {name!r} has {len(array)} rows, not {self.length}")
        for name, col in self.text.items():
            n = len(col[0]) if isinstance(col, tuple) else len(col)
            if n != self.length:
                raise ValueError(f"column {name!r} has {n} rows, not {self.length}")


@dataclass(frozen=True)
class LayerSpec:
    """One deck.gl layer: ``layer_type`` such as ``PolygonLayer``, a stable ``layer_id``,
    its rows (``data`` records or ``columns``) and its props (a ``get*`` accessor given as a
    string names a field)."""

    layer_type: str
    layer_id: str
    data: list[dict[str, Any]] = field(default_factory=list)
    props: dict[str, Any] = field(default_factory=dict)
    columns: Columns | None = None
    #: deck accessor -> column name, fed as a binary attribute (only with ``columns``)
    binary: dict[str, str] = field(default_factory=dict)
    #: the field identifying a row ("" when rows are not addressable)
    key: str = ""

    @property
    def length(self) -> int:
        return self.columns.length if self.columns is not None else len(self.data)


@dataclass(frozen=True)
class ViewSpec:
    longitude: float
    latitude: float
    zoom: float
    pitch: float = 0.0
    bearing: float = 0.0


#: The dark ring around a clickable point (sensors, cameras).
POINT_OUTLINE_RGBA = [10, 20, 35, 200]


def clickable_points(
    layer_id: str, records: list[dict[str, Any]], *, min_px: float, max_px: float
) -> LayerSpec:
    """Round points from records with ``position``, ``radius`` (metres) and ``color``, a
    dark outline, highlighted under the pointer, picked by their ``id``."""
    return LayerSpec(
        "ScatterplotLayer",
        layer_id,
        records,
        {
            "getPosition": "position",
            "getRadius": "radius",
            "getFillColor": "color",
            "getLineColor": POINT_OUTLINE_RGBA,
            "stroked": True,
            "filled": True,
            "lineWidthMinPixels": 0.5,
            "radiusMinPixels": min_px,
            "radiusMaxPixels": max_px,
            "pickable": True,
            "autoHighlight": True,
            "highlightColor": [255, 255, 255, 120],
        },
        key="id",
    )
