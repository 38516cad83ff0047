"""The /field page (issue 11): the phone app of grid workers and handlers; registered here,
laid out in layout.py, its callbacks in callbacks.py, report.py and tasks.py."""

from __future__ import annotations

import dash
from dash import html

from app.auth import current_language, current_user
from app.context import get_context
from app.i18n import t
from app.pages.field import callbacks, report, tasks  # noqa: F401  (registers the callbacks)
from app.pages.field.fieldmap import field_map_config
from app.pages.field.layout import field_layout
from app.pages.field.logic import FIELD_ROLES, tabs_for
from models.geography import current_grid_version


def layout(**_query: str) -> html.Div:
    lang = current_language(get_context().config)
    user = current_user()
    if user is None or user.role not in FIELD_ROLES:
        return html.Div(t("field.refused.403", lang), className="page")
    ctx = get_context()
    map_config = None
    if "report" in tabs_for(user.role):
        map_config = ctx.cached(
            # keyed on the grid version: a grid imported on /admin shows without a restart
            ("field-map", current_grid_version(ctx.store), user.scope.label(), lang),
            lambda: field_map_config(ctx.store, user.scope, lang),
        )
    return field_layout(user.role, lang, map_config, user.user.username)


dash.register_page(
    "field", path="/field", name="field", title=f"CityOps · {t('nav.field')}", layout=layout
)
