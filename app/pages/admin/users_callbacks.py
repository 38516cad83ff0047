"""Callbacks of the admin 'users' tab. Each checks acting_admin() itself (another role calling
one directly changes nothing and gets a refusal); bad values become a shown message; every
change goes through models.users / models.api_tokens (validated, audited, ending the
changed user's sessions at once)."""

from __future__ import annotations

from typing import Any

from dash import Input, Output, State, callback, ctx, html, no_update

from app.auth import SessionUser
from app.context import get_context
from app.i18n import t
from app.pages.admin import acting, ids
from app.pages.admin.acting import forbidden, message, page_language
from app.pages.admin.users import users_table
from app.pages.admin.users_logic import (
    codes_value,
    filter_users,
    kind_value,
    refusal_text,
    role_value,
    text_value,
)
from models.api_tokens import create_token, list_tokens, revoke_token
from models.clock import utcnow
from models.security import generate_password
from models.user_scopes import picked_scope, scope_options
from models.users import MAX_DISPLAY_NAME, UserError, add_user, change_user, get_user, list_users


def acting_admin() -> SessionUser | None:
    """The acting admin of the whole city (a district's admin granting users, themselves
    among them, the city is not theirs to do), else None."""
    return acting.acting_admin()


def _min_length() -> int:
    return get_context().config.settings.security.min_password_length


def _secret(text: str, secret: str, note: str = "admin.users.shown_once") -> html.Div:
    """A result that carries a secret shown once (a password, a token)."""
    lang = page_language()
    return html.Div(
        className="msg ok admin-users-secret",
        role="status",
        children=[
            html.Span(text),
            html.Code(secret, className="admin-users-once"),
            html.Small(t(note, lang), className="muted"),
        ],
    )


def _refused(exc: Exception, lang: str) -> html.Div:
    return message(t("admin.users.refused", lang, why=refusal_text(str(exc), lang)), False)


@callback(
    Output(ids.USERS_TABLE, "children"),
    Output(ids.USERS_TARGET, "options"),
    Input(ids.USERS_FILTER, "value"),
    Input(ids.USERS_ROLE_FILTER, "value"),
    Input(ids.USERS_CHANGED, "data"),
)
def show_users(text: Any, role: Any, _changed: Any) -> tuple[Any, Any]:
    """The table filtered by text and role; the users the manage form can pick."""
    lang = page_language()
    if acting_admin() is None:
        return forbidden(lang), []
    users = list_users(get_context().store)
    options = [{"label": f"{u.username} · {u.display_name}", "value": u.username} for u in users]
    return users_table(filter_users(users, text, role), lang), options


def scope_options_for(kind: Any, search: Any, chosen: Any) -> list[dict[str, str]]:
    """Options of a scope picker's places: those of the kind matching the search, the chosen
    ones always among them."""
    if acting_admin() is None or kind_value(kind) is None:
        return []
    pairs = scope_options(get_context().store, kind, text_value(search),
                          chosen=codes_value(chosen))  # fmt: skip
    return [{"label": label, "value": value} for value, label in pairs]


for _kind, _codes in ((ids.USERS_NEW_KIND, ids.USERS_NEW_CODES), (ids.USERS_KIND, ids.USERS_CODES)):
    callback(
        Output(_codes, "options"),
        Input(_kind, "value"),
        Input(_codes, "search_value"),
        State(_codes, "value"),
    )(scope_options_for)


