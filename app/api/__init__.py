"""The JSON API under /api/v1 (issue 11): cases, actions, photos, categories, OpenAPI.

Every answer is JSON; refusals are ``{"error": ..., "allowed_actions": [...]}`` with the
status of the case service's refusal (404 outside scope, 403 role, 409 stage or a
concurrent change, 422 bad data) or of the request's own checks (400, 413, 415).
Credentials are the session cookie or ``Authorization: Bearer`` (see :mod:`app.auth`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import flask
from werkzeug.exceptions import MethodNotAllowed, NotFound, RequestEntityTooLarge

from app.api import (
    actions,
    alerts,
    cases,
    incidents,
    indicators,
    openapi,
    photos,
    queue,
    reports,
    users,
)
from app.api.errors import ApiError
from app.api.exports import ROUTES as EXPORT_ROUTES
from models.config import Config
from models.store import Store

PREFIX = "/api/v1"
BLUEPRINT = "api_v1"
#: (path under the prefix, methods, view): the whole API; the OpenAPI test walks this.
ROUTES: tuple[tuple[str, tuple[str, ...], Callable[..., Any]], ...] = (
    ("/cases", ("GET",), queue.list_cases),
    ("/cases", ("POST",), cases.report),
    ("/cases/actions", ("POST",), actions.bulk_action),
    ("/cases/<case_id>", ("GET",), queue.get_case),
    ("/cases/<case_id>/actions", ("POST",), actions.case_action),
    ("/cases/<case_id>/claim", ("POST", "DELETE"), actions.case_claim),
    ("/cases/<case_id>/photos", ("POST",), photos.add_case_photo),
    ("/categories", ("GET",), cases.categories),
    ("/indicators", ("GET",), indicators.list_indicators),
    ("/reports", ("GET",), reports.list_all),
    ("/reports/<kind>/<file>", ("GET",), reports.report_file),
    ("/alerts", ("GET",), alerts.list_alerts),
    ("/alerts", ("POST",), alerts.create_alert),
    ("/alerts/<identifier>", ("GET",), alerts.get_alert),
    ("/alerts/<identifier>", ("PATCH",), alerts.edit_alert),
    ("/alerts/<identifier>/approve", ("POST",), alerts.approve_alert),
    ("/alerts/<identifier>/publish", ("POST",), alerts.publish_alert),
    ("/alerts/<identifier>/update", ("POST",), alerts.update_alert),
    ("/alerts/<identifier>/cancel", ("POST",), alerts.cancel_alert),
    *incidents.ROUTES,
    *EXPORT_ROUTES,
    ("/users", ("GET",), users.users_list),
    ("/users", ("POST",), users.user_create),
    ("/users/<username>", ("GET",), users.user_get),
    ("/users/<username>", ("PATCH",), users.user_patch),
    ("/openapi.json", ("GET",), openapi.serve_document),
)


def install_api(server: flask.Flask, *, config: Config, store: Store) -> None:
    """Register the /api/v1 routes on ``server`` (the app factory's context holds the
    config and store the views use)."""
    bp = flask.Blueprint(BLUEPRINT, __name__, url_prefix=PREFIX)
    for path, methods, view in ROUTES:
        bp.add_url_rule(path, view_func=view, methods=list(methods))
    bp.register_error_handler(ApiError, lambda exc: exc.response())
    bp.register_error_handler(
        RequestEntityTooLarge, lambda _e: ApiError(413, "the body is too large").response()
    )
    server.register_blueprint(bp)

    @server.errorhandler(MethodNotAllowed)
    def _method_not_allowed(exc: MethodNotAllowed) -> Any:
        # a method no rule takes at all (the /api/ catch-all takes the usual ones)
        if flask.request.path.startswith("/api/"):
            return ApiError(405, "method not allowed").response()
        return exc


def unknown_api_path(path: str, method: str) -> flask.Response:
    """The answer for an /api/ path no endpoint took: 405 (with ``Allow``) when an endpoint
    lives there under other methods, else 404; JSON either way, never Dash's page."""
    adapter = flask.current_app.url_map.bind("localhost")
    allowed = []
    for other in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        if other == method:
            continue
        try:
            endpoint, _args = adapter.match(path, method=other)
        except (NotFound, MethodNotAllowed):
            continue
        except Exception:  # a redirect or other routing answer: not an endpoint here
            continue
        if endpoint.startswith(BLUEPRINT + "."):
            allowed.append(other)
    if allowed:
        return ApiError(
            405, f"{method} is not allowed here; use {', '.join(allowed)}", None,
            {"Allow": ", ".join(allowed)},
        ).response()  # fmt: skip
    return ApiError(404, "not found").response()
