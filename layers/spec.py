"""A map layer as plain data (type, id, records, props), independent of the renderer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class LayerSpec:
    """One deck.gl layer: ``layer_type`` such as ``PolygonLayer``, a stable ``layer_id``,
    its data records and its props (a ``get*`` accessor given as a string names a field)."""

    layer_type: str
    layer_id: str
    data: list[dict[str, Any]]
    props: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ViewSpec:
    longitude: float
    latitude: float
    zoom: float
    pitch: float = 0.0
    bearing: float = 0.0
