"""Pages of roles whose screens are still open issues: they say so and show no data."""

from __future__ import annotations

from functools import partial

import dash
from dash import html

from app.auth import current_language
from app.context import get_context
from app.i18n import t

#: Pages whose screens come in a later issue (none now: /emergency came with issue 13).
COMING: tuple[str, ...] = ()


def _layout(page: str, **_query: str) -> html.Div:
    lang = current_language(get_context().config)
    return html.Div(
        className="page desk",
        children=[
            html.H2(t(f"nav.{page}", lang)),
            html.P(t("page.coming_later", lang), className="coming"),
        ],
    )


for _page in COMING:
    dash.register_page(
        f"coming_{_page}",
        path=f"/{_page}",
        name=_page,
        title=f"CityOps · {t('nav.' + _page)}",
        layout=partial(_layout, _page),
    )
