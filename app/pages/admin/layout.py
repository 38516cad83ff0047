"""Layout of the admin page (/admin): a row of tabs (links to ``/admin?tab=…``, so a tab can
be bookmarked and the browser's back button works) and the chosen tab's panel, built by its
own module. Only the chosen panel is built on each visit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dash import dcc, html

from app.i18n import t
from app.pages.admin import (
    audit,
    backups,
    calendar,
    categories,
    dead_letters,
    duties,
    grids,
    ids,
    sensors,
    targets,
    users,
)
from app.pages.admin.acting import acting_admin, forbidden, page_language
from models.clock import utcnow

#: Tab name → the module function that builds its panel: ``panel(lang, query)``.
TABS: dict[str, Callable[[str, dict[str, str]], Any]] = {
    "users": users.panel,
    "categories": categories.panel,
    "duties": duties.panel,
    "grids": grids.panel,
    "sensors": sensors.panel,
    "calendar": calendar.panel,
    "targets": targets.panel,
    "audit": audit.panel,
    "dead_letters": dead_letters.panel,
    "backups": backups.panel,
}
DEFAULT_TAB = "users"


def _calendar_notice(lang: str) -> list[html.P]:
    """A warning when deadlines may run through a year whose 调休 days are not published."""
    from app.context import get_context

    years = get_context().calendar().unpublished_years(utcnow())
    if not years:
        return []
    text = t("admin.calendar_unpublished", lang, years=", ".join(map(str, years)))
    return [html.P(text, className="notice", role="alert", id=ids.NOTICE)]


def tab_bar(chosen: str, lang: str) -> html.Nav:
    return html.Nav(
        id=ids.TABS,
        className="admin-tabs",
        children=[
            dcc.Link(
                t(f"admin.tab.{name}", lang),
                href=f"/admin?tab={name}",
                className="admin-tab active" if name == chosen else "admin-tab",
                id=f"admin-tab-{name.replace('_', '-')}",
            )
            for name in TABS
        ],
    )


def layout(**query: str) -> html.Div:
    lang = page_language()
    if acting_admin() is None:
        return html.Div(forbidden(lang))
    chosen = query.get("tab", DEFAULT_TAB)
    if chosen not in TABS:
        chosen = DEFAULT_TAB
    return html.Div(
        className="page desk admin",
        children=[
            *_calendar_notice(lang),
            tab_bar(chosen, lang),
            html.Div(id=ids.PANEL, className="admin-panel", children=TABS[chosen](lang, query)),
        ],
    )
