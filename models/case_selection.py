"""Which cases a figure looks at, as SQL over ``cases c``: a user's scope and a selection by
category and source. Shared by the evaluation (考核) and the cockpit's indicators."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from models.security import Scope

_KEYS = ("majors", "categories", "kinds", "sources")
_ALIASES = {"major": "majors", "category": "categories", "kind": "kinds", "source": "sources"}
_KINDS = ("component", "event")


def _texts(name: str, value: Any) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, Iterable) or isinstance(items, Mapping):
        raise ValueError(f"{name} must be text or a list of text, not {value!r}")
    out = tuple(items)
    if not out or not all(isinstance(v, str) and v.strip() for v in out):
        raise ValueError(f"{name} must be non-empty text or a list of it, not {value!r}")
    return out


@dataclass(frozen=True)
class CaseSelection:
    """Cases by category and source; an empty field does not restrict.

    A case is selected when its category's major code (the first two digits) is in
    ``majors`` **or** its category code is in ``categories`` (when either is given), **and**
    its category's kind (``component`` / ``event``) is in ``kinds``, **and** its
    ``source`` (``grid_worker``, ``hotline``, ...) is in ``sources``.
    """

    majors: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if bad := [k for k in self.kinds if k not in _KINDS]:
            raise ValueError(f"category kind must be one of {', '.join(_KINDS)}, not {bad}")
        if bad := [m for m in self.majors if not (len(m) == 2 and (m.isascii() and m.isdigit()))]:
            raise ValueError(f"a major code has two digits, not {bad}")
        if bad := [
            c for c in self.categories if not (len(c) == 4 and (c.isascii() and c.isdigit()))
        ]:
            raise ValueError(f"a category code has four digits, not {bad}")

    @classmethod
    def from_params(cls, params: Mapping[str, Any] | None) -> CaseSelection:
        """From an indicator's parameters: ``majors``/``major``, ``categories``/``category``,
        ``kinds``/``kind``, ``sources``/``source``, each text or a list of text.

        Raises
        ------
        ValueError
            An unknown key, or a value that is not text or a list of it.
        """
        fields: dict[str, tuple[str, ...]] = {}
        for key, value in (params or {}).items():
            name = _ALIASES.get(key, key)
            if name not in _KEYS:
                raise ValueError(f"unknown case parameter {key!r}; expected {', '.join(_KEYS)}")
            if name in fields:
                raise ValueError(f"case parameter {name!r} given twice")
            fields[name] = _texts(key, value)
        return cls(**fields)

    def sql(self, prefix: str = "sel") -> tuple[str, dict[str, Any]]:
        """The condition on ``cases c`` and its named parameters (``$<prefix>_*``)."""
        parts, params = [], {}
        place = []
        if self.majors:
            place.append(f"list_contains(${prefix}_majors, substr(c.category_code, 1, 2))")
            params[f"{prefix}_majors"] = list(self.majors)
        if self.categories:
            place.append(f"list_contains(${prefix}_categories, c.category_code)")
            params[f"{prefix}_categories"] = list(self.categories)
        if place:
            parts.append(f"coalesce({' OR '.join(place)}, FALSE)")
        if self.kinds:
            parts.append(
                "c.category_code IN (SELECT k.category_code FROM categories k"
                f" WHERE list_contains(${prefix}_kinds, k.kind))"
            )
            params[f"{prefix}_kinds"] = list(self.kinds)
        if self.sources:
            parts.append(f"coalesce(list_contains(${prefix}_sources, c.source), FALSE)")
            params[f"{prefix}_sources"] = list(self.sources)
        return (" AND ".join(parts) or "TRUE"), params


def scope_sql(scope: Scope | None) -> tuple[str, dict[str, Any]]:
    """The scope's condition on ``cases c`` (:meth:`Scope.case_filter`) with named marks
    ``$scope0, $scope1 …`` in place of its ``?`` marks; ``None`` selects every case."""
    if scope is None:
        return "TRUE", {}
    where, values = scope.case_filter("c.cell_code", "c.assigned_unit")
    for i in range(len(values)):
        where = where.replace("?", f"$scope{i}", 1)
    return f"coalesce({where}, FALSE)", {f"scope{i}": v for i, v in enumerate(values)}


def case_conditions(
    scope: Scope | None, selection: CaseSelection | None = None
) -> tuple[str, dict[str, Any]]:
    """Scope and selection together: one condition on ``cases c`` and its parameters."""
    where, params = scope_sql(scope)
    if selection is not None:
        more, extra = selection.sql()
        where, params = f"{where} AND {more}", params | extra
    return where, params