@callback(
    Output(ids.USERS_CREATE_MESSAGE, "children"),
    Output(ids.USERS_CHANGED, "data", allow_duplicate=True),
    Input(ids.USERS_CREATE, "n_clicks"),
    State(ids.USERS_NEW_NAME, "value"),
    State(ids.USERS_NEW_DISPLAY, "value"),
    State(ids.USERS_NEW_ROLE, "value"),
    State(ids.USERS_NEW_KIND, "value"),
    State(ids.USERS_NEW_CODES, "value"),
    State(ids.USERS_NEW_LANGUAGE, "value"),
    State(ids.USERS_NEW_PASSWORD, "value"),
    State(ids.USERS_CHANGED, "data"),
    prevent_initial_call=True,
)
def create_user(
    _n: Any, name: Any, display: Any, role: Any, kind: Any, codes: Any, language: Any,
    typed: Any, changed: Any,
) -> tuple[Any, Any]:  # fmt: skip
    """Create a user; without a typed password one is generated and shown once."""
    lang = page_language()
    admin = acting_admin()
    if admin is None:
        return forbidden(lang), no_update
    store = get_context().store
    username, password = text_value(name, max_len=64), text_value(typed, max_len=1024)
    generated = not password
    password = password or generate_password(min_length=_min_length())
    try:
        scope = picked_scope(store, kind_value(kind) or "", codes_value(codes))
        made = add_user(
            store, username, password, role=role_value(role) or str(role)[:40],
            scope=scope, display_name=text_value(display, max_len=MAX_DISPLAY_NAME) or None,
            language=language if language in ("zh", "en") else None,
            min_password_length=_min_length(), actor=admin.user.username,
        )  # fmt: skip
    except (UserError, ValueError) as exc:
        return _refused(exc, lang), no_update
    done = t("admin.users.created", lang, name=made.username)
    answer = _secret(done, password) if generated else message(done, True)
    return answer, _bump(changed)


def _bump(changed: Any) -> int:
    return (changed if isinstance(changed, int) else 0) + 1


def _token_rows(username: str, lang: str) -> tuple[Any, list[dict[str, str]]]:
    tokens = list_tokens(get_context().store, username)
    rows = [
        html.Tr([
            html.Td(html.Code(tok.token_id)),
            html.Td(tok.label or ""),
            html.Td(f"{tok.created_at:%Y-%m-%d %H:%M}"),
            html.Td("" if tok.last_used_at is None else f"{tok.last_used_at:%Y-%m-%d %H:%M}"),
            html.Td(t("admin.users.revoked" if tok.revoked_at else "admin.users.active", lang)),
        ])
        for tok in tokens
    ]  # fmt: skip
    head = ("token_id", "label", "created", "used", "state")
    table = html.Table(
        className="table",
        children=[
            html.Thead(html.Tr([html.Th(t(f"admin.users.token_col.{h}", lang)) for h in head])),
            html.Tbody(rows),
        ],
    )
    live = [{"label": f"{tok.token_id} {tok.label or ''}".strip(), "value": tok.token_id}
            for tok in tokens if tok.revoked_at is None]  # fmt: skip
    return (table if rows else html.P(t("admin.users.no_tokens", lang), className="muted")), live


@callback(
    Output(ids.USERS_STATE, "children"),
    Output(ids.USERS_DISPLAY, "value"),
    Output(ids.USERS_ROLE, "value"),
    Output(ids.USERS_KIND, "value"),
    Output(ids.USERS_CODES, "value"),
    Output(ids.USERS_CODES, "options", allow_duplicate=True),
    Output(ids.USERS_TOKENS, "children"),
    Output(ids.USERS_TOKEN_PICK, "options"),
    Input(ids.USERS_TARGET, "value"),
    Input(ids.USERS_CHANGED, "data"),
    prevent_initial_call=True,
)
def load_user(target: Any, _changed: Any) -> tuple[Any, ...]:
    """The picked user as stored: state, form values, tokens."""
    lang = page_language()
    if acting_admin() is None:
        return (forbidden(lang), *([no_update] * 7))
    name = text_value(target, max_len=64)
    user = get_user(get_context().store, name) if name else None
    if user is None:
        return ("", "", None, "city", [], [], "", [])
    state = t("admin.users.disabled" if user.disabled else "admin.users.enabled", lang)
    codes = list(user.scope.codes)
    tokens, live = _token_rows(user.username, lang)
    return (
        f"{user.username} · {t('role.' + user.role, lang)} · {state}",
        user.display_name,
        user.role,
        user.scope.kind,
        codes,
        scope_options_for(user.scope.kind, "", codes),
        tokens,
        live,
    )


