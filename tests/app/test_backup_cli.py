"""`cityops backup` / `cityops restore` and the backups tab: a backup handed to a running
server while a real broker's stream is ingested, restored into a fresh folder and compared
table by table with the source at the backup's moment; restore refused while a server runs
or holds the file, and for damaged files and newer schemas with a message (no traceback); the
tab's callbacks as other roles change nothing; the schedule keeps storage.backup_keep and
survives a failure."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

import pytest

from app.backup_schedule import run_once, run_schedule
from app.control import control_socket_path
from app.pages.admin.acting import forbidden, page_language
from app.pages.admin.backups import back_up_action, show_backups
from models.backup import list_backups, one_at_a_time, read_manifest
from models.config import load_config
from models.store import Store
from tests.app.admin_audit_support import OTHER_ROLES, admin_world, text_of
from tests.broker import INGEST, mosquitto
from tests.browser import served
from tests.conftest import ROOT, SECRET, write_config
from tests.ingest.mqtt_helpers import publish_all, wait_until
from tests.models.backup_support import Stream, compare_with_source

TZ = "Asia/Shanghai"


def _cli(
    config: Path, *args: str, env: dict | None = None, stdin: str = ""
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", "--config", str(config), *args],
        input=stdin,
        text=True,
        capture_output=True,
        timeout=300,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
    )


def _dead_letters(config: Path) -> int:
    """How many dead letters the database holds (asked through the running server)."""
    run = _cli(config, "deadletters", "--limit", "1000")
    found = re.search(r"(\d+) dead letter\(s\) shown", run.stdout)
    return int(found.group(1)) if found else -1


def _wait_for_log(path: Path, text: str, timeout_s: float = 60) -> None:
    assert wait_until(lambda: text in path.read_text(errors="replace"), timeout_s=timeout_s), (
        path.read_text(errors="replace")[-3000:]
    )


def test_backup_handed_to_a_running_server_during_a_stream_restores_that_moment(
    demo_copy, tmp_path
):
    folder = demo_copy()
    with mosquitto(tmp_path / "broker") as port:
        config = write_config(
            folder,
            demo={"history_days": 0},
            storage={"path": "cityops.duckdb", "backup_dir": "backups", "backup_at": ""},
            mqtt={"host": "127.0.0.1", "port": port, "username": INGEST[0]},
            ingest={"batch_max_ms": 20},
        )
        env = {"CITYOPS_MQTT_PASSWORD": INGEST[1]}
        with served(folder, secret=SECRET, extra_env=env):
            _wait_for_log(folder / "server.log", '"mqtt connected"')
            time.sleep(0.5)  # the subscription is acknowledged
            stream = Stream(port)
            publish_all(port, stream.messages(-1))  # every sensor heard once
            # each round ends with one bad message: the dead letters, read through the
            # server, tell how far ingest has committed
            assert wait_until(lambda: _dead_letters(config) >= 1, timeout_s=90, step_s=0.5)
            stream.start()
            assert wait_until(lambda: _dead_letters(config) >= 4, timeout_s=90, step_s=0.5)
            made = _cli(config, "--user", "admin", "backup")
            assert made.returncode == 0, made.stderr
            at_backup = read_manifest(Path(made.stdout.split("backup written: ")[1].split()[0]))
            later = at_backup.counts["dead_letters"] + 3
            assert wait_until(lambda: _dead_letters(config) >= later, timeout_s=90, step_s=0.5)
            stream.finish()
            assert made.returncode == 0, made.stderr
            assert "control socket" not in made.stderr
            path = Path(made.stdout.split("backup written: ", 1)[1].split("\n", 1)[0])
            assert path.parent == folder / "backups" and path.exists()
            # restoring into a running installation is refused, the database untouched
            refused = _cli(config, "restore", str(path), "--force")
            assert refused.returncode == 1
            assert "holds" in refused.stderr and "stop it" in refused.stderr
            assert "Traceback" not in refused.stderr
            assert not list(folder.glob("*.before-restore-*"))
            # its probe of the control socket leaves no error in the server's log
            assert "control connection failed" not in (folder / "server.log").read_text()
            # a non-admin may not back up (the server checks the role)
            denied = _cli(config, "--user", "operator", "backup")
            assert denied.returncode == 1 and "admin" in denied.stderr
        assert not control_socket_path(folder / "cityops.duckdb").exists()
    manifest = read_manifest(path)
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    fresh_config = write_config(fresh, demo={"history_days": 0})
    restored = _cli(fresh_config, "restore", str(path))
    assert restored.returncode == 0, restored.stderr
    assert f"schema v{manifest.schema_version}" in restored.stdout
    with Store(folder / "cityops.duckdb") as source, Store(fresh / "cityops.duckdb") as copy:
        # the stream was committed on both sides of the snapshot
        warm = 2 * stream.batch  # rows of the warm-up's readings (two metrics each)
        assert warm < manifest.counts["observations"], (
            source.query_value("SELECT count(*) FROM observations"),
            (folder / "server.log").read_text(errors="replace")[-4000:],
        )
        assert manifest.counts["observations"] < source.query_value(
            "SELECT count(*) FROM observations"
        )
        compare_with_source(source, copy, manifest)
        assert (
            copy.query_rows("SELECT actor, target FROM audit_log WHERE action = 'backup.create'")
            == []
        )  # audited after the snapshot: in the source only
        assert source.query_rows(
            "SELECT actor, target FROM audit_log WHERE action = 'backup.create'"
        ) == [("admin", path.name)]


def _main(capsys, config: Path, *args: str) -> tuple[int, str, str]:
    """`cityops ARGS` in this process: (exit code, stdout, stderr)."""
    from app.cli import main

    capsys.readouterr()
    code = main(["--config", str(config), *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_restore_is_refused_while_another_process_holds_the_file(tmp_path, capsys, monkeypatch):
    import io

    config = write_config(tmp_path)
    db = tmp_path / "cityops.duckdb"
    monkeypatch.setattr(sys, "stdin", io.StringIO("a-long-password-1\n"))
    code, _, err = _main(capsys, config, "user", "add", "root", "--role", "admin",
                         "--password-stdin")  # fmt: skip
    assert code == 0, err
    assert _main(capsys, config, "--user", "nobody", "backup")[0] == 1  # no such user
    # no server: the CLI opens the database and makes the backup itself
    code, out, err = _main(capsys, config, "--user", "root", "backup", "--to", str(tmp_path / "b"))
    assert code == 0 and "backup written" in out, err
    [path] = sorted((tmp_path / "b").glob("cityops-backup-*.tar"))
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from models.store import Store; s = Store(sys.argv[1]); "
         "print('holding', flush=True); time.sleep(120)", str(db)],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        before = db.read_bytes()
        code, out, err = _main(capsys, config, "restore", str(path), "--force")
        assert code == 1, out
        assert "in use by another process" in err
    finally:
        holder.kill()
        holder.wait()
    assert db.read_bytes() == before
    code, out, err = _main(capsys, config, "restore", str(path), "--force")  # now it is free
    assert code == 0, err
    assert "the old database is kept as" in out


def test_damaged_and_foreign_files_are_refused_with_a_message(tmp_path, capsys):
    config = write_config(tmp_path)
    with Store(tmp_path / "src.duckdb") as store:
        from models.backup import make_backup

        path, _ = make_backup(store, tmp_path / "b", now=datetime(2026, 12, 7, 10), tz=TZ)
    data = path.read_bytes()
    flipped = tmp_path / "flipped.tar"
    flipped.write_bytes(data[:3000] + bytes([data[3000] ^ 1]) + data[3001:])
    cut = tmp_path / "cut.tar"
    cut.write_bytes(data[: len(data) // 3])
    garbage = tmp_path / "notes.tar"
    garbage.write_text("这不是备份文件\n", encoding="utf-8")
    for bad, words in (
        (flipped, "damaged"),
        (cut, "truncated"),
        (garbage, "not a CityOps backup"),
        (tmp_path / "missing.tar", "no such backup file"),
    ):
        code, out, err = _main(capsys, config, "restore", str(bad))
        assert code == 1, (bad, out)
        assert "restore refused" in err and words in err, err
        assert not (tmp_path / "cityops.duckdb").exists()


@pytest.fixture(scope="module")
def world(demo_copy):
    w = admin_world(demo_copy)
    yield w
    w.store.close()


def _folder(world) -> Path:
    return world.config.resolve(world.config.settings.storage.backup_dir)


def test_backups_tab_refuses_every_other_role_and_starts_nothing(world):
    for username in OTHER_ROLES:
        with world.as_user(username):
            refusal = text_of(forbidden(page_language()))
            pressed = back_up_action(1)
            listed, state = show_backups(1, None)
        assert text_of(pressed) == refusal, username
        assert text_of(listed) == refusal and state == ""
    time.sleep(0.3)
    assert list_backups(_folder(world)) == []
    assert not world.store.query_rows("SELECT * FROM audit_log WHERE action LIKE 'backup.%'")


def test_backups_tab_backs_up_now_one_at_a_time_and_lists_it(world):
    with world.as_user("admin"):
        assert "err" in text_of(back_up_action(None))  # no press: nothing started
        with one_at_a_time():  # another backup is being made
            busy = back_up_action(1)
        assert "err" in text_of(busy)
        assert list_backups(_folder(world)) == []
        started = back_up_action(1)
        assert "ok" in text_of(started)
        assert wait_until(lambda: len(list_backups(_folder(world))) == 1, timeout_s=60)
        [entry] = list_backups(_folder(world))
        assert wait_until(
            lambda: (
                world.store.query_value(
                    "SELECT count(*) FROM audit_log WHERE action = 'backup.create'"
                )
                == 1
            ),
            timeout_s=30,
        )
        listed, _ = show_backups(2, None)
    shown = text_of(listed)
    assert entry.path.name in shown and f"v{entry.manifest.schema_version}" in shown
    assert entry.verified and ("已校验" in shown or "checked" in shown)
    n = len(entry.manifest.photos)
    assert f"照片文件 {n} 个" in shown or f"{n} photo files" in shown
    actor = world.store.query_value("SELECT actor FROM audit_log WHERE action = 'backup.create'")
    assert actor == "admin"


def test_schedule_keeps_backup_keep_and_never_prunes_manual_ones(tmp_path):
    path = write_config(
        tmp_path,
        storage={
            "path": "c.duckdb",
            "backup_dir": "b",
            "backup_at": "02:30",
            "backup_keep": 2,
        },  # fmt: skip
    )
    config = load_config(path, environ={})
    with Store(config.database_path) as store:
        from models.backup import make_backup

        manual, _ = make_backup(
            store, tmp_path / "b", now=datetime(2026, 11, 30, 1), tz=TZ, kind="manual"
        )
        assert run_once(config, store, datetime(2026, 12, 1, 18, 0)) is None  # 02:00 local
        made = [run_once(config, store, datetime(2026, 12, d, 19, 0)) for d in (1, 2, 3, 4)]
        assert all(made)
        assert run_once(config, store, datetime(2026, 12, 4, 20, 0)) is None  # once a day
        names = sorted(e.path.name for e in list_backups(tmp_path / "b"))
        assert names == sorted([manual.name, made[2].name, made[3].name])
        store.flush()
        assert (
            store.query_value("SELECT count(*) FROM audit_log WHERE action = 'backup.scheduled'")
            == 4
        )
        assert (
            store.query_value("SELECT count(*) FROM audit_log WHERE action = 'backup.pruned'") == 2
        )


def test_a_failing_schedule_is_logged_and_audited_and_lives_on(tmp_path):
    (tmp_path / "b").write_text("a file where the folder should be", encoding="utf-8")
    path = write_config(
        tmp_path, storage={"path": "c.duckdb", "backup_dir": "b", "backup_at": "00:00"}
    )
    config = load_config(path, environ={})
    with Store(config.database_path) as store:
        stop = threading.Event()
        thread = threading.Thread(
            target=run_schedule, args=(config, store, stop), kwargs={"every_s": 0.05}
        )
        thread.start()
        try:
            failed = "SELECT count(*) FROM audit_log WHERE action = 'backup.scheduled' " \
                     "AND outcome = 'failed'"  # fmt: skip
            assert wait_until(lambda: store.query_value(failed) == 1, timeout_s=30)
            time.sleep(0.3)
            assert thread.is_alive()
            assert store.query_value(failed) == 1  # tried again only an hour later
        finally:
            stop.set()
            thread.join(10)


def test_cli_backup_and_restore_carry_the_case_photos(demo_copy, tmp_path, capsys):
    """`cityops backup` copies photos.dir's files the rows name; `cityops restore` puts them
    into the fresh installation's photos.dir, byte for byte, and says so."""
    import io as _io

    from PIL import Image

    from ingest.locate import store_locator
    from models.attachments import add_photo
    from models.case_service import Actor
    from models.cases import report_case
    from models.security import Scope

    folder = demo_copy()
    config = load_config(folder / "config.yaml", environ={})
    raw = _io.BytesIO()
    Image.new("RGB", (640, 480), (30, 160, 60)).save(raw, "JPEG")
    now = datetime(2026, 12, 7, 10)
    with Store(config.database_path) as store:
        case_id = report_case(
            store, category_code="0201", lon=116.64653, lat=23.67071, at=now,
            source="grid_worker", actor="gridworker", role="grid_worker",
            locate=store_locator(store), text="路面有垃圾",
        ).case_id  # fmt: skip
        add_photo(store, Actor("dispatcher", "dispatcher", Scope("city")), case_id,
                  raw.getvalue(), kind="report", at=now, settings=config.settings.photos,
                  photo_dir=config.photo_dir)  # fmt: skip
    source = {
        p.relative_to(config.photo_dir).as_posix(): p.read_bytes()
        for p in config.photo_dir.rglob("*.jpg")
    }
    assert len(source) == 2  # the photo and its thumbnail
    code, out, err = _main(capsys, folder / "config.yaml", "--user", "admin", "backup")
    assert code == 0, err
    assert "2 photo files" in out
    path = Path(out.split("backup written: ", 1)[1].split("\n", 1)[0])
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    fresh_config = write_config(fresh, demo={"history_days": 0})
    code, out, err = _main(capsys, fresh_config, "restore", str(path))
    assert code == 0, err
    assert "2 photo files" in out and "2 written" in out
    photos = load_config(fresh_config, environ={}).photo_dir
    assert {p.relative_to(photos).as_posix(): p.read_bytes() for p in photos.rglob("*.jpg")} == (
        source
    )
