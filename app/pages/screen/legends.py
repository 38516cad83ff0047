"""The wall's legend panel: one block per visible layer group, colours from the layer builders."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from dash import html

from app.context import get_context
from app.i18n import t
from layers.cameras import camera_legend
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


def render_legend(
    blocks: list[str], grid_mode: str, lang: str, *, theme_name: str | None = None
) -> list[Any]:
    """The legend: ``blocks`` in order (see :func:`app.pages.screen.logic.legend_blocks`).
    With ``theme_name``, the cases block says it holds that theme's categories only."""
    out: list[Any] = [html.Div(t("legend.title", lang), className="panel-title")]
    for block in blocks:
        if block == "grid":
            out.append(_block(t(f"grid_mode.{grid_mode}", lang), _grid_items(grid_mode, lang)))
        elif block == "cases":
            stages = [
                (t(f"stage_group.{g}", lang), CASE_STAGE_FILL[g])
                for g in ("awaiting", "handling", "verifying")
            ]
            stages.append((t("exercise.legend", lang), EXERCISE_FILL))
            rings = [(t(f"sla.{k}", lang), CASE_SLA_LINE[k]) for k in ("yellow", "red")]
            items = _items(stages) + _items(rings, ring=True)
            if theme_name:
                note = t("theme.legend_cases_of", lang, theme=theme_name)
                items.append(html.Div(note, className="legend-note", id="screen-legend-filter"))
            out.append(_block(t("layer.cases", lang), items))
        elif block == "env":
            out.append(_block(t("layer.env", lang), _items(environment_legend(lang))))
        elif block == "iot":
            out.append(_block(t("layer.iot", lang), _items(sensor_legend(lang))))
        elif block == "traffic":
            out.append(_block(t("layer.traffic", lang), _items(traffic_legend(lang))))
        elif block == "emergency":
            items = incident_level_legend(lang) + resource_status_legend(lang)
            items += camera_legend(lang)
            out.append(_block(t("layer.emergency", lang), _items(items)))
        elif block == "warnings":
            out.append(_block(t("legend.warnings", lang), _items(warning_severity_legend(lang))))
    return out
