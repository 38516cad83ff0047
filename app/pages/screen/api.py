"""HTTP endpoints of the one-map component: base layers, the picture at an instant, changes.

Behind the log-in gate (``/screen/api/`` answers 401/403, never a redirect) and limited to
the user's scope like every page. JSON bodies go out compressed (flask-compress).
"""

from __future__ import annotations

from typing import Any

import flask

from app.auth import current_language, current_user
from app.bounds import expensive
from app.context import get_context
from app.pages.screen.changes import changes_payload
from app.pages.screen.cursor import CURSOR_MAX_AGE, CURSOR_MAX_BEHIND
from app.pages.screen.logic import initial_view
from app.pages.screen.picture import (
    base_payload,
    case_points_payload,
    grid_colors_payload,
    picture_payload,
)
from app.pages.screen.themes import theme_for
from app.photos import photo_response
from app.validation import Rejected, replay_instant
from models.category_edits import reference_version
from models.clock import utcnow
from models.geography import current_grid_version
from models.security import may_open

blueprint = flask.Blueprint("screen_api", __name__, url_prefix="/screen/api")

GRID_MODES = ("open_cases", "overdue", "score")  # "district" is the layer's own colour


def _user() -> Any:
    user = current_user()
    if user is None or not may_open(user.role, "screen"):  # the gate has answered already
        flask.abort(403)
    return user


def _zoom(user: Any) -> float:
    ctx = get_context()
    return float(initial_view(ctx.store, user.scope, ctx.config.settings)["zoom"])


def _theme() -> Any:
    """The theme the browser names (``?theme=``); unknown or none: the default theme."""
    return theme_for(flask.request.args.get("theme"))


def _base(user: Any, lang: str) -> dict[str, Any]:
    ctx = get_context()
    version = current_grid_version(ctx.store)
    # the duties' version too: an import changes the cells' responsible bodies and workers
    return ctx.cached(
        ("screen-base", version, reference_version(ctx.store), user.scope.label(), lang),
        lambda: base_payload(ctx.store, user.scope, lang=lang),
    )


@blueprint.errorhandler(Rejected)
def _bad_request(exc: Rejected) -> tuple[flask.Response, int]:
    return flask.jsonify(error=str(exc)), 400


@blueprint.errorhandler(404)
def _not_found(_exc: Exception) -> tuple[flask.Response, int]:
    return flask.jsonify(error="not found"), 404


@blueprint.route("/<path:rest>", methods=["GET", "POST"])
def unknown(rest: str) -> tuple[flask.Response, int]:
    """Any other path under ``/screen/api/``: JSON 404, never Dash's page."""
    return _not_found(LookupError(rest))


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
    at = replay_instant(flask.request.args.get("at"), now=now, zoned=True)
    theme = _theme()
    with expensive(user.get_id()):
        body = picture_payload(
            ctx.store,
            user.scope,
            at=at,
            now=now,
            lang=current_language(ctx.config),
            tz=ctx.config.settings.calendar.timezone,
            calendar=ctx.calendar(),
            zoom=_zoom(user),
            defer_points_above=None
            if flask.request.args.get("points") == "1"
            else ctx.config.settings.map.hex_above_cases,
            case_majors=theme.case_majors,
            sensor_kinds=theme.sensor_kinds,
        )
    return flask.jsonify(body)


@blueprint.get("/case-points")
def case_points() -> flask.Response:
    user = _user()
    ctx = get_context()
    now = utcnow()
    at = replay_instant(flask.request.args.get("at"), now=now, zoned=True) or now
    with expensive(user.get_id()):
        body = case_points_payload(
            ctx.store,
            user.scope,
            at=at,
            lang=current_language(ctx.config),
            calendar=ctx.calendar(),
            case_majors=_theme().case_majors,
        )
    return flask.jsonify(body)


@blueprint.get("/changes")
def changes() -> flask.Response:
    user = _user()
    ctx = get_context()
    theme = _theme()
    body = changes_payload(
        ctx.store,
        user.scope,
        cursor_text=flask.request.args.get("cursor", ""),
        now=utcnow(),
        max_age=CURSOR_MAX_AGE,
        max_behind=CURSOR_MAX_BEHIND,
        lang=current_language(ctx.config),
        tz=ctx.config.settings.calendar.timezone,
        calendar=ctx.calendar(),
        zoom=_zoom(user),
        case_majors=theme.case_majors,
        sensor_kinds=theme.sensor_kinds,
    )
    return flask.jsonify(body)


@blueprint.get("/grid-colors")
def grid_colors() -> flask.Response:
    user = _user()
    ctx = get_context()
    mode = flask.request.args.get("mode", "")
    if mode not in GRID_MODES:
        raise Rejected(f"mode: one of {', '.join(GRID_MODES)}")
    now = utcnow()
    at = replay_instant(flask.request.args.get("at"), now=now, zoned=True) or now
    lang = current_language(ctx.config)
    with expensive(user.get_id()):
        body = grid_colors_payload(
            ctx.store, user.scope, _base(user, lang), mode=mode, at=at, calendar=ctx.calendar()
        )
    return flask.jsonify(body)


@blueprint.get("/attachment/<attachment_id>")
def attachment(attachment_id: str) -> flask.Response:
    """A case photo (older links): served as ``/photos/<id>`` serves it, one way for all."""
    _user()
    ctx = get_context()
    return photo_response(ctx.store, ctx.config, attachment_id, thumb=False)
