"""Cameras near a place (调取周边视频), as a block of links for a case's or an incident's
card: name, class, distance, and the stream link opened in a new tab (never embedded, never
fetched by the server; :func:`models.emergency.cameras.safe_stream_url` keeps only http(s)
and rtsp links)."""

from __future__ import annotations

import math
from typing import Any

from dash import html

from app.i18n import t
from models.emergency.cameras import cameras_near
from models.store import Store

#: Cameras listed on a card (nearest first).
CARD_LIMIT = 8


def cameras_block(
    store: Store, lon: Any, lat: Any, *, radius_m: float, lang: str, limit: int = CARD_LIMIT
) -> html.Div | None:
    """The block, or None where the place has no usable position."""
    if not all(isinstance(v, int | float) and math.isfinite(v) for v in (lon, lat)):
        return None
    found = cameras_near(store, float(lon), float(lat), radius_m=radius_m, limit=limit)
    items = []
    for cam in found:
        label = (
            f"{cam['name'] or cam['camera_id']} · {t('camera.class', lang, n=cam['camera_class'])}"
        )
        distance = t("camera.distance", lang, m=f"{cam['distance_m']:.0f}")
        link = (
            html.A(
                t("camera.open", lang),
                href=cam["stream_url"],
                target="_blank",
                rel="noopener noreferrer",
                className="camera-link",
            )  # fmt: skip
            if cam["stream_url"]
            else html.Span(t("camera.no_link", lang), className="muted")
        )
        items.append(html.Li([html.Span(label), " · ", html.Span(distance), " ", link]))
    if not items:
        items = [html.Li(t("camera.none", lang, r=f"{radius_m:.0f}"), className="muted")]
    return html.Div(
        className="camera-block",
        children=[
            html.Div(t("camera.title", lang, n=len(found)), className="card-sub"),
            html.Ul(items, className="camera-list"),
        ],
    )
