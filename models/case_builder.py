"""The one way a case is born, for one report or a batch of thousands: located, category
checked, routed with reasons, duplicates offered, numbered ``C<local date>-<number>`` from the
store's sequence and written through Arrow inside the caller's write transaction."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa

from models.bulk_routing import load_routing_tables, route_many
from models.config import CalendarSettings
from models.coordinates import coordinates_problem
from models.duplicates import find_duplicates
from models.routing import RouteSuggestion
from models.store import Store, WriteTx

#: (lon, lat) arrays → (cell codes or None, grid version); ingest provides the grid index.
Locate = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, int | None]]
#: What to do with a category the table does not know or has disabled: a person reporting
#: is told ("refuse"); a machine report is kept and flagged for re-categorising ("flag").
CategoryPolicy = Literal["refuse", "flag"]
DEFAULT_TIMEZONE: str = CalendarSettings.model_fields["timezone"].default
_TS = pa.timestamp("us")


@dataclass(frozen=True)
class NewReport:
    """One report to become a case.

    ``at`` is naive UTC. ``cell_code``/``grid_version`` may be given when the caller has
    located the point already (a sensor's cell); otherwise the builder locates it.
    ``area_code`` (a community's 12-digit code) fills the district/street/community codes of
    a report that lies in no cell. ``note`` is the first transition's note (default: the
    first 200 characters of ``text``).
    """

    category_code: str
    lon: float | None
    lat: float | None
    at: datetime
    source: str
    actor: str
    role: str = "operator"
    text: str | None = ""
    reporter: str | None = None
    external_id: str | None = None
    exercise: bool = False
    #: The logged-in user reporting (a person's channel), who keeps seeing the case.
    reported_by: str | None = None
    address: str | None = None
    note: str | None = None
    cell_code: str | None = None
    grid_version: int | None = None
    area_code: str | None = None


@dataclass(frozen=True)
class Refusal:
    """A report not turned into a case: its position in the input and why."""

    index: int
    reason: str


@dataclass
class CaseBatch:
    """Reports checked and routed, ready for :func:`write_cases` (reads done, no writes)."""

    reports: list[NewReport]
    index: list[int]  # each report's position in the input
    routes: list[RouteSuggestion]
    category_issue: list[str | None]
    refused: list[Refusal] = field(default_factory=list)
    tz: str = DEFAULT_TIMEZONE

    def __len__(self) -> int:
        return len(self.reports)


@dataclass(frozen=True)
class WrittenCases:
    """What :func:`write_cases` did, aligned with the batch's reports.

    ``case_ids`` holds None where a case with the same external id existed (a replay).
    """

    case_ids: list[str | None]
    duplicates: list[tuple[str, ...]]

    @property
    def created(self) -> int:
        return sum(1 for c in self.case_ids if c is not None)


def prepare_cases(
    store: Store,
    reports: Sequence[NewReport],
    *,
    locate: Locate | None = None,
    unknown_category: CategoryPolicy = "refuse",
    tz: str = DEFAULT_TIMEZONE,
) -> CaseBatch:
    """Check, locate and route ``reports`` in bulk (a few queries whatever their number).

    Parameters
    ----------
    store
        Read for categories, departments and cells.
    reports
        The reports; of several with the same external id the first is kept. A report
        whose coordinates are not a place on Earth (NaN, infinite, off the globe) is
        refused with the reason, whatever the source.
    locate
        Locates the reports given without a cell; without it they stay unlocated.
    unknown_category
        ``"refuse"``: a report whose category is unknown or disabled is refused with the
        reason. ``"flag"``: it is kept, routed to the city centre to triage and flagged.
    tz
        ``calendar.timezone``: the case id carries the report's local date.

    Returns
    -------
    CaseBatch
        The accepted reports with their routes, and the refusals.
    """
    enabled = dict(store.query_rows("SELECT category_code, enabled FROM categories"))
    kept: list[NewReport] = []
    index: list[int] = []
    issues: list[str | None] = []
    refused: list[Refusal] = []
    seen: set[str] = set()
    for i, r in enumerate(reports):
        if r.external_id is not None:
            if r.external_id in seen:  # a copy inside the batch: the first one wins
                refused.append(Refusal(i, f"external id {r.external_id!r} repeated in the batch"))
                continue
            seen.add(r.external_id)
        problem = coordinates_problem(r.lon, r.lat)
        if problem:  # refused before locating: a locator is not asked about NaN
            refused.append(Refusal(i, problem))
            continue
        state = enabled.get(r.category_code)
        issue = None if state else ("unknown" if state is None else "disabled")
        if issue and unknown_category == "refuse":
            refused.append(Refusal(i, f"{issue} category {r.category_code!r}"))
            continue
        kept.append(r)
        index.append(i)
        issues.append(issue)
    kept = _located(kept, locate)
    pairs = [(r.grid_version, r.cell_code) for r in kept]
    tables = load_routing_tables(store, pairs)
    routes = route_many([(r.category_code, v, c) for r, (v, c) in zip(kept, pairs)], tables)
    return CaseBatch(kept, index, routes, issues, refused, tz)


def _located(reports: list[NewReport], locate: Locate | None) -> list[NewReport]:
    todo = [
        i
        for i, r in enumerate(reports)
        if r.cell_code is None and r.lon is not None and r.lat is not None
    ]
    if locate is None or not todo:
        return reports
    lon = np.array([reports[i].lon for i in todo], float)
    lat = np.array([reports[i].lat for i in todo], float)
    cells, version = locate(lon, lat)
    out = list(reports)
    for i, cell in zip(todo, cells, strict=True):
        if cell is not None:
            out[i] = replace(out[i], cell_code=str(cell), grid_version=version)
        else:
            out[i] = replace(out[i], grid_version=version)
    return out


def local_days(moments: Sequence[datetime], tz: str) -> list[str]:
    """``YYYYMMDD`` of each naive-UTC moment in the time zone ``tz``."""
    if not moments:
        return []
    local = pd.DatetimeIndex(pd.to_datetime(list(moments))).tz_localize("UTC").tz_convert(tz)
    numbers = local.year * 10000 + local.month * 100 + local.day
    return [str(n) for n in numbers.tolist()]


def write_cases(tx: WriteTx, batch: CaseBatch) -> WrittenCases:
    """Write the batch's new cases, first transitions and routing events in ``tx``.

    Reports whose external id is stored already create nothing and draw no number. Case
    numbers come from the store's sequence, so ids never collide across sources or days.
    """
    n = len(batch)
    if n == 0:
        return WrittenCases([], [])
    reports = batch.reports
    external = [r.external_id for r in reports]
    existing: set[str] = set()
    if any(e is not None for e in external):
        probe = pa.table({"external_id": pa.array(external, pa.string())})
        with tx.registered(probe) as name:
            existing = {
                row[0]
                for row in tx.fetch(
                    f"SELECT c.external_id FROM cases c JOIN {name} p USING (external_id)"
                )
            }
    new = [i for i, e in enumerate(external) if e is None or e not in existing]
    case_ids: list[str | None] = [None] * n
    duplicates: list[tuple[str, ...]] = [()] * n
    if not new:
        return WrittenCases(case_ids, duplicates)
    numbers = sorted(
        row[0] for row in tx.fetch("SELECT nextval('case_number_seq') FROM range(?)", [len(new)])
    )
    days = local_days([reports[i].at for i in new], batch.tz)
    for i, day, number in zip(new, days, numbers, strict=True):
        case_ids[i] = f"C{day}-{number:06d}"
    rows = [reports[i] for i in new]
    ids = [case_ids[i] for i in new]
    found = _duplicates(tx, rows, ids)
    for i, cid in zip(new, ids, strict=True):
        duplicates[i] = found.get(cid or "", ())
    routes = [batch.routes[i] for i in new]
    issues = [batch.category_issue[i] for i in new]
    tx.append("cases", _case_table(rows, ids, routes, issues))
    tx.append("case_transitions", _transition_table(rows, ids))
    tx.append("case_events", _event_table(rows, ids, routes, issues, [duplicates[i] for i in new]))
    return WrittenCases(case_ids, duplicates)


def _duplicates(tx: WriteTx, rows: list[NewReport], ids: list[str | None]) -> dict[str, tuple]:
    """Each located report's possible duplicates (:mod:`models.duplicates` defines them)."""
    located = [(cid, r) for cid, r in zip(ids, rows) if r.lon is not None and r.lat is not None]
    return find_duplicates(
        tx,
        [cid for cid, _ in located],
        [r.category_code for _, r in located],
        [r.lon for _, r in located],  # type: ignore[misc]
        [r.lat for _, r in located],  # type: ignore[misc]
        [r.at for _, r in located],
    )


def _case_table(
    rows: list[NewReport],
    ids: list[str | None],
    routes: list[RouteSuggestion],
    issues: list[str | None],
) -> pa.Table:
    area = [r.cell_code or r.area_code for r in rows]
    return pa.table(
        {
            "case_id": pa.array(ids, pa.string()),
            "external_id": pa.array([r.external_id for r in rows], pa.string()),
            "source": pa.array([r.source for r in rows], pa.string()),
            "category_code": pa.array([r.category_code for r in rows], pa.string()),
            "lon": pa.array([r.lon for r in rows], pa.float64()),
            "lat": pa.array([r.lat for r in rows], pa.float64()),
            "address": pa.array([r.address for r in rows], pa.string()),
            "description": pa.array([r.text for r in rows], pa.string()),
            "reporter": pa.array([r.reporter or r.actor for r in rows], pa.string()),
            "reported_by": pa.array([r.reported_by for r in rows], pa.string()),
            "reported_at": pa.array([r.at for r in rows], _TS),
            "grid_version": pa.array(
                [r.grid_version if r.cell_code else None for r in rows], pa.int32()
            ),
            "cell_code": pa.array([r.cell_code for r in rows], pa.string()),
            "district_code": pa.array([a[:6] if a else None for a in area], pa.string()),
            "street_code": pa.array([a[:9] if a else None for a in area], pa.string()),
            "community_code": pa.array([a[:12] if a else None for a in area], pa.string()),
            "exercise": pa.array([bool(r.exercise) for r in rows], pa.bool_()),
            "stage": pa.array(["reported"] * len(rows), pa.string()),
            "assigned_unit": pa.array([x.unit for x in routes], pa.string()),
            "assignee": pa.array([x.assignee for x in routes], pa.string()),
            "category_issue": pa.array(issues, pa.string()),
        }
    )


def _transition_table(rows: list[NewReport], ids: list[str | None]) -> pa.Table:
    n = len(rows)
    return pa.table(
        {
            "case_id": pa.array(ids, pa.string()),
            "seq": pa.array([1] * n, pa.int32()),
            "occurred_at": pa.array([r.at for r in rows], _TS),
            "actor": pa.array([r.actor for r in rows], pa.string()),
            "role": pa.array([r.role for r in rows], pa.string()),
            "action": pa.array(["report"] * n, pa.string()),
            "from_stage": pa.array([None] * n, pa.string()),
            "to_stage": pa.array(["reported"] * n, pa.string()),
            "note": pa.array(
                [r.note if r.note is not None else (r.text or "")[:200] or None for r in rows],
                pa.string(),
            ),
        }
    )


def route_detail(
    route: RouteSuggestion, *, duplicates: Sequence[str] = (), category_issue: str | None = None
) -> str:
    """The JSON detail of a ``route_suggested`` case event."""
    return _route_prefix(route, category_issue) + json.dumps(list(duplicates)) + "}"


def _route_prefix(route: RouteSuggestion, category_issue: str | None) -> str:
    detail: dict[str, object] = {
        "unit": route.unit,
        "assignee": route.assignee,
        "basis": route.basis,
        "reasons": list(route.reasons),
        "reason_codes": [[code, values] for code, values in route.codes],
    }
    if category_issue:
        detail["category_issue"] = category_issue
    return json.dumps(detail, ensure_ascii=False)[:-1] + ', "duplicates": '


def _event_table(
    rows: list[NewReport],
    ids: list[str | None],
    routes: list[RouteSuggestion],
    issues: list[str | None],
    duplicates: list[tuple[str, ...]],
) -> pa.Table:
    n = len(rows)
    return pa.table(
        {
            "case_id": pa.array(ids, pa.string()),
            "seq": pa.array([1] * n, pa.int32()),
            "occurred_at": pa.array([r.at for r in rows], _TS),
            "actor": pa.array(["routing"] * n, pa.string()),
            "kind": pa.array(["route_suggested"] * n, pa.string()),
            "detail": pa.array(_details(routes, duplicates, issues), pa.string()),
        }
    )


def _details(
    routes: list[RouteSuggestion], duplicates: list[tuple[str, ...]], issues: list[str | None]
) -> list[str]:
    # many reports of a batch share a route (same cell and category): encode each once
    prefixes: dict[tuple, str] = {}
    out = []
    for route, found, issue in zip(routes, duplicates, issues, strict=True):
        key = (route.unit, route.assignee, route.basis, route.reasons, issue)
        prefix = prefixes.get(key)
        if prefix is None:
            prefix = prefixes[key] = _route_prefix(route, issue)
        out.append(prefix + (json.dumps(list(found)) if found else "[]") + "}")
    return out
