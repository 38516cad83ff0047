"""The /field page (issue 11): registered here; its layout and callbacks come with the screen."""

from __future__ import annotations

import dash
from dash import html

from app.auth import current_language
from app.context import get_context
from app.i18n import t


def layout(**_query: str) -> html.Div:
    lang = current_language(get_context().config)
    return html.Div(className="page desk", children=[html.H2(t("nav.field", lang))])


dash.register_page(
    "field", path="/field", name="field", title=f"CityOps · {t('nav.field')}", layout=layout
)
