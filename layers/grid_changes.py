"""Map layers of a grid being replaced: an uploaded grid's cells with its topology problems
(bad cells, gaps) and the diff of two versions, each cell coloured by its kind."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import geopandas as gpd

from layers.geometry import polygon_rings
from layers.spec import LayerSpec

CELLS_LAYER = "grid-change-cells"
GAPS_LAYER = "grid-change-gaps"

#: Fill colours (RGBA) by kind: an upload's cells ("ok", "problem") and a diff's cells.
KIND_COLORS: dict[str, list[int]] = {
    "ok": [64, 160, 255, 60],
    "problem": [255, 60, 60, 210],
    "gap": [255, 0, 200, 200],
    "added": [46, 204, 113, 200],
    "removed": [231, 76, 60, 200],
    "geometry": [255, 159, 28, 210],
    "duty": [170, 110, 255, 200],
    "unchanged": [120, 150, 190, 35],
}
_LINES: dict[str, list[int]] = {
    "ok": [140, 200, 255, 110],
    "unchanged": [140, 170, 210, 70],
}
_STRONG_LINE = [255, 255, 255, 230]


def build_cell_kind_layer(
    cells: gpd.GeoDataFrame,
    *,
    labels: Mapping[str, str],
    layer_id: str = CELLS_LAYER,
    kind_column: str = "kind",
    note_column: str | None = None,
) -> LayerSpec:
    """Cells (EPSG:4326, ``cell_code`` and ``kind_column``) filled by kind (see
    :data:`KIND_COLORS`), highlighted ones outlined in white; the tooltip names the cell,
    its kind (``labels``) and, with ``note_column``, a note (the problem found)."""
    if cells.crs is not None and cells.crs.to_epsg() != 4326:
        raise ValueError("grid cells must be in EPSG:4326")
    codes = [str(c) for c in cells["cell_code"]]
    kinds = [str(k) for k in cells[kind_column]]
    notes = [str(n or "") for n in cells[note_column]] if note_column else [""] * len(codes)
    geoms = list(cells.geometry)
    order = {k: i for i, k in enumerate(("unchanged", "ok", "duty", "geometry", "added"))}
    # highlighted cells drawn last, on top of their neighbours
    ranked = sorted(range(len(codes)), key=lambda i: order.get(kinds[i], 9))
    records = []
    for i in ranked:
        geom, kind = geoms[i], kinds[i]
        if geom is None or geom.is_empty:
            continue
        base = {
            "cell_code": codes[i],
            "kind": kind,
            "color": KIND_COLORS.get(kind, KIND_COLORS["problem"]),
            "line": _LINES.get(kind, _STRONG_LINE),
            "title": codes[i],
            "lines": [line for line in (labels.get(kind, kind), notes[i][:200]) if line],
        }
        for rings in polygon_rings(geom):
            records.append({**base, "polygon": rings})
    return LayerSpec(
        "PolygonLayer",
        layer_id,
        records,
        {
            "getPolygon": "polygon",
            "getFillColor": "color",
            "getLineColor": "line",
            "lineWidthMinPixels": 1,
            "stroked": True,
            "filled": True,
            "pickable": True,
            "autoHighlight": True,
            "highlightColor": [255, 255, 255, 110],
        },
    )


def build_gap_layer(
    gaps: Sequence[object], *, label: str, notes: Sequence[str] = (), layer_id: str = GAPS_LAYER
) -> LayerSpec:
    """Holes between cells (polygons in EPSG:4326) filled in the gap colour."""
    records = []
    for i, geom in enumerate(gaps):
        note = notes[i] if i < len(notes) else ""
        for rings in polygon_rings(geom):  # type: ignore[arg-type]
            records.append({"polygon": rings, "title": label, "lines": [note] if note else []})
    return LayerSpec(
        "PolygonLayer",
        layer_id,
        records,
        {
            "getPolygon": "polygon",
            "getFillColor": KIND_COLORS["gap"],
            "getLineColor": [255, 255, 255, 230],
            "lineWidthMinPixels": 2,
            "stroked": True,
            "filled": True,
            "pickable": True,
        },
    )


def kind_legend(kinds: Sequence[str], labels: Mapping[str, str]) -> list[tuple[str, list[int]]]:
    """(label, RGBA) of each kind, in the given order."""
    return [(labels.get(k, k), KIND_COLORS[k]) for k in kinds]
