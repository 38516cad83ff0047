"""Callbacks of the one-map screen: KPIs, legend, ranking, card, replay (map controls: JS).

Every value a browser sends is checked by :mod:`app.validation` first: a crafted one gets no
update. The callbacks that compute at an instant run in one of the user's expensive slots
(:func:`app.bounds.expensive`; beyond them a 429, the outputs stay as they are).
"""

from __future__ import annotations

from typing import Any

from dash import (
    ClientsideFunction,
    Input,
    Output,
    State,
    callback,
    clientside_callback,
    ctx,
    no_update,
)
from dash.exceptions import PreventUpdate

from app import ids
from app.auth import current_language, current_user
from app.bounds import expensive
from app.context import get_context
from app.i18n import t
from app.pages.screen.cards import render_card
from app.pages.screen.layout import current_kpis, render_banners, render_kpis
from app.pages.screen.legends import render_legend
from app.pages.screen.logic import LAYER_GROUPS, legend_blocks, local_minute
from app.pages.screen.ranking import render_ranking
from app.pages.screen.themes import theme_for, themed_state
from app.validation import (
    Rejected,
    replay_at,
    replay_state,
    replay_step,
    selection,
    slider_hours,
)
from models.clock import utcnow
from models.security import may_open

GRID_MODES = ("district", "open_cases", "overdue", "score")

# -- map controls: pure UI, in the browser (assets/clientside.js) -------------------------
clientside_callback(
    ClientsideFunction(namespace="cityops", function_name="mountMap"),
    Output(ids.SCREEN_MAP_MOUNTED, "data"),
    Input(ids.SCREEN_MAP_CONFIG, "data"),
)
for _control, _function in (
    (ids.SCREEN_GROUPS, "setGroups"),
    (ids.SCREEN_GRID_MODE, "setGridMode"),
    (ids.SCREEN_CASES_MODE, "setCasesMode"),
    (ids.SCREEN_ZOOM_TO, "zoomTo"),
):
    clientside_callback(
        ClientsideFunction(namespace="cityops", function_name=_function),
        Output(ids.SCREEN_UI_SINK, "data", allow_duplicate=True),
        Input(_control, "value"),
        prevent_initial_call=True,
    )
clientside_callback(
    ClientsideFunction(namespace="cityops", function_name="setTheme"),
    Output(ids.SCREEN_UI_SINK, "data", allow_duplicate=True),
    Input(ids.SCREEN_THEME, "data"),
    prevent_initial_call=True,
)
clientside_callback(
    ClientsideFunction(namespace="cityops", function_name="setReplay"),
    Output(ids.SCREEN_UI_SINK, "data", allow_duplicate=True),
    Input(ids.SCREEN_REPLAY, "data"),
    prevent_initial_call=True,
)


@callback(
    Output(ids.SCREEN_GROUPS, "value"),
    Output(ids.SCREEN_GRID_MODE, "value"),
    Output(ids.SCREEN_THEME, "data"),
    Input(ids.SCREEN_THEME_SELECT, "value"),
    prevent_initial_call=True,
)
def choose_theme(theme_id: object) -> Any:
    """A theme chosen on the switcher: its layer groups and grid colouring go to the panel
    (the user may change them after), its id (the default for an unknown one) to the store
    that the map, the KPI strip and the legend follow."""
    user = current_user()
    if user is None or not may_open(user.role, "screen"):
        return no_update, no_update, no_update
    state = themed_state(theme_id)
    return list(state.groups), state.grid_mode, state.theme


@callback(
    Output(ids.SCREEN_KPIS, "children"),
    Output(ids.SCREEN_BANNERS, "children"),
    Input(ids.SCREEN_KPI_TICK, "n_intervals"),
    Input(ids.SCREEN_REPLAY, "data"),
    Input(ids.SCREEN_THEME, "data"),
    prevent_initial_call=True,
)
def refresh_kpis(_n: int, replay: object, theme_id: object = None) -> Any:
    user = current_user()
    if user is None:
        return no_update, no_update
    try:
        at = replay_at(replay, now=utcnow())
    except Rejected as exc:
        raise PreventUpdate from exc
    app_ctx = get_context()
    lang = current_language(app_ctx.config)
    with expensive(user.get_id()):
        values = current_kpis(user.scope, at)
    banners = render_banners(values, at, lang, app_ctx.config.settings.calendar.timezone)
    return render_kpis(values, lang, theme_for(theme_id).kpis), banners


@callback(
    Output(ids.SCREEN_LEGEND, "children"),
    Input(ids.SCREEN_GROUPS, "value"),
    Input(ids.SCREEN_GRID_MODE, "value"),
    Input(ids.SCREEN_THEME, "data"),
)
def refresh_legend(groups: object, grid_mode: object, theme_id: object = None) -> Any:
    shown = [g for g in groups if g in LAYER_GROUPS] if isinstance(groups, list) else []
    mode = grid_mode if grid_mode in GRID_MODES else "district"
    lang = current_language(get_context().config)
    theme = theme_for(theme_id)
    return render_legend(
        legend_blocks(theme, shown),
        str(mode),
        lang,
        theme_name=theme.name(lang) if theme.case_majors else None,
    )


