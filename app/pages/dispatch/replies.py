"""Who acts on the dispatch console and how its callbacks answer: the acting user (None for a
role that may not use /dispatch), the page language, messages and the refresh token."""

from __future__ import annotations

from itertools import count
from typing import Any

from dash import html

from app.auth import current_language, current_user
from app.context import get_context
from app.refusals import refusal_text
from models.case_service import Actor, Refused
from models.security import may_open

_REFRESHES = count(1)


def acting_user() -> Actor | None:
    """The user as the case service sees them, or None when they may not use /dispatch."""
    user = current_user()
    if user is None or not may_open(user.role, "dispatch"):
        return None
    return Actor(user.user.username, user.role, user.scope)


def page_language() -> str:
    return current_language(get_context().config)


def message(text: str, ok: bool) -> html.Div:
    return html.Div(text, className=f"msg {'ok' if ok else 'err'}")


def refused(exc: Refused, lang: str) -> html.Div:
    return message(refusal_text(exc, lang), False)


def refresh_token(case: str | None = None) -> dict[str, Any]:
    """A new value for the refresh store: the grid re-reads its rows, the pane its case."""
    return {"n": next(_REFRESHES), "case": case}
