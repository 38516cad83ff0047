"""The city's offline base map read from the store: one place that feeds the base-map builder
(sea, land, rivers, roads, street and district outlines) for every screen with a map."""

from __future__ import annotations

from layers.basemap import build_base_layers
from layers.spec import LayerSpec
from models.geography import load_admin_areas, load_base_features, load_roads
from models.security import Scope
from models.store import Store


def city_base_layers(
    store: Store, *, scope: Scope | None = None
) -> tuple[list[LayerSpec], list[LayerSpec]]:
    """``(below, above)`` base layers; the boundaries narrowed to ``scope`` when given."""
    return build_base_layers(
        districts=load_admin_areas(store, "district", scope=scope),
        streets=load_admin_areas(store, "street", scope=scope),
        sea=load_base_features(store, "sea"),
        rivers=load_base_features(store, "river"),
        roads=load_roads(store),
    )
