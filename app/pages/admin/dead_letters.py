"""Admin tab 'dead letters' (错误数据): rejected input kept for inspection, filtered and paged,
with each payload's preview, size and sha256, and a re-ingest action per letter and for the
ticked ones (the original bytes go through the live ingest path again: ingest.reingest)."""

from __future__ import annotations

from typing import Any

from dash import ALL, Input, Output, State, callback, ctx, dcc, html

from app.context import get_context
from app.i18n import t
from app.pages.admin import ids
from app.pages.admin.acting import acting_admin, forbidden, message, page_language
from app.pages.admin.audit import triggered
from app.pages.admin.audit_logic import (
    CHANNELS,
    PAGE_SIZE,
    STATES,
    Refusal,
    dead_letter_filter,
    next_page,
    picked_ids,
)
from app.reports.tables import local_time
from ingest.reingest import MAX_PER_REQUEST
from models.dead_letters import INGESTED, search_dead_letters

_HEAD = ("pick", "time", "channel", "topic", "reason", "payload", "reingest", "action")


def _number(value: Any) -> int | None:
    return None if value is None or value != value else int(value)


def _payload_note(r: Any, lang: str) -> str:
    """The whole payload's size and sha256 (the preview is its first bytes only), and how
    much of it is kept when it was truncated."""
    size, stored = (
        _number(getattr(r, "payload_size", None)),
        _number(getattr(r, "stored_size", None)),
    )
    digest = getattr(r, "payload_sha256", None)
    note = "" if size is None else f" {size:,} B"
    if size is not None and stored is not None and size > stored:
        note += " " + t("admin.dead_letters.truncated", lang, kept=f"{stored:,}")
    return note + (f" · sha256 {digest}" if isinstance(digest, str) else "")


def _field(label: str, control: Any) -> html.Label:
    return html.Label([html.Span(label), control], className="admin-field")


def panel(lang: str, query: dict[str, str]) -> Any:
    return html.Div(
        className="admin-dead-letters",
        children=[
            html.H2(t("admin.tab.dead_letters", lang)),
            html.P(t("admin.dead_letters.intro", lang), className="muted"),
            html.Div(
                className="admin-filters",
                children=[
                    _field(
                        t("admin.dl_channel", lang),
                        dcc.Dropdown(
                            id=ids.DL_CHANNEL,
                            options=list(CHANNELS),
                            placeholder=t("admin.audit.any", lang),
                            className="admin-dropdown",
                        ),
                    ),
                    _field(
                        t("admin.dead_letters.text", lang),
                        dcc.Input(id=ids.DL_TEXT, type="text", debounce=True, maxLength=200),
                    ),
                    _field(
                        t("admin.dead_letters.since", lang),
                        dcc.Input(id=ids.DL_SINCE, type="date", debounce=True),
                    ),
                    _field(
                        t("admin.dead_letters.state", lang),
                        dcc.RadioItems(
                            id=ids.DL_STATE,
                            options=[
                                {"label": t(f"admin.dead_letters.state.{s}", lang), "value": s}
                                for s in STATES
                            ],
                            value="open",
                            inline=True,
                        ),
                    ),
                ],
            ),
            html.Div(
                className="admin-pager",
                children=[
                    html.Span(id=ids.DL_COUNT),
                    html.Button(t("admin.audit.prev", lang), id=ids.DL_PREV, n_clicks=0),
                    html.Button(t("admin.audit.next", lang), id=ids.DL_NEXT, n_clicks=0),
                    html.Button(
                        t("admin.dead_letters.reingest_picked", lang),
                        id=ids.DL_REINGEST_PICKED,
                        n_clicks=0,
                        className="primary",
                    ),
                ],
            ),
            html.Div(id=ids.DL_MESSAGE),
            dcc.Store(id=ids.DL_PAGE, data=0),
            dcc.Store(id=ids.DL_REFRESH, data=0),
            html.Div(id=ids.DEAD_LETTERS, className="admin-scroll"),
        ],
    )


def _outcome(r: Any, lang: str) -> Any:
    if not isinstance(r.reingest_outcome, str):
        return ""
    when = f"{local_time(r.reingested_at, _tz()):%Y-%m-%d %H:%M} {r.reingested_by or ''}"
    if r.reingest_outcome == INGESTED:
        return [html.Span(t("admin.dead_letters.ingested", lang), className="ok"), html.Br(),
                html.Small(when, className="muted")]  # fmt: skip
    return [html.Span(r.reingest_outcome, className="err"), html.Br(),
            html.Small(when, className="muted")]  # fmt: skip


def _tz() -> str:
    return get_context().config.settings.calendar.timezone


def _table(df: Any, lang: str) -> html.Table:
    tz = _tz()
    rows = [
        html.Tr(
            [
                html.Td(
                    dcc.Checklist(
                        id={"type": ids.DL_PICK, "index": int(r.dead_letter_id)},
                        options=[
                            {"label": f"#{int(r.dead_letter_id)}", "value": int(r.dead_letter_id)}
                        ],
                        value=[],
                    )
                ),
                html.Td(f"{local_time(r.received_at, tz):%Y-%m-%d %H:%M:%S}", className="nowrap"),
                html.Td(r.channel),
                html.Td(html.Code(r.topic or "")),
                html.Td(r.reason),
                html.Td(
                    [
                        html.Code(r.preview, className="admin-preview"),
                        html.Small(_payload_note(r, lang), className="muted admin-digest"),
                    ]
                ),
                html.Td(_outcome(r, lang)),
                html.Td(
                    html.Button(
                        t("admin.dead_letters.reingest", lang),
                        id={"type": ids.DL_REINGEST_ROW, "index": int(r.dead_letter_id)},
                        n_clicks=0,
                    )
                ),
            ]
        )
        for r in df.itertuples()
    ]
    return html.Table(
        className="table admin-dl-table",
        children=[
            html.Thead(html.Tr([html.Th(t(f"admin.dead_letters.col.{h}", lang)) for h in _HEAD])),
            html.Tbody(rows),
        ],
    )