@callback(
    Output(ids.USERS_MESSAGE, "children"),
    Output(ids.USERS_CHANGED, "data", allow_duplicate=True),
    Input(ids.USERS_DISABLE, "n_clicks"),
    Input(ids.USERS_ENABLE, "n_clicks"),
    Input(ids.USERS_RESET, "n_clicks"),
    Input(ids.USERS_SAVE, "n_clicks"),
    Input(ids.USERS_TOKEN_CREATE, "n_clicks"),
    Input(ids.USERS_TOKEN_REVOKE, "n_clicks"),
    State(ids.USERS_TARGET, "value"),
    State(ids.USERS_DISPLAY, "value"),
    State(ids.USERS_ROLE, "value"),
    State(ids.USERS_KIND, "value"),
    State(ids.USERS_CODES, "value"),
    State(ids.USERS_TOKEN_LABEL, "value"),
    State(ids.USERS_TOKEN_PICK, "value"),
    State(ids.USERS_CHANGED, "data"),
    prevent_initial_call=True,
)
def change(
    _d: Any, _e: Any, _r: Any, _s: Any, _tc: Any, _tr: Any, target: Any, display: Any,
    role: Any, kind: Any, codes: Any, label: Any, token: Any, changed: Any,
) -> tuple[Any, Any]:  # fmt: skip
    """One change of the picked user (which button was pressed decides)."""
    return change_user_as_admin(
        ctx.triggered_id, target, display=display, role=role, kind=kind, codes=codes,
        label=label, token=token, changed=changed,
    )  # fmt: skip


def change_user_as_admin(
    what: Any, target: Any, *, display: Any = None, role: Any = None, kind: Any = None,
    codes: Any = None, label: Any = None, token: Any = None, changed: Any = 0,
) -> tuple[Any, Any]:  # fmt: skip
    """Do ``what`` (a button's id) to ``target``; (message, the change counter moved on)."""
    lang = page_language()
    admin = acting_admin()
    if admin is None:
        return forbidden(lang), no_update
    store, actor = get_context().store, admin.user.username
    name = text_value(target, max_len=64)
    if not name or get_user(store, name) is None:
        return message(t("admin.users.pick_first", lang), False), no_update
    try:
        if what in (ids.USERS_DISABLE, ids.USERS_ENABLE):
            change_user(store, name, actor=actor, disabled=what == ids.USERS_DISABLE)
            key = (
                "admin.users.done_disable"
                if what == ids.USERS_DISABLE
                else "admin.users.done_enable"
            )
            answer = message(t(key, lang, name=name), True)
        elif what == ids.USERS_RESET:
            password = generate_password(min_length=_min_length())
            change_user(store, name, actor=actor, password=password,
                        min_password_length=_min_length())  # fmt: skip
            answer = _secret(t("admin.users.done_reset", lang, name=name), password)
        elif what == ids.USERS_SAVE:
            scope = picked_scope(store, kind_value(kind) or "", codes_value(codes))
            change_user(
                store, name, actor=actor, role=role_value(role) or str(role)[:40], scope=scope,
                display_name=text_value(display, max_len=MAX_DISPLAY_NAME),
            )  # fmt: skip
            answer = message(t("admin.users.done_save", lang, name=name), True)
        elif what == ids.USERS_TOKEN_CREATE:
            # a long label is the model's to refuse (said), not cut to nothing here
            label_text = text_value(label, max_len=10_000) or None
            made, secret = create_token(store, name, label=label_text, created_by=actor,
                                        at=utcnow())  # fmt: skip
            answer = _secret(t("admin.users.done_token", lang, token=made.token_id), secret,
                             "admin.users.shown_once_token")  # fmt: skip
        elif what == ids.USERS_TOKEN_REVOKE:
            token_id = text_value(token, max_len=64)
            if not token_id:
                return message(t("admin.users.pick_token", lang), False), no_update
            revoke_token(store, token_id, actor=actor, at=utcnow(), username=name)
            answer = message(t("admin.users.done_revoke", lang, token=token_id), True)
        else:
            return no_update, no_update
    except (UserError, ValueError) as exc:
        return _refused(exc, lang), no_update
    return answer, _bump(changed)
