"""Checking and routing the reports of an ingest batch before it is written (reads only)."""

from __future__ import annotations

import json

import pyarrow as pa

from ingest.payloads import Rejected
from ingest.rows import BatchRows, dead_letter_table
from models.case_builder import DEFAULT_TIMEZONE, NewReport, prepare_cases
from models.store import Store

#: Topic recorded on the dead letter of a report the builder refused after parsing.
REFUSED_REPORT_TOPIC = "case-builder/refused"


def attach_routes(store: Store, rows: BatchRows, *, tz: str = DEFAULT_TIMEZONE) -> None:
    """Prepare the batch's new cases with the one case builder: category checked, routed.

    A report over MQTT is never refused for its category: an unknown or disabled one is
    kept, routed to the city centre to triage and flagged for re-categorising. A report the
    builder refuses for another reason (coordinates not on Earth) becomes a dead letter with
    the reason; a copy repeated inside the batch is a replay and is simply dropped.
    """
    if not rows.reports:
        return
    rows.cases = prepare_cases(store, rows.reports, unknown_category="flag", tz=tz)
    refused = [
        Rejected(REFUSED_REPORT_TOPIC, _payload(rows.reports[r.index]), r.reason)
        for r in rows.cases.refused
        if "repeated in the batch" not in r.reason
    ]
    if refused:
        letters = dead_letter_table(refused, received_at=rows.received_at or rows.reports[0].at)
        rows.dead_letters = (
            letters
            if rows.dead_letters is None
            else pa.concat_tables([rows.dead_letters, letters.cast(rows.dead_letters.schema)])
        )


def _payload(report: NewReport) -> bytes:
    fields = {
        "external_id": report.external_id,
        "category_code": report.category_code,
        "lon": repr(report.lon),
        "lat": repr(report.lat),
        "source": report.source,
        "at": report.at.isoformat(),
        "text": report.text,
    }
    return json.dumps(fields, ensure_ascii=False).encode()
