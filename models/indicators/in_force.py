"""The indicators in force: the declared ones (``models/data/indicators.yaml``) with the
administrator's targets and thresholds on top (settings document ``indicator_targets``),
checked by the registry's own rules and built again when a new version is saved, so a
change is effective without a restart in every process that reads the store."""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from models.indicators.registry import DEFAULT_PATH, Indicator, parse_indicators
from models.settings_docs import current_doc, doc_version, save_doc
from models.store import Store

#: The settings document of the admin's overrides: ``{indicator id: {key: number|None}}``.
DOC_NAME = "indicator_targets"
#: What an override may change; the rest of an indicator is its declaration's.
EDITABLE = ("target", "green", "yellow")

_cache: dict[tuple, tuple[Indicator, ...]] = {}
_lock = threading.Lock()


@lru_cache(maxsize=4)
def _entries(path: Path, stamp: float) -> tuple[dict[str, Any], ...]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, list):
        raise ValueError(f"{path}: the indicators file must hold a list of indicators")
    return tuple(dict(entry) for entry in data if isinstance(entry, Mapping))


def declared_entries(path: Path | None = None) -> list[dict[str, Any]]:
    """The indicators file's entries as parsed YAML (copies: callers may change them)."""
    path = Path(path or DEFAULT_PATH).resolve()
    return [dict(e) for e in _entries(path, path.stat().st_mtime)]


def _override_problems(body: Any, known: set[str]) -> list[str]:
    if not isinstance(body, Mapping):
        return ["the indicator targets document must map indicator ids to their values"]
    problems: list[str] = []
    for ident, change in body.items():
        if ident not in known:
            problems.append(f"unknown indicator {ident!r}")
            continue
        if not isinstance(change, Mapping):
            problems.append(f"indicator {ident}: expected target/green/yellow, not {change!r}")
            continue
        if unknown := sorted(set(change) - set(EDITABLE)):
            problems.append(f"indicator {ident}: only {', '.join(EDITABLE)} may change, "
                            f"not {', '.join(map(str, unknown))}")  # fmt: skip
        for key in EDITABLE:
            value = change.get(key)
            if value is not None and (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)
            ):
                problems.append(f"indicator {ident}: {key} must be a finite number, not {value!r}")
    return problems


def apply_overrides(
    entries: list[dict[str, Any]], body: Mapping[str, Any]
) -> tuple[Indicator, ...]:
    """The declared ``entries`` with ``body``'s values put in, parsed by the registry.

    Raises
    ------
    ValueError
        The registry's refusal (e.g. green below yellow for a higher-is-better indicator).
    """
    merged = []
    for entry in entries:
        change = body.get(str(entry.get("id")), {})
        merged.append({**entry, **{k: change[k] for k in EDITABLE if k in change}})
    return parse_indicators(merged)


def target_problems(body: Any, *, path: Path | None = None) -> list[str]:
    """Why ``body`` is not a valid overrides document (empty when it is one)."""
    entries = declared_entries(path)
    problems = _override_problems(body, {str(e.get("id")) for e in entries})
    if problems:
        return problems
    try:
        apply_overrides(entries, body)
    except ValueError as exc:
        return [str(exc)]
    return []


def save_targets(
    store: Store, body: Mapping[str, Any], *, actor: str, note: str | None = None
) -> int:
    """Validate and save the admin's overrides (audited); the version id.

    Raises
    ------
    models.settings_docs.SettingsDocError
        Nothing saved; ``problems`` says why.
    """
    return save_doc(
        store, DOC_NAME, dict(body), actor=actor, validate=target_problems, note=note
    ).doc_id


def saved_targets(store: Store) -> dict[str, dict[str, Any]]:
    """The overrides in force (empty when none was saved)."""
    doc = current_doc(store, DOC_NAME)
    return dict(doc.body) if doc is not None and isinstance(doc.body, dict) else {}


def indicators_in_force(store: Store, *, path: Path | None = None) -> tuple[Indicator, ...]:
    """The indicators with the admin's targets and thresholds, built once per version of
    the document (and of the declarations file). A saved document that no longer fits the
    declarations (an indicator removed, its direction turned) is left out as a whole."""
    path = Path(path or DEFAULT_PATH).resolve()
    version = doc_version(store, DOC_NAME)
    key = (str(getattr(store, "path", id(store))), str(path), path.stat().st_mtime, version)
    with _lock:
        found = _cache.get(key)
    if found is not None:
        return found
    entries = declared_entries(path)
    body = saved_targets(store) if version else {}
    try:
        if _override_problems(body, {str(e.get("id")) for e in entries}):
            raise ValueError("the saved targets do not fit the declared indicators")
        built = apply_overrides(entries, body)
    except ValueError:
        built = parse_indicators(entries)
    with _lock:
        if len(_cache) > 32:
            _cache.clear()
        return _cache.setdefault(key, built)


__all__ = [
    "DOC_NAME",
    "EDITABLE",
    "apply_overrides",
    "declared_entries",
    "indicators_in_force",
    "save_targets",
    "saved_targets",
    "target_problems",
]
