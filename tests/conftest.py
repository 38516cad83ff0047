"""Shared fixtures: real DuckDB files in temp dirs, the demo city database, a test config."""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import settings

from models.config import Config, load_config
from models.store import Store

# Hypothesis's per-example deadline is a wall-clock assertion: on a loaded 2-core machine a
# first example that builds a year's calendar table took 565 ms against its 200 ms and failed
# a correct test. Speed is measured in benchmarks/, never asserted here.
settings.register_profile("cityops", deadline=None)
settings.load_profile("cityops")

ROOT = Path(__file__).resolve().parent.parent
SECRET = "test-secret-key-0123456789abcdef"


def write_config(folder: Path, db_name: str = "cityops.duckdb", **sections: dict) -> Path:
    """A config file in ``folder`` whose database lives there too.

    Without an ``mqtt`` section of its own, MQTT ingest is off: the default broker address
    is the machine's (a running demo's), and a test must never connect there.
    """
    import yaml

    if "mqtt" not in sections:
        sections["ingest"] = {"mqtt_enabled": False, **sections.get("ingest", {})}
    # no daily backup unless a test asks: a served demo copy would back itself up a minute
    # after it starts on any afternoon (the catch-up of a day's missed backup)
    storage = {"path": db_name, "backup_dir": "backups", "backup_at": ""}
    data = {**sections, "storage": {**storage, **sections.get("storage", {})}}
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture
def store(tmp_path: Path):
    s = Store(tmp_path / "t.duckdb")
    yield s
    s.close()


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with config.yaml and a database initialised by `cityops init` (once per run)."""
    from app.cli import main

    folder = tmp_path_factory.mktemp("demo")
    # no case history here: tests count the cases they make (history has its own tests)
    config = write_config(folder, demo={"history_days": 0})
    assert main(["--config", str(config), "init"]) == 0
    return folder


def demo_passwords(folder: Path) -> dict[str, str]:
    lines = (folder / "demo-users.txt").read_text(encoding="utf-8").splitlines()[1:]
    return {line.split()[0]: line.split()[2] for line in lines if line.strip()}


@pytest.fixture(scope="session")
def demo_copy(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    """Factory: a private copy of the demo database folder (DuckDB allows one process per file)."""

    def make() -> Path:
        folder = tmp_path_factory.mktemp("democopy")
        for item in demo_dir.iterdir():
            if item.is_file():
                shutil.copy2(item, folder / item.name)
        return folder

    return make


@pytest.fixture(scope="session")
def demo_app(demo_copy):
    """The Dash app over a private copy of the demo database, with a known secret key."""
    from app.server import create_app

    folder = demo_copy()
    config: Config = load_config(folder / "config.yaml", environ={"CITYOPS_SECRET_KEY": SECRET})
    s = Store(config.database_path)
    app = create_app(config, s)
    app.server.config["TESTING"] = True
    yield app, demo_passwords(folder), s
    s.close()


@pytest.fixture(autouse=True)
def _one_browser_test_at_a_time(request: pytest.FixtureRequest):
    """Real-browser tests take turns across the suite's processes (pytest-xdist): two
    Chromiums and two servers on two cores starved the renderers, and keys and clicks went
    astray. Other tests run beside a browser test as before."""
    if request.node.get_closest_marker("browser") is None:
        yield
        return
    lock = Path(tempfile.gettempdir()) / f"cityops-browser-tests-{os.getuid()}.lock"
    with open(lock, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
