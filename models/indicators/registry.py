"""The declared indicators (``models/data/indicators.yaml``), checked on loading, and the
traffic light of a value against an indicator's thresholds."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from models.config_sections import DIMENSIONS

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "data" / "indicators.yaml"
DIRECTIONS = ("higher", "lower")
FREQUENCIES = ("realtime", "hourly", "daily", "weekly", "monthly", "quarterly", "yearly")
_REQUIRED = ("id", "name_zh", "name_en", "dimension", "measure", "unit", "direction")
_OPTIONAL = ("params", "target", "green", "yellow", "source_dept", "frequency", "history")


@dataclass(frozen=True)
class Indicator:
    """One indicator of the cockpit, as declared."""

    id: str
    name_zh: str
    name_en: str
    dimension: str  # one of config_sections.DIMENSIONS
    measure: str  # key into measures.MEASURES, e.g. 'cases.on_time_handling_rate'
    params: Mapping[str, Any] = field(
        default_factory=lambda: MappingProxyType({}), hash=False
    )  # read-only; left out of the hash, so an Indicator can key a dict
    unit: str = ""
    target: float | None = None
    direction: str = "higher"  # 'higher' | 'lower' is better
    green: float | None = None  # thresholds, see status_of; None: no traffic light
    yellow: float | None = None
    source_dept: str = ""
    frequency: str = "daily"
    history: bool = True
    case_based: bool = False  # the measure is a case figure: cases_behind lists its cases


def status_of(ind: Indicator, value: float | None) -> str | None:
    """The traffic light of ``value``: ``green``, ``yellow``, ``red`` or None.

    Higher is better: green when ``value >= green``, yellow when ``value >= yellow``, else
    red. Lower is better: green when ``value <= green``, yellow when ``value <= yellow``,
    else red. The thresholds themselves count as the better colour. None when there is no
    value (or it is NaN) or the indicator declares no thresholds.
    """
    if value is None or ind.green is None or ind.yellow is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if ind.direction == "higher":
        return "green" if value >= ind.green else "yellow" if value >= ind.yellow else "red"
    return "green" if value <= ind.green else "yellow" if value <= ind.yellow else "red"


def _number(ident: str, key: str, value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"indicator {ident}: {key} must be a finite number, not {value!r}")
    return float(value)


def _text(ident: str, key: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"indicator {ident}: {key} must be non-empty text, not {value!r}")
    return value.strip()


def _indicator(entry: Any, index: int, measures: Mapping[str, Any]) -> Indicator:
    if not isinstance(entry, Mapping):
        raise ValueError(f"indicator #{index + 1} must be a mapping, not {entry!r}")
    ident = str(entry.get("id", f"#{index + 1}"))
    unknown = sorted(set(entry) - set(_REQUIRED) - set(_OPTIONAL))
    if unknown:
        raise ValueError(f"indicator {ident}: unknown keys {unknown}")
    if missing := [k for k in _REQUIRED if k not in entry]:
        raise ValueError(f"indicator {ident}: missing {', '.join(missing)}")
    ident = _text(ident, "id", entry["id"])
    dimension = _text(ident, "dimension", entry["dimension"])
    if dimension not in DIMENSIONS:
        raise ValueError(
            f"indicator {ident}: unknown dimension {dimension!r}; known: {', '.join(DIMENSIONS)}"
        )
    direction = entry["direction"]
    if direction not in DIRECTIONS:
        raise ValueError(f"indicator {ident}: direction must be higher or lower, not {direction!r}")
    measure = _text(ident, "measure", entry["measure"])
    if measure not in measures:
        raise ValueError(f"indicator {ident}: unknown measure {measure!r}")
    params = entry.get("params") or {}
    if not isinstance(params, Mapping):
        raise ValueError(f"indicator {ident}: params must be a mapping, not {params!r}")
    green = _number(ident, "green", entry.get("green"))
    yellow = _number(ident, "yellow", entry.get("yellow"))
    if (green is None) != (yellow is None):
        raise ValueError(f"indicator {ident}: give both green and yellow thresholds, or neither")
    if (
        green is not None
        and yellow is not None
        and (
            (direction == "higher" and green < yellow) or (direction == "lower" and green > yellow)
        )
    ):
        better = "at least" if direction == "higher" else "at most"
        raise ValueError(
            f"indicator {ident}: {direction} is better, so green ({green}) must be "
            f"{better} yellow ({yellow})"
        )
    frequency = entry.get("frequency", "daily")
    if frequency not in FREQUENCIES:
        raise ValueError(
            f"indicator {ident}: frequency must be one of {', '.join(FREQUENCIES)}, "
            f"not {frequency!r}"
        )
    history = entry.get("history", True)
    if not isinstance(history, bool):
        raise ValueError(f"indicator {ident}: history must be true or false, not {history!r}")
    return Indicator(
        id=ident,
        name_zh=_text(ident, "name_zh", entry["name_zh"]),
        name_en=_text(ident, "name_en", entry["name_en"]),
        dimension=dimension,
        measure=measure,
        params=MappingProxyType(dict(params)),
        unit=str(entry["unit"] or ""),
        target=_number(ident, "target", entry.get("target")),
        direction=direction,
        green=green,
        yellow=yellow,
        source_dept=str(entry.get("source_dept") or ""),
        frequency=frequency,
        history=history,
        case_based=measure.startswith("cases."),
    )


def parse_indicators(data: Any, measures: Mapping[str, Any] | None = None) -> tuple[Indicator, ...]:
    """Indicators from parsed YAML (a list of mappings), checked.

    Raises
    ------
    ValueError
        Naming the indicator: a missing or unknown key, an unknown dimension, direction,
        frequency or measure, thresholds in the wrong order for the direction, parameters
        the measure does not take, or an id given twice.
    """
    if measures is None:
        from models.indicators.measures import MEASURES as measures
    if not isinstance(data, list):
        raise ValueError("the indicators file must hold a list of indicators")
    out: list[Indicator] = []
    seen: set[str] = set()
    for index, entry in enumerate(data):
        ind = _indicator(entry, index, measures)
        if ind.id in seen:
            raise ValueError(f"indicator {ind.id}: duplicate id")
        seen.add(ind.id)
        check = getattr(measures[ind.measure], "check_params", None)
        if check is not None:
            try:
                check(ind.params)
            except ValueError as exc:
                raise ValueError(f"indicator {ind.id}: {exc}") from None
        out.append(ind)
    return tuple(out)


@lru_cache(maxsize=8)
def _load(path: Path, stamp: float) -> tuple[Indicator, ...]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: not valid YAML: {exc}") from exc
    try:
        return parse_indicators(data)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None


def load_indicators(path: Path | None = None) -> tuple[Indicator, ...]:
    """The indicators declared in ``path`` (default ``models/data/indicators.yaml``), in file
    order; read again when the file changes. See :func:`parse_indicators` for the checks."""
    path = Path(path or DEFAULT_PATH).resolve()
    return _load(path, path.stat().st_mtime)


def indicator_by_id(
    indicator_id: str, indicators: tuple[Indicator, ...] | None = None
) -> Indicator:
    """The indicator with this id; ValueError when there is none."""
    for ind in indicators if indicators is not None else load_indicators():
        if ind.id == indicator_id:
            return ind
    raise ValueError(f"unknown indicator {indicator_id!r}")
