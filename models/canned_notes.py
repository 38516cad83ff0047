"""Canned notes per workflow action (常用意见) in zh and en: models/data/canned_notes.yaml."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

import yaml

from models.workflow import ACTIONS


def _default_path() -> Path:
    return Path(str(resources.files("models").joinpath("data", "canned_notes.yaml")))


def canned_note_problems(data: object) -> list[str]:
    """Why ``data`` (the parsed YAML) is not a table of canned notes; empty when it is."""
    if not isinstance(data, dict):
        return ["canned notes: not a mapping of action -> notes"]
    problems = []
    for action, notes in data.items():
        if action not in ACTIONS:
            problems.append(f"{action!r} is not a workflow action")
            continue
        if not isinstance(notes, list) or not notes:
            problems.append(f"{action}: a non-empty list of notes is needed")
            continue
        for i, note in enumerate(notes):
            ok = isinstance(note, dict) and all(
                isinstance(note.get(k), str) and note[k].strip() for k in ("zh", "en")
            )
            if not ok:
                problems.append(f"{action}[{i}]: needs non-empty zh and en texts")
    return problems


@cache
def load_canned_notes(path: str | None = None) -> dict[str, tuple[tuple[str, str], ...]]:
    """Action -> its canned notes as (zh, en) pairs.

    Parameters
    ----------
    path
        The YAML file; default the shipped ``models/data/canned_notes.yaml``.

    Raises
    ------
    ValueError
        The file is not a table of canned notes (with every problem found).
    """
    source = Path(path) if path is not None else _default_path()
    with open(source, encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    problems = canned_note_problems(data)
    if problems:
        raise ValueError(f"{source.name}: " + "; ".join(problems))
    return {
        action: tuple((note["zh"].strip(), note["en"].strip()) for note in notes)
        for action, notes in data.items()
    }


def canned_notes(action: str, lang: str, *, path: str | None = None) -> list[str]:
    """The canned notes of ``action`` in ``lang`` ("zh" or "en"); none for other actions."""
    pairs = load_canned_notes(path).get(action, ())
    return [zh if lang == "zh" else en for zh, en in pairs]
