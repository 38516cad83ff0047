"""Admin tab 'users' (being built for issue 14): the users table as stored."""

from __future__ import annotations

from typing import Any

from dash import html

from app.context import get_context
from app.i18n import t
from app.pages.admin import ids
from models.users import list_users


def panel(lang: str, query: dict[str, str]) -> Any:
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
        for u in list_users(get_context().store)
    ]
    return html.Div(
        [
            html.H2(t("admin.users", lang)),
            html.Table(
                id=ids.USERS,
                className="table",
                children=[
                    html.Thead(html.Tr([html.Th(t(h, lang)) for h in head])),
                    html.Tbody(rows),
                ],
            ),
        ]
    )
