"""Golden wire JSON of the layer builders: compared on each run, rewritten with UPDATE_GOLDEN=1."""

import json
import os
from pathlib import Path

import pytest

GOLDEN = Path(__file__).parent / "golden"


def check_golden(name: str, actual: object) -> None:
    """Compare ``actual`` with tests/layers/golden/<name>; ``UPDATE_GOLDEN=1`` rewrites it."""
    path = GOLDEN / name
    text = json.dumps(actual, ensure_ascii=False, indent=1, sort_keys=True, allow_nan=False)
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_text(text + "\n", encoding="utf-8")
    if not path.exists():
        pytest.fail(f"{path} missing: run with UPDATE_GOLDEN=1 and review the diff")
    assert json.loads(text) == json.loads(path.read_text(encoding="utf-8"))
