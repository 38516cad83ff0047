"""The app factory (composition root) and the production WSGI server."""

from __future__ import annotations

import importlib
import logging
import signal
from typing import Any
from urllib.parse import urlsplit

import dash
import flask
from werkzeug.exceptions import HTTPException

from app.api import install_api, unknown_api_path
from app.auth import current_user, install_auth
from app.bounds import install_request_bounds
from app.cap_feed import install_cap_feed
from app.commands import start_control
from app.context import EXTENSION_KEY, AppContext
from app.i18n import t
from app.open311 import install_open311
from app.pages.screen.api import blueprint as screen_api
from app.paths import ASSETS
from app.photos import install_photos
from app.runtime import Background, start_background
from app.shell import register_shell_callbacks, shell_layout
from models.config import Config
from models.security import is_city_admin
from models.store import Store

log = logging.getLogger(__name__)

_PAGE_MODULES = (
    "app.pages.screen.layout",
    "app.pages.screen.callbacks",
    "app.pages.admin.page",
    "app.pages.dispatch.page",
    "app.pages.field.page",
    "app.pages.cockpit.page",
    "app.pages.emergency.page",
    "app.pages.coming",
)


#: Methods the /api/ catch-all answers (JSON 404/405) instead of Flask's HTML page.
_API_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]

#: No page of ours may be framed by another site (clickjacking), old browsers and new.
FRAME_ANCESTORS = "frame-ancestors 'none'"
#: Headers every answer carries, public or not.
SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def content_security_connect(tile_url: str | None) -> str:
    """The Content-Security-Policy that keeps the browser's fetches and workers on this
    server (plus the configured tile server's origin, when it is elsewhere)."""
    sources = ["'self'"]
    if tile_url and tile_url.startswith(("http://", "https://")):
        parts = urlsplit(tile_url)
        sources.append(f"{parts.scheme}://{parts.netloc}")
    allowed = " ".join(sources)
    return (
        f"connect-src {allowed}; worker-src 'self' blob:; img-src {allowed} data: blob:; "
        f"{FRAME_ANCESTORS}"
    )


def create_app(config: Config, store: Store, *, background: Background | None = None) -> dash.Dash:
    """Build the Flask server with log-in and the Dash pages on it."""
    server = flask.Flask("cityops")
    ctx = AppContext(config=config, store=store, background=background)
    server.extensions[EXTENSION_KEY] = ctx
    install_auth(server, config=config, store=store)
    install_open311(server, config=config, store=store)
    install_cap_feed(server, config=config, store=store)  # public CAP feed, after Open311's gate
    server.register_blueprint(screen_api)
    install_api(server, config=config, store=store)
    install_photos(server, config=config, store=store)

    connect = content_security_connect(config.settings.map.tile_url)

    @server.after_request
    def _no_outside_fetches(response: flask.Response) -> flask.Response:
        # The vendored deck.gl bundle names CDN addresses (h3-js, loader workers, draco) for
        # features the map does not use: the browser is told to refuse any such fetch.
        policy = response.headers.setdefault("Content-Security-Policy", connect)
        if "frame-ancestors" not in policy:
            response.headers["Content-Security-Policy"] = f"{policy}; {FRAME_ANCESTORS}"
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    def _health() -> tuple[dict[str, object], int]:
        body: dict[str, object] = {"status": "ok", "schema_version": store.schema_version}
        if ctx.background is not None:
            ingest = ctx.background.health()
            body["ingest"], body["status"] = ingest, ingest["status"]
        return body, 200 if body["status"] == "ok" else 503

    @server.route("/health")
    def health() -> tuple[flask.Response, int]:
        # public: up or down and the schema version, nothing else; 503 when ingest is
        # degraded (worker down, stalled, broker away), so probes see it
        body, code = _health()
        return flask.jsonify(status=body["status"], schema_version=body["schema_version"]), code

    @server.route("/health/details")
    def health_details() -> tuple[flask.Response, int]:
        # the ingest counters and problems: an admin's of the whole city (the gate sends
        # others to log in)
        user = current_user()
        if user is None or not is_city_admin(user.role, user.scope):
            return flask.jsonify(error="for admins only"), 403
        body, code = _health()
        return flask.jsonify(body), code

    @server.route("/favicon.ico")
    def favicon() -> flask.Response:
        # public and static: never the Dash page (which names Dash, Plotly and Python versions)
        return flask.send_from_directory(
            ASSETS, "favicon.ico", mimetype="image/x-icon", max_age=86400
        )

    @server.route("/api/", defaults={"rest": ""}, methods=_API_METHODS)
    @server.route("/api/<path:rest>", methods=_API_METHODS)
    def api_unknown(rest: str) -> flask.Response:
        # an /api/ path no endpoint took: JSON 404 (405 where one lives under other
        # methods), never Dash's page
        return unknown_api_path(flask.request.path, flask.request.method)

    @server.route("/lang/<code>/<path:rest>")
    def lang_unknown(code: str, rest: str) -> tuple[str, int]:
        # /lang/ is open without log-in: a deeper path must not fall through to Dash's page
        return "not found", 404

    app = dash.Dash(
        "cityops",
        server=server,
        use_pages=True,
        pages_folder="",
        assets_folder=str(ASSETS),
        serve_locally=True,
        title=t("app.title", config.settings.ui.language),
        update_title=None,
        suppress_callback_exceptions=True,
        compress=True,
        on_error=_callback_failed,
    )
    for module in _PAGE_MODULES:
        importlib.import_module(module)
    _share_page_callbacks()
    app.layout = shell_layout
    register_shell_callbacks(app)
    install_request_bounds(app)  # after the log-in gate: callback bodies of the declared shape
    return app


