"""The /field page's shared callback pieces (who acts, messages, the locator, the clock) and
its small callbacks: tabs, GPS, patrol check-in. Report and task callbacks have modules of
their own. Every server callback checks the user's role and scope itself."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import dash
from dash import ClientsideFunction, Input, Output, State, html

from app.auth import current_language, current_user
from app.context import get_context
from app.i18n import t
from app.pages.field import ids
from app.pages.field.logic import FIELD_ROLES, decode_upload, parse_fix
from app.refusals import refusal_text
from ingest.locate import store_locator
from models.attachments import add_photo
from models.case_builder import Locate
from models.case_service import Actor, Refused
from models.clock import utcnow
from models.patrols import check_in, checkins_of_day

log = logging.getLogger(__name__)


def field_actor() -> Actor | None:
    """The logged-in user as an :class:`Actor` when their role may use the field app."""
    user = current_user()
    if user is None or user.role not in FIELD_ROLES:
        return None
    return Actor(user.user.username, user.role, user.scope)


def lang() -> str:
    return current_language(get_context().config)


def now() -> datetime:
    """Naive UTC: the moment an action is taken (read once, at the entry point)."""
    return utcnow()


def locator() -> Locate:
    ctx = get_context()
    return ctx.cached(
        ("field-locator",),
        lambda: store_locator(ctx.store, metric_crs=ctx.config.settings.map.metric_crs),
    )


def message(text: str, kind: str = "ok") -> html.Div:
    return html.Div(text, className=f"field-note {kind}")


def refusal(exc: Refused, language: str) -> html.Div:
    """A refusal from the models in the user's language (app.refusals)."""
    return message(refusal_text(exc, language), "error")


def not_allowed(language: str) -> html.Div:
    return message(t("field.refused.403", language), "error")


def local_time(value: Any, tz: str) -> str:
    """``HH:MM`` local of a naive-UTC datetime or an ISO text with ``Z``."""
    import pandas as pd

    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError):
        return ""
    if ts is pd.NaT:
        return ""
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts
    return ts.tz_convert(tz).strftime("%m-%d %H:%M")


# -- tabs and GPS (pure UI in the browser) --------------------------------------------

dash.clientside_callback(
    ClientsideFunction(namespace="field", function_name="showTab"),
    Output(ids.PANEL_REPORT, "className"),
    Output(ids.PANEL_TASKS, "className"),
    Output(ids.PANEL_PATROL, "className"),
    Input(ids.TABS, "value"),
    prevent_initial_call=True,
)

dash.clientside_callback(
    ClientsideFunction(namespace="field", function_name="locate"),
    Output(ids.GPS, "data"),
    Input(ids.GPS_BUTTON, "n_clicks"),
)

dash.clientside_callback(
    ClientsideFunction(namespace="field", function_name="locate"),
    Output(ids.PATROL_FIX, "data"),
    Input(ids.PATROL_BUTTON, "n_clicks"),
    prevent_initial_call=True,
)


# -- patrol --------------------------------------------------------------------------


def _checkin_row(c: dict[str, Any], language: str, tz: str) -> html.Div:
    where = c["cell_code"] or t("field.where.no_cell", language)
    mine = t("field.where.mine" if c["in_scope"] else "field.where.not_mine", language)
    return html.Div(
        className="field-checkin " + ("ok" if c["in_scope"] else "warn"),
        children=[
            html.Span(local_time(c["checked_at"], tz), className="field-time"),
            html.Span(f"{where} · {mine}"),
            html.Span(c["note"] or "", className="field-sub"),
        ],
    )


@dash.callback(
    Output(ids.PATROL_RESULT, "children"),
    Output(ids.PATROL_LIST, "children"),
    Output(ids.PATROL_NOTE, "value"),
    Input(ids.PATROL_FIX, "data"),
    State(ids.PATROL_NOTE, "value"),
)
def patrol(fix_data: Any, note: Any) -> tuple[Any, Any, Any]:
    language = lang()
    actor = field_actor()
    if actor is None or actor.role != "grid_worker":
        return not_allowed(language), [], dash.no_update
    ctx = get_context()
    tz = ctx.config.settings.calendar.timezone
    result: Any = dash.no_update
    clear: Any = dash.no_update
    if dash.ctx.triggered_id == ids.PATROL_FIX and fix_data is not None:
        fix = parse_fix(fix_data)
        if fix is None or fix.source != "gps":
            reason = fix_data.get("error") if isinstance(fix_data, dict) else None
            result = message(t("field.gps.failed", language, reason=str(reason or "")), "error")
        else:
            try:
                got = check_in(
                    ctx.store,
                    actor,
                    fix.lon,
                    fix.lat,
                    at=now(),
                    locate=locator(),
                    accuracy_m=fix.accuracy_m,
                    note=note if isinstance(note, str) else None,
                )
            except Refused as exc:
                result = refusal(exc, language)
            else:
                key = "field.patrol.done" if got["in_scope"] else "field.patrol.done_outside"
                result = message(
                    t(key, language, cell=got["cell_code"] or t("field.where.no_cell", language)),
                    "ok" if got["in_scope"] else "warn",
                )
                clear = ""
    day = checkins_of_day(ctx.store, actor.username, now=now(), tz=tz)
    rows = [_checkin_row(c, language, tz) for c in day] or [
        html.Div(t("field.patrol.none", language), className="field-empty")
    ]
    return result, rows, clear


def keep_photos(
    actor: Actor,
    case_id: str,
    uploads: list[Any],
    *,
    kind: str,
    language: str,
    seq: int | None = None,
) -> list[str]:
    """Attach uploaded photos of ``kind`` to a case (``seq``: the step they document); the
    failures as messages, one per photo (what is written stays written either way)."""
    ctx = get_context()
    failed = []
    for i, contents in enumerate(uploads, 1):
        raw = decode_upload(contents)
        try:
            if raw is None:
                raise Refused("not an uploaded file", 422)
            add_photo(
                ctx.store,
                actor,
                case_id,
                raw,
                kind=kind,
                at=now(),
                settings=ctx.config.settings.photos,
                photo_dir=ctx.config.photo_dir,
                transition_seq=seq,
            )
        except Refused as exc:
            failed.append(t("field.photo.failed", language, n=i, reason=exc.message))
        except Exception:  # a broken photo must not undo what is written
            log.exception("photo %d of case %s not kept", i, case_id)
            failed.append(t("field.photo.failed", language, n=i, reason="internal error"))
    return failed
