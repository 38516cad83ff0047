"""Callbacks of the one-map screen: KPIs, legend, ranking, card, replay (map controls: JS)."""

from __future__ import annotations

from datetime import UTC, datetime
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

from app import ids
from app.auth import current_language, current_user
from app.context import get_context
from app.i18n import t
from app.pages.screen.cards import render_card
from app.pages.screen.layout import (
    current_kpis,
    render_banners,
    render_kpis,
    replay_instant,
)
from app.pages.screen.legends import render_legend
from app.pages.screen.logic import local_minute
from app.pages.screen.ranking import render_ranking
from models.clock import utcnow

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
    ClientsideFunction(namespace="cityops", function_name="setReplay"),
    Output(ids.SCREEN_UI_SINK, "data", allow_duplicate=True),
    Input(ids.SCREEN_REPLAY, "data"),
    prevent_initial_call=True,
)


def _at(replay: dict[str, Any] | None) -> datetime | None:
    if not replay or not replay.get("at"):
        return None
    return datetime.fromisoformat(replay["at"])


@callback(
    Output(ids.SCREEN_KPIS, "children"),
    Output(ids.SCREEN_BANNERS, "children"),
    Input(ids.SCREEN_KPI_TICK, "n_intervals"),
    Input(ids.SCREEN_REPLAY, "data"),
    prevent_initial_call=True,
)
def refresh_kpis(_n: int, replay: dict[str, Any] | None) -> Any:
    user = current_user()
    if user is None:
        return no_update, no_update
    app_ctx = get_context()
    lang = current_language(app_ctx.config)
    at = _at(replay)
    values = current_kpis(user.scope, at)
    banners = render_banners(values, at, lang, app_ctx.config.settings.calendar.timezone)
    return render_kpis(values, lang), banners


@callback(
    Output(ids.SCREEN_LEGEND, "children"),
    Input(ids.SCREEN_GROUPS, "value"),
    Input(ids.SCREEN_GRID_MODE, "value"),
)
def refresh_legend(groups: list[str] | None, grid_mode: str | None) -> Any:
    app_ctx = get_context()
    return render_legend(groups or [], grid_mode or "district", current_language(app_ctx.config))


@callback(
    Output(ids.SCREEN_RANKING, "children"),
    Input(ids.SCREEN_KPI_TICK, "n_intervals"),
    Input(ids.SCREEN_REPLAY, "data"),
)
def refresh_ranking(_n: int | None, replay: dict[str, Any] | None) -> Any:
    user = current_user()
    if user is None:
        return no_update
    app_ctx = get_context()
    return render_ranking(
        app_ctx.store,
        user.scope,
        at=_at(replay) or utcnow(),
        now=utcnow(),
        lang=current_language(app_ctx.config),
    )


@callback(
    Output(ids.SCREEN_CARD_BODY, "children"),
    Output(ids.SCREEN_CARD, "className"),
    Input(ids.SCREEN_SELECTION, "data"),
    Input(ids.SCREEN_CARD_CLOSE, "n_clicks"),
    prevent_initial_call=True,
)
def show_card(selection: dict[str, Any] | None, _close: int | None) -> Any:
    if ctx.triggered_id == ids.SCREEN_CARD_CLOSE or not selection:
        return [], "panel card hidden"
    user = current_user()
    if user is None:
        return no_update, no_update
    app_ctx = get_context()
    at = selection.get("at")
    body = render_card(
        app_ctx.store,
        user.scope,
        layer=str(selection.get("layer", "")),
        key=str(selection.get("id", "")),
        at=datetime.fromisoformat(at.replace("Z", "+00:00")).astimezone(UTC).replace(tzinfo=None)
        if at
        else utcnow(),
        lang=current_language(app_ctx.config),
        tz=app_ctx.config.settings.calendar.timezone,
        calendar=app_ctx.calendar(),
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
def replay(hours: int | None, _play: int, _live: int, _tick: int, state: dict[str, Any]) -> Any:
    """Slider, play/pause and back-to-live; playing steps one hour per tick up to now."""
    app_ctx = get_context()
    lang = current_language(app_ctx.config)
    tz = app_ctx.config.settings.calendar.timezone
    state = dict(state or {})
    anchor = state.get("anchor") or utcnow().isoformat()
    hours = int(hours or 0)
    trigger = ctx.triggered_id
    playing = bool(state.get("playing"))
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
    at = replay_instant(anchor, hours)
    if at is None:
        playing = False
        # back to live: a fresh anchor so the slider's scale starts from now again
        anchor = utcnow().isoformat()
    label = (
        t("replay.live", lang) if at is None else t("replay.showing", lang, at=local_minute(at, tz))
    )
    new_state = {"at": at.isoformat() if at else None, "anchor": anchor, "playing": playing}
    button = t("replay.pause", lang) if playing else t("replay.play", lang)
    return new_state, hours, label, not playing, button
