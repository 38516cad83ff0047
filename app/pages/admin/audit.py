"""Admin tab 'audit' (审计日志): the append-only audit log, filtered by who, what, object, when
and outcome, newest first, a page at a time, times in local time (calendar.timezone), with a
link to the CSV/XLSX export of the same filters."""

from __future__ import annotations

from typing import Any

from dash import Input, Output, State, callback, ctx, dcc, html

from app.context import get_context
from app.i18n import t
from app.pages.admin import ids
from app.pages.admin.acting import acting_admin, forbidden, message, page_language
from app.pages.admin.audit_logic import (
    PAGE_SIZE,
    Refusal,
    audit_filter,
    export_href,
    next_page,
)
from app.reports.tables import local_time
from models.audit_queries import audit_actions, audit_outcomes, search_audit

_HEAD = ("time", "actor", "action", "target", "outcome", "detail", "remote")
#: Characters of a detail shown in the table (the export has it whole).
_DETAIL_CHARS = 160


def _action_options(actions: list[str]) -> list[dict[str, str]]:
    """Each action in use, and before them each family (``case.``) as a prefix."""
    families = sorted({a.split(".", 1)[0] + "." for a in actions if "." in a})
    return [{"label": f"{f}*", "value": f} for f in families] + [
        {"label": a, "value": a} for a in sorted(actions)
    ]


def _field(label: str, control: Any) -> html.Label:
    return html.Label([html.Span(label), control], className="admin-field")


def panel(lang: str, query: dict[str, str]) -> Any:
    store = get_context().store
    return html.Div(
        className="admin-audit",
        children=[
            html.H2(t("admin.tab.audit", lang)),
            html.P(t("admin.audit.intro", lang), className="muted"),
            html.Div(
                className="admin-filters",
                children=[
                    _field(
                        t("admin.audit.actor", lang),
                        dcc.Input(id=ids.AUDIT_ACTOR, type="text", debounce=True, maxLength=200),
                    ),
                    _field(
                        t("admin.audit.action", lang),
                        dcc.Dropdown(
                            id=ids.AUDIT_ACTION,
                            options=_action_options(audit_actions(store)),
                            placeholder=t("admin.audit.any", lang),
                            className="admin-dropdown",
                        ),
                    ),
                    _field(
                        t("admin.audit.target", lang),
                        dcc.Input(id=ids.AUDIT_TARGET, type="text", debounce=True, maxLength=200),
                    ),
                    _field(
                        t("admin.audit.from", lang),
                        dcc.Input(id=ids.AUDIT_FROM, type="date", debounce=True),
                    ),
                    _field(
                        t("admin.audit.to", lang),
                        dcc.Input(id=ids.AUDIT_TO, type="date", debounce=True),
                    ),
                    _field(
                        t("admin.audit.outcome", lang),
                        dcc.Dropdown(
                            id=ids.AUDIT_OUTCOME,
                            options=audit_outcomes(store),
                            placeholder=t("admin.audit.any", lang),
                            className="admin-dropdown",
                        ),
                    ),
                ],
            ),
            html.Div(
                className="admin-pager",
                children=[
                    html.Span(id=ids.AUDIT_COUNT),
                    html.Button(t("admin.audit.prev", lang), id=ids.AUDIT_PREV, n_clicks=0),
                    html.Button(t("admin.audit.next", lang), id=ids.AUDIT_NEXT, n_clicks=0),
                    html.A(t("admin.audit.export_csv", lang), id=ids.AUDIT_EXPORT, href=""),
                    html.A(t("admin.audit.export_xlsx", lang), id=ids.AUDIT_EXPORT_XLSX, href=""),
                ],
            ),
            html.Div(id=ids.AUDIT_MESSAGE),
            dcc.Store(id=ids.AUDIT_PAGE, data=0),
            html.Div(id=ids.AUDIT_TABLE, className="admin-scroll"),
        ],
    )


def _table(df: Any, lang: str, tz: str) -> html.Table:
    rows = [
        html.Tr(
            [
                html.Td(f"{local_time(r.occurred_at, tz):%Y-%m-%d %H:%M:%S}", className="nowrap"),
                html.Td(r.actor or ""),
                html.Td(html.Code(r.action)),
                html.Td(r.target or ""),
                html.Td(r.outcome, className=f"outcome-{r.outcome}"),
                html.Td(_short(r.detail)),
                html.Td(r.remote or ""),
            ]
        )
        for r in df.itertuples()
    ]
    return html.Table(
        className="table admin-audit-table",
        children=[
            html.Thead(html.Tr([html.Th(t(f"admin.audit.col.{h}", lang)) for h in _HEAD])),
            html.Tbody(rows),
        ],
    )


def triggered() -> Any:
    """The id of the input that fired the callback (None outside a Dash request)."""
    try:
        return ctx.triggered_id
    except Exception:  # called directly, as the tests do
        return None


def _short(detail: object) -> str:
    text = detail if isinstance(detail, str) else ""
    return text if len(text) <= _DETAIL_CHARS else text[: _DETAIL_CHARS - 1] + "…"


@callback(
    Output(ids.AUDIT_TABLE, "children"),
    Output(ids.AUDIT_COUNT, "children"),
    Output(ids.AUDIT_PAGE, "data"),
    Output(ids.AUDIT_EXPORT, "href"),
    Output(ids.AUDIT_EXPORT_XLSX, "href"),
    Output(ids.AUDIT_MESSAGE, "children"),
    Input(ids.AUDIT_ACTOR, "value"),
    Input(ids.AUDIT_ACTION, "value"),
    Input(ids.AUDIT_TARGET, "value"),
    Input(ids.AUDIT_FROM, "value"),
    Input(ids.AUDIT_TO, "value"),
    Input(ids.AUDIT_OUTCOME, "value"),
    Input(ids.AUDIT_PREV, "n_clicks"),
    Input(ids.AUDIT_NEXT, "n_clicks"),
    State(ids.AUDIT_PAGE, "data"),
)
def show_audit(
    actor: Any,
    action: Any,
    target: Any,
    since: Any,
    until: Any,
    outcome: Any,
    _prev: Any,
    _next: Any,
    page: Any,
) -> tuple[Any, str, int, str, str, Any]:
    """The page of audit rows the filters ask for (nothing for anyone but an admin)."""
    lang = page_language()
    if acting_admin() is None:
        return [], "", 0, "", "", forbidden(lang)
    context = get_context()
    tz = context.config.settings.calendar.timezone
    wanted = audit_filter(
        actor=actor, action=action, target=target, since=since, until=until, outcome=outcome, tz=tz
    )
    if isinstance(wanted, Refusal):
        return [], "", 0, "", "", message(t(wanted.key, lang, value=wanted.value), False)
    step = {ids.AUDIT_PREV: -1, ids.AUDIT_NEXT: 1}.get(triggered(), 0)
    if step == 0:
        page = 0  # a new filter starts at the newest rows
    _, total = search_audit(context.store, wanted, page=0, page_size=1)
    page = next_page(page, step, total)
    df, total = search_audit(context.store, wanted, page=page, page_size=PAGE_SIZE)
    pages = max(1, -(-total // PAGE_SIZE))
    count = t("admin.audit.count", lang, total=f"{total:,}", page=page + 1, pages=pages)
    links = dict(actor=actor, action=action, target=target, since=since, until=until)
    return (
        _table(df, lang, tz),
        count,
        page,
        export_href(**links),
        export_href(**links, fmt="xlsx"),
        [],
    )
