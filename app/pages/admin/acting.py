"""Who acts on the admin page and how its callbacks answer: the acting admin (None for any
other role, so a callback called directly by another role changes nothing), the page's
language and its messages."""

from __future__ import annotations

from dash import html

from app.auth import SessionUser, current_language, current_user
from app.context import get_context
from app.i18n import t
from models.security import is_city_admin


def acting_admin() -> SessionUser | None:
    """The logged-in admin of the whole city, or None (not logged in, another role, or an
    admin of a district: the settings, users and audit log of /admin are the city's)."""
    user = current_user()
    if user is None or not is_city_admin(user.role, user.scope):
        return None
    return user


def page_language() -> str:
    return current_language(get_context().config)


def message(text: str, ok: bool) -> html.Div:
    """A result line under a form: green when done, red when refused."""
    return html.Div(text, className=f"msg {'ok' if ok else 'err'}", role="status")


def forbidden(lang: str) -> html.Div:
    return message(t("admin.forbidden", lang), False)
