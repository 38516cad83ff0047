"""Handling units (处置单位): the codes routing assigns cases to, and their names.

A unit is a department (``CG``) or its district counterpart (``CG-445102``), the responsible
body a cell names, or, where a cell names none, its community or street (属地兜底), and last
the city's dispatch centre. A handler's scope holds such codes (``unit:CG-445102``).
"""

from __future__ import annotations

from models.routing import CITY_FALLBACK_UNIT
from models.store import Store


def known_units(store: Store) -> dict[str, str]:
    """Every unit a case can be assigned to today → its Chinese name."""
    units = {CITY_FALLBACK_UNIT: CITY_FALLBACK_UNIT}
    units.update(dict(store.query_rows("SELECT dept_code, name_zh FROM departments")))
    rows = store.query_rows(
        "SELECT DISTINCT responsible_body FROM grid_cells c JOIN grid_versions v "
        "USING (version_id) WHERE v.valid_to IS NULL AND responsible_body IS NOT NULL"
    )
    units.update({body: body for (body,) in rows})
    rows = store.query_rows(
        "SELECT DISTINCT name_zh FROM admin_areas WHERE level IN ('street', 'community')"
    )
    units.update({name: name for (name,) in rows if name not in units})
    return units


def unit_name(store: Store, unit: str | None) -> str | None:
    """The unit's name (a department's name_zh, else the code itself); None stays None."""
    if unit is None:
        return None
    name = store.query_value("SELECT name_zh FROM departments WHERE dept_code = ?", [unit])
    return str(name) if name else unit


def street_units(store: Store, street_code: str) -> list[str]:
    """The units a street's office answers for: the street itself (属地兜底) and the
    responsible bodies named on its cells (its communities' committees), by name."""
    street = store.query_value(
        "SELECT name_zh FROM admin_areas WHERE level = 'street' AND code = ?", [street_code]
    )
    bodies = store.query_rows(
        "SELECT DISTINCT responsible_body FROM grid_cells c JOIN grid_versions v "
        "USING (version_id) WHERE v.valid_to IS NULL AND c.street_code = ? "
        "AND responsible_body IS NOT NULL ORDER BY 1",
        [street_code],
    )
    return ([street] if street else []) + [body for (body,) in bodies]
