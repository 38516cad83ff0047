"""HTTP endpoints of the one-map component: base layers, the picture at an instant, changes.

Behind the log-in gate (``/screen/api/`` answers 401/403, never a redirect) and limited to
the user's scope like every page. JSON bodies go out compressed (flask-compress).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import flask

from app.auth import current_language, current_user
from app.context import get_context
from app.pages.screen.changes import changes_payload
from app.pages.screen.logic import initial_view
from app.pages.screen.picture import (
    base_payload,
    case_points_payload,
    grid_colors_payload,
    picture_payload,
)
from models.clock import utcnow
from models.geography import current_grid_version
from models.map_state.cards import case_attachment
from models.map_state.cases import REPLAY_DAYS
from models.security import may_open

blueprint = flask.Blueprint("screen_api", __name__, url_prefix="/screen/api")

GRID_MODES = ("open_cases", "overdue", "score")  # "district" is the layer's own colour


class BadRequest(ValueError):
    pass


def _user() -> Any:
    user = current_user()
    if user is None or not may_open(user.role, "screen"):  # the gate has answered already
        flask.abort(403)
    return user


def _instant(text: str | None, now: datetime) -> datetime | None:
    """``at`` as naive UTC; None for live. ISO-8601 with or without a zone (UTC assumed)."""
    if not text or text == "now":
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise BadRequest(f"at: not an ISO-8601 instant: {text[:40]!r}") from exc
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    if moment > now:
        raise BadRequest("at: replay cannot show the future")
    if (now - moment).days >= REPLAY_DAYS:
        raise BadRequest(f"at: replay reaches {REPLAY_DAYS} days back")
    return moment


def _zoom(user: Any) -> float:
    ctx = get_context()
    return float(initial_view(ctx.store, user.scope, ctx.config.settings)["zoom"])


def _base(user: Any, lang: str) -> dict[str, Any]:
    ctx = get_context()
    version = current_grid_version(ctx.store)
    return ctx.cached(
        ("screen-base", version, user.scope.label(), lang),
        lambda: base_payload(ctx.store, user.scope, lang=lang),
    )


@blueprint.errorhandler(BadRequest)
def _bad_request(exc: BadRequest) -> tuple[flask.Response, int]:
    return flask.jsonify(error=str(exc)), 400


@blueprint.get("/base")
def base() -> flask.Response:
    user = _user()
    ctx = get_context()
    return flask.jsonify(_base(user, current_language(ctx.config)))


@blueprint.get("/layers")
def layers() -> flask.Response:
    user = _user()
    ctx = get_context()
    now = utcnow()
    body = picture_payload(
        ctx.store,
        user.scope,
        at=_instant(flask.request.args.get("at"), now),
        now=now,
        lang=current_language(ctx.config),
        tz=ctx.config.settings.calendar.timezone,
        calendar=ctx.calendar(),
        zoom=_zoom(user),
        defer_points_above=None
        if flask.request.args.get("points") == "1"
        else ctx.config.settings.map.hex_above_cases,
    )
    return flask.jsonify(body)


@blueprint.get("/case-points")
def case_points() -> flask.Response:
    user = _user()
    ctx = get_context()
    now = utcnow()
    body = case_points_payload(
        ctx.store,
        user.scope,
        at=_instant(flask.request.args.get("at"), now) or now,
        lang=current_language(ctx.config),
        calendar=ctx.calendar(),
    )
    return flask.jsonify(body)


@blueprint.get("/changes")
def changes() -> flask.Response:
    user = _user()
    ctx = get_context()
    body = changes_payload(
        ctx.store,
        user.scope,
        cursor_text=flask.request.args.get("cursor", ""),
        now=utcnow(),
        lang=current_language(ctx.config),
        tz=ctx.config.settings.calendar.timezone,
        calendar=ctx.calendar(),
        zoom=_zoom(user),
    )
    return flask.jsonify(body)


@blueprint.get("/grid-colors")
def grid_colors() -> flask.Response:
    user = _user()
    ctx = get_context()
    mode = flask.request.args.get("mode", "")
    if mode not in GRID_MODES:
        raise BadRequest(f"mode: one of {', '.join(GRID_MODES)}")
    now = utcnow()
    at = _instant(flask.request.args.get("at"), now) or now
    lang = current_language(ctx.config)
    body = grid_colors_payload(
        ctx.store, user.scope, _base(user, lang), mode=mode, at=at, calendar=ctx.calendar()
    )
    return flask.jsonify(body)


@blueprint.get("/attachment/<attachment_id>")
def attachment(attachment_id: str) -> flask.Response:
    """A case photo for the card: only images, only of cases within the user's scope."""
    user = _user()
    ctx = get_context()
    found = case_attachment(ctx.store, user.scope, attachment_id)
    if found is None or not found[1].startswith("image/"):
        flask.abort(404)
    path, media_type = found
    return flask.send_file(path, mimetype=media_type, max_age=3600)
