"""CAP 1.2 XML files: one alert per file, stored in alerts as an imported inbound warning."""

from __future__ import annotations

from ingest.cap import CapAlertRecord, parse_cap
from ingest.cap_references import referenced_identifiers, stolen_reference
from ingest.cap_write import alert_row, to_cap_xml
from ingest.files.report import FileFailure, Plan, Written
from ingest.files.source import Context, Source
from ingest.sink import referenced_senders
from models.store import WriteTx


def prepare_cap(source: Source, ctx: Context) -> Plan | FileFailure:
    """Parse the file; the plan inserts the alert unless its identifier is already stored."""
    data = source.data()
    record = parse_cap(data, metric_crs=ctx.metric_crs, now=ctx.now, window=ctx.window)
    if not isinstance(record, CapAlertRecord):
        return FileFailure(f"CAP refused: {record.reason}")
    try:
        xml = data.decode("utf-8").lstrip("\ufeff")
    except UnicodeDecodeError:
        xml = to_cap_xml(record)  # another declared encoding: keep an equivalent UTF-8 text
    row = alert_row(record, xml)
    refs = referenced_identifiers(record.msg_type, record.references)
    known = referenced_senders(ctx.store.query_rows, list(refs))
    if reason := stolen_reference(record.sender, record.msg_type, record.references, known):
        return FileFailure(f"CAP refused: {reason}")

    def write(tx: WriteTx) -> Written:
        if tx.fetch("SELECT 1 FROM alerts WHERE identifier = ?", [record.identifier]):
            return Written(0, duplicates=1)
        # checked again in the transaction: the referenced alert may have arrived meanwhile
        if stolen_reference(
            record.sender,
            record.msg_type,
            record.references,
            referenced_senders(tx.fetch, list(refs)),
        ):
            raise ValueError("CAP refused: the referenced alert is another sender's")
        columns = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        tx.execute(f"INSERT INTO alerts ({columns}) VALUES ({marks})", list(row.values()))
        return Written(1, details={"identifier": record.identifier})

    details = {
        "identifier": record.identifier,
        "status": record.status,
        "severity": record.severity,
    }
    return Plan("cap", 1, write, line_unit="alert", details=details)
