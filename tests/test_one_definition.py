"""Constants that several modules use are defined once (issue 9: parallel implementations)."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _definitions(name: str) -> list[str]:
    pattern = re.compile(rf"^{name}\s*(:[^=]+)?=", re.MULTILINE)
    return [
        str(path.relative_to(ROOT))
        for package in ("app", "layers", "ingest", "models")
        for path in sorted((ROOT / package).rglob("*.py"))
        if pattern.search(path.read_text(encoding="utf-8"))
    ]


def test_replay_days_is_defined_once_in_models():
    assert _definitions("REPLAY_DAYS") == ["models/map_state/cases.py"]


def test_metres_per_degree_is_written_once():
    """The spherical metres-per-degree was written out in three places (issue 11 review)."""
    written = [
        str(path.relative_to(ROOT))
        for package in ("app", "layers", "ingest", "models")
        for path in sorted((ROOT / package).rglob("*.py"))
        if re.search(r"111[_ ]?320", path.read_text(encoding="utf-8"))
    ]
    assert written == ["models/coordinates.py"]
