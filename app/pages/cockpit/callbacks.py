"""Callbacks of the leader cockpit: the period picker, the summary (score, indicators, charts),
the rankings, and the drill-down from a figure to its cases and a case's card.

Every callback checks on the server that the user may open /cockpit (the auth gate does too)
and reads only the user's scope: indicators, rankings and lists are computed for it, and a
case card goes through ``models.case_view`` (a case outside the scope is refused, unseen).
A bad value from the browser is a shown message, never a 500.
"""

from __future__ import annotations

import logging
from typing import Any

from dash import ALL, Input, Output, State, callback, ctx, no_update
from dash.exceptions import PreventUpdate

from app.auth import SessionUser, current_language, current_user
from app.bounds import expensive
from app.context import get_context
from app.i18n import t
from app.pages.cockpit import charts, ids
from app.pages.cockpit.drilldown import (
    MAX_LIST,
    Drill,
    card_data,
    case_id_of,
    case_rows,
    clicks_of,
    counted,
    drill_request,
)
from app.pages.cockpit.logic import (
    Invalid,
    choose_period,
    default_value,
    dimension_name,
    format_value,
    indicator_name,
    key_indicators,
    major_counts,
    period_invalid,
    ranking_rows,
    stored_period,
    unit_text,
)
from app.pages.cockpit.panels import (
    case_card,
    drill_head,
    indicator_panel,
    ranking_table,
    score_block,
)
from app.refusals import refusal_text
from models import evaluation
from models.case_service import Actor, Refused
from models.case_view import case_view
from models.clock import utcnow
from models.cockpit_queries import cases_per_cell
from models.config_sections import DIMENSIONS
from models.geography import current_grid_version, load_admin_areas
from models.indicators.compute import cases_behind, city_score, compute_indicators
from models.indicators.in_force import indicators_in_force
from models.indicators.periods import Period, last_periods
from models.indicators.registry import indicator_by_id
from models.report_queries import category_counts
from models.security import Scope, may_open

log = logging.getLogger(__name__)


def leader() -> SessionUser | None:
    """The user when they may use /cockpit, else None."""
    user = current_user()
    if user is None or not may_open(user.role, "cockpit"):
        return None
    return user


def _lang() -> str:
    return current_language(get_context().config)


def _tz() -> str:
    return get_context().config.settings.calendar.timezone


def _msg(text: str, ok: bool = False) -> Any:
    from dash import html

    return html.Span(text, className=f"msg {'ok' if ok else 'err'}")


# -- the period picker ---------------------------------------------------------------------


@callback(
    Output(ids.VALUE, "value"),
    Output(ids.FROM, "value"),
    Output(ids.TO, "value"),
    Output(ids.CUSTOM_BOX, "className"),
    Output(ids.VALUE, "className"),
    Input(ids.KIND, "value"),
    prevent_initial_call=True,
)
def pick_kind(kind: object) -> Any:
    """A new kind of period: its current period in the field (a custom span: dates)."""
    if leader() is None:
        raise PreventUpdate
    kind = kind if kind in ("day", "week", "month", "quarter", "year", "custom") else "month"
    label, first, last = default_value(str(kind), utcnow(), _tz())
    custom = kind == "custom"
    return (
        label,
        first,
        last,
        "ck-custom" + ("" if custom else " hidden"),
        "ck-value" + (" hidden" if custom else ""),
    )


@callback(
    Output(ids.PERIOD, "data"),
    Output(ids.MESSAGE, "children"),
    Input(ids.APPLY, "n_clicks"),
    Input(ids.VALUE, "value"),
    Input(ids.FROM, "value"),
    Input(ids.TO, "value"),
    State(ids.KIND, "value"),
    prevent_initial_call=True,
)
def apply_period(_n: object, value: object, start: object, end: object, kind: object) -> Any:
    """The picked period, checked on the server; a bad one is a message."""
    lang = _lang()
    if leader() is None:
        return no_update, _msg(t("cockpit.forbidden", lang))
    if kind != "custom" and ctx.triggered_id in (ids.FROM, ids.TO):
        raise PreventUpdate
    try:
        period = choose_period(kind, value, start, end, _tz())
    except Invalid as exc:
        return no_update, _msg(exc.text(lang))
    return {"label": period.label}, ""


# -- summary, indicators and charts ----------------------------------------------------------


def _period_or_message(data: object, lang: str) -> Period:
    period = stored_period(data, _tz())
    if period is None:
        raise period_invalid(data)
    return period


def _empty_summary(text: str) -> tuple[Any, ...]:
    blank = charts.empty_figure(text)
    return [], blank, _msg(text), blank, blank, blank, no_update


