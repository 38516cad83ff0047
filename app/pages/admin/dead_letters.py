"""Admin tab 'dead letters': rejected input kept for inspection (being built for issue 14)."""

from __future__ import annotations

from typing import Any

from dash import html

from app.context import get_context
from app.i18n import t
from app.pages.admin import ids
from models.dead_letters import list_dead_letters


def _payload_note(r: object) -> str:
    """The whole payload's size and sha256 (the preview is its first bytes only)."""
    size, digest = getattr(r, "payload_size", None), getattr(r, "payload_sha256", None)
    note = "" if size is None or size != size else f" {int(size):,} B"
    return note + (f" · sha256 {digest[:16]}…" if isinstance(digest, str) else "")


def panel(lang: str, query: dict[str, str]) -> Any:
    df = list_dead_letters(get_context().store, limit=50)
    head = [
        "admin.dl_time",
        "admin.dl_channel",
        "admin.dl_topic",
        "admin.dl_reason",
        "admin.dl_payload",
    ]
    rows = [
        html.Tr(
            [
                html.Td(f"{r.received_at:%Y-%m-%d %H:%M:%S}"),
                html.Td(r.channel),
                html.Td(r.topic or ""),
                html.Td(r.reason),
                html.Td([html.Code(r.preview), html.Small(_payload_note(r), className="muted")]),
            ]
        )
        for r in df.itertuples()
    ]
    return html.Div(
        [
            html.H2(t("admin.dead_letters", lang)),
            html.Table(
                id=ids.DEAD_LETTERS,
                className="table",
                children=[
                    html.Thead(html.Tr([html.Th(t(h, lang)) for h in head])),
                    html.Tbody(rows),
                ],
            ),
        ]
    )
