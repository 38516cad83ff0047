"""Responsible bodies and grid workers carried over to a new grid version: a cell the file
leaves without them takes those of the cell with the same code in the version being closed
(a value given in the file wins), so the 权责清单 survives a re-gridding. The rule is pure;
the reader of the closed version's cells takes any ``fetch(sql, params)``."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

#: Most codes a warning names (all are counted).
MAX_NAMED = 20
#: A cell's duty: responsible body (None when none) and grid workers.
Duty = tuple[str | None, tuple[str, ...]]
Fetch = Callable[..., list[tuple[Any, ...]]]


@dataclass(frozen=True)
class CarryOver:
    """The new version's bodies and workers after the carry-over, and what it did.

    ``kept_body`` / ``kept_workers``: cells that took the previous version's value;
    ``kept``: cells that took either; ``new_without_body`` / ``new_without_workers``: codes
    not in the previous version left without one (the admin fills them in the 权责清单).
    """

    bodies: list[str | None]
    workers: list[list[str]]
    previous_version: int | None
    kept_body: int
    kept_workers: int
    kept: int
    new_without_body: list[str]
    new_without_workers: list[str]

    def details(self) -> dict[str, Any]:
        """The counts for the load report (``FileResult.details``)."""
        return {
            "duties_from_version": self.previous_version,
            "cells_kept_body": self.kept_body,
            "cells_kept_workers": self.kept_workers,
            "new_cells_without_body": len(self.new_without_body),
            "new_cells_without_workers": len(self.new_without_workers),
        }

    def warnings(self) -> list[str]:
        """One warning naming the new codes left without a body or workers, if any."""
        missing = sorted(set(self.new_without_body) | set(self.new_without_workers))
        if not missing:
            return []
        shown = ", ".join(missing[:MAX_NAMED]) + (" ..." if len(missing) > MAX_NAMED else "")
        where = (
            f"not in version {self.previous_version}"
            if self.previous_version is not None
            else "of the first grid version"
        )
        return [
            f"{len(missing)} cell code(s) {where} have no responsible body "
            f"({len(self.new_without_body)}) or no grid workers "
            f"({len(self.new_without_workers)}): fill them in the responsibility list "
            f"(权责清单): {shown}"
        ]


def _body(value: str | None) -> str | None:
    text = (value or "").strip()
    return text or None


def carry_duties(
    codes: Sequence[str],
    bodies: Sequence[str | None],
    workers: Sequence[Sequence[str]],
    previous: Mapping[str, Duty],
    *,
    previous_version: int | None,
) -> CarryOver:
    """Fill each new cell's missing body and workers from ``previous`` (code → duty).

    Parameters
    ----------
    codes, bodies, workers
        The new version's cells as the file gives them (a blank body, no workers: not given).
    previous
        The duty of each cell of the version being closed, by code.
    previous_version
        That version's id (None before the first grid).

    Returns
    -------
    CarryOver
        The bodies and workers to write, and the counts for the report.
    """
    out_bodies: list[str | None] = []
    out_workers: list[list[str]] = []
    kept_body = kept_workers = kept = 0
    new_without_body: list[str] = []
    new_without_workers: list[str] = []
    for code, body, crew in zip(codes, bodies, workers, strict=True):
        given_body, given_crew = _body(body), [w for w in crew if w]
        old = previous.get(code)
        took = False
        if given_body is None and old is not None and _body(old[0]) is not None:
            given_body, took = _body(old[0]), True
            kept_body += 1
        if not given_crew and old is not None and old[1]:
            given_crew, took = list(old[1]), True
            kept_workers += 1
        kept += took
        if old is None and given_body is None:
            new_without_body.append(code)
        if old is None and not given_crew:
            new_without_workers.append(code)
        out_bodies.append(given_body)
        out_workers.append(given_crew)
    return CarryOver(
        out_bodies,
        out_workers,
        previous_version,
        kept_body,
        kept_workers,
        kept,
        new_without_body,
        new_without_workers,
    )


def current_duties(fetch: Fetch) -> tuple[int | None, dict[str, Duty]]:
    """The version in force (None before any grid) and its cells' duties by code; ``fetch``
    is ``Store.query_rows`` or, inside a write, ``WriteTx.fetch``."""
    found = fetch("SELECT max(version_id) FROM grid_versions WHERE valid_to IS NULL")
    version = found[0][0] if found else None
    if version is None:
        return None, {}
    rows = fetch(
        "SELECT cell_code, responsible_body, grid_workers FROM grid_cells WHERE version_id = ?",
        [version],
    )
    return int(version), {str(c): (b, tuple(w or ())) for c, b, w in rows}