@callback(
    Output(ids.SCORE, "children"),
    Output(ids.RADAR, "figure"),
    Output(ids.INDICATORS, "children"),
    Output(ids.TRENDS, "figure"),
    Output(ids.CATEGORIES, "figure"),
    Output(ids.HEAT, "figure"),
    Output(ids.PERIOD_LABEL, "children"),
    Input(ids.PERIOD, "data"),
)
def render_summary(data: object) -> Any:
    """The city score, the dimensions, every indicator and the charts of the period."""
    lang = _lang()
    user = leader()
    if user is None:
        return _empty_summary(t("cockpit.forbidden", lang))
    try:
        period = _period_or_message(data, lang)
    except Invalid as exc:
        return _empty_summary(exc.text(lang))
    app_ctx = get_context()
    settings = app_ctx.config.settings.cockpit
    now = utcnow()
    empty = t("cockpit.no_data", lang)
    try:
        with expensive(user.user.username):
            results = compute_indicators(
                app_ctx.store, period=period, scope=user.scope, now=now,
                trend_periods=settings.trend_periods,
            )  # fmt: skip
            city = city_score(results, settings.dimension_weights)
            categories = category_counts(
                app_ctx.store, start=period.start, end=period.end, scope=user.scope
            )
            cells = cases_per_cell(
                app_ctx.store, start=period.start, end=period.end, scope=user.scope
            )
    except (ValueError, KeyError) as exc:
        log.warning("cockpit summary refused", extra={"reason": str(exc)[:200]})
        return _empty_summary(t("cockpit.failed", lang))
    names = {d: dimension_name(d, lang) for d in DIMENSIONS}
    labels = [p.label for p in last_periods(period, settings.trend_periods)]
    series = [
        (indicator_name(r, lang), r.get("trend") or [], unit_text(r.get("unit"), lang))
        for r in key_indicators(results)
    ]
    majors = [
        (t(f"cockpit.major_{code}", lang) if code.isdigit() else t("cockpit.major_other", lang), n)
        for code, n in major_counts(categories)
    ]
    shown = t(
        "cockpit.period_shown", lang, label=period.label,
        first=period.first_day.isoformat(), last=period.last_day.isoformat(),
    )  # fmt: skip
    return (
        score_block(city, lang, user.scope.kind),
        charts.radar(city.get("dimensions") or {}, names, empty=empty),
        indicator_panel(results, lang),
        charts.trend_lines(series, labels, empty=empty),
        charts.category_bars(majors, empty=empty),
        charts.heat_map(cells, label=t("cockpit.heat_cases", lang), empty=empty),
        shown,
    )


# -- rankings --------------------------------------------------------------------------------


@callback(
    Output(ids.RANKING, "children"),
    Input(ids.PERIOD, "data"),
    Input(ids.RANK_BY, "value"),
)
def render_ranking(data: object, by: object) -> Any:
    """Districts, streets, departments or posts of the user's scope by evaluation score."""
    lang = _lang()
    user = leader()
    if user is None:
        return _msg(t("cockpit.forbidden", lang))
    if not isinstance(by, str) or by not in evaluation.GROUPS:
        return _msg(t("cockpit.bad_drill", lang))
    try:
        period = _period_or_message(data, lang)
    except Invalid as exc:
        return _msg(exc.text(lang))
    app_ctx = get_context()
    frame = evaluation.evaluate(
        app_ctx.store,
        period_start=period.start,
        period_end=period.end,
        by=str(by),
        weights=app_ctx.config.settings.cockpit.ranking_weights,
        now=utcnow(),
        scope=user.scope,
    )
    names = _names(user.scope, lang, None) if by in ("district", "street") else None
    return ranking_table(str(by), ranking_rows(frame, names=names, lang=lang), lang)


# -- drill-down --------------------------------------------------------------------------------


def _names(scope: Scope, lang: str, categories: Any) -> dict[str, str]:
    """Names of the scope's districts and streets, and of the period's categories."""
    app_ctx = get_context()
    version = current_grid_version(app_ctx.store)

    def build() -> dict[str, str]:
        out: dict[str, str] = {}
        for level in ("district", "street"):
            frame = load_admin_areas(app_ctx.store, level, scope=scope)
            names = frame["name_zh"] if lang == "zh" else frame["name_en"].fillna(frame["name_zh"])
            out.update({str(c): str(n) for c, n in zip(frame["code"], names, strict=True)})
        return out

    names = dict(app_ctx.cached(("cockpit-areas", version, scope.label(), lang), build))
    if categories is None:
        return names
    column = "name_zh" if lang == "zh" else "name_en"
    for code, name in zip(categories["category_code"], categories[column], strict=True):
        names[f"cat:{code}"] = str(name)
    return names


