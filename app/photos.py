"""Case photos over HTTP (issue 11): the image and its thumbnail, only within one's scope."""

from __future__ import annotations

import flask

from models.config import Config
from models.store import Store


def install_photos(server: flask.Flask, *, config: Config, store: Store) -> None:
    """Register the photo routes on ``server`` (filled in with the photo store)."""
