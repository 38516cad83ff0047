"""The frame around every page: header with city, title, clock, navigation and user."""

from __future__ import annotations

from typing import Any

import dash
from dash import ClientsideFunction, Input, Output, dcc, html

from app import ids
from app.auth import current_language, current_user, logout_token
from app.context import get_context
from app.i18n import t
from models.security import PAGE_ROLES, is_city_admin, may_open


def shell_layout() -> html.Div:
    ctx = get_context()
    lang = current_language(ctx.config)
    user = current_user()
    city = ctx.config.settings.city
    city_name = city.name_zh if lang == "zh" else city.name_en
    nav: list[Any] = []
    user_box: list[Any] = []
    if user is not None:
        nav = [
            dcc.Link(t(f"nav.{page}", lang), href=f"/{page}", className="nav-link")
            for page in PAGE_ROLES
            if may_open(user.role, page)
            # /admin refuses a district's admin: no link to a page that only says no
            and (page != "admin" or is_city_admin(user.role, user.scope))
        ]
        user_box = [
            html.Span(
                f"{user.user.display_name} · {t('role.' + user.role, lang)} · "
                f"{t('scope.' + user.scope.kind, lang)}",
                className="user",
            ),
            html.A(
                t("nav.language", lang),
                href=f"/lang/{'en' if lang == 'zh' else 'zh'}?next=/",
                className="nav-link",
                id="shell-lang",
            ),
            # a POST with the session's CSRF token (the submit button carries it, a plain
            # HTML name/value pair): a GET to /logout only asks
            html.Form(
                html.Button(
                    t("nav.logout", lang),
                    type="submit",
                    name="csrf",
                    value=logout_token(),
                    className="nav-link",
                ),
                action="/logout",
                method="post",
                className="logout-form",
                id="shell-logout",
            ),
        ]
    return html.Div(
        className=f"shell lang-{lang}",
        lang="zh-CN" if lang == "zh" else "en",
        children=[
            html.Header(
                className="header",
                children=[
                    html.Div(
                        className="brand",
                        children=[
                            html.Div(
                                t("app.center", lang, city=city_name), className="center-name"
                            ),
                            html.Div(t("app.title", lang), className="subtitle"),
                        ],
                    ),
                    html.Nav(nav, className="nav"),
                    html.Div(
                        className="clock-box",
                        children=[
                            html.Div(id=ids.SHELL_CLOCK, className="clock"),
                            html.Div(t("clock.label", lang), className="clock-label"),
                        ],
                    ),
                    html.Div(user_box, className="user-box"),
                ],
            ),
            html.Main(dash.page_container, className="content"),
            dcc.Interval(id=ids.SHELL_CLOCK_TICK, interval=1000),
        ],
    )


def register_shell_callbacks(app: dash.Dash) -> None:
    app.clientside_callback(
        ClientsideFunction(namespace="cityops", function_name="clock"),
        Output(ids.SHELL_CLOCK, "children"),
        Input(ids.SHELL_CLOCK_TICK, "n_intervals"),
    )
