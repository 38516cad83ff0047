"""The unit-grid layer: cells coloured by district, with a tooltip of code and responsible body."""

from __future__ import annotations

from collections.abc import Mapping

import geopandas as gpd

from layers.geometry import polygon_rings
from layers.palette import district_color
from layers.spec import LayerSpec

GRID_LAYER_ID = "grid-cells"
FILL_ALPHA = 90


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
