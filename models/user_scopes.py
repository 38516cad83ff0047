"""What a user's scope may be picked from: the area tree (district → street → community,
names from ``admin_areas``), the cells of the current grid version, the handling units; and
the choice read back as a :class:`~models.security.Scope` (a community picked for a grid
worker stands for its cells)."""

from __future__ import annotations

from dataclasses import dataclass

from models.security import Scope, scope_problems
from models.store import Store
from models.units import known_units

#: Most options one search answers (a searchable dropdown, not a list of 10 000 cells).
MAX_OPTIONS = 200
_COMMUNITY_LENGTH = 12


@dataclass(frozen=True)
class Area:
    code: str
    level: str
    name: str
    parent: str | None


def area_tree(store: Store) -> dict[str, Area]:
    """Districts, streets and communities by code (names in Chinese)."""
    rows = store.query_rows(
        "SELECT code, level, name_zh, parent_code FROM admin_areas "
        "WHERE level IN ('district', 'street', 'community') ORDER BY code"
    )
    return {code: Area(code, level, name, parent) for code, level, name, parent in rows}


def area_path(tree: dict[str, Area], code: str) -> str:
    """``湘桥区 › 桥东街道 › 桥东社区`` for a code (a cell: its community's path and the cell's
    number); the code itself when the tree does not know it."""
    parts = []
    for length in (6, 9, 12):
        area = tree.get(code[:length]) if len(code) >= length else None
        if area is not None:
            parts.append(area.name)
    if len(code) == 15:
        parts.append(f"#{code[12:]}")
    return " › ".join(parts) or code


def cells_matching(store: Store, prefix: str, *, limit: int = MAX_OPTIONS) -> list[str]:
    """Cell codes of the current grid version starting with ``prefix`` (digits only)."""
    if not (prefix.isascii() and prefix.isdigit()):
        return []
    rows = store.query_rows(
        "SELECT DISTINCT cell_code FROM grid_cells c JOIN grid_versions v USING (version_id) "
        "WHERE v.valid_to IS NULL AND starts_with(cell_code, ?) ORDER BY cell_code LIMIT ?",
        [prefix, limit],
    )
    return [code for (code,) in rows]


def cells_of_communities(store: Store, communities: list[str]) -> list[str]:
    """Every cell of the current grid version in these communities."""
    if not communities:
        return []
    marks = ", ".join("?" for _ in communities)
    rows = store.query_rows(
        "SELECT DISTINCT cell_code FROM grid_cells c JOIN grid_versions v USING (version_id) "
        f"WHERE v.valid_to IS NULL AND community_code IN ({marks}) ORDER BY cell_code",
        list(communities),
    )
    return [code for (code,) in rows]


def scope_options(
    store: Store, kind: str, search: str = "", *, chosen: list[str] | None = None
) -> list[tuple[str, str]]:
    """(value, label) pairs a scope of ``kind`` can be picked from, those matching
    ``search`` (in the code or the label), at most :data:`MAX_OPTIONS`; the ``chosen``
    values always among them. For cells the choices are communities (all their cells) and,
    when the search is digits, single cells."""
    chosen = list(chosen or [])
    search = search.strip()
    if kind == "unit":
        pairs = [(code, name if name == code else f"{name} ({code})")
                 for code, name in sorted(known_units(store).items())]  # fmt: skip
    elif kind in ("district", "street", "cells"):
        tree = area_tree(store)
        level = "community" if kind == "cells" else kind
        pairs = [(a.code, f"{area_path(tree, a.code)} {a.code}")
                 for a in tree.values() if a.level == level]  # fmt: skip
        if kind == "cells":
            digits = search if len(search) >= _COMMUNITY_LENGTH else ""
            cells = [*cells_matching(store, digits, limit=MAX_OPTIONS)] if digits else []
            cells += [c for c in chosen if len(c) == 15 and c not in cells]
            pairs += [(c, f"{area_path(tree, c)} {c}") for c in cells]
    else:
        return []
    folded = search.casefold()
    keep = {c for c in chosen}
    out = [p for p in pairs if p[0] in keep]
    for value, label in pairs:
        if len(out) >= MAX_OPTIONS:
            break
        if value not in keep and (not folded or folded in label.casefold()):
            out.append((value, label))
    return out


def picked_scope(store: Store, kind: str, values: list[str]) -> Scope:
    """The scope of a picker's choice: for ``cells`` a community (12 digits) stands for
    every cell it has in the current grid version.

    Raises
    ------
    ValueError
        A malformed scope (unknown kind, codes of the wrong form, none where needed).
    """
    codes = [v.strip() for v in values if isinstance(v, str) and v.strip()]
    if kind == "city":
        codes = []
    elif kind == "cells":
        communities = [c for c in codes if len(c) == _COMMUNITY_LENGTH]
        cells = [c for c in codes if len(c) != _COMMUNITY_LENGTH]
        codes = sorted({*cells, *cells_of_communities(store, communities)})
    problems = scope_problems(kind, tuple(codes))
    if problems:
        raise ValueError("; ".join(problems))
    return Scope(kind, tuple(dict.fromkeys(codes)))  # type: ignore[arg-type]
