"""The one loader of YAML texts an administrator submits (rules, themes): bounded before and
while parsing, so that a small text cannot cost seconds or memory.

- the text's size is checked before parsing (:data:`MAX_TEXT_BYTES`, UTF-8 bytes);
- anchors and aliases are refused where the parser meets them (an "alias bomb" of ~600 bytes
  otherwise expands to millions of nodes; admin texts never need them);
- nesting deeper than :data:`MAX_DEPTH` is refused (no RecursionError);
- the safe constructors only (no Python objects);
- messages name the line and never echo more than :data:`EXCERPT_CHARS` of the text.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.events import AliasEvent, CollectionStartEvent, ScalarEvent

#: The largest YAML text taken from an admin (the shipped rules file is ~5 KB).
MAX_TEXT_BYTES = 256 * 1024
#: The deepest nesting of lists and mappings accepted.
MAX_DEPTH = 50
#: The most characters of the text quoted in a message.
EXCERPT_CHARS = 60


class YamlTextError(ValueError):
    """A refused YAML text: ``line`` is 1-based when known; ``kind`` one of size, alias,
    depth, syntax (for translated messages)."""

    def __init__(self, message: str, *, line: int | None = None, kind: str = "syntax") -> None:
        where = f"line {line}: " if line is not None else ""
        super().__init__(where + message)
        self.line = line
        self.kind = kind
        self.detail = message


def _excerpt(text: object) -> str:
    s = " ".join(str(text).split())
    return s if len(s) <= EXCERPT_CHARS else s[: EXCERPT_CHARS - 1] + "…"


class BoundedLoader(yaml.SafeLoader):
    """SafeLoader refusing anchors, aliases and deep nesting while composing."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:  # type: ignore[override]
        event = self.peek_event()
        line = event.start_mark.line + 1 if event.start_mark else None
        if isinstance(event, AliasEvent):
            raise YamlTextError(
                "anchors and aliases (&, *) are not accepted", line=line, kind="alias"
            )
        if isinstance(event, ScalarEvent | CollectionStartEvent) and event.anchor is not None:
            raise YamlTextError(
                "anchors and aliases (&, *) are not accepted", line=line, kind="alias"
            )
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise YamlTextError(
                    f"nested deeper than {MAX_DEPTH} levels", line=line, kind="depth"
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _checked_size(text: str) -> None:
    if not isinstance(text, str):
        raise YamlTextError("expected a text", kind="syntax")
    # len() first: cheap, and a text with more characters than bytes allowed is too large
    if len(text) > MAX_TEXT_BYTES or len(text.encode("utf-8")) > MAX_TEXT_BYTES:
        raise YamlTextError(f"the text is larger than {MAX_TEXT_BYTES // 1024} KiB", kind="size")


def _syntax(exc: yaml.YAMLError) -> YamlTextError:
    mark = getattr(exc, "problem_mark", None)
    line = mark.line + 1 if mark is not None else None
    what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return YamlTextError(f"not readable YAML: {_excerpt(what)}", line=line, kind="syntax")


def load_admin_yaml(text: str) -> Any:
    """The data of an admin's YAML text (None for an empty one).

    Raises
    ------
    YamlTextError
        Too large, anchors/aliases, too deep, or not YAML (with the line when known).
    """
    _checked_size(text)
    loader = BoundedLoader(text)
    try:
        return loader.get_single_data()
    except yaml.YAMLError as exc:
        raise _syntax(exc) from None
    except RecursionError:
        raise YamlTextError(f"nested deeper than {MAX_DEPTH} levels", kind="depth") from None
    finally:
        loader.dispose()


def compose_admin_yaml(text: str) -> yaml.Node | None:
    """The node tree of an admin's YAML text (for lines); same bounds as the loader."""
    _checked_size(text)
    loader = BoundedLoader(text)
    try:
        return loader.get_single_node()
    except yaml.YAMLError as exc:
        raise _syntax(exc) from None
    except RecursionError:
        raise YamlTextError(f"nested deeper than {MAX_DEPTH} levels", kind="depth") from None
    finally:
        loader.dispose()


__all__ = [
    "EXCERPT_CHARS",
    "MAX_DEPTH",
    "MAX_TEXT_BYTES",
    "BoundedLoader",
    "YamlTextError",
    "compose_admin_yaml",
    "load_admin_yaml",
]
