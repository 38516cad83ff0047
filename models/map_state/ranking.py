"""The one ranking of areas by evaluation score at an instant (the wall's panel, grid colours)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

import pandas as pd

from models.evaluation import evaluate
from models.security import Scope
from models.store import Store

#: The ranking looks at the cases registered in the 30 days before the instant shown.
RANKING_WINDOW = timedelta(days=30)


def ranking_at(
    store: Store,
    scope: Scope,
    *,
    at: datetime,
    by: Literal["district", "street"] | None = None,
    window: timedelta = RANKING_WINDOW,
) -> pd.DataFrame:
    """Areas ranked by their score (``models.evaluation.evaluate``) over ``window`` before
    ``at``, best first (no score last).

    Milestones count only if reached by ``at``, so a replayed ranking is the one of then.

    Parameters
    ----------
    by
        ``"district"`` or ``"street"``; None: districts for a city scope, else streets.
    window
        The registration period looked at, ending at ``at``.

    Returns
    -------
    pandas.DataFrame
        The rows of :func:`~models.evaluation.evaluate` of the areas ``scope`` lies in or
        covers (an area code that a scope code, cut to the area's length, begins).
    """
    by = by or ("district" if scope.kind == "city" else "street")
    frame = evaluate(store, period_start=at - window, period_end=at, by=by, now=at)
    if scope.kind != "city":
        length = 6 if by == "district" else 9
        prefixes = tuple({code[:length] for code in scope.codes})
        frame = frame[frame["group_value"].astype(str).str.startswith(prefixes)]
    return frame.sort_values("score", ascending=False, na_position="last", ignore_index=True)


def street_scores(store: Store, scope: Scope, *, at: datetime) -> dict[str, float]:
    """Score by street code of ``scope`` at ``at`` (grid colouring by score), from
    :func:`ranking_at`; streets without a score are left out."""
    frame = ranking_at(store, scope, at=at, by="street")
    return {str(k): float(v) for k, v in zip(frame["group_value"], frame["score"]) if pd.notna(v)}
