"""Routing many located reports at once: reference data read once, then the pure rule."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from models.routing import (
    CategoryInfo,
    CellInfo,
    RouteSuggestion,
    route_case,
    unknown_category_route,
)
from models.store import Store


@dataclass(frozen=True)
class RoutingTables:
    """Categories, departments and the cells in question, read from the store."""

    categories: dict[str, CategoryInfo]
    departments: dict[str, str]
    cells: dict[tuple[int, str], CellInfo]


def load_routing_tables(
    store: Store, cells: Sequence[tuple[int | None, str | None]]
) -> RoutingTables:
    """Read what routing needs for these (grid version, cell code) pairs in three queries."""
    categories = {
        r[0]: CategoryInfo(r[0], r[1], r[2], bool(r[3]))
        for r in store.query_rows(
            "SELECT category_code, name_zh, owner_dept, grid_level FROM categories WHERE enabled"
        )
    }
    departments = dict(store.query_rows("SELECT dept_code, name_zh FROM departments"))
    wanted = sorted({(v, c) for v, c in cells if v is not None and c})
    found: dict[tuple[int, str], CellInfo] = {}
    if wanted:
        rows = store.query_rows(
            "SELECT c.cell_code, c.version_id, c.responsible_body, c.grid_workers, m.name_zh, "
            "s.name_zh, c.district_code FROM grid_cells c "
            "JOIN (SELECT unnest(?) AS v, unnest(?) AS code) w "
            "ON c.version_id = w.v AND c.cell_code = w.code "
            "LEFT JOIN admin_areas m ON m.code = c.community_code "
            "LEFT JOIN admin_areas s ON s.code = c.street_code",
            [[v for v, _ in wanted], [c for _, c in wanted]],
        )
        for code, version, body, workers, community, street, district in rows:
            found[(version, code)] = CellInfo(
                code, version, body, tuple(workers or ()), community, street, district
            )
    return RoutingTables(categories, departments, found)


def route_many(
    reports: Sequence[tuple[str, int | None, str | None]], tables: RoutingTables
) -> list[RouteSuggestion]:
    """Route (category code, grid version, cell code) triples; unknown categories and
    locations outside every cell go to the city centre with the reason, never dropped."""
    out = []
    for category_code, version, cell_code in reports:
        category = tables.categories.get(category_code)
        if category is None:
            out.append(unknown_category_route(category_code, cell_code, version))
            continue
        cell = tables.cells.get((version, cell_code)) if version is not None and cell_code else None
        out.append(route_case(category, cell, departments=tables.departments, grid_version=version))
    return out
