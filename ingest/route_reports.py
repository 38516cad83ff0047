"""Checking and routing the reports of an ingest batch before it is written (reads only)."""

from __future__ import annotations

from ingest.rows import BatchRows
from models.case_builder import DEFAULT_TIMEZONE, prepare_cases
from models.store import Store


def attach_routes(store: Store, rows: BatchRows, *, tz: str = DEFAULT_TIMEZONE) -> None:
    """Prepare the batch's new cases with the one case builder: category checked, routed.

    A report over MQTT is never refused for its category: an unknown or disabled one is
    kept, routed to the city centre to triage and flagged for re-categorising.
    """
    if rows.reports:
        rows.cases = prepare_cases(store, rows.reports, unknown_category="flag", tz=tz)
