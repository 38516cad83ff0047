"""Admin tab 'backups' (备份): the backups in storage.backup_dir (time, size, schema, rows,
checked or not), the daily schedule, and a 'back up now' button (admins only, one at a time,
made on a thread of its own while the page polls)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from dash import Input, Output, State, callback, dcc, html

from app.backup_schedule import back_up_now, backup_dir
from app.context import get_context
from app.i18n import t
from app.pages.admin import ids
from app.pages.admin.acting import acting_admin, forbidden, message, page_language
from models.backup import BackupEntry, Manifest, backup_running, list_backups

#: Backups listed on the page, newest first (the folder may hold more).
SHOWN = 60
#: Milliseconds between two looks at the folder while the tab is open.
POLL_MS = 5000


def panel(lang: str, query: dict[str, str]) -> Any:
    config = get_context().config
    storage = config.settings.storage
    schedule = (
        t("admin.backups.schedule", lang, at=storage.backup_at, keep=storage.backup_keep)
        if storage.backup_at
        else t("admin.backups.schedule_off", lang)
    )
    return html.Div(
        className="admin-backups",
        children=[
            html.H2(t("admin.tab.backups", lang)),
            html.P(t("admin.backups.intro", lang), className="muted"),
            html.P(
                [
                    schedule,
                    " ",
                    t("admin.backups.folder", lang),
                    " ",
                    html.Code(str(backup_dir(config))),
                ]
            ),
            html.Div(
                className="admin-pager",
                children=[
                    html.Button(
                        t("admin.backups.now", lang),
                        id=ids.BACKUPS_NOW,
                        n_clicks=0,
                        className="primary",
                    ),
                    html.Span(id=ids.BACKUPS_STATE, className="muted"),
                ],
            ),
            html.Div(id=ids.BACKUPS_MESSAGE),
            dcc.Interval(id=ids.BACKUPS_TICK, interval=POLL_MS),
            html.Div(id=ids.BACKUPS, className="admin-scroll"),
        ],
    )


def _size(n: int) -> str:
    return f"{n / 2**20:,.1f} MiB" if n >= 2**20 else f"{n / 2**10:,.0f} KiB"


def _when(stamp: str) -> str:
    try:
        return f"{datetime.strptime(stamp, '%Y%m%d-%H%M%S'):%Y-%m-%d %H:%M:%S}"
    except ValueError:
        return stamp


def _row(entry: BackupEntry, lang: str) -> html.Tr:
    m = entry.manifest
    if m is None:
        return html.Tr(
            [
                html.Td("—"),
                html.Td(html.Code(entry.path.name)),
                html.Td(_size(entry.bytes), className="nowrap"),
                html.Td(entry.problem or "", colSpan=4, className="err"),
            ]
        )
    rows = sum(m.counts.values())
    counts = html.Details(
        [
            html.Summary(t("admin.backups.rows", lang, rows=f"{rows:,}", tables=len(m.tables))),
            html.Ul(
                [html.Li(f"{name}: {n:,}") for name, n in sorted(m.counts.items())],
                className="admin-backup-counts",
            ),
            *_photos(m, lang),
        ]
    )
    checked = (
        html.Span(t("admin.backups.verified", lang), className="ok")
        if entry.verified
        else html.Span(t("admin.backups.unverified", lang), className="err")
    )
    return html.Tr(
        [
            html.Td(_when(m.created_local), className="nowrap"),
            html.Td(html.Code(entry.path.name)),
            html.Td(_size(entry.bytes), className="nowrap"),
            html.Td(f"v{m.schema_version}", className="nowrap"),
            html.Td(t(f"admin.backups.kind.{m.kind}", lang), className="nowrap"),
            html.Td(counts),
            html.Td(checked, className="nowrap"),
        ]
    )


def _photos(m: Manifest, lang: str) -> list[Any]:
    """The photo files line of a backup (none for a format 1 backup, made before photos)."""
    if m.format_version < 2:
        return []
    out = [
        html.P(t("admin.backups.photos", lang, n=f"{len(m.photos):,}", size=_size(m.photo_bytes)))
    ]
    if m.photos_missing:
        out.append(
            html.P(
                t("admin.backups.photos_missing", lang, n=len(m.photos_missing)), className="err"
            )
        )
    return out


def backups_table(lang: str) -> Any:
    """The table of backups in the folder, newest first (at most :data:`SHOWN`)."""
    entries = list_backups(backup_dir(get_context().config))
    if not entries:
        return html.P(t("admin.backups.none", lang), className="muted")
    head = ("time", "file", "size", "schema", "kind", "rows", "verified")
    more = (
        [html.P(t("admin.backups.more", lang, n=len(entries) - SHOWN), className="muted")]
        if len(entries) > SHOWN
        else []
    )
    return html.Div(
        [
            html.Table(
                className="table admin-backups-table",
                children=[
                    html.Thead(html.Tr([html.Th(t(f"admin.backups.col.{h}", lang)) for h in head])),
                    html.Tbody([_row(e, lang) for e in entries[:SHOWN]]),
                ],
            ),
            *more,
        ]
    )


def _state(lang: str) -> str:
    return t("admin.backups.running", lang) if backup_running() else ""


@callback(
    Output(ids.BACKUPS, "children"),
    Output(ids.BACKUPS_STATE, "children"),
    Input(ids.BACKUPS_TICK, "n_intervals"),
    Input(ids.BACKUPS_MESSAGE, "children"),
)
def show_backups(_tick: Any, _message: Any) -> tuple[Any, str]:
    """The list of backups and whether one is being made (nothing for anyone but an admin)."""
    lang = page_language()
    if acting_admin() is None:
        return forbidden(lang), ""
    return backups_table(lang), _state(lang)


@callback(
    Output(ids.BACKUPS_MESSAGE, "children"),
    Input(ids.BACKUPS_NOW, "n_clicks"),
    State(ids.BACKUPS_MESSAGE, "children"),
    prevent_initial_call=True,
)
def press_back_up_now(clicks: Any, _shown: Any) -> Any:
    """Start a backup now, unless one is being made; the list shows it once written."""
    return back_up_action(clicks)


def back_up_action(clicks: Any) -> Any:
    """What pressing 'back up now' does (``clicks``: the button's click count)."""
    lang = page_language()
    user = acting_admin()
    if user is None:
        return forbidden(lang)
    if not (isinstance(clicks, int) and not isinstance(clicks, bool) and clicks > 0):
        return message(t("admin.backups.not_pressed", lang), False)
    context = get_context()
    started = back_up_now(context.config, context.store, actor=user.user.username)
    if not started:
        return message(t("admin.backups.busy", lang), False)
    return message(t("admin.backups.started", lang), True)
