"""The deck builder: LayerSpecs and a view into deck.gl JSON through pydeck (its one home)."""

from __future__ import annotations

import json
from typing import Any

import pydeck

from layers.spec import LayerSpec, ViewSpec
from layers.wire import encode_columns


def _props(props: dict[str, Any]) -> dict[str, Any]:
    # pydeck reads every string as a JS expression; only accessors (get*) should be one.
    return {
        key: value
        if key.startswith("get") or not isinstance(value, str)
        else pydeck.types.String(value)
        for key, value in props.items()
    }


def build_deck(
    layers: list[LayerSpec], *, view: ViewSpec, tooltip: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A deck.gl JSON description (as a dict) with no base-map tiles.

    In ``LayerSpec.props`` a string under a ``get*`` key names a data field; any other
    string is a literal.

    Every layer keeps its stable id so that updates replace rather than duplicate it.
    """
    deck = pydeck.Deck(
        layers=[
            pydeck.Layer(spec.layer_type, spec.data, id=spec.layer_id, **_props(spec.props))
            for spec in layers
        ],
        initial_view_state=pydeck.ViewState(
            longitude=view.longitude,
            latitude=view.latitude,
            zoom=view.zoom,
            pitch=view.pitch,
            bearing=view.bearing,
        ),
        map_provider=None,
        map_style=None,
        tooltip=tooltip or False,
    )
    spec: dict[str, Any] = json.loads(deck.to_json())
    return spec


def layer_json(spec: LayerSpec) -> dict[str, Any]:
    """One layer in the screen's wire form: deck props (as pydeck writes them) plus rows.

    ``{"id", "type", "key", "props", "data"}`` for record layers, and for columnar ones
    ``"columns"`` (see :mod:`layers.wire`), ``"length"`` and ``"binary"`` (accessor -> column)
    instead of ``"data"``. ``props`` keep pydeck's JSON syntax (``@@=`` accessors) for
    deck.gl's JSONConverter.
    """
    props = {k: v for k, v in spec.props.items() if k not in spec.binary}
    layer = pydeck.Layer(spec.layer_type, [], id=spec.layer_id, **_props(props))
    converted: dict[str, Any] = json.loads(pydeck.Deck(layers=[layer]).to_json())["layers"][0]
    converted.pop("data", None)
    out: dict[str, Any] = {
        "id": spec.layer_id,
        "type": spec.layer_type,
        "key": spec.key,
        "props": {k: v for k, v in converted.items() if k not in ("@@type", "id")},
    }
    if spec.columns is not None:
        out.update(encode_columns(spec.columns))
        out["binary"] = dict(spec.binary)
    else:
        out["data"] = spec.data
    return out


def view_for_bounds(
    bounds: tuple[float, float, float, float], *, width_px: int = 1400, height_px: int = 650
) -> ViewSpec:
    """A view that fits lon/lat bounds, as deck's fitBounds does, without a browser.

    The default size is the map area of the smallest wall layout (1600×900 less header
    and KPI strip), so the bounds fit on every wall screen.
    """
    from math import cos, log2, radians

    min_lon, min_lat, max_lon, max_lat = bounds
    span_lon = max(max_lon - min_lon, 1e-4)
    span_lat = max(max_lat - min_lat, 1e-4)
    zoom_lon = log2(width_px * 360 / (span_lon * 512))
    stretch = 1 / cos(radians((min_lat + max_lat) / 2))  # Mercator stretches latitude
    zoom_lat = log2(height_px * 360 / (span_lat * stretch * 512))
    return ViewSpec(
        longitude=(min_lon + max_lon) / 2,
        latitude=(min_lat + max_lat) / 2,
        zoom=round(min(zoom_lon, zoom_lat) - 0.2, 2),
    )
