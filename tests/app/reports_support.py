"""Shared setup of the report and indicator tests: the API world over a demo copy with 40
days of case history ending 2026-12-03, leaders scoped to a district and to a street."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path

from models.config import load_config
from tests.app.api_support import ApiWorld, build_world
from tests.conftest import SECRET

#: The end of the case history: November 2026 lies wholly inside it and is over.
HISTORY_END = datetime(2026, 12, 3, 4, 0)
MONTH = "2026-11"
DAY = "2026-11-20"
XQ, RP = "445102", "445122"
#: Extra users: (username, role, scope).
LEADERS = (
    ("xq_leader", "leader", f"district:{XQ}"),
    ("rp_leader", "leader", f"district:{RP}"),
    ("st_leader", "leader", "street:445102007"),
)
#: Roles refused by every report and indicator endpoint (demo users of those roles).
REFUSED = ("dispatcher", "gridworker", "emergency", "xq_cg", "street_handler")


def build_report_world(demo_copy) -> ApiWorld:
    from ingest.demo_city.history import generate_case_history
    from models.api_tokens import create_token
    from models.security import parse_scope
    from models.users import add_user
    from models.work_calendar import WorkCalendar

    world = build_world(demo_copy)
    config = load_config(world.folder / "config.yaml", environ={"CITYOPS_SECRET_KEY": SECRET})
    generate_case_history(
        world.store, end=HISTORY_END, days=40, seed=11,
        calendar=WorkCalendar.from_settings(config.settings.calendar),
    )  # fmt: skip
    now = datetime.now(UTC).replace(tzinfo=None)
    for username, role, scope in LEADERS:
        add_user(world.store, username, f"pw-12345-{len(username)}-x", role=role,
                 scope=parse_scope(scope), actor="admin")  # fmt: skip
        world.passwords[username] = f"pw-12345-{len(username)}-x"
        world.tokens[username] = create_token(
            world.store, username, label="tests", created_by="admin", at=now
        )[1]
    world.tokens["street_operator"] = create_token(
        world.store, "street_operator", label="tests", created_by="admin", at=now
    )[1]
    return world


def report_dir(world: ApiWorld) -> Path:
    return load_config(
        world.folder / "config.yaml", environ={"CITYOPS_SECRET_KEY": SECRET}
    ).report_dir


def pdf_text(path: Path) -> str:
    """The PDF's text by poppler's pdftotext (layout kept)."""
    done = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, timeout=60
    )
    return done.stdout.decode("utf-8")
