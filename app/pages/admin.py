"""The admin page (/admin): users, roles and scopes as stored (first version)."""

from __future__ import annotations

import dash
from dash import html

from app import ids
from app.auth import current_language, current_user
from app.context import get_context
from app.i18n import t
from models.clock import utcnow
from models.dead_letters import list_dead_letters
from models.users import list_users


def layout(**_query: str) -> html.Div:
    ctx = get_context()
    user = current_user()
    if user is None or user.role != "admin":
        return html.Div()
    lang = current_language(ctx.config)
    head = ["admin.username", "admin.display_name", "admin.role", "admin.scope", "admin.disabled"]
    rows = [
        html.Tr(
            [
                html.Td(u.username),
                html.Td(u.display_name),
                html.Td(t(f"role.{u.role}", lang)),
                html.Td(f"{t('scope.' + u.scope.kind, lang)} {', '.join(u.scope.codes)}".strip()),
                html.Td("✓" if u.disabled else ""),
            ]
        )
        for u in list_users(ctx.store)
    ]
    return html.Div(
        className="page desk",
        children=[
            *_calendar_notice(lang),
            html.H2(t("admin.users", lang)),
            html.Table(
                id=ids.ADMIN_USERS,
                className="table",
                children=[
                    html.Thead(html.Tr([html.Th(t(h, lang)) for h in head])),
                    html.Tbody(rows),
                ],
            ),
            html.H2(t("admin.dead_letters", lang)),
            _dead_letters(lang),
            html.P(t("page.coming_later", lang), className="muted"),
        ],
    )


def _calendar_notice(lang: str) -> list[html.P]:
    """A warning when deadlines may run through a year whose 调休 days are not published."""
    years = get_context().calendar().unpublished_years(utcnow())
    if not years:
        return []
    text = t("admin.calendar_unpublished", lang, years=", ".join(map(str, years)))
    return [html.P(text, className="notice", role="alert")]


def _payload_note(r: object) -> str:
    """The whole payload's size and sha256 (the preview is its first bytes only)."""
    size, digest = getattr(r, "payload_size", None), getattr(r, "payload_sha256", None)
    note = "" if size is None or size != size else f" {int(size):,} B"
    return note + (f" · sha256 {digest[:16]}…" if isinstance(digest, str) else "")


def _dead_letters(lang: str) -> html.Table:
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
    return html.Table(
        id=ids.ADMIN_DEAD_LETTERS,
        className="table",
        children=[html.Thead(html.Tr([html.Th(t(h, lang)) for h in head])), html.Tbody(rows)],
    )


dash.register_page(__name__, path="/admin", name="admin", title="CityOps · 系统管理", layout=layout)
