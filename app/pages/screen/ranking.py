"""The wall's ranking panel: districts, or the streets of a sub-center's area, by score."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pandas as pd
from dash import html

from app.i18n import t
from models.evaluation import evaluate
from models.security import Scope
from models.store import Store

#: The ranking looks at the cases registered in the 30 days before the instant shown.
WINDOW = timedelta(days=30)


def ranking_frame(store: Store, scope: Scope, *, at: datetime) -> pd.DataFrame:
    """Scores of the last 30 days at ``at``: districts for a city user, else the scope's streets.

    Milestones count only if reached by ``at``, so a replayed ranking is the one of then.
    """
    by = "district" if scope.kind == "city" else "street"
    frame = evaluate(store, period_start=at - WINDOW, period_end=at, by=by, now=at)
    if scope.kind != "city":
        # a street is the scope's when a code of the scope (district, street or cell) starts
        # with the same street-length prefix
        streets = tuple({code[:9] for code in scope.codes})
        frame = frame[frame["group_value"].astype(str).str.startswith(streets)]
    return frame.sort_values("score", ascending=False, na_position="last").reset_index(drop=True)


def street_scores(store: Store, *, at: datetime) -> dict[str, float]:
    """Score by street code over the 30 days before ``at`` (grid colouring by score)."""
    frame = evaluate(store, period_start=at - WINDOW, period_end=at, by="street", now=at)
    return {str(k): float(v) for k, v in zip(frame["group_value"], frame["score"]) if pd.notna(v)}


def render_ranking(store: Store, scope: Scope, *, at: datetime, now: datetime, lang: str) -> Any:
    frame = ranking_frame(store, scope, at=min(at, now))
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
