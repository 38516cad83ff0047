"""The wall's legend panel: one block per visible layer group, colours from the layer builders."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from dash import html

from app.context import get_context
from app.i18n import t
from layers.emergency import incident_level_legend, resource_status_legend, warning_severity_legend
from layers.grid import grid_mode_legend
from layers.palette import CASE_SLA_LINE, CASE_STAGE_FILL, EXERCISE_FILL
from layers.sensors import environment_legend, sensor_legend
from layers.traffic import traffic_legend
from models.geography import load_admin_areas


def _items(pairs: Iterable[tuple[str, Sequence[int]]], *, ring: bool = False) -> list[Any]:
    out = []
    for label, colour in pairs:
        rgb = "rgb({},{},{})".format(*list(colour)[:3])
        style = (
            {"border": f"2px solid {rgb}", "background": "transparent"}
            if ring
            else {"background": rgb}
        )
        out.append(
            html.Div(
                className="legend-item",
                children=[html.Span(className="swatch", style=style), html.Span(label)],
            )
        )
    return out


def _block(title: str, items: list[Any]) -> html.Div:
    return html.Div(
        className="legend-block", children=[html.Div(title, className="legend-title"), *items]
    )


def _grid_items(mode: str, lang: str) -> list[Any]:
    legend = grid_mode_legend(mode)  # type: ignore[arg-type]
    if mode == "district":
        areas = load_admin_areas(get_context().store, "district")
        names = dict(zip(areas["code"], areas["name_zh" if lang == "zh" else "name_en"]))
        legend = [(names.get(code) or code, c) for code, c in legend if code in names]
    return _items(legend)


def render_legend(groups: list[str], grid_mode: str, lang: str) -> list[Any]:
    blocks: list[Any] = [html.Div(t("legend.title", lang), className="panel-title")]
    if "grid" in groups:
        blocks.append(_block(t(f"grid_mode.{grid_mode}", lang), _grid_items(grid_mode, lang)))
    if "cases" in groups:
        stages = [
            (t(f"stage_group.{g}", lang), CASE_STAGE_FILL[g])
            for g in ("awaiting", "handling", "verifying")
        ]
        stages.append((t("exercise.legend", lang), EXERCISE_FILL))
        rings = [(t(f"sla.{k}", lang), CASE_SLA_LINE[k]) for k in ("yellow", "red")]
        blocks.append(_block(t("layer.cases", lang), _items(stages) + _items(rings, ring=True)))
    if "env" in groups:
        blocks.append(_block(t("layer.env", lang), _items(environment_legend(lang))))
    if "iot" in groups:
        blocks.append(_block(t("layer.iot", lang), _items(sensor_legend(lang))))
    if "traffic" in groups:
        blocks.append(_block(t("layer.traffic", lang), _items(traffic_legend(lang))))
    if "emergency" in groups:
        items = incident_level_legend(lang) + resource_status_legend(lang)
        blocks.append(_block(t("layer.emergency", lang), _items(items)))
        blocks.append(_block(t("legend.warnings", lang), _items(warning_severity_legend(lang))))
    return blocks
