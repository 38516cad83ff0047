"""Who acts on the emergency screen and how its callbacks answer: the acting user (None for a
role that may not open /emergency), what each role may do, the page language, and a refusal
from the models in the reader's words."""

from __future__ import annotations

from typing import Any

from dash import html

from app.auth import current_language, current_user
from app.context import get_context
from app.i18n import catalog, t
from app.pages.emergency.logic import Invalid
from models.case_service import Actor
from models.emergency.incident_rules import COMMAND_ROLES, OPEN_ROLES, IncidentError
from models.emergency.orders import OrderRefused
from models.emergency.warning_content import WarningInvalid
from models.emergency.warnings import APPROVE_ROLES, DRAFT_ROLES, WarningRefused
from models.security import may_open

#: Models' refusals a callback turns into a message.
REFUSALS = (IncidentError, OrderRefused, WarningRefused, WarningInvalid, Invalid)


def acting_user() -> Actor | None:
    """The user as the emergency models see them, or None when they may not open /emergency."""
    user = current_user()
    if user is None or not may_open(user.role, "emergency"):
        return None
    return Actor(user.user.username, user.role, user.scope)


def may_command(actor: Actor) -> bool:
    """Plan, level, tasks, dispatch, close (the emergency staff and admins)."""
    return actor.role in COMMAND_ROLES


def may_open_incidents(actor: Actor) -> bool:
    """Open incidents and add notes (operators too)."""
    return actor.role in OPEN_ROLES


def may_compose(actor: Actor) -> bool:
    """Draft and publish warnings (in the city's name: a city-wide scope)."""
    return actor.role in DRAFT_ROLES and actor.scope.kind == "city"


def may_approve(actor: Actor) -> bool:
    return actor.role in APPROVE_ROLES and actor.scope.kind == "city"


def page_language() -> str:
    return current_language(get_context().config)


def message(text: str, ok: bool) -> html.Div:
    return html.Div(text, className=f"msg {'ok' if ok else 'err'}")


def forbidden(lang: str) -> html.Div:
    return message(t("emergency.forbidden", lang), False)


def refusal_text(exc: Exception, lang: str) -> str:
    """The refusal in ``lang``: a known code's own words (``emergency.refused.<code>``), else
    a heading by its status followed by the model's words."""
    if isinstance(exc, Invalid):
        return exc.text(lang)
    if isinstance(exc, WarningInvalid):
        return t("emergency.refused.warning_invalid", lang, reason=str(exc))
    code = getattr(exc, "code", None)
    values: dict[str, Any] = dict(getattr(exc, "values", None) or {})
    key = f"emergency.refused.{code}"
    if isinstance(exc, OrderRefused):
        key = f"emergency.refused.order_{code}"
    if code and key in catalog(lang):
        return t(key, lang, **{k: str(v) for k, v in values.items()})
    status = getattr(exc, "status", 409 if isinstance(exc, OrderRefused) else 400)
    heading = t(f"emergency.refused.status_{status if status in (403, 404, 409) else 400}", lang)
    return f"{heading}: {getattr(exc, 'message', str(exc))}"


def refused(exc: Exception, lang: str) -> html.Div:
    return message(refusal_text(exc, lang), False)
