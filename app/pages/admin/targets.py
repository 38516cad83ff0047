"""Admin tab 'targets' (指标与专题): the indicators by dimension with their target, direction
and thresholds, the target and thresholds editable (settings document ``indicator_targets``,
checked by the registry's own rules); the wall's themes and the admin's own themes as YAML
(settings document ``themes``, checked by parse_themes). Both in force at once: the cockpit,
the indicator API and reports read models.indicators.in_force; the wall reads its themes
again when a new version is saved."""

from __future__ import annotations

from typing import Any

import yaml
from dash import ALL, Input, Output, State, callback, dcc, html, no_update

from app.context import get_context
from app.i18n import t
from app.pages.admin import ids
from app.pages.admin.acting import acting_admin, forbidden, message, page_language
from app.pages.admin.calendar import triggered
from app.pages.cockpit.logic import dimension_name
from app.pages.screen.themes import vocabulary, wall_themes
from models.config_sections import DIMENSIONS
from models.indicators.in_force import (
    EDITABLE,
    declared_entries,
    indicators_in_force,
    save_targets,
)
from models.settings_docs import SettingsDocError
from models.themes import admin_themes_body, save_admin_themes
from models.yaml_text import YamlTextError, load_admin_yaml

#: The largest themes document typed (the shipped file of 27 themes is ~8 KB).
MAX_YAML_CHARS = 64_000
COLUMNS = ("id", "name", "unit", "direction", "target", "green", "yellow", "declared")
THEME_FIELDS = ("id", "name", "layers", "grid_colour", "kpis", "case_majors", "sensor_kinds",
                "legend")  # fmt: skip
#: Shown in the editor when the admin has no themes of their own yet.
EXAMPLE = """themes:
  - id: my_theme
    name: {zh: 我的专题, en: My theme}
    layers: [grid, cases]
    grid_colour: open_cases
    kpis: [open_cases, overdue]
"""


def panel(lang: str, query: dict[str, str]) -> Any:
    return html.Div(
        className="admin-targets",
        children=[
            html.H2(t("admin.targets.indicators", lang)),
            html.P(t("admin.targets.intro", lang), className="muted"),
            html.Div(id=ids.TGT_MESSAGE),
            html.Div(
                className="admin-pager",
                children=[
                    html.Button(
                        t("admin.targets.save", lang),
                        id=ids.TGT_SAVE,
                        n_clicks=0,
                        className="primary",
                    ),
                    html.Button(t("admin.targets.reset", lang), id=ids.TGT_RESET, n_clicks=0),
                ],
            ),  # fmt: skip
            html.Div(id=ids.TGT_TABLE, className="admin-scroll"),
            html.H2(t("admin.targets.themes", lang)),
            html.P(t("admin.targets.themes_intro", lang), className="muted"),
            html.Div(id=ids.THEME_LIST),
            dcc.Textarea(id=ids.THEME_YAML, className="theme-yaml", maxLength=MAX_YAML_CHARS),
            html.Div(
                className="admin-pager",
                children=[
                    html.Button(
                        t("admin.targets.theme_save", lang),
                        id=ids.THEME_SAVE,
                        n_clicks=0,
                        className="primary",
                    )
                ],
            ),  # fmt: skip
            html.Div(id=ids.THEME_MESSAGE),
            dcc.Store(id=ids.TGT_REFRESH, data=0),
            dcc.Store(id=ids.THEME_REFRESH, data=0),
        ],
    )


def _number(value: Any) -> str:
    return "—" if value is None else f"{value:g}"


def _input(ident: str, field: str, value: Any, declared: Any) -> dcc.Input:
    return dcc.Input(
        id={"type": ids.TGT_VALUE, "ind": ident, "field": field},
        type="number",
        value=value,
        debounce=True,
        className="changed" if value != declared else "",
        placeholder=_number(declared),
    )


