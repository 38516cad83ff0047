"""Admin tab 'users' (用户与角色): the users table with a text and a role filter, the form
that creates a user (a generated password shown once), and the form that manages one user:
disable or enable, a new password, role and scope (picked from the area tree), display name,
API tokens. The callbacks live in users_callbacks.py."""

from __future__ import annotations

from typing import Any

from dash import dcc, html

from app.context import get_context
from app.i18n import t
from app.pages.admin import ids
from app.pages.admin.users_logic import filter_users, scope_summary
from models.api_tokens import active_token_counts
from models.security import ROLES, SCOPE_KINDS
from models.user_scopes import area_tree
from models.users import MAX_DISPLAY_NAME, User, list_users

_HEAD = ("username", "display_name", "role", "scope", "state", "tokens")


def _field(label: str, control: Any) -> html.Label:
    return html.Label([html.Span(label), control], className="admin-field")


def _role_options(lang: str) -> list[dict[str, str]]:
    return [{"label": t(f"role.{r}", lang), "value": r} for r in ROLES]


def _kind_options(lang: str) -> list[dict[str, str]]:
    return [{"label": t(f"scope.{k}", lang), "value": k} for k in SCOPE_KINDS]


def scope_picker(kind_id: str, codes_id: str, lang: str) -> list[html.Label]:
    """A scope kind and its places (a searchable multi-select; its options follow the kind
    and the search, see users_callbacks.scope_options_for)."""
    return [
        _field(
            t("admin.users.scope_kind", lang),
            dcc.Dropdown(
                id=kind_id,
                options=_kind_options(lang),
                value="city",
                clearable=False,
                className="admin-dropdown",
            ),  # fmt: skip
        ),
        _field(
            t("admin.users.scope_codes", lang),
            dcc.Dropdown(
                id=codes_id,
                options=[],
                value=[],
                multi=True,
                searchable=True,
                placeholder=t("admin.users.scope_search", lang),
                className="admin-dropdown admin-users-codes",
            ),  # fmt: skip
        ),
    ]


def users_table(users: list[User], lang: str) -> html.Table:
    """The users as rows (the filter already applied)."""
    store = get_context().store
    tree, tokens = area_tree(store), active_token_counts(store)
    rows = [
        html.Tr(
            className="muted" if u.disabled else "",
            children=[
                html.Td(html.Code(u.username)),
                html.Td(u.display_name),
                html.Td(t(f"role.{u.role}", lang)),
                html.Td(f"{t('scope.' + u.scope.kind, lang)} {scope_summary(u, tree)}".strip()),
                html.Td(t("admin.users.disabled" if u.disabled else "admin.users.enabled", lang)),
                html.Td(str(tokens.get(u.username, 0))),
            ],
        )
        for u in users
    ]
    return html.Table(
        id=ids.USERS,
        className="table",
        children=[
            html.Thead(html.Tr([html.Th(t(f"admin.users.col.{h}", lang)) for h in _HEAD])),
            html.Tbody(rows),
        ],
    )


def _create_form(lang: str) -> html.Section:
    return html.Section(
        className="admin-users-box",
        children=[
            html.H3(t("admin.users.create_title", lang)),
            html.Div(
                className="admin-filters",
                children=[
                    _field(
                        t("admin.users.col.username", lang),
                        dcc.Input(id=ids.USERS_NEW_NAME, type="text", maxLength=64),
                    ),
                    _field(
                        t("admin.users.col.display_name", lang),
                        dcc.Input(
                            id=ids.USERS_NEW_DISPLAY, type="text", maxLength=MAX_DISPLAY_NAME
                        ),
                    ),
                    _field(
                        t("admin.users.col.role", lang),
                        dcc.Dropdown(
                            id=ids.USERS_NEW_ROLE,
                            options=_role_options(lang),
                            value="operator",
                            clearable=False,
                            className="admin-dropdown",
                        ),
                    ),
                    *scope_picker(ids.USERS_NEW_KIND, ids.USERS_NEW_CODES, lang),
                    _field(
                        t("admin.users.language", lang),
                        dcc.Dropdown(
                            id=ids.USERS_NEW_LANGUAGE,
                            options=[
                                {"label": "中文", "value": "zh"},
                                {"label": "English", "value": "en"},
                            ],
                            value="zh",
                            className="admin-dropdown",
                        ),
                    ),
                    _field(
                        t("admin.users.password", lang),
                        dcc.Input(
                            id=ids.USERS_NEW_PASSWORD,
                            type="password",
                            autoComplete="new-password",
                            maxLength=1024,
                            placeholder=t("admin.users.password_blank", lang),
                        ),
                    ),
                ],
            ),  # fmt: skip
            html.Button(t("admin.users.create", lang), id=ids.USERS_CREATE, n_clicks=0),
            html.Div(id=ids.USERS_CREATE_MESSAGE),
        ],
    )


