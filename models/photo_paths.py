"""Paths relative to the photo folder, checked one way: what the rows, the photo routes,
backups and restores accept (a path is data, not trust)."""

from __future__ import annotations

import re
from pathlib import Path

#: Plain ASCII components (as :mod:`models.attachments` writes them) joined by single
#: slashes, none of them ``.`` or ``..``: one match per path (a manifest holds many).
_PLAIN = re.compile(
    r"(?!\.\.?(?:/|$))[A-Za-z0-9_.-]{1,100}(?:/(?!\.\.?(?:/|$))[A-Za-z0-9_.-]{1,100})*"
)
#: Longest relative path accepted (fits a tar member name with its ``photos/`` prefix).
MAX_RELATIVE = 200


def safe_relative(relative: object) -> bool:
    """Whether ``relative`` is a plain relative path: ``a/b/c.jpg``, no ``..``, ``.``, empty
    or absolute part, no backslash, NUL or other odd character."""
    if not isinstance(relative, str) or not 0 < len(relative) <= MAX_RELATIVE:
        return False
    return _PLAIN.fullmatch(relative) is not None


def inside_folder(folder: Path, relative: str, *, no_symlink: bool = False) -> Path | None:
    """``folder / relative`` when the path is plain (:func:`safe_relative`) and stays inside
    the folder once every symlink on the way is followed; with ``no_symlink`` the path
    itself must not be a symlink either (a file about to be written there). None otherwise."""
    if not safe_relative(relative):
        return None
    root = folder.resolve()
    path = (root / relative).resolve()
    if not path.is_relative_to(root) or path == root:
        return None
    if no_symlink and (root / relative).is_symlink():
        return None
    return path
