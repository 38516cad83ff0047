"""Theme maps (专题一张图) as data: the shipped themes, a city's own, validation, look-up.

A theme names what the one-map wall shows for a topic: the layer groups switched on, what
the grid cells are coloured by, the KPIs of the strip, the case categories (major codes)
of the cases layer, the sensor kinds of the sensor layers, and the legend blocks. The
words a theme may use (layer groups, colourings, KPI keys, legend blocks) belong to the
wall, which passes them in as a :class:`Vocabulary`; this module imports none of it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from models.settings_docs import current_doc, save_doc
from models.store import Store

_FIELDS = {
    "id",
    "name",
    "layers",
    "grid_colour",
    "kpis",
    "case_majors",
    "sensor_kinds",
    "legend",
}


@dataclass(frozen=True)
class Vocabulary:
    """The words a theme may use, from the wall (layers, colourings, KPIs, legend blocks)
    and the data (case major codes, sensor kinds)."""

    layers: tuple[str, ...]
    colourings: tuple[str, ...]
    kpis: tuple[str, ...]
    legend: tuple[str, ...]
    majors: frozenset[str]
    sensor_kinds: frozenset[str]


@dataclass(frozen=True)
class Theme:
    """One theme map. Empty ``case_majors`` / ``sensor_kinds``: no filter (all shown);
    ``grid_colour`` None: the theme leaves the grid off and keeps its plain colours."""

    id: str
    name_zh: str
    name_en: str
    layers: tuple[str, ...]
    grid_colour: str | None
    kpis: tuple[str, ...]
    case_majors: tuple[str, ...] = ()
    sensor_kinds: tuple[str, ...] = ()
    legend: tuple[str, ...] = ()

    def name(self, lang: str) -> str:
        return self.name_zh if lang == "zh" or not self.name_en else self.name_en


def _words(value: Any, what: str, theme: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, (str, int)) for v in value):
        raise ValueError(f"theme {theme!r}: {what} must be a list of names")
    return tuple(str(v) for v in value)


def _majors(value: Any, theme: str) -> tuple[str, ...]:
    # YAML reads an unquoted 01 as the number 1: take it as the code "01"
    if isinstance(value, list):
        value = [
            f"{v:02d}" if isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 100 else v
            for v in value
        ]
    return _words(value, "case_majors", theme)


def _unknown(theme: str, what: str, given: Iterable[str], known: Iterable[str]) -> None:
    known = tuple(known)
    bad = [g for g in given if g not in known]
    if bad:
        raise ValueError(
            f"theme {theme!r}: unknown {what} {', '.join(map(repr, bad))}; "
            f"known: {', '.join(sorted(known))}"
        )


def parse_theme(item: Any, *, vocabulary: Vocabulary) -> Theme:
    """One theme from its YAML mapping, checked against ``vocabulary``.

    Raises
    ------
    ValueError
        Naming the theme and the unknown or missing field.
    """
    if not isinstance(item, Mapping):
        raise ValueError(f"a theme must be a mapping, not {type(item).__name__}")
    theme_id = item.get("id")
    if not isinstance(theme_id, str) or not theme_id.strip():
        raise ValueError(f"a theme without an id: {dict(item)!r}"[:200])
    if extra := sorted(set(map(str, item)) - _FIELDS):
        raise ValueError(f"theme {theme_id!r}: unknown fields {extra}")
    name = item.get("name")
    if not isinstance(name, Mapping) or not isinstance(name.get("zh"), str) or not name["zh"]:
        raise ValueError(f"theme {theme_id!r}: name needs zh (and en)")
    name_en = name.get("en")
    if name_en is not None and not isinstance(name_en, str):
        raise ValueError(f"theme {theme_id!r}: name.en must be text")
    layers = _words(item.get("layers"), "layers", theme_id)
    if not layers:
        raise ValueError(f"theme {theme_id!r}: layers must name at least one layer group")
    _unknown(theme_id, "layer groups", layers, vocabulary.layers)
    colour = item.get("grid_colour")
    if colour is not None:
        _unknown(theme_id, "grid colouring", [str(colour)], vocabulary.colourings)
    elif "grid" in layers:
        raise ValueError(f"theme {theme_id!r}: shows the grid but names no grid_colour")
    kpis = _words(item.get("kpis"), "kpis", theme_id)
    if not kpis:
        raise ValueError(f"theme {theme_id!r}: kpis must name at least one KPI")
    _unknown(theme_id, "KPIs", kpis, vocabulary.kpis)
    majors = _majors(item.get("case_majors"), theme_id)
    _unknown(theme_id, "case categories (major codes)", majors, vocabulary.majors)
    kinds = _words(item.get("sensor_kinds"), "sensor_kinds", theme_id)
    _unknown(theme_id, "sensor kinds", kinds, vocabulary.sensor_kinds)
    legend = _words(item.get("legend"), "legend", theme_id)
    _unknown(theme_id, "legend blocks", legend, vocabulary.legend)
    return Theme(
        id=theme_id.strip(),
        name_zh=name["zh"],
        name_en=name_en or "",
        layers=layers,
        grid_colour=None if colour is None else str(colour),
        kpis=kpis,
        case_majors=majors,
        sensor_kinds=kinds,
        legend=legend or layers,
    )


def parse_themes(data: Any, *, vocabulary: Vocabulary, source: str) -> list[Theme]:
    """The themes of one file's content (``{"themes": [...]}``); an id twice is an error."""
    items = data.get("themes") if isinstance(data, Mapping) else None
    if not isinstance(items, list):
        raise ValueError(f"{source}: expected a mapping with a list under 'themes'")
    themes = [parse_theme(item, vocabulary=vocabulary) for item in items]
    ids = [t.id for t in themes]
    if twice := sorted({i for i in ids if ids.count(i) > 1}):
        raise ValueError(f"{source}: themes defined twice: {', '.join(twice)}")
    return themes


