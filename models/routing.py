"""Routing (分拨): which unit and which person should handle a case, with the reasons (pure).

The responsible unit comes from the category's owner department and the cell's
responsible body; where the cell names no body, the community and then the street answer
(属地兜底). A location outside every cell goes to the city's dispatch centre, never lost.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

CITY_FALLBACK_UNIT = "市城市运行管理指挥中心"


@dataclass(frozen=True)
class CellInfo:
    """What routing needs to know of a unit grid cell."""

    cell_code: str
    grid_version: int
    responsible_body: str | None
    grid_workers: tuple[str, ...]
    community_name: str | None
    street_name: str | None
    district_code: str


@dataclass(frozen=True)
class CategoryInfo:
    """What routing needs to know of a category."""

    code: str
    name_zh: str
    owner_dept: str
    grid_level: bool


@dataclass(frozen=True)
class RouteSuggestion:
    """A suggested unit and assignee with the reasons, as shown to the dispatcher."""

    cell_code: str | None
    grid_version: int | None
    unit: str
    assignee: str | None
    basis: str  # cell_body / community / street / department / city
    reasons: tuple[str, ...] = field(default_factory=tuple)

    def explain(self) -> str:
        return "; ".join(self.reasons)


def _department_unit(owner: str, district: str, departments: Mapping[str, str]) -> tuple[str, str]:
    """The owner department, at district level when the district has its own counterpart."""
    local = f"{owner}-{district}"
    if local in departments:
        return local, f"{departments[local]} (district counterpart of {owner})"
    return owner, departments.get(owner, owner)


def route_case(
    category: CategoryInfo,
    cell: CellInfo | None,
    *,
    departments: Mapping[str, str],
    grid_version: int | None = None,
) -> RouteSuggestion:
    """Suggest the unit and assignee of a case.

    Parameters
    ----------
    category
        The case's category (owner department, whether grid workers handle it).
    cell
        The cell the location falls in, or None when it falls in no cell.
    departments
        Department code → name, including district counterparts coded ``<owner>-<district>``.
    grid_version
        The grid version that was searched (reported when no cell was found).
    """
    reasons: list[str] = []
    if cell is None:
        reasons.append(
            f"location outside every cell of grid version {grid_version}: "
            f"routed to {CITY_FALLBACK_UNIT} (city fallback)"
        )
        return RouteSuggestion(None, grid_version, CITY_FALLBACK_UNIT, None, "city", tuple(reasons))
    reasons.append(f"cell {cell.cell_code} (grid version {cell.grid_version})")
    assignee = cell.grid_workers[0] if cell.grid_workers else None
    if category.grid_level:
        reasons.append(f"category {category.code} {category.name_zh} is handled at grid level")
        if cell.responsible_body:
            unit, basis = cell.responsible_body, "cell_body"
            reasons.append(f"responsible body of the cell: {unit}")
        elif cell.community_name:
            unit, basis = cell.community_name, "community"
            reasons.append(f"fallback to community: no body on cell → {unit}")
        elif cell.street_name:
            unit, basis = cell.street_name, "street"
            reasons.append(f"fallback to street: no body on cell or community → {unit}")
        else:
            unit, basis = CITY_FALLBACK_UNIT, "city"
            reasons.append("no body on cell, community or street: city fallback")
        if assignee:
            reasons.append(f"assignee: grid worker {assignee} of the cell")
        else:
            reasons.append("the cell has no grid worker: the unit assigns")
        return RouteSuggestion(
            cell.cell_code, cell.grid_version, unit, assignee, basis, tuple(reasons)
        )
    code, label = _department_unit(category.owner_dept, cell.district_code, departments)
    reasons.append(f"category {category.code} {category.name_zh} owned by {label}")
    local = cell.responsible_body or cell.community_name or cell.street_name
    if local:
        reasons.append(f"locality on site (属地): {local}")
    return RouteSuggestion(
        cell.cell_code, cell.grid_version, code, None, "department", tuple(reasons)
    )