def _manage_form(lang: str, users: list[User]) -> html.Section:
    return html.Section(
        className="admin-users-box",
        children=[
            html.H3(t("admin.users.manage_title", lang)),
            _field(
                t("admin.users.pick_user", lang),
                dcc.Dropdown(
                    id=ids.USERS_TARGET,
                    className="admin-dropdown",
                    options=[
                        {"label": f"{u.username} · {u.display_name}", "value": u.username}
                        for u in users
                    ],
                ),
            ),  # fmt: skip
            html.Div(id=ids.USERS_STATE, className="muted"),
            html.Div(
                className="admin-actions",
                children=[
                    html.Button(t("admin.users.disable", lang), id=ids.USERS_DISABLE, n_clicks=0),
                    html.Button(t("admin.users.enable", lang), id=ids.USERS_ENABLE, n_clicks=0),
                    html.Button(t("admin.users.reset", lang), id=ids.USERS_RESET, n_clicks=0),
                ],
            ),
            html.Div(id=ids.USERS_MESSAGE),
            html.Div(
                className="admin-filters",
                children=[
                    _field(
                        t("admin.users.col.display_name", lang),
                        dcc.Input(id=ids.USERS_DISPLAY, type="text", maxLength=MAX_DISPLAY_NAME),
                    ),
                    _field(
                        t("admin.users.col.role", lang),
                        dcc.Dropdown(
                            id=ids.USERS_ROLE,
                            options=_role_options(lang),
                            clearable=False,
                            className="admin-dropdown",
                        ),
                    ),
                    *scope_picker(ids.USERS_KIND, ids.USERS_CODES, lang),
                ],
            ),  # fmt: skip
            html.Button(t("admin.users.save", lang), id=ids.USERS_SAVE, n_clicks=0),
            html.H4(t("admin.users.tokens", lang)),
            html.Div(id=ids.USERS_TOKENS),
            html.Div(
                className="admin-actions",
                children=[
                    dcc.Input(
                        id=ids.USERS_TOKEN_LABEL,
                        type="text",
                        maxLength=100,
                        placeholder=t("admin.users.token_label", lang),
                    ),
                    html.Button(
                        t("admin.users.token_create", lang), id=ids.USERS_TOKEN_CREATE, n_clicks=0
                    ),
                    dcc.Dropdown(
                        id=ids.USERS_TOKEN_PICK,
                        options=[],
                        placeholder=t("admin.users.token_pick", lang),
                        className="admin-dropdown",
                    ),
                    html.Button(
                        t("admin.users.token_revoke", lang), id=ids.USERS_TOKEN_REVOKE, n_clicks=0
                    ),
                ],
            ),  # fmt: skip
        ],
    )


def panel(lang: str, query: dict[str, str]) -> Any:
    users = list_users(get_context().store)
    return html.Div(
        className="admin-users",
        children=[
            html.H2(t("admin.tab.users", lang)),
            html.P(t("admin.users.intro", lang), className="muted"),
            html.Div(
                className="admin-filters",
                children=[
                    _field(
                        t("admin.users.filter", lang),
                        dcc.Input(id=ids.USERS_FILTER, type="text", debounce=True, maxLength=200),
                    ),
                    _field(
                        t("admin.users.col.role", lang),
                        dcc.Dropdown(
                            id=ids.USERS_ROLE_FILTER,
                            options=_role_options(lang),
                            placeholder=t("admin.users.any_role", lang),
                            className="admin-dropdown",
                        ),
                    ),
                ],
            ),  # fmt: skip
            dcc.Store(id=ids.USERS_CHANGED, data=0),
            html.Div(
                id=ids.USERS_TABLE,
                className="admin-scroll",
                children=users_table(filter_users(users), lang),
            ),  # fmt: skip
            html.Div(
                className="admin-users-forms",
                children=[_create_form(lang), _manage_form(lang, users)],
            ),  # fmt: skip
        ],
    )
