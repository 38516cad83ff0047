"""Reading emergency resources (应急资源) from the store: the units with their district's
name, and the status board's counts by kind and status.

Scope: a district (or narrower) scope sees the resources of its districts and the city's own
(no district); a unit scope (a handler's departments) holds no place and sees none. The
nearest-units ranking reads every district's units (mutual aid across districts) and marks
each with its district: see :mod:`models.emergency.nearest`.
"""

from __future__ import annotations

import pandas as pd

from models.security import Scope
from models.store import Store
from models.vocabulary import RESOURCE_KINDS, UNIT_STATUSES

#: Kinds that move and report their position over MQTT; the others stay where they are.
MOBILE_KINDS: tuple[str, ...] = ("team", "vehicle")

UNIT_COLUMNS: tuple[str, ...] = (
    "resource_id", "kind", "subtype", "name_zh", "name_en", "status", "capacity", "occupancy",
    "stock", "district_code", "district_zh", "district_en", "lon", "lat", "position_at",
)  # fmt: skip


def scope_district_codes(scope: Scope | None) -> list[str] | None:
    """District codes a scope covers; None for the whole city, [] for a unit scope."""
    if scope is None or scope.kind == "city":
        return None
    if scope.kind == "unit":
        return []
    return sorted({code[:6] for code in scope.codes})


def _where(kind: str | None, scope: Scope | None) -> tuple[str, list[object]]:
    clauses, params = ["TRUE"], []
    if kind is not None:
        clauses.append("r.kind = ?")
        params.append(kind)
    districts = scope_district_codes(scope)
    if districts is not None:
        if not districts:
            clauses.append("FALSE")
        else:
            clauses.append("(r.district_code IS NULL OR list_contains(?, r.district_code))")
            params.append(districts)
    return " AND ".join(clauses), params


def load_units(
    store: Store, *, kind: str | None = None, scope: Scope | None = None
) -> pd.DataFrame:
    """Resources as they stand now (their latest reported position and status), ordered by id.

    Parameters
    ----------
    kind
        Only this resource kind (``team``, ``vehicle``, ``depot``, ``shelter``, ``expert``).
    scope
        Only the resources this scope sees (see the module); None: all.

    Returns
    -------
    pandas.DataFrame
        :data:`UNIT_COLUMNS`; ``district_zh``/``district_en`` from admin_areas (None when the
        code is unknown), ``position_at`` naive UTC (None when never reported).
    """
    where, params = _where(kind, scope)
    return store.query_df(
        "SELECT r.resource_id, r.kind, r.subtype, r.name_zh, r.name_en, r.status, r.capacity, "
        "r.occupancy, r.stock, r.district_code, d.name_zh AS district_zh, "
        "d.name_en AS district_en, r.lon, r.lat, r.position_at FROM resources r "
        "LEFT JOIN admin_areas d ON d.code = r.district_code AND d.level = 'district' "
        f"WHERE {where} ORDER BY r.resource_id",
        params,
    )


def sendable_units(store: Store, scope: Scope) -> set[str] | None:
    """The units a command of ``scope`` may order out: a district's its own district's and
    the city's (mutual aid from another district goes through the city's command); None for
    the city's command (every unit)."""
    if scope.kind == "city":
        return None
    where, params = _where(None, scope)
    rows = store.query_rows(f"SELECT r.resource_id FROM resources r WHERE {where}", params)
    return {str(r[0]) for r in rows}


def status_board(store: Store, *, scope: Scope | None = None) -> dict[str, dict[str, int]]:
    """Counts of resources by kind and status (每类资源各状态数量), every kind and status
    present (zero when none), in the vocabulary's order; a status outside the vocabulary
    is counted under its own name."""
    where, params = _where(None, scope)
    rows = store.query_rows(
        f"SELECT r.kind, r.status, count(*) FROM resources r WHERE {where} "
        "GROUP BY r.kind, r.status",
        params,
    )
    board = {kind: dict.fromkeys(UNIT_STATUSES, 0) for kind in RESOURCE_KINDS}
    for kind, status, count in rows:
        board.setdefault(kind, dict.fromkeys(UNIT_STATUSES, 0))[status] = int(count)
    return board
