"""Re-ingesting dead letters with this server's ingest settings (the admin page and
`cityops deadletters reingest` both come here)."""

from __future__ import annotations

from collections.abc import Iterable

from ingest.locate import store_locator
from ingest.reingest import ReingestOptions, ReingestResult, reingest_dead_letters
from ingest.time_window import TimeWindow
from models.clock import utcnow
from models.config import Config
from models.store import Store


def reingest_options(config: Config, store: Store) -> ReingestOptions:
    """The options the live MQTT ingest runs with (see :mod:`app.runtime`)."""
    settings = config.settings
    return ReingestOptions(
        locate=store_locator(store, metric_crs=settings.map.metric_crs),
        prefix=settings.mqtt.topic_prefix,
        window=TimeWindow.from_settings(settings.ingest),
        tz=settings.calendar.timezone,
        arrival_radius_m=settings.emergency.arrival_radius_m,
    )


def reingest(
    config: Config, store: Store, ids: Iterable[int], *, actor: str
) -> list[ReingestResult]:
    """Send the dead letters ``ids`` through ingest again as ``actor`` (an admin)."""
    options = reingest_options(config, store)
    return reingest_dead_letters(store, ids, actor=actor, now=utcnow(), options=options)
