"""The unit-grid layer: cells coloured by district or by a classed value (cases, score)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from layers.geometry import polygon_rings
from layers.palette import DISTRICT_COLORS, GRID_MODE_COLORS, GRID_NO_VALUE, district_color
from layers.spec import LayerSpec

GRID_LAYER_ID = "grid-cells"
FILL_ALPHA = 90

GridMode = Literal["district", "open_cases", "overdue", "score"]
GRID_MODES: tuple[str, ...] = ("district", "open_cases", "overdue", "score")

#: Classed modes: (upper bounds, inclusive, of every class but the last; its labels).
#: Counts: a value v falls in the first class whose bound is ≥ v.
#: Score: lower bounds instead (a class holds [bound, next bound)), see _classify.
GRID_MODE_BREAKS: dict[str, tuple[tuple[float, ...], tuple[str, ...]]] = {
    "open_cases": ((0, 2, 5, 10), ("0", "1–2", "3–5", "6–10", ">10")),
    "overdue": ((0, 1, 3), ("0", "1", "2–3", ">3")),
    "score": ((60, 70, 80, 90), ("<60", "60–70", "70–80", "80–90", "≥90")),
}


def _answering_body(row: Mapping, fallback_label: str) -> str:
    body = row.get("responsible_body")
    if isinstance(body, str) and body:
        return body
    community = row.get("community_name") or row.get("community_code")
    return f"{community} {fallback_label}"


def build_grid_layer(
    cells: gpd.GeoDataFrame, *, fallback_label: str, synthetic_label: str = ""
) -> LayerSpec:
    """Build the grid-cell polygon layer.

    Parameters
    ----------
    cells
        Cells in EPSG:4326 with cell_code, district_code, responsible_body, grid_workers
        and the district/street/community names (as :func:`models.geography.load_cells`).
    fallback_label
        Text shown after the community when a cell has no responsible body (属地兜底).
    synthetic_label
        Text shown on synthetic cells.
    """
    if cells.crs is None or cells.crs.to_epsg() != 4326:
        raise ValueError("grid cells must be in EPSG:4326")
    codes = sorted(cells["district_code"].unique())
    colors = {code: district_color(code, i) for i, code in enumerate(codes)}
    records = []
    for row, geom in zip(cells.drop(columns="geometry").to_dict("records"), cells.geometry):
        workers = row.get("grid_workers")
        base = {
            "cell_code": row["cell_code"],
            "body": _answering_body(row, fallback_label),
            "district": row.get("district_name") or row["district_code"],
            "street": row.get("street_name") or row["street_code"],
            "community": row.get("community_name") or row["community_code"],
            "workers": ", ".join(workers) if workers is not None and len(workers) else "—",
            "synthetic": synthetic_label if row.get("synthetic") else "",
            "color": [*colors[row["district_code"]], FILL_ALPHA],
        }
        for rings in polygon_rings(geom):
            records.append({**base, "polygon": rings})
    return LayerSpec(
        "PolygonLayer",
        GRID_LAYER_ID,
        records,
        {
            "getPolygon": "polygon",
            "getFillColor": "color",
            "getLineColor": [200, 230, 255, 70],
            "lineWidthMinPixels": 0.5,
            "stroked": True,
            "filled": True,
            "pickable": True,
            "autoHighlight": True,
            "highlightColor": [255, 255, 255, 110],
        },
    )


def build_outline_layer(
    cells: gpd.GeoDataFrame,
    *,
    layer_id: str,
    fill: Sequence[int],
    line: Sequence[int],
    line_width: float,
    fallback_label: str,
) -> LayerSpec:
    """Cells drawn in one fill and outline colour, not pickable: a small map's context (the
    cells around a case, a worker's own cells)."""
    spec = build_grid_layer(cells, fallback_label=fallback_label)
    return replace(
        spec,
        layer_id=layer_id,
        data=[{**r, "color": list(fill)} for r in spec.data],
        props={
            **spec.props,
            "getLineColor": list(line),
            "pickable": False,
            "autoHighlight": False,
            "lineWidthMinPixels": line_width,
        },
    )


def _classify(values: np.ndarray, mode: str) -> np.ndarray:
    bounds, _ = GRID_MODE_BREAKS[mode]
    if mode == "score":
        # lower bounds: 60 is in "60–70", 90 in "≥90"
        return np.searchsorted(np.asarray(bounds, dtype=float), values, side="right")
    return np.searchsorted(np.asarray(bounds, dtype=float), values, side="left")


def grid_mode_colors(
    layer: LayerSpec, values: Mapping[str, float], *, mode: GridMode
) -> np.ndarray:
    """Fill colours of the grid layer's records for a colouring mode.

    Parameters
    ----------
    layer
        The layer of :func:`build_grid_layer`: one record per polygon part, each with its
        ``cell_code`` (a multi-polygon cell has several records, all coloured alike).
    values
        ``cell_code`` -> value: open cases, overdue cases or the 0–100 evaluation score.
        Ignored in ``"district"`` mode. Give 0 for cells with no cases: a cell missing here
        (or NaN) is "no value" and gets :data:`layers.palette.GRID_NO_VALUE`, a neutral
        translucent grey.
    mode
        ``"district"`` (the records' own district colours), ``"open_cases"`` (classes 0,
        1–2, 3–5, 6–10, >10), ``"overdue"`` (0, 1, 2–3, >3) or ``"score"`` (<60, 60–70,
        70–80, 80–90, ≥90; red to green).

    Returns
    -------
    numpy.ndarray
        uint8, shape (len(layer.data), 4), row i the colour of record i.
    """
    if mode not in GRID_MODES:
        raise ValueError(f"unknown grid mode {mode!r}; expected one of {GRID_MODES}")
    if mode == "district":
        return np.asarray([r["color"] for r in layer.data], dtype=np.uint8).reshape(-1, 4)
    codes = pd.Series([r["cell_code"] for r in layer.data], dtype=object)
    v = codes.map(dict(values)).to_numpy(dtype=float)
    table = np.asarray([*GRID_MODE_COLORS[mode], GRID_NO_VALUE], dtype=np.uint8)
    classes = _classify(np.nan_to_num(v, nan=0.0), mode)
    classes[np.isnan(v)] = len(table) - 1
    return table[classes]


def grid_mode_legend(mode: GridMode) -> list[tuple[str, list[int]]]:
    """The legend of a colouring mode: (class label, RGBA colour), lowest class first.

    In ``"district"`` mode the labels are district codes (the caller names them).
    """
    if mode not in GRID_MODES:
        raise ValueError(f"unknown grid mode {mode!r}; expected one of {GRID_MODES}")
    if mode == "district":
        return [(code, [*rgb, FILL_ALPHA]) for code, rgb in DISTRICT_COLORS.items()]
    _, labels = GRID_MODE_BREAKS[mode]
    return [(label, list(c)) for label, c in zip(labels, GRID_MODE_COLORS[mode])]
