"""What every page and callback needs: the config, the store and shared caches."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import flask

from app.runtime import Background
from models.calendar_in_force import calendar_in_force
from models.config import Config
from models.store import Store
from models.work_calendar import WorkCalendar

T = TypeVar("T")
EXTENSION_KEY = "cityops"


@dataclass
class AppContext:
    config: Config
    store: Store
    background: Background | None = None
    _cache: dict[Any, Any] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def cached(self, key: Any, build: Callable[[], T]) -> T:
        """Build once per key (the key names the data version it depends on)."""
        with self._lock:
            if key in self._cache:
                return self._cache[key]  # type: ignore[no-any-return]
        value = build()
        with self._lock:
            self._cache.setdefault(key, value)
            return self._cache[key]  # type: ignore[no-any-return]

    def calendar(self) -> WorkCalendar:
        """The working calendar of new deadlines: the config's plus the admin's saved days,
        built again when a new version is saved (keyed by its ``doc_version``)."""
        return calendar_in_force(self.store, self.config.settings.calendar)


def get_context() -> AppContext:
    ctx: AppContext = flask.current_app.extensions[EXTENSION_KEY]
    return ctx