@callback(
    Output(ids.SCREEN_RANKING, "children"),
    Input(ids.SCREEN_KPI_TICK, "n_intervals"),
    Input(ids.SCREEN_REPLAY, "data"),
)
def refresh_ranking(_n: int | None, replay: object) -> Any:
    user = current_user()
    if user is None:
        return no_update
    now = utcnow()
    try:
        at = replay_at(replay, now=now)
    except Rejected as exc:
        raise PreventUpdate from exc
    app_ctx = get_context()
    with expensive(user.get_id()):
        return render_ranking(
            app_ctx.store,
            user.scope,
            at=at or now,
            now=now,
            lang=current_language(app_ctx.config),
        )


@callback(
    Output(ids.SCREEN_CARD_BODY, "children"),
    Output(ids.SCREEN_CARD, "className"),
    Input(ids.SCREEN_SELECTION, "data"),
    Input(ids.SCREEN_CARD_CLOSE, "n_clicks"),
    prevent_initial_call=True,
)
def show_card(chosen: object, _close: int | None) -> Any:
    now = utcnow()
    try:
        picked = selection(chosen, now=now)
    except Rejected as exc:
        raise PreventUpdate from exc
    if ctx.triggered_id == ids.SCREEN_CARD_CLOSE or picked is None:
        return [], "panel card hidden"
    user = current_user()
    if user is None:
        return no_update, no_update
    app_ctx = get_context()
    with expensive(user.get_id()):
        body = render_card(
            app_ctx.store,
            user.scope,
            layer=picked.layer,
            key=picked.key,
            at=picked.at or now,
            lang=current_language(app_ctx.config),
            tz=app_ctx.config.settings.calendar.timezone,
            calendar=app_ctx.calendar(),
            camera_radius_m=app_ctx.config.settings.emergency.camera_radius_m,
        )
    return body, "panel card"


@callback(
    Output(ids.SCREEN_REPLAY, "data"),
    Output(ids.SCREEN_REPLAY_SLIDER, "value"),
    Output(ids.SCREEN_REPLAY_LABEL, "children"),
    Output(ids.SCREEN_REPLAY_TICK, "disabled"),
    Output(ids.SCREEN_REPLAY_PLAY, "children"),
    Input(ids.SCREEN_REPLAY_SLIDER, "value"),
    Input(ids.SCREEN_REPLAY_PLAY, "n_clicks"),
    Input(ids.SCREEN_REPLAY_LIVE, "n_clicks"),
    Input(ids.SCREEN_REPLAY_TICK, "n_intervals"),
    State(ids.SCREEN_REPLAY, "data"),
    prevent_initial_call=True,
)
def replay(slider: object, _play: int, _live: int, _tick: int, state: object) -> Any:
    """Slider, play/pause and back-to-live; playing steps one hour per tick up to now.

    A crafted slider value, state or anchor gets no update; back-to-live mends any state."""
    app_ctx = get_context()
    lang = current_language(app_ctx.config)
    tz = app_ctx.config.settings.calendar.timezone
    now = utcnow()
    trigger = ctx.triggered_id
    try:
        checked = replay_state(state, now=now)
        hours = slider_hours(slider)
    except Rejected as exc:
        if trigger != ids.SCREEN_REPLAY_LIVE:
            raise PreventUpdate from exc
        checked, hours = replay_state(None, now=now), 0
    # live, the slider counts from now (a wall's page may have been open for months)
    anchor = now if checked.at is None or checked.anchor is None else checked.anchor
    playing = checked.playing
    if trigger == ids.SCREEN_REPLAY_LIVE:
        hours, playing = 0, False
    elif trigger == ids.SCREEN_REPLAY_PLAY:
        playing = not playing
        if playing and hours == 0:
            hours = -24  # play from a day ago
    elif trigger == ids.SCREEN_REPLAY_TICK:
        if not playing:
            return no_update, no_update, no_update, True, no_update
        hours += 1
        if hours >= 0:
            hours, playing = 0, False
    try:
        at = replay_step(anchor, hours, now=now)
    except Rejected as exc:
        raise PreventUpdate from exc
    if at is None:
        playing = False
        anchor = now  # back to live: the slider's scale starts from now again
    label = (
        t("replay.live", lang) if at is None else t("replay.showing", lang, at=local_minute(at, tz))
    )
    new_state = {
        "at": at.isoformat() if at else None,
        "anchor": anchor.isoformat(),
        "playing": playing,
    }
    button = t("replay.pause", lang) if playing else t("replay.play", lang)
    return new_state, hours, label, not playing, button