def _cases(user: SessionUser, drill: Drill, period: Period, lang: str) -> tuple[Any, str]:
    """The drill-down's cases and the figure's title, for the user's scope."""
    app_ctx = get_context()
    now = utcnow()
    if drill.kind == "indicator":
        ind = indicator_by_id(drill.indicator, indicators_in_force(app_ctx.store))  # ValueError
        if not ind.case_based:
            raise Invalid("cockpit.drill_not_case")
        frame = cases_behind(app_ctx.store, ind.id, period=period, scope=user.scope, now=now)
        value = compute_indicators(
            app_ctx.store, period=period, scope=user.scope, now=now, indicators=[ind],
            trend_periods=1,
        )[0]["value"]  # fmt: skip
        name = ind.name_zh if lang == "zh" else ind.name_en
        return frame, t("cockpit.drill_title", lang, figure=name,
                        value=format_value(value, ind.unit, lang))  # fmt: skip
    frame = evaluation.cases_behind(
        app_ctx.store, figure=drill.figure, group_key=drill.by, group_value=drill.value,
        period_start=period.start, period_end=period.end, now=now, scope=user.scope,
    )  # fmt: skip
    key = "overdue" if drill.figure == "overdue_count" else drill.figure
    group = _names(user.scope, lang, None).get(drill.value or "", drill.value or "—")
    figure = f"{group} · {t(f'cockpit.col_{key}', lang)}"
    return frame, t("cockpit.drill_title", lang, figure=figure, value=f"{len(frame):,}")


@callback(
    Output(ids.DRILL, "className"),
    Output(ids.DRILL_HEAD, "children"),
    Output(ids.CASES, "rowData"),
    Output(ids.CARD, "children", allow_duplicate=True),
    Input({"type": ids.IND, "id": ALL}, "n_clicks"),
    Input({"type": ids.RANK_FIG, "by": ALL, "value": ALL, "figure": ALL}, "n_clicks"),
    Input(ids.DRILL_CLOSE, "n_clicks"),
    State(ids.PERIOD, "data"),
    prevent_initial_call=True,
)
def drill_down(_ind: object, _rank: object, _close: object, data: object) -> Any:
    """The cases behind a clicked figure (the same predicates, the user's scope)."""
    lang = _lang()
    opened, closed = "ck-drill", "ck-drill hidden"
    user = leader()
    if user is None:
        return opened, _msg(t("cockpit.forbidden", lang)), [], ""
    if ctx.triggered_id == ids.DRILL_CLOSE:
        return closed, [], [], t("cockpit.card_pick", lang)
    clicked = clicks_of(ctx.triggered_id, ctx.inputs_list) if ctx.triggered else None
    if not isinstance(clicked, int) or isinstance(clicked, bool) or clicked < 1:
        raise PreventUpdate  # tiles drawn anew, not clicked
    try:
        drill = drill_request(ctx.triggered_id)
        period = _period_or_message(data, lang)
        with expensive(user.user.username):
            frame, title = _cases(user, drill, period, lang)
            categories = category_counts(
                get_context().store, start=period.start, end=period.end, scope=user.scope
            )
    except Invalid as exc:
        return opened, _msg(exc.text(lang)), [], ""
    except ValueError:
        return opened, _msg(t("cockpit.bad_drill", lang)), [], ""
    rows = case_rows(frame, lang=lang, tz=_tz(), names=_names(user.scope, lang, categories))
    numerator = counted(frame)
    if numerator is None:  # a count: every case listed is the figure, no line to mark
        rows = [{**r, "counted": ""} for r in rows]
    head = drill_head(title, len(frame), numerator, len(frame) > MAX_LIST, lang)
    return opened, head, rows, t("cockpit.card_pick", lang)


@callback(
    Output(ids.CARD, "children", allow_duplicate=True),
    Input(ids.CASES, "cellClicked"),
    prevent_initial_call=True,
)
def open_case(cell: object) -> Any:
    """The card of a clicked case, through ``models.case_view`` (scope checked there)."""
    lang = _lang()
    user = leader()
    if user is None:
        return _msg(t("cockpit.forbidden", lang))
    wanted = case_id_of(cell)
    if wanted is None:
        raise PreventUpdate
    app_ctx = get_context()
    actor = Actor(user.user.username, user.role, user.scope)
    try:
        view = case_view(app_ctx.store, actor, wanted, now=utcnow(), calendar=app_ctx.calendar())
    except Refused as exc:
        return _msg(refusal_text(exc, lang))
    names = _names(user.scope, lang, None)
    return case_card(card_data(view, lang=lang, tz=_tz(), names=names), lang)
