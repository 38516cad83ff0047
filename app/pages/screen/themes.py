"""The wall's theme maps (专题一张图): the themes in force, the switcher, a theme's state.

Themes are data (:mod:`models.themes`): the shipped file, ``themes.extra_file`` and the
admin's own (settings document ``themes``, saved on /admin). The words a theme may use are
the wall's own (layer groups, grid colourings, KPI keys, legend blocks) and the data's (case
major codes, sensor kinds). Any theme id from outside (URL, browser, API) goes through
:func:`theme_for`: an unknown one is the default theme.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from dash import dcc, html

from app import ids
from app.context import get_context
from app.i18n import t
from app.pages.screen.logic import (
    KPI_KEYS,
    LAYER_GROUPS,
    LEGEND_BLOCKS,
    WallState,
    apply_theme,
)
from layers.grid import GRID_MODES
from layers.sensors import KIND_NAMES
from models.categories import load_category_table
from models.config import Config
from models.settings_docs import doc_version
from models.store import Store
from models.themes import (
    THEMES_DOC,
    Theme,
    Vocabulary,
    admin_themes,
    case_majors_in_use,
    check_default,
    load_themes,
    resolve_theme,
    sensor_kinds_in_use,
)

log = logging.getLogger(__name__)


def vocabulary(store: Store) -> Vocabulary:
    """What a theme may name on this wall, over this store's categories and sensors."""
    majors = frozenset(load_category_table()["major_code"]) | case_majors_in_use(store)
    return Vocabulary(
        layers=LAYER_GROUPS,
        colourings=GRID_MODES,
        kpis=KPI_KEYS,
        legend=LEGEND_BLOCKS,
        majors=majors,
        sensor_kinds=frozenset(KIND_NAMES) | sensor_kinds_in_use(store),
    )


def build_themes(store: Store, config: Config) -> tuple[dict[str, Theme], str, str | None]:
    """The themes in force (shipped, the city's extra file, then the admin's saved ones),
    the default id and a problem (None when all is well).

    A city's extra file that breaks the rules must not take the wall down: its themes are
    left out, the problem logged and shown on the wall; likewise an unknown default falls
    back to the first theme."""
    settings = config.settings.themes
    vocab = vocabulary(store)
    problem = None
    extra = config.resolve(settings.extra_file) if settings.extra_file else None
    try:
        themes = load_themes(vocabulary=vocab, extra_file=extra)
    except ValueError as exc:
        problem = str(exc)
        log.error("theme maps: %s; the shipped themes only", problem)
        themes = load_themes(vocabulary=vocab)
    try:
        for theme in admin_themes(store, vocabulary=vocab):  # saved on /admin
            themes[theme.id] = theme
    except ValueError as exc:
        problem = str(exc)
        log.error("theme maps: the admin's themes: %s; left out", problem)
    try:
        default = check_default(themes, settings.default)
    except ValueError as exc:
        problem = str(exc)
        log.error("theme maps: %s", problem)
        default = next(iter(themes))
    return themes, default, problem


def wall_themes() -> tuple[dict[str, Theme], str, str | None]:
    """:func:`build_themes` of the running app, built once per extra file version."""
    ctx = get_context()
    extra = ctx.config.settings.themes.extra_file
    path = ctx.config.resolve(extra) if extra else None
    stamp = path.stat().st_mtime_ns if path is not None and path.exists() else None
    version = doc_version(ctx.store, THEMES_DOC)  # a theme saved on /admin: rebuilt at once
    return ctx.cached(("wall-themes", stamp, version), lambda: build_themes(ctx.store, ctx.config))


def theme_for(theme_id: object) -> Theme:
    """The theme ``theme_id`` names; the default for anything else (never raises)."""
    themes, default, _problem = wall_themes()
    return resolve_theme(themes, theme_id, default)


def themed_state(theme_id: object, state: WallState | None = None) -> WallState:
    """``state`` (the wall's start) with the theme ``theme_id`` names applied."""
    return apply_theme(theme_for(theme_id), state or WallState())


def case_majors_of(theme_id: object) -> tuple[str, ...]:
    return theme_for(theme_id).case_majors


def sensor_kinds_of(theme_id: object) -> tuple[str, ...]:
    return theme_for(theme_id).sensor_kinds


def theme_options(themes: Mapping[str, Theme], lang: str) -> list[dict[str, Any]]:
    return [{"label": theme.name(lang), "value": theme.id} for theme in themes.values()]


def theme_switcher(state: WallState, lang: str) -> html.Div:
    """The switcher above the layer panel, and the store of the theme in force."""
    themes, _default, problem = wall_themes()
    children: list[Any] = [
        html.Div(t("theme.title", lang), className="panel-title"),
        # one click per theme on a wall (a dropdown's list would open under the panels)
        dcc.RadioItems(
            id=ids.SCREEN_THEME_SELECT,
            options=theme_options(themes, lang),
            value=state.theme,
            className="theme-chips",
        ),
        dcc.Store(id=ids.SCREEN_THEME, data=state.theme),
    ]
    if problem:
        children.append(html.Div(t("theme.problem", lang), className="data-age stale"))
    return html.Div(id="screen-theme-panel", className="panel block theme-panel", children=children)
