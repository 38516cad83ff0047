"""Callbacks of the one-map screen: refresh the KPI strip from the store."""

from __future__ import annotations

from typing import Any

from dash import Input, Output, callback, no_update

from app import ids
from app.auth import current_language, current_user
from app.context import get_context
from app.pages.screen.layout import current_kpis, render_kpis


@callback(
    Output(ids.SCREEN_KPIS, "children"),
    Input(ids.SCREEN_KPI_TICK, "n_intervals"),
    prevent_initial_call=True,
)
def refresh_kpis(_n: int) -> Any:
    user = current_user()
    if user is None:
        return no_update
    ctx = get_context()
    return render_kpis(current_kpis(user.scope), current_language(ctx.config))
