"""Routing the reports of an ingest batch before they are written (reads reference data)."""

from __future__ import annotations

import json

import pyarrow as pa

from ingest.rows import TS, BatchRows
from models.bulk_routing import load_routing_tables, route_many
from models.store import Store


def attach_routes(store: Store, rows: BatchRows) -> None:
    """Give each new case its suggested unit and assignee, and the routing event with reasons."""
    cases = rows.cases
    if cases is None or cases.num_rows == 0:
        return
    versions = cases.column("grid_version").to_pylist()
    cells = cases.column("cell_code").to_pylist()
    categories = cases.column("category_code").to_pylist()
    tables = load_routing_tables(store, list(zip(versions, cells, strict=True)))
    routes = route_many(list(zip(categories, versions, cells, strict=True)), tables)
    rows.cases = cases.append_column(
        "assigned_unit", pa.array([r.unit for r in routes])
    ).append_column("assignee", pa.array([r.assignee for r in routes], pa.string()))
    rows.route_events = pa.table(
        {
            "case_id": cases.column("case_id"),
            "seq": pa.array([1] * cases.num_rows, pa.int32()),
            "occurred_at": cases.column("reported_at").cast(TS),
            "actor": ["routing"] * cases.num_rows,
            "kind": ["route_suggested"] * cases.num_rows,
            "detail": [
                json.dumps(
                    {
                        "unit": r.unit,
                        "assignee": r.assignee,
                        "basis": r.basis,
                        "reasons": list(r.reasons),
                    },
                    ensure_ascii=False,
                )
                for r in routes
            ],
        }
    )