def _read(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValueError(f"{path}: cannot read the theme file ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: not valid YAML ({exc})") from None


def shipped_path() -> Path:
    return Path(str(resources.files("models") / "data" / "themes.yaml"))


def load_themes(
    *, vocabulary: Vocabulary, extra_file: Path | None = None, path: Path | None = None
) -> dict[str, Theme]:
    """The shipped themes, then a city's own from ``extra_file`` (same shape); an extra
    theme with a shipped id replaces it in place. Ordered as the switcher lists them.

    Raises
    ------
    ValueError
        A file unreadable or not YAML, or a theme that breaks the rules (named).
    """
    source = path or shipped_path()
    themes = {
        t.id: t for t in parse_themes(_read(source), vocabulary=vocabulary, source=str(source))
    }
    if extra_file is not None:
        for theme in parse_themes(_read(extra_file), vocabulary=vocabulary, source=str(extra_file)):
            themes[theme.id] = theme
    return themes


#: The settings document of the administrator's own themes (same shape as a theme file).
THEMES_DOC = "themes"


def theme_doc_problems(body: Any, *, vocabulary: Vocabulary) -> list[str]:
    """Why ``body`` is not a themes document (empty when it is one): :func:`parse_themes`'s
    refusal, in its words."""
    try:
        parse_themes(body, vocabulary=vocabulary, source="admin")
    except ValueError as exc:
        return [str(exc)]
    return []


def save_admin_themes(
    store: Store, body: Any, *, vocabulary: Vocabulary, actor: str, note: str | None = None
) -> int:
    """Validate and save the admin's own themes (audited); the version id.

    Raises
    ------
    models.settings_docs.SettingsDocError
        Nothing saved; ``problems`` says why.
    """
    return save_doc(
        store, THEMES_DOC, body, actor=actor, note=note,
        validate=lambda b: theme_doc_problems(b, vocabulary=vocabulary),
    ).doc_id  # fmt: skip


def admin_themes_body(store: Store) -> Any:
    """The admin's saved themes document (None when none was saved)."""
    doc = current_doc(store, THEMES_DOC)
    return None if doc is None else doc.body


def admin_themes(store: Store, *, vocabulary: Vocabulary) -> list[Theme]:
    """The admin's own themes, in force after the shipped and the city's file's ones.

    Raises
    ------
    ValueError
        The saved document no longer fits ``vocabulary`` (a category or sensor kind gone).
    """
    body = admin_themes_body(store)
    if body is None:
        return []
    return parse_themes(body, vocabulary=vocabulary, source="admin")


def check_default(themes: Mapping[str, Theme], default: str) -> str:
    """``default`` when it names a theme, else a ValueError naming it."""
    if default not in themes:
        raise ValueError(f"themes.default {default!r} is not a theme; known: {', '.join(themes)}")
    return default


def resolve_theme(themes: Mapping[str, Theme], theme_id: object, default: str) -> Theme:
    """The theme ``theme_id`` names, or the default one for anything else (unknown id,
    not text: a browser's value is never trusted). The default must be a theme."""
    if isinstance(theme_id, str) and theme_id in themes:
        return themes[theme_id]
    return themes[default]


def case_majors_in_use(store: Store) -> frozenset[str]:
    """The major codes of the category table (两位大类码, the first two digits)."""
    rows = store.query_rows("SELECT DISTINCT substr(category_code, 1, 2) FROM categories")
    return frozenset(str(r[0]) for r in rows)


def sensor_kinds_in_use(store: Store) -> frozenset[str]:
    """The sensor kinds registered in the store."""
    return frozenset(str(r[0]) for r in store.query_rows("SELECT DISTINCT kind FROM sensors"))
