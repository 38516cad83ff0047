"""The wall in emergency mode (战时): the incident panel beside the map, the war banner, the
emergency theme switched on when the mode begins and back when it ends, and the operator's
switch (auto / war / peace). The mode itself is :mod:`models.emergency.wall_mode`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from dash import Input, Output, State, callback, dcc, html, no_update
from dash.exceptions import PreventUpdate

from app import ids
from app.auth import current_language, current_user
from app.context import get_context
from app.i18n import t
from app.pages.screen.logic import local_minute
from app.validation import Rejected, replay_at
from models.clock import utcnow
from models.emergency.wall_mode import MODES, WallMode, set_wall_mode, wall_mode
from models.security import may_open

#: Roles that may switch the wall's mode (the command centre's staff).
SWITCH_ROLES = frozenset({"operator", "emergency", "admin"})
#: The wall theme an emergency brings up, by incident type (the rest: 城市安全).
WAR_THEMES = {"flood": "flood_typhoon", "typhoon": "flood_typhoon", "geological": "flood_typhoon"}
WAR_THEME_DEFAULT = "safety"


def war_theme(mode: WallMode) -> str:
    """The theme for the gravest open incident (or 城市安全 when the operator switched)."""
    if mode.incidents:
        return WAR_THEMES.get(str(mode.incidents[0]["incident_type"]), WAR_THEME_DEFAULT)
    return WAR_THEME_DEFAULT


def switch_control(role: str, lang: str) -> Any:
    """The operator's switch (only for :data:`SWITCH_ROLES`; the callback checks again)."""
    if role not in SWITCH_ROLES:
        return html.Div(dcc.RadioItems(id=ids.SCREEN_WAR_SWITCH, options=[]), hidden=True)
    return html.Div(
        className="panel block war-switch",
        children=[
            html.Div(t("war.switch", lang), className="panel-sub"),
            dcc.RadioItems(
                id=ids.SCREEN_WAR_SWITCH,
                options=[{"label": t(f"war.mode.{m}", lang), "value": m} for m in MODES],
                value=None,
                className="radio-row",
            ),
        ],
    )


def panel_parts() -> list[Any]:
    """The (empty) incident panel and the mode's store, filled by :func:`refresh_war`."""
    return [
        html.Div(id=ids.SCREEN_WAR_PANEL, className="panel block war-panel hidden"),
        dcc.Store(id=ids.SCREEN_WAR_MODE, data=None),
    ]


def _elapsed(opened: datetime, now: datetime, lang: str) -> str:
    minutes = max(0, int((now - opened).total_seconds() // 60))
    return t("war.elapsed", lang, h=minutes // 60, m=minutes % 60)


def render_panel(mode: WallMode, *, now: datetime, lang: str, tz: str) -> list[Any]:
    """The incidents that make (or would make) the wall go to war, gravest first."""
    title = t(f"war.title.{mode.reason or 'none'}", lang)
    items: list[Any] = []
    for i in mode.incidents:
        facts = [
            t("war.tasks", lang, done=i["tasks_done"], total=i["tasks"]),
            t("war.units", lang, sent=i["units_sent"], there=i["units_on_scene"]),
            t("war.warnings", lang, n=i["warnings"]),
        ]
        alarms = []
        if i["tasks_overdue"]:
            alarms.append(html.Span(t("war.overdue", lang, n=i["tasks_overdue"]), className="bad"))
        if i["orders_unacked"]:
            alarms.append(html.Span(t("war.unacked", lang, n=i["orders_unacked"]), className="bad"))
        items.append(
            html.Li(
                className=f"war-incident level-{i['level']}",
                children=[
                    html.Div(
                        className="war-head",
                        children=[
                            html.Span(t(f"incident_level.{i['level']}", lang), className="badge"),
                            html.Span(t(f"incident_type.{i['incident_type']}", lang)),
                            html.Span(t("exercise.label", lang)) if i["exercise"] else None,
                        ],
                    ),
                    html.Div(str(i["title"]), className="war-title"),
                    html.Div(
                        f"{local_minute(i['opened_at'], tz)} · "
                        f"{_elapsed(i['opened_at'], now, lang)}",
                        className="war-time",
                    ),
                    html.Div(" · ".join(facts), className="war-facts"),
                    html.Div(alarms, className="war-alarms") if alarms else None,
                    html.A(t("war.open", lang), href=f"/emergency?incident={i['incident_id']}"),
                ],
            )
        )
    if not items:
        items.append(html.Li(t("war.no_incident", lang), className="muted"))
    return [html.Div(title, className="panel-title"), html.Ul(items, className="war-list")]


@callback(
    Output(ids.SCREEN_WAR_PANEL, "children"),
    Output(ids.SCREEN_WAR_PANEL, "className"),
    Output(ids.SCREEN_ROOT, "className"),
    Output(ids.SCREEN_WAR_MODE, "data"),
    Output(ids.SCREEN_THEME_SELECT, "value"),
    Output(ids.SCREEN_WAR_SWITCH, "value"),
    Input(ids.SCREEN_KPI_TICK, "n_intervals"),
    Input(ids.SCREEN_REPLAY, "data"),
    State(ids.SCREEN_WAR_MODE, "data"),
)
def refresh_war(_n: object, replay: object, last: object) -> Any:
    """Every KPI tick: the mode, the panel, and the theme when the mode changed."""
    user = current_user()
    if user is None or not may_open(user.role, "screen"):
        raise PreventUpdate
    now = utcnow()
    try:
        at = replay_at(replay, now=now)
    except Rejected as exc:
        raise PreventUpdate from exc
    app_ctx = get_context()
    settings = app_ctx.config.settings
    lang = current_language(app_ctx.config)
    mode = wall_mode(app_ctx.store, level=settings.emergency.wall_mode_level, now=now, at=at)
    theme: Any = no_update
    if last is not None and bool(last) != mode.war:  # the mode changed while the wall watched
        theme = war_theme(mode) if mode.war else settings.themes.default
    elif last is None and mode.war:  # the wall opened in war
        theme = war_theme(mode)
    shown = mode.war or bool(mode.incidents)
    return (
        render_panel(mode, now=at or now, lang=lang, tz=settings.calendar.timezone),
        "panel block war-panel" + ("" if shown else " hidden"),
        "screen wall war" if mode.war else "screen wall",
        mode.war,
        theme,
        mode.setting,
    )


@callback(
    Output(ids.SCREEN_UI_SINK, "data", allow_duplicate=True),
    Input(ids.SCREEN_WAR_SWITCH, "value"),
    prevent_initial_call=True,
)
def switch_war(value: object) -> Any:
    """The operator's switch: written (and audited) only for :data:`SWITCH_ROLES`."""
    user = current_user()
    if user is None or user.role not in SWITCH_ROLES or value not in MODES:
        raise PreventUpdate
    app_ctx = get_context()
    current = wall_mode(
        app_ctx.store, level=app_ctx.config.settings.emergency.wall_mode_level, now=utcnow()
    )
    if current.setting == value:
        raise PreventUpdate  # the tick echoing the stored value back
    actor = str(user.get_id())  # read here: the writer thread has no request (nor user)
    app_ctx.store.write(lambda tx: set_wall_mode(tx, str(value), actor=actor, now=utcnow()))
    return no_update
