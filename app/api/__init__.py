"""The JSON API under /api/v1 (issue 11): cases, actions, photos, categories, OpenAPI."""

from __future__ import annotations

import flask

from models.config import Config
from models.store import Store


def install_api(server: flask.Flask, *, config: Config, store: Store) -> None:
    """Register the /api/v1 routes on ``server`` (filled in by the case API)."""
