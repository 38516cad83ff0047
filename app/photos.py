"""Case photos over HTTP (issue 11): the image and its thumbnail, only within one's scope.

The one way a photo is served: ``/photos/<id>`` and ``/photos/<id>/thumb``, for every screen
(the wall's card, the dispatch pane, the field app) and the API's ``url``/``thumb_url``.
Logged-in users only (the log-in gate of :mod:`app.auth` stands before these routes); a
photo of a case outside the user's scope is answered exactly like an unknown one (404).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import flask

from app.auth import current_language, current_user
from app.i18n import t
from models.attachments import ATTACHMENT_ID_RE, photo_file, sweep_orphans
from models.config import Config
from models.store import Store

log = logging.getLogger(__name__)

#: Browsers keep a photo for an hour, never a shared cache: a scope may change.
CACHE_CONTROL = "private, max-age=3600"


def _error(status: int, key: str, config: Config) -> flask.Response:
    answer = flask.jsonify(error=t(key, current_language(config)))
    answer.status_code = status
    answer.headers["Cache-Control"] = "no-store"
    return answer


def photo_response(
    store: Store, config: Config, attachment_id: str, *, thumb: bool
) -> flask.Response:
    """The photo (or its thumbnail) for the logged-in user, or a JSON 401/404."""
    user = current_user()
    if user is None:  # the gate answered already; kept for safety
        return _error(401, "photos.login_required", config)
    if not ATTACHMENT_ID_RE.match(attachment_id or ""):
        return _error(404, "photos.not_found", config)
    try:
        found = photo_file(
            store, user.scope, attachment_id, thumb=thumb, photo_dir=Path(config.photo_dir)
        )
    except OSError:  # an unreadable folder: not found, never a 500
        found = None
    if found is None:
        return _error(404, "photos.not_found", config)
    path, media_type = found
    answer = flask.send_file(path, mimetype=media_type, conditional=True, etag=True)
    answer.headers["Cache-Control"] = CACHE_CONTROL
    return answer


def install_photos(server: flask.Flask, *, config: Config, store: Store) -> None:
    """Register ``/photos/<id>`` and ``/photos/<id>/thumb`` on ``server``; any other path
    under ``/photos/`` answers a JSON 404 (not the Dash page of the catch-all route).

    Files a crash left without their row (older than an hour) are swept once here.
    """
    try:
        swept = sweep_orphans(store, Path(config.photo_dir), now=time.time())
    except OSError as exc:  # an unreadable folder must not stop the server
        log.warning("photo folder not swept: %s", exc)
    else:
        if swept:
            log.info("photo files without a row removed", extra={"count": len(swept)})

    @server.get("/photos/<attachment_id>")
    def photo(attachment_id: str) -> flask.Response:
        return photo_response(store, config, attachment_id, thumb=False)

    @server.get("/photos/<attachment_id>/thumb")
    def photo_thumb(attachment_id: str) -> flask.Response:
        return photo_response(store, config, attachment_id, thumb=True)

    @server.get("/photos/")
    @server.get("/photos/<path:rest>")
    def photo_unknown(rest: str = "") -> flask.Response:
        return _error(404, "photos.not_found", config)
