"""The case-point layer: open cases as columnar scatter points coloured by stage, SLA and drill."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from layers.palette import CASE_SLA_LINE, CASE_STAGE_FILL, EXERCISE_FILL, EXERCISE_LINE
from layers.spec import Columns, LayerSpec

CASE_POINTS_LAYER_ID = "case-points"

#: Workflow stage (``models.workflow.STAGES``) -> the group the map colours it by.
#: Terminal stages (closed, void) have no group: those cases are not drawn.
STAGE_GROUPS: dict[str, str] = {
    "reported": "awaiting",
    "accepted": "awaiting",
    "registered": "awaiting",
    "returned": "awaiting",  # handed back by the unit: waits for the dispatcher again
    "dispatched": "handling",
    "handling": "handling",
    "rework": "handling",
    "extension_requested": "handling",
    "handled": "verifying",
    "verified": "verifying",  # verified, waits for 结案
}
#: Stage groups in display order (tooltips, hexagon counts).
GROUPS: tuple[str, ...] = ("awaiting", "handling", "verifying", "other")

#: Point radius in metres by severity; ``radiusMinPixels`` keeps them visible zoomed out.
SEVERITY_RADIUS_M: dict[str, float] = {"normal": 40.0, "urgent": 60.0, "escalated": 80.0}
#: Draw order: later rows are drawn on top, so overdue cases stay visible in a crowd.
_SLA_RANK: dict[str, int] = {"none": 1, "green": 1, "yellow": 2, "red": 3}


def stage_group(stages: pd.Series) -> pd.Series:
    """The stage group of each stage (``"other"`` for a stage the map does not know)."""
    return stages.map(STAGE_GROUPS).fillna("other")


def _lookup(values: pd.Series, table: Mapping[str, object], default: object) -> np.ndarray:
    # Factorize first: the Python-level lookup runs once per distinct value, not per row.
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    rows = np.asarray([table.get(u, default) for u in uniques])
    return rows[codes]


def _dictionary(
    values: pd.Series, labels: Mapping[str, str] | None = None
) -> tuple[np.ndarray, list[str]]:
    # Labels apply to the distinct values only; two codes sharing a label is harmless.
    codes, uniques = pd.factorize(values.fillna("").astype(str), use_na_sentinel=False)
    n = len(uniques)
    dtype = np.uint8 if n <= 0xFF else np.uint16 if n <= 0xFFFF else np.uint32
    names = [str(u) for u in uniques]
    if labels is not None:
        names = [labels.get(u, u) for u in names]
    return codes.astype(dtype), names


def drawable_open(cases: pd.DataFrame) -> pd.DataFrame:
    """The open cases with a finite position (a case the map state could not place, lon/lat
    NaN, is left off the map rather than drawn at a made-up spot)."""
    lon = cases["lon"].to_numpy(dtype=float)
    lat = cases["lat"].to_numpy(dtype=float)
    keep = cases["open"].astype(bool).to_numpy() & np.isfinite(lon) & np.isfinite(lat)
    return cases[keep]


def _left_text(hours: pd.Series, *, left_template: str, overdue_template: str) -> pd.Series:
    # Rounded to 0.1 h there are few distinct values: format each once.
    rounded = pd.Series(np.round(hours.to_numpy(dtype=float), 1), index=hours.index)
    uniques = rounded.dropna().unique()
    text = {
        h: (left_template if h >= 0 else overdue_template).format(hours=f"{abs(h):.1f}")
        for h in uniques
    }
    return rounded.map(text).astype(object).where(rounded.notna(), "")


def build_case_points(
    cases: pd.DataFrame,
    *,
    lang: str,
    stage_labels: Mapping[str, str],
    sla_labels: Mapping[str, str],
    left_template: str,
    overdue_template: str,
    exercise_label: str,
) -> LayerSpec:
    """Build the columnar scatter layer of open cases (id ``"case-points"``, key ``"id"``).

    Parameters
    ----------
    cases
        The map-state cases frame: ``case_id, lon, lat, category_zh, category_en, stage,
        exercise, severity, sla, time_left_h, open`` are read. Rows with ``open`` false
        or without a finite position are left out.
    lang
        ``"zh"`` or ``"en"``: which category name goes in the tooltip.
    stage_labels, sla_labels
        Display label of each stage (workflow code) and SLA level (none/green/yellow/red);
        a value without a label shows its code.
    left_template, overdue_template
        Text of the working hours left, with a ``{hours}`` placeholder, e.g.
        ``"剩余 {hours} 工时"`` and ``"超期 {hours} 工时"`` (hours to one decimal, positive).
    exercise_label
        Text of the ``drill`` column on exercise cases (``""`` on real ones).

    Returns
    -------
    LayerSpec
        Numeric columns ``position`` float32 (n, 2) lon/lat, ``fill`` and ``line`` uint8
        (n, 4), ``radius`` float32 metres, fed as binary attributes; text columns ``id``
        (plain) and dictionary-encoded ``category``, ``stage``, ``sla``, ``left``, ``drill``
        for the tooltip. Rows are in input order, stably sorted so overdue cases draw last.
    """
    open_cases = drawable_open(cases)
    exercise = open_cases["exercise"].fillna(False).astype(bool).to_numpy()
    sla = open_cases["sla"].fillna("none")
    rank = np.where(exercise, 0, _lookup(sla, _SLA_RANK, 1).astype(np.int8))
    order = np.argsort(rank, kind="stable")
    frame = open_cases.iloc[order]
    exercise = exercise[order]
    sla = sla.iloc[order]
    n = len(frame)

    position = frame[["lon", "lat"]].to_numpy(dtype=np.float32).reshape(n, 2)
    fill = _lookup(stage_group(frame["stage"]), CASE_STAGE_FILL, CASE_STAGE_FILL["other"])
    line = _lookup(sla, CASE_SLA_LINE, CASE_SLA_LINE["none"])
    fill = fill.astype(np.uint8).reshape(n, 4)
    line = line.astype(np.uint8).reshape(n, 4)
    fill[exercise] = EXERCISE_FILL
    line[exercise] = EXERCISE_LINE
    radius = _lookup(frame["severity"], SEVERITY_RADIUS_M, SEVERITY_RADIUS_M["normal"])
    radius = radius.astype(np.float32).reshape(n)

    category = frame["category_en" if lang == "en" else "category_zh"]
    left = _left_text(
        frame["time_left_h"], left_template=left_template, overdue_template=overdue_template
    )
    drill = pd.Series(np.where(exercise, exercise_label, ""), index=frame.index)
    columns = Columns(
        length=n,
        numeric={"position": position, "fill": fill, "line": line, "radius": radius},
        text={
            "id": frame["case_id"].astype(str).tolist(),
            "category": _dictionary(category),
            "stage": _dictionary(frame["stage"], stage_labels),
            "sla": _dictionary(sla, sla_labels),
            "left": _dictionary(left),
            "drill": _dictionary(drill),
        },
    )
    return LayerSpec(
        "ScatterplotLayer",
        CASE_POINTS_LAYER_ID,
        props={
            "radiusUnits": "meters",
            "radiusMinPixels": 2.5,
            "radiusMaxPixels": 14,
            "stroked": True,
            "filled": True,
            "lineWidthUnits": "pixels",
            "getLineWidth": 1.5,
            "pickable": True,
            "autoHighlight": True,
            "highlightColor": [255, 255, 255, 140],
        },
        columns=columns,
        binary={
            "getPosition": "position",
            "getFillColor": "fill",
            "getLineColor": "line",
            "getRadius": "radius",
        },
        key="id",
    )


def case_point_changes(
    changed: pd.DataFrame,
    *,
    lang: str,
    stage_labels: Mapping[str, str],
    sla_labels: Mapping[str, str],
    left_template: str,
    overdue_template: str,
    exercise_label: str,
) -> tuple[LayerSpec, list[str]]:
    """A live update of the case points: rows to upsert and ids to remove.

    Parameters
    ----------
    changed
        Cases changed since the last update, in the frame of :func:`build_case_points`.
    lang, stage_labels, sla_labels, left_template, overdue_template, exercise_label
        As in :func:`build_case_points`.

    Returns
    -------
    tuple of (LayerSpec, list of str)
        The open changed cases as a ``"case-points"`` layer (upsert by ``id``), and the ids
        of changed cases no longer open (closed or void) or without a drawable position, to
        remove from the map.
    """
    spec = build_case_points(
        changed,
        lang=lang,
        stage_labels=stage_labels,
        sla_labels=sla_labels,
        left_template=left_template,
        overdue_template=overdue_template,
        exercise_label=exercise_label,
    )
    gone = changed.loc[~changed.index.isin(drawable_open(changed).index), "case_id"]
    return spec, gone.astype(str).tolist()