def _callback_failed(exc: Exception) -> None:
    """A callback raised: log it with the callback's output and answer no update (204), never
    a 500 page. Callbacks refuse bad input themselves; this is the net under a bug. An HTTP
    answer a callback gives on purpose (the per-user bound's 429) goes out as it is."""
    if isinstance(exc, HTTPException):
        raise exc
    output = getattr(flask.request, "json", None) if flask.has_request_context() else None
    target = output.get("output") if isinstance(output, dict) else None
    log.error("callback failed", exc_info=exc, extra={"callback": str(target)[:200]})


#: The pages' ``dash.callback`` registrations as first made in this process. Dash moves them
#: from its global registry into the first app it sets up, so a second app built by this
#: factory (the tests build several) would answer none of them: each app gets them back.
_PAGE_CALLBACKS: dict[str, Any] = {}


def _share_page_callbacks() -> None:
    from dash import _callback

    if not _PAGE_CALLBACKS:
        _PAGE_CALLBACKS["map"] = dict(_callback.GLOBAL_CALLBACK_MAP)
        _PAGE_CALLBACKS["list"] = list(_callback.GLOBAL_CALLBACK_LIST)
        return
    missing = set(_PAGE_CALLBACKS["map"]) - set(_callback.GLOBAL_CALLBACK_MAP)
    for key in missing:
        _callback.GLOBAL_CALLBACK_MAP[key] = _PAGE_CALLBACKS["map"][key]
    _callback.GLOBAL_CALLBACK_LIST.extend(
        spec for spec in _PAGE_CALLBACKS["list"] if spec["output"] in missing
    )


def serve(
    config: Config,
    store: Store,
    *,
    host: str,
    port: int,
    allow_embedded_broker: bool = False,
    simulate: bool = False,
    scenario: str | None = None,
) -> None:
    """Serve with waitress: one process, several threads, so the single writer lives here.

    MQTT ingest runs in the same process (DuckDB admits one process per file); it retries
    in the background while the broker is away and the pages keep serving.
    """
    from waitress import create_server

    background = start_background(
        config, store, allow_embedded=allow_embedded_broker, simulate=simulate, scenario=scenario
    )
    app = create_app(config, store, background=background)
    control = start_control(config, store)  # CLI commands run here while we hold the file
    server = create_server(
        app.server, host=host, port=port, threads=config.settings.server.threads, ident="cityops"
    )
    log.info(
        "listening",
        extra={
            "url": f"http://{host}:{server.effective_port}/",
            "host": host,
            "port": server.effective_port,
            "threads": config.settings.server.threads,
        },
    )

    def shutdown(signum: int, _frame: object) -> None:
        log.info("stopping", extra={"signal": signum})
        raise KeyboardInterrupt  # unwinds run(); the finally commits and stops ingest

    signal.signal(signal.SIGTERM, shutdown)
    try:
        server.run()
    finally:
        server.close()
        if control is not None:
            control.stop()
        background.stop()
