"""The wall's ranking panel: districts, or the streets of a sub-center's area, by score."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd
from dash import html

from app.i18n import t
from models.map_state import ranking_at
from models.security import Scope
from models.store import Store


def render_ranking(store: Store, scope: Scope, *, at: datetime, now: datetime, lang: str) -> Any:
    """The top 12 of :func:`models.map_state.ranking_at` at ``at`` (never after ``now``)."""
    frame = ranking_at(store, scope, at=min(at, now))
    if frame.empty:
        return html.Div(t("ranking.empty", lang), className="muted")
    head = html.Tr(
        [html.Th(t(f"ranking.{c}", lang)) for c in ("rank", "name", "score", "on_time", "closure")]
    )

    def pct(v: Any) -> str:
        return "—" if pd.isna(v) else f"{100 * float(v):.1f}%"

    rows = [
        html.Tr(
            [
                html.Td(str(i + 1)),
                html.Td(str(r["group_name"] or r["group_value"])),
                html.Td(
                    "—" if pd.isna(r["score"]) else f"{float(r['score']):.1f}", className="num"
                ),
                html.Td(pct(r.get("on_time_handling_rate")), className="num"),
                html.Td(pct(r.get("closure_rate")), className="num"),
            ]
        )
        for i, r in frame.head(12).iterrows()
    ]
    return html.Table([html.Thead(head), html.Tbody(rows)], className="table ranking")