@callback(
    Output(ids.DEAD_LETTERS, "children"),
    Output(ids.DL_COUNT, "children"),
    Output(ids.DL_PAGE, "data"),
    Output(ids.DL_MESSAGE, "children", allow_duplicate=True),
    Input(ids.DL_CHANNEL, "value"),
    Input(ids.DL_TEXT, "value"),
    Input(ids.DL_SINCE, "value"),
    Input(ids.DL_STATE, "value"),
    Input(ids.DL_PREV, "n_clicks"),
    Input(ids.DL_NEXT, "n_clicks"),
    Input(ids.DL_REFRESH, "data"),
    State(ids.DL_PAGE, "data"),
    prevent_initial_call="initial_duplicate",
)
def show_dead_letters(
    channel: Any,
    text: Any,
    since: Any,
    state: Any,
    _prev: Any,
    _next: Any,
    _refresh: Any,
    page: Any,
) -> tuple[Any, str, int, Any]:
    """The page of dead letters the filters ask for (nothing for anyone but an admin)."""
    lang = page_language()
    if acting_admin() is None:
        return [], "", 0, forbidden(lang)
    wanted = dead_letter_filter(channel=channel, text=text, since=since, state=state, tz=_tz())
    if isinstance(wanted, Refusal):
        return [], "", 0, message(t(wanted.key, lang, value=wanted.value), False)
    trigger = triggered()
    step = {ids.DL_PREV: -1, ids.DL_NEXT: 1}.get(trigger, 0) if isinstance(trigger, str) else 0
    if trigger not in (ids.DL_PREV, ids.DL_NEXT, ids.DL_REFRESH):
        page = 0  # a new filter starts at the newest letters
    store = get_context().store
    _, total = search_dead_letters(store, wanted, page=0, page_size=1)
    page = next_page(page, step, total)
    df, total = search_dead_letters(store, wanted, page=page, page_size=PAGE_SIZE)
    pages = max(1, -(-total // PAGE_SIZE))
    count = t("admin.audit.count", lang, total=f"{total:,}", page=page + 1, pages=pages)
    return _table(df, lang), count, page, []


@callback(
    Output(ids.DL_MESSAGE, "children"),
    Output(ids.DL_REFRESH, "data"),
    Input({"type": ids.DL_REINGEST_ROW, "index": ALL}, "n_clicks"),
    Input(ids.DL_REINGEST_PICKED, "n_clicks"),
    State({"type": ids.DL_PICK, "index": ALL}, "value"),
    State(ids.DL_REFRESH, "data"),
    prevent_initial_call=True,
)
def reingest_letters(
    row_clicks: Any, picked_clicks: Any, picks: Any, refresh: Any
) -> tuple[Any, int]:
    """Send one letter (its row's button) or the ticked ones through ingest again."""
    return reingest_action(triggered(), triggered_value(), picks, refresh)


def triggered_value() -> Any:
    """The value of the input that fired the callback (None outside a Dash request)."""
    try:
        fired = ctx.triggered
        return fired[0]["value"] if fired else None
    except Exception:
        return None


def reingest_action(trigger: Any, clicks: Any, picks: Any, refresh: Any) -> tuple[Any, int]:
    """What pressing a re-ingest button does: ``trigger`` the pressed button's id (a row's
    pattern id or the 'ticked ones' button), ``clicks`` its click count (a row's button
    appearing in a new table fires the callback with none), ``picks`` the tick boxes' values.
    Returns the message and the refresh counter (moved on when something was re-ingested)."""
    lang = page_language()
    count = refresh if isinstance(refresh, int) and not isinstance(refresh, bool) else 0
    user = acting_admin()
    if user is None:
        return forbidden(lang), count
    wanted: list[int] = []
    if isinstance(clicks, int) and clicks > 0:
        if isinstance(trigger, dict) and trigger.get("type") == ids.DL_REINGEST_ROW:
            wanted = picked_ids([[trigger.get("index")]])
        elif trigger == ids.DL_REINGEST_PICKED:
            wanted = picked_ids(picks)
    if not wanted:
        return message(t("admin.dead_letters.none_picked", lang), False), count
    if len(wanted) > MAX_PER_REQUEST:
        return message(t("admin.dead_letters.too_many", lang, n=MAX_PER_REQUEST), False), count
    from app.reingest import reingest

    context = get_context()
    results = reingest(context.config, context.store, wanted, actor=user.user.username)
    lines = [
        html.Li(
            f"#{r.dead_letter_id}: "
            + (t("admin.dead_letters.ingested", lang) if r.taken else r.outcome),
            className="ok" if r.taken else "err",
        )
        for r in results
    ]
    taken = sum(r.taken for r in results)
    summary = t("admin.dead_letters.result", lang, taken=taken, refused=len(results) - taken)
    return html.Div([message(summary, taken == len(results)), html.Ul(lines)]), count + 1
