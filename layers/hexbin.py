"""Status-aware H3 hexagons of open cases: counts per hexagon, coloured by overdue share."""

from __future__ import annotations

from collections.abc import Mapping

import h3
import numpy as np
import pandas as pd

from layers.cases import GROUPS, drawable_open, stage_group
from layers.geometry import PRECISION
from layers.palette import HEX_EXERCISE, HEX_LINE, HEX_RAMP
from layers.spec import LayerSpec

CASE_HEXES_LAYER_ID = "case-hexes"
#: Columns of :func:`aggregate_cases`, in order.
AGGREGATE_COLUMNS: tuple[str, ...] = ("hex", "n", "overdue", "warning", "exercise", *GROUPS)
_ALPHA_MIN, _ALPHA_MAX = 70, 220


def resolution_for_zoom(zoom: float) -> int:
    """The H3 resolution for a map zoom.

    Zoom ≤ 10 (whole city): resolution 7 (edge about 1.4 km, 5.2 km²); zoom below 12 (a
    district): 8 (edge 0.53 km, 0.74 km²); zoom 12 and closer (streets): 9 (edge 0.2 km,
    0.1 km²). Each step keeps a hexagon some tens of screen pixels wide.
    """
    if zoom <= 10:
        return 7
    if zoom < 12:
        return 8
    return 9


def aggregate_cases(cases: pd.DataFrame, *, resolution: int) -> pd.DataFrame:
    """Count open cases per H3 hexagon, by SLA, drill and stage group.

    Parameters
    ----------
    cases
        The map-state cases frame; ``lon, lat, stage, sla, exercise, open`` are read and
        rows with ``open`` false or without a finite position are left out.
    resolution
        The H3 resolution (see :func:`resolution_for_zoom`).

    Returns
    -------
    pandas.DataFrame
        One row per hexagon, sorted by ``hex``: ``hex`` (H3 cell string), ``n`` (open
        cases, drills included, so it equals the points drawn), ``overdue`` / ``warning``
        (real cases with SLA red / yellow; a drill never counts as overdue), ``exercise``
        (drills), and one count per stage group (``awaiting, handling, verifying,
        other``), all int64.

    Notes
    -----
    h3 4.x has no vectorised call: one ``latlng_to_cell`` per point takes about 0.1 s for
    100,000 points, so no coordinate rounding or caching is done.
    """
    open_cases = drawable_open(cases)
    lats = open_cases["lat"].to_numpy(dtype=float).tolist()
    lons = open_cases["lon"].to_numpy(dtype=float).tolist()
    hexes = [h3.latlng_to_cell(lat, lon, resolution) for lat, lon in zip(lats, lons)]
    exercise = open_cases["exercise"].fillna(False).astype(bool).to_numpy()
    sla = open_cases["sla"].fillna("none").to_numpy()
    group = stage_group(open_cases["stage"]).to_numpy()
    counts = pd.DataFrame(
        {
            "hex": hexes,
            "n": 1,
            "overdue": (sla == "red") & ~exercise,
            "warning": (sla == "yellow") & ~exercise,
            "exercise": exercise,
            **{g: group == g for g in GROUPS},
        }
    )
    out = counts.groupby("hex", sort=True).sum().astype("int64").reset_index()
    return out[list(AGGREGATE_COLUMNS)]


def _ring(cell: str) -> list[list[float]]:
    # h3 gives (lat, lng); deck wants [lon, lat], closed.
    boundary = h3.cell_to_boundary(cell)
    ring = [[round(lng, PRECISION), round(lat, PRECISION)] for lat, lng in boundary]
    return [*ring, ring[0]]


def hex_colors(agg: pd.DataFrame) -> np.ndarray:
    """Fill colours (uint8, n × 4) of aggregated hexagons.

    The hue follows the overdue share of real cases along :data:`layers.palette.HEX_RAMP`
    (none overdue: teal; 10 %: amber; 30 % and more: red); a hexagon of drills only is
    violet. Alpha grows with the log of the count, relative to the fullest hexagon.
    """
    n = agg["n"].to_numpy(dtype=float)
    real = n - agg["exercise"].to_numpy(dtype=float)
    overdue = agg["overdue"].to_numpy(dtype=float)
    share = np.divide(overdue, real, out=np.zeros_like(n), where=real > 0)
    stops = [s for s, _ in HEX_RAMP]
    rgb = np.column_stack([np.interp(share, stops, [c[i] for _, c in HEX_RAMP]) for i in range(3)])
    rgb[real <= 0] = HEX_EXERCISE
    top = np.log1p(n.max()) if len(n) else 1.0
    alpha = _ALPHA_MIN + (_ALPHA_MAX - _ALPHA_MIN) * np.log1p(n) / top
    return np.column_stack([np.rint(rgb), np.rint(alpha)]).astype(np.uint8)


def build_case_hexagons(
    agg: pd.DataFrame,
    *,
    count_template: str,
    overdue_label: str,
    warning_label: str,
    group_labels: Mapping[str, str],
    exercise_label: str,
    extruded: bool = False,
) -> LayerSpec:
    """Build the hexagon layer (id ``"case-hexes"``, key ``"hex"``) from :func:`aggregate_cases`.

    Parameters
    ----------
    agg
        The output of :func:`aggregate_cases`.
    count_template
        The tooltip title with an ``{n}`` placeholder, e.g. ``"{n} 件"``.
    overdue_label, warning_label
        Words for overdue (超期) and warning (临期) counts.
    group_labels
        Stage group (``awaiting, handling, verifying, other``) -> label; a group without a
        label shows its code.
    exercise_label
        Word for drills (演练).
    extruded
        Raise hexagons by their count (a 3-D view); flat by default.

    Returns
    -------
    LayerSpec
        Records with ``hex``, ``polygon`` (one closed ring of [lon, lat]), ``color``
        (see :func:`hex_colors`), ``n``, ``overdue`` and the generic tooltip fields
        ``title`` (e.g. "128 件") and ``lines`` (e.g. ["超期 12 · 临期 9", "处置中 80 · …"]).
    """
    colors = hex_colors(agg).tolist()
    records = []
    for row, color in zip(agg.to_dict("records"), colors):
        lines = [f"{overdue_label} {row['overdue']} · {warning_label} {row['warning']}"]
        groups = [f"{group_labels.get(g, g)} {row[g]}" for g in GROUPS if row[g]]
        if groups:
            lines.append(" · ".join(groups))
        if row["exercise"]:
            lines.append(f"{exercise_label} {row['exercise']}")
        records.append(
            {
                "hex": row["hex"],
                "polygon": _ring(row["hex"]),
                "color": color,
                "n": int(row["n"]),
                "overdue": int(row["overdue"]),
                "title": count_template.format(n=row["n"]),
                "lines": lines,
            }
        )
    props: dict[str, object] = {
        "getPolygon": "polygon",
        "getFillColor": "color",
        "getLineColor": HEX_LINE,
        "lineWidthMinPixels": 1,
        "stroked": True,
        "filled": True,
        "extruded": extruded,
        "pickable": True,
        "autoHighlight": True,
        "highlightColor": [255, 255, 255, 110],
    }
    if extruded:
        props.update({"getElevation": "n", "elevationScale": 20})
    return LayerSpec("PolygonLayer", CASE_HEXES_LAYER_ID, records, props, key="hex")
