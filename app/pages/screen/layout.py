"""Layout of the one-map wall screen (/screen): KPI strip, the map, legend and layer panel."""

from __future__ import annotations

from typing import Any

import dash
import dash_deck
from dash import dcc, html

from app import ids
from app.auth import current_language, current_user
from app.context import get_context
from app.i18n import t
from app.pages.screen.logic import KPI_KEYS, grid_version_info, screen_deck, screen_kpis, tooltip
from layers.palette import BACKGROUND, district_color
from models.clock import utcnow
from models.geography import load_admin_areas
from models.security import may_open


def _kpi_text(values: dict[str, int], key: str) -> str:
    if key == "sensors_online":
        return f"{values[key]:,} / {values['sensors']:,}"
    return f"{values[key]:,}"


def render_kpis(values: dict[str, int], lang: str) -> list[Any]:
    return [
        html.Div(
            className="kpi",
            id=f"screen-kpi-{key.replace('_', '-')}",
            children=[
                html.Div(_kpi_text(values, key), className="kpi-value"),
                html.Div(t(f"kpi.{key}", lang), className="kpi-label"),
            ],
        )
        for key in KPI_KEYS
    ]


def current_kpis(user_scope: Any) -> dict[str, int]:
    ctx = get_context()
    return screen_kpis(
        ctx.store, user_scope, now=utcnow(), tz=ctx.config.settings.calendar.timezone
    )


def _legend(lang: str) -> html.Div:
    ctx = get_context()
    user = current_user()
    assert user is not None
    districts = load_admin_areas(ctx.store, "district", scope=user.scope)
    items = [
        html.Div(
            className="legend-item",
            children=[
                html.Span(
                    className="swatch",
                    style={"background": "rgb({},{},{})".format(*district_color(code, i))},
                ),
                html.Span(name if lang == "zh" else f"{name_en or name}"),
            ],
        )
        for i, (code, name, name_en) in enumerate(
            zip(districts["code"], districts["name_zh"], districts["name_en"])
        )
    ]
    return html.Div(
        className="panel legend",
        children=[html.Div(t("legend.districts", lang), className="panel-title"), *items],
    )


def _layers_panel(lang: str, version: dict[str, Any] | None) -> html.Div:
    names = [
        "layer.grid",
        "layer.streets",
        "layer.districts",
        "layer.roads",
        "layer.rivers",
        "layer.sea",
    ]
    rows = [html.Div(t(n, lang), className="layer-row") for n in names]
    age = (
        t("layer.grid_version", lang, version=version["version"], since=version["since"])
        if version
        else t("notice.no_grid", lang)
    )
    return html.Div(
        id=ids.SCREEN_LAYERS,
        className="panel layers",
        children=[
            html.Div(t("layer.panel", lang), className="panel-title"),
            *rows,
            html.Div(age, className="data-age"),
        ],
    )


def layout(**_query: str) -> html.Div:
    ctx = get_context()
    user = current_user()
    if user is None or not may_open(user.role, "screen"):
        # the gate refuses the page URL; the Pages callback can still ask by pathname
        return html.Div()
    lang = current_language(ctx.config)
    version = grid_version_info(ctx.store)
    children: list[Any] = [
        html.Div(
            id=ids.SCREEN_KPIS,
            className="kpi-strip",
            children=render_kpis(current_kpis(user.scope), lang),
        ),
    ]
    if version is None:
        children.append(html.Div(t("notice.no_grid", lang), className="notice big"))
    else:
        deck = ctx.cached(
            ("screen-deck", version["version"], user.scope.label(), lang),
            lambda: screen_deck(ctx.store, user.scope, lang=lang, settings=ctx.config.settings),
        )
        children.append(
            html.Div(
                className="map-wrap",
                children=[
                    dash_deck.DeckGL(
                        id=ids.SCREEN_MAP,
                        data=deck,
                        tooltip=tooltip(lang),
                        style={"position": "absolute", "inset": "0", "background": BACKGROUND},
                    ),
                    _legend(lang),
                    _layers_panel(lang, version),
                    html.Div(t("notice.demo", lang), className="notice demo"),
                ],
            )
        )
    children.append(
        dcc.Interval(id=ids.SCREEN_KPI_TICK, interval=ctx.config.settings.refresh.kpi_s * 1000)
    )
    return html.Div(className="screen", children=children)


dash.register_page(__name__, path="/screen", name="screen", title="CityOps · 一张图", layout=layout)