def indicator_table(lang: str) -> list[Any]:
    """The indicators in force by dimension, target and thresholds as inputs; the declared
    value of each is its tooltip."""
    declared = {str(e.get("id")): e for e in declared_entries()}
    inds = indicators_in_force(get_context().store)
    head = html.Tr([html.Th(t(f"admin.targets.col.{c}", lang)) for c in COLUMNS])
    out: list[Any] = []
    for dimension in DIMENSIONS:
        rows = [i for i in inds if i.dimension == dimension]
        if not rows:
            continue
        body = []
        for ind in rows:
            first = declared.get(ind.id, {})
            shown = " / ".join(_number(first.get(k)) for k in EDITABLE)
            body.append(
                html.Tr([
                    html.Td(html.Code(ind.id)),
                    html.Td(ind.name_zh if lang == "zh" else ind.name_en),
                    html.Td(ind.unit),
                    html.Td(t(f"admin.targets.dir.{ind.direction}", lang)),
                    *[html.Td(_input(ind.id, k, getattr(ind, k), first.get(k))) for k in EDITABLE],
                    html.Td(shown, className="muted nowrap"),
                ])
            )  # fmt: skip
        out.append(html.H3(dimension_name(dimension, lang)))
        out.append(html.Table([html.Thead(head), html.Tbody(body)], className="tgt-table"))
    return out


def theme_list(lang: str) -> list[Any]:
    themes, default, problem = wall_themes()
    mine = admin_themes_body(get_context().store) or {}
    own = {str(i.get("id")) for i in mine.get("themes", []) if isinstance(i, dict)}
    chips = [
        html.Span(
            f"{theme.name(lang)} · {theme.id}" + (" ★" if theme.id == default else ""),
            className="theme-chip admin" if theme.id in own else "theme-chip",
            title=t("admin.targets.own" if theme.id in own else "admin.targets.shipped", lang),
        )
        for theme in themes.values()
    ]
    out: list[Any] = [html.P(t("admin.targets.theme_count", lang, n=len(themes), own=len(own))),
                      html.Div(chips)]  # fmt: skip
    if problem:
        out.append(message(t("admin.targets.theme_problem", lang, reason=problem[:300]), False))
    return out


@callback(
    Output(ids.TGT_TABLE, "children"),
    Output(ids.THEME_LIST, "children"),
    Output(ids.THEME_YAML, "value"),
    Input(ids.TGT_REFRESH, "data"),
    Input(ids.THEME_REFRESH, "data"),
)
def render(_refresh: Any, _theme_refresh: Any) -> tuple[Any, Any, Any]:
    lang = page_language()
    if acting_admin() is None:
        return forbidden(lang), [], ""
    body = admin_themes_body(get_context().store)
    text = themes_yaml(body) if body else EXAMPLE
    return indicator_table(lang), theme_list(lang), text


def _ordered(item: dict[str, Any], rank: dict[str, int]) -> dict[str, Any]:
    out = {k: item[k] for k in sorted(item, key=lambda k: rank.get(k, len(rank)))}
    if isinstance(out.get("name"), dict):  # zh first, as the product speaks
        out["name"] = dict(sorted(out["name"].items(), key=lambda kv: kv[0] != "zh"))
    return out


def themes_yaml(body: Any) -> str:
    """The saved document as YAML in the shipped file's order of fields (the store keeps
    JSON with sorted keys)."""
    themes = body.get("themes") if isinstance(body, dict) else None
    if isinstance(themes, list):
        rank = {k: i for i, k in enumerate(THEME_FIELDS)}
        themes = [_ordered(item, rank) if isinstance(item, dict) else item for item in themes]
        body = {**body, "themes": themes}
    return str(yaml.safe_dump(body, allow_unicode=True, sort_keys=False, default_flow_style=None))


