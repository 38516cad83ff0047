"""Routing (分拨): which unit and which person should handle a case, with the reasons (pure).

The responsible unit comes from the category's owner department and the cell's
responsible body; where the cell names no body, the community and then the street answer
(属地兜底). A location outside every cell goes to the city's dispatch centre, never lost.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

CITY_FALLBACK_UNIT = "市城市运行管理指挥中心"

#: Reason code -> (zh, en) text. A route keeps its reasons as codes with values (stored with
#: the case event, shown in the reader's language) and as English text (CLI, API, logs).
REASON_TEXTS: dict[str, tuple[str, str]] = {
    "outside_grid": (
        "位置不在网格版本 {grid_version} 的任何网格内：派至{unit}（全市兜底）",
        "location outside every cell of grid version {grid_version}: "
        "routed to {unit} (city fallback)",
    ),
    "unknown_category": (
        "类别 {code} 未知或已停用：由市指挥中心分拣",
        "unknown or disabled category {code}: the city centre triages",
    ),
    "cell": (
        "所在网格 {cell}（网格版本 {grid_version}）",
        "cell {cell} (grid version {grid_version})",
    ),
    "grid_level": (
        "类别 {code} {name} 由网格处置",
        "category {code} {name} is handled at grid level",
    ),
    "cell_body": ("网格责任主体：{unit}", "responsible body of the cell: {unit}"),
    "community": (
        "网格未设责任主体，由社区兜底：{unit}",
        "fallback to community: no body on cell → {unit}",
    ),
    "street": (
        "网格与社区均未设责任主体，由镇街兜底：{unit}",
        "fallback to street: no body on cell or community → {unit}",
    ),
    "no_body": (
        "网格、社区、镇街均未设责任主体：全市兜底",
        "no body on cell, community or street: city fallback",
    ),
    "assignee": ("承办人：本网格网格员 {assignee}", "assignee: grid worker {assignee} of the cell"),
    "no_assignee": (
        "本网格未配网格员：由处置单位指派",
        "the cell has no grid worker: the unit assigns",
    ),
    "owner": ("类别 {code} {name} 的主管部门：{dept}", "category {code} {name} owned by {dept}"),
    "owner_local": (
        "类别 {code} {name} 的主管部门：{dept}（{owner} 的区级对口部门）",
        "category {code} {name} owned by {dept} (district counterpart of {owner})",
    ),
    "locality": ("属地：{local}", "locality on site (属地): {local}"),
}


def _render(code: str, values: Mapping[str, Any], lang: str) -> str:
    zh, en = REASON_TEXTS[code]
    return (zh if lang == "zh" else en).format(**values)


def reason_texts(detail: Mapping[str, Any], lang: str) -> list[str]:
    """The reasons of a stored ``route_suggested`` detail in ``lang`` ("zh" or "en"): from
    its codes where it has them, else (an event older than the codes, or a code this version
    does not know) its stored English text."""
    stored = [str(r) for r in detail.get("reasons") or []]
    codes = detail.get("reason_codes")
    if not isinstance(codes, Sequence) or not codes:
        return stored
    try:
        return [_render(str(code), dict(values), lang) for code, values in codes]
    except (KeyError, ValueError, TypeError):
        return stored


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
    #: The reasons as (code of :data:`REASON_TEXTS`, values), in the same order.
    codes: tuple[tuple[str, dict[str, Any]], ...] = field(default_factory=tuple)

    def explain(self) -> str:
        return "; ".join(self.reasons)


class _Reasons:
    """Reasons collected as codes, with their English text."""

    def __init__(self) -> None:
        self.codes: list[tuple[str, dict[str, Any]]] = []

    def add(self, reason: str, /, **values: Any) -> None:
        self.codes.append((reason, values))

    def route(
        self, cell: str | None, version: int | None, unit: str, assignee: str | None, basis: str
    ) -> RouteSuggestion:
        texts = tuple(_render(code, values, "en") for code, values in self.codes)
        return RouteSuggestion(cell, version, unit, assignee, basis, texts, tuple(self.codes))


def unknown_category_route(
    category_code: str, cell_code: str | None, version: int | None
) -> RouteSuggestion:
    """A report of a category the table does not know (or has disabled): the city triages."""
    reasons = _Reasons()
    reasons.add("unknown_category", code=category_code)
    return reasons.route(cell_code, version, CITY_FALLBACK_UNIT, None, "city")


def _department_unit(owner: str, district: str, departments: Mapping[str, str]) -> str | None:
    """The owner's district counterpart when the district has one, else None."""
    local = f"{owner}-{district}"
    return local if local in departments else None


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
    reasons = _Reasons()
    if cell is None:
        reasons.add("outside_grid", grid_version=grid_version, unit=CITY_FALLBACK_UNIT)
        return reasons.route(None, grid_version, CITY_FALLBACK_UNIT, None, "city")
    reasons.add("cell", cell=cell.cell_code, grid_version=cell.grid_version)
    assignee = cell.grid_workers[0] if cell.grid_workers else None
    if category.grid_level:
        reasons.add("grid_level", code=category.code, name=category.name_zh)
        if cell.responsible_body:
            unit, basis = cell.responsible_body, "cell_body"
        elif cell.community_name:
            unit, basis = cell.community_name, "community"
        elif cell.street_name:
            unit, basis = cell.street_name, "street"
        else:
            unit, basis = CITY_FALLBACK_UNIT, "city"
        if basis == "city":
            reasons.add("no_body")
        else:
            reasons.add(basis, unit=unit)
        if assignee:
            reasons.add("assignee", assignee=assignee)
        else:
            reasons.add("no_assignee")
        return reasons.route(cell.cell_code, cell.grid_version, unit, assignee, basis)
    local_dept = _department_unit(category.owner_dept, cell.district_code, departments)
    code, name = category.code, category.name_zh
    if local_dept:
        reasons.add(
            "owner_local",
            code=code,
            name=name,
            dept=departments[local_dept],
            owner=category.owner_dept,
        )
    else:
        owner = category.owner_dept
        reasons.add("owner", code=code, name=name, dept=departments.get(owner, owner))
    local = cell.responsible_body or cell.community_name or cell.street_name
    if local:
        reasons.add("locality", local=local)
    unit_code = local_dept or category.owner_dept
    return reasons.route(cell.cell_code, cell.grid_version, unit_code, None, "department")
