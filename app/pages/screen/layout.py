"""Layout of the one-map wall screen (/screen): KPI strip, map, layer panel, feed, card, replay."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import dash
from dash import dcc, html

from app import ids
from app.auth import current_language, current_user
from app.bounds import expensive
from app.context import get_context
from app.i18n import t
from app.pages.screen.logic import (
    KPI_KEYS,
    LAYER_GROUPS,
    WallState,
    format_kpi,
    grid_version_info,
    local_minute,
    map_config,
    screen_kpis,
    zoom_targets,
)
from app.pages.screen.themes import theme_switcher, themed_state
from app.pages.screen.war import panel_parts, switch_control
from app.validation import REPLAY_SLIDER_HOURS
from models.clock import utcnow
from models.security import may_open


def render_kpis(values: dict[str, Any], lang: str, keys: tuple[str, ...] = KPI_KEYS) -> list[Any]:
    """The KPI strip: ``keys`` (a theme's KPIs) left to right."""
    return [
        html.Div(
            className="kpi",
            id=f"screen-kpi-{key.replace('_', '-')}",
            children=[
                html.Div(format_kpi(values, key), className="kpi-value"),
                html.Div(t(f"kpi.{key}", lang), className="kpi-label"),
            ],
        )
        for key in keys
        if key in KPI_KEYS
    ]


def render_banners(values: dict[str, Any], at: datetime | None, lang: str, tz: str) -> list[Any]:
    """The replay banner (showing the past), the ingest banner (live data is not coming in
    as it should) and the drill banner (an exercise is running)."""
    banners: list[Any] = []
    if at is not None:
        banners.append(
            html.Div(
                t("banner.replay", lang, at=local_minute(at, tz)),
                className="banner replay",
                id="screen-banner-replay",
            )
        )
    health = values.get("ingest")
    if at is None and isinstance(health, dict) and health.get("status") == "degraded":
        banners.append(_ingest_banner(health, lang))
    if values.get("exercise_active"):
        banners.append(
            html.Div(
                t("banner.exercise", lang), className="banner exercise", id="screen-banner-exercise"
            )
        )
    return banners


def _ingest_banner(health: dict[str, Any], lang: str) -> html.Div:
    """Ingest is not healthy: what is wrong, the last commit's age and the lag (SPEC §3.1)."""
    mqtt = health.get("mqtt") or {}
    parts = [t("banner.ingest_degraded", lang), "; ".join(map(str, health.get("problems", [])))]
    age, lag = mqtt.get("last_commit_age_s"), mqtt.get("last_lag_s")
    if isinstance(age, (int, float)):
        parts.append(t("banner.ingest_last_commit", lang, seconds=round(age)))
    if isinstance(lag, (int, float)):
        parts.append(t("banner.ingest_lag", lang, seconds=round(lag)))
    return html.Div(
        " · ".join(p for p in parts if p), className="banner ingest", id="screen-banner-ingest"
    )


def current_kpis(user_scope: Any, at: Any = None) -> dict[str, Any]:
    """The KPI strip's values; live (``at`` None) they carry the real state of ingest."""
    ctx = get_context()
    values = screen_kpis(
        ctx.store,
        user_scope,
        now=utcnow(),
        at=at,
        tz=ctx.config.settings.calendar.timezone,
        calendar=ctx.calendar(),
    )
    if at is None and ctx.background is not None:
        values["ingest"] = ctx.background.health()
    return values


def _layer_options(lang: str) -> list[dict[str, Any]]:
    return [
        {
            "label": html.Span(
                [
                    html.Span(t(f"layer.{group}", lang), className="layer-name"),
                    html.Span("—", className="layer-age", **{"data-age-group": group}),
                ],
                className="layer-option",
            ),
            "value": group,
        }
        for group in LAYER_GROUPS
    ]


def _left_panel(
    lang: str,
    version: dict[str, Any],
    zoom_options: list[dict[str, Any]],
    state: WallState,
    role: str,
) -> Any:
    return html.Div(
        className="side left",
        children=[
            theme_switcher(state, lang),
            switch_control(role, lang),
            html.Div(
                id=ids.SCREEN_LAYERS,
                className="panel block",
                children=[
                    html.Div(t("layer.panel", lang), className="panel-title"),
                    dcc.Checklist(
                        id=ids.SCREEN_GROUPS,
                        options=_layer_options(lang),
                        value=list(state.groups),
                        className="layer-list",
                    ),
                    html.Div(t("layer.grid_colour", lang), className="panel-sub"),
                    dcc.RadioItems(
                        id=ids.SCREEN_GRID_MODE,
                        options=[
                            {"label": t(f"grid_mode.{m}", lang), "value": m}
                            for m in ("district", "open_cases", "overdue", "score")
                        ],
                        value=state.grid_mode,
                        className="radio-row",
                    ),
                    html.Div(t("layer.cases_mode", lang), className="panel-sub"),
                    dcc.RadioItems(
                        id=ids.SCREEN_CASES_MODE,
                        options=[
                            {"label": t(f"cases_mode.{m}", lang), "value": m}
                            for m in ("auto", "points", "hexagons")
                        ],
                        value="auto",
                        className="radio-row",
                    ),
                    html.Div(t("layer.zoom_to", lang), className="panel-sub"),
                    dcc.Dropdown(
                        id=ids.SCREEN_ZOOM_TO,
                        options=zoom_options,
                        placeholder=t("layer.zoom_placeholder", lang),
                        className="zoom-to",
                        clearable=True,
                    ),
                    html.Div(
                        t(
                            "layer.grid_version",
                            lang,
                            version=version["version"],
                            since=version["since"],
                        ),
                        className="data-age",
                    ),
                ],
            ),
            html.Div(id=ids.SCREEN_LEGEND, className="panel block legend"),
        ],
    )


def _right_panel(lang: str) -> Any:
    return html.Div(
        className="side right",
        children=[
            *panel_parts(),  # the incidents of an emergency (战时), shown when there are any
            html.Div(
                className="panel block feed-panel",
                children=[
                    html.Div(t("feed.title", lang), className="panel-title"),
                    html.Ul(id=ids.SCREEN_FEED, className="feed"),
                ],
            ),
            html.Div(
                className="panel block ranking-panel",
                children=[
                    html.Div(t("ranking.title", lang), className="panel-title"),
                    html.Div(id=ids.SCREEN_RANKING),
                ],
            ),
        ],
    )


def _replay_bar(lang: str) -> Any:
    hours = REPLAY_SLIDER_HOURS  # inside the replay window, see app.validation
    days = range(15, hours // 24 + 1, 15)
    marks = {-d * 24: {"label": t("replay.days_ago", lang, n=d)} for d in days}
    marks[0] = {"label": t("replay.now", lang)}
    return html.Div(
        className="replay-bar",
        children=[
            html.Span(t("replay.title", lang), className="replay-title"),
            html.Button(t("replay.play", lang), id=ids.SCREEN_REPLAY_PLAY, n_clicks=0),
            html.Div(
                dcc.Slider(
                    id=ids.SCREEN_REPLAY_SLIDER,
                    min=-hours,
                    max=0,
                    step=1,
                    value=0,
                    marks=marks,
                    updatemode="mouseup",
                    tooltip=None,
                    allow_direct_input=False,
                ),
                className="replay-slider",
            ),
            html.Span(t("replay.live", lang), id=ids.SCREEN_REPLAY_LABEL, className="replay-label"),
            html.Button(t("replay.back_live", lang), id=ids.SCREEN_REPLAY_LIVE, n_clicks=0),
            dcc.Interval(id=ids.SCREEN_REPLAY_TICK, interval=1500, disabled=True),
        ],
    )


def layout(theme: str | None = None, **_query: str) -> html.Div:
    ctx = get_context()
    user = current_user()
    if user is None or not may_open(user.role, "screen"):
        # the gate refuses the page URL; the Pages callback can still ask by pathname
        return html.Div()
    lang = current_language(ctx.config)
    state = themed_state(theme)  # ?theme=<id> (unknown or none: the default theme)
    version = grid_version_info(ctx.store)
    settings = ctx.config.settings
    with expensive(user.get_id()):  # the page is the KPIs now: in the user's slots too
        kpis = current_kpis(user.scope)
    tz = ctx.config.settings.calendar.timezone
    children: list[Any] = [
        html.Div(
            id=ids.SCREEN_BANNERS,
            className="banners",
            children=render_banners(kpis, None, lang, tz),
        ),
        html.Div(
            id=ids.SCREEN_KPIS, className="kpi-strip", children=render_kpis(kpis, lang, state.kpis)
        ),
    ]
    if version is None:
        children.append(html.Div(t("notice.no_grid", lang), className="notice big"))
        return html.Div(className="screen", children=children)
    anchor = utcnow()
    config = map_config(ctx.store, user.scope, settings=settings, lang=lang, state=state)
    children += [
        html.Div(
            className="wall-body",
            children=[
                _left_panel(
                    lang, version, zoom_targets(ctx.store, user.scope, lang=lang), state, user.role
                ),
                html.Div(
                    className="map-wrap",
                    children=[
                        html.Div(id=ids.SCREEN_MAP, className="map-canvas"),
                        html.Div(
                            id=ids.SCREEN_CARD,
                            className="panel card hidden",
                            children=[
                                html.Button(
                                    "×",
                                    id=ids.SCREEN_CARD_CLOSE,
                                    className="card-close",
                                    n_clicks=0,
                                ),
                                html.Div(id=ids.SCREEN_CARD_BODY),
                            ],
                        ),
                        html.Div(t("notice.demo", lang), className="notice demo"),
                    ],
                ),
                _right_panel(lang),
            ],
        ),
        _replay_bar(lang),
        dcc.Store(id=ids.SCREEN_MAP_CONFIG, data=config),
        dcc.Store(id=ids.SCREEN_MAP_MOUNTED),
        dcc.Store(id=ids.SCREEN_UI_SINK),
        dcc.Store(id=ids.SCREEN_SELECTION),
        dcc.Store(
            id=ids.SCREEN_REPLAY,
            data={"at": None, "anchor": anchor.isoformat(), "playing": False},
        ),
        dcc.Interval(id=ids.SCREEN_KPI_TICK, interval=settings.refresh.kpi_s * 1000),
    ]
    return html.Div(id=ids.SCREEN_ROOT, className="screen wall", children=children)


dash.register_page(__name__, path="/screen", name="screen", title="CityOps · 一张图", layout=layout)