def overrides(values: Any, keys: Any) -> dict[str, dict[str, Any]] | None:
    """The admin's document from the inputs: per indicator, the fields that differ from the
    declaration (None when the inputs do not line up: not from this page)."""
    if not isinstance(values, list) or not isinstance(keys, list) or len(values) != len(keys):
        return None
    declared = {str(e.get("id")): e for e in declared_entries()}
    out: dict[str, dict[str, Any]] = {}
    for key, value in zip(keys, values, strict=True):
        if not isinstance(key, dict) or not isinstance(key.get("ind"), str):
            return None
        ident, field = key["ind"], key.get("field")
        if value != declared.get(ident, {}).get(field) or ident not in declared:
            out.setdefault(ident, {})[str(field)] = value
    return out


@callback(
    Output(ids.TGT_MESSAGE, "children"),
    Output(ids.TGT_REFRESH, "data"),
    Input(ids.TGT_SAVE, "n_clicks"),
    Input(ids.TGT_RESET, "n_clicks"),
    State({"type": ids.TGT_VALUE, "ind": ALL, "field": ALL}, "value"),
    State({"type": ids.TGT_VALUE, "ind": ALL, "field": ALL}, "id"),
    State(ids.TGT_REFRESH, "data"),
    prevent_initial_call=True,
)
def save_indicators(
    save: Any, reset: Any, values: Any, keys: Any, refresh: Any, *, pressed: Any = None
) -> tuple[Any, Any]:
    """Save the targets and thresholds as shown (``pressed``: the button, for direct calls);
    reset saves an empty document (the declarations again)."""
    lang = page_language()
    user = acting_admin()
    if user is None:
        return forbidden(lang), no_update
    button = pressed if pressed is not None else triggered()
    bump = (refresh if isinstance(refresh, int) else 0) + 1
    if button == ids.TGT_RESET:
        body: dict[str, Any] | None = {}
    elif button == ids.TGT_SAVE:
        body = overrides(values, keys)
        if body is None:
            return message(t("admin.targets.bad_form", lang), False), no_update
    else:
        return no_update, no_update
    try:
        save_targets(get_context().store, body, actor=user.user.username,
                     note="reset" if button == ids.TGT_RESET else None)  # fmt: skip
    except SettingsDocError as exc:
        return message(t("admin.targets.refused", lang, reason="; ".join(exc.problems)), False), (
            no_update
        )
    return message(t("admin.targets.saved", lang, n=len(body)), True), bump


@callback(
    Output(ids.THEME_MESSAGE, "children"),
    Output(ids.THEME_REFRESH, "data"),
    Input(ids.THEME_SAVE, "n_clicks"),
    State(ids.THEME_YAML, "value"),
    State(ids.THEME_REFRESH, "data"),
    prevent_initial_call=True,
)
def save_themes(clicks: Any, text: Any, refresh: Any) -> tuple[Any, Any]:
    """Save the admin's own themes typed as YAML (empty: none of their own)."""
    lang = page_language()
    user = acting_admin()
    if user is None:
        return forbidden(lang), no_update
    if not clicks:
        return no_update, no_update
    if text is not None and (not isinstance(text, str) or len(text) > MAX_YAML_CHARS):
        return message(t("admin.targets.bad_yaml_size", lang, chars=MAX_YAML_CHARS), False), (
            no_update
        )
    try:
        data = load_admin_yaml(text or "") or {"themes": []}
    except YamlTextError as exc:
        return message(t("admin.targets.bad_yaml", lang, reason=str(exc)), False), no_update
    store = get_context().store
    try:
        save_admin_themes(store, data, vocabulary=vocabulary(store), actor=user.user.username)
    except SettingsDocError as exc:
        return message(t("admin.targets.refused", lang, reason="; ".join(exc.problems)), False), (
            no_update
        )
    count = len(data.get("themes") or [])
    bump = (refresh if isinstance(refresh, int) else 0) + 1
    return message(t("admin.targets.theme_saved", lang, n=count), True), bump
