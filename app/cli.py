"""The `cityops` command line: init, serve, demo, check-config, user add/list."""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import os
import secrets
import sys
import time
from pathlib import Path

from app.cli_cases import (
    add_case_parser,
    add_category_parser,
    add_evaluate_parser,
    run_case,
    run_category,
    run_evaluate,
)
from app.logs import setup_logging
from ingest.simulator.cli import add_simulate_parser, run_simulate
from models.clock import utcnow
from models.config import Config, ConfigError, load_config, redacted_dump
from models.security import parse_scope
from models.store import Store, StoreError
from models.users import UserError, add_user, list_users

log = logging.getLogger("cityops")

EXIT_CONFIG = 2
EXIT_STORE = 3


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="cityops", description="CityOps city operations center")
    p.add_argument(
        "--config", type=Path, help="config file (default: $CITYOPS_CONFIG or ./config.yaml)"
    )
    sub = p.add_subparsers(dest="command", required=True)
    init = sub.add_parser("init", help="create the database and load the demo city")
    init.add_argument("--no-demo", action="store_true", help="create an empty database only")
    for name, text in (("serve", "run the web server"), ("demo", "init if needed, then serve")):
        s = sub.add_parser(name, help=text)
        s.add_argument("--host")
        s.add_argument("--port", type=int)
        if name == "demo":
            s.add_argument(
                "--simulate",
                action="store_true",
                help="also run `cityops simulate` (a live day at real speed)",
            )
    worker = sub.add_parser("worker", help="run ingest only (MQTT and the drop folder), no web")
    worker.add_argument(
        "--status-every",
        type=float,
        default=5.0,
        metavar="S",
        help="log ingest counters every S seconds",
    )
    ing = sub.add_parser("ingest", help="load files: grids, sensors, observations, hotline, CAP")
    ing.add_argument("paths", nargs="+", type=Path)
    ing.add_argument("--kind", choices=["grid", "sensors", "observations", "hotline", "cap"])
    ing.add_argument(
        "--local-time",
        action="store_true",
        help="times without a zone are local (calendar.timezone)",
    )
    ing.add_argument(
        "--report-dir", type=Path, help="write reports here (default: beside each file)"
    )
    dead = sub.add_parser("deadletters", help="list rejected input kept for inspection")
    dead.add_argument("--limit", type=int, default=50)
    dead.add_argument("--channel", choices=["mqtt", "file", "http"])
    add_simulate_parser(sub)
    add_case_parser(sub)
    add_evaluate_parser(sub)
    add_category_parser(sub)
    sub.add_parser("check-config", help="print the effective config, secrets redacted")
    user = sub.add_parser("user", help="manage users").add_subparsers(
        dest="user_command", required=True
    )
    add = user.add_parser("add", help="create a user")
    add.add_argument("username")
    add.add_argument("--role", required=True)
    add.add_argument(
        "--scope",
        default="city",
        help="city | district:445102 | street:445102007 | cells:CODE,CODE",
    )
    add.add_argument("--display-name")
    add.add_argument("--language", choices=["zh", "en"])
    add.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from standard input instead of prompting",
    )
    user.add_parser("list", help="list users")
    return p


def _demo_users(store: Store) -> list[tuple[str, str, str, str]]:
    """(username, role, scope, display name) of the demo: one per role, plus sub-centers."""
    first_street = store.query_value(
        "SELECT min(code) FROM admin_areas WHERE level = 'street' AND code LIKE '445102%'"
    )
    community = store.query_value(
        "SELECT min(community_code) FROM grid_cells WHERE street_code = ?", [first_street]
    )
    cells = [
        r[0]
        for r in store.query_rows(
            "SELECT cell_code FROM grid_cells WHERE community_code = ? ORDER BY cell_code LIMIT 12",
            [community],
        )
    ]
    return [
        ("operator", "operator", "city", "市中心值班坐席"),
        ("dispatcher", "dispatcher", "city", "市分拨中心分拨员"),
        ("gridworker", "grid_worker", "cells:" + ",".join(cells), "网格员（演示）"),
        ("leader", "leader", "city", "市领导（演示）"),
        ("emergency", "emergency", "city", "市应急指挥值班员"),
        ("admin", "admin", "city", "系统管理员"),
        ("xq_operator", "operator", "district:445102", "湘桥区分中心坐席"),
        ("street_operator", "operator", f"street:{first_street}", "镇街子中心坐席"),
    ]


def _new_password() -> str:
    return secrets.token_urlsafe(9) + str(secrets.randbelow(90) + 10)


def cmd_init(config: Config, store: Store, *, demo: bool = True) -> None:
    from ingest.demo_city.generate import generate_demo_city
    from ingest.demo_city.load import load_demo_city
    from models.categories import seed_categories

    added = seed_categories(store)  # the national-style category table; admins edit it later
    if added:
        print(f"categories loaded: {added}")
    if not demo:
        print(f"database ready: {config.database_path} (schema v{store.schema_version})")
        return
    if store.query_value("SELECT count(*) FROM grid_versions"):
        print(f"database ready: {config.database_path} already holds a grid; nothing to load")
    else:
        started = time.perf_counter()
        city = generate_demo_city(seed=config.settings.demo.seed)
        generated = time.perf_counter()
        counts = load_demo_city(store, city, now=utcnow())
        log.info(
            "demo city ready",
            extra={
                "generate_s": round(generated - started, 2),
                "load_s": round(time.perf_counter() - generated, 2),
                "cells": counts["grid_cells"],
            },
        )
        print(
            f"demo city loaded into {config.database_path}: "
            + ", ".join(f"{k} {v}" for k, v in counts.items())
        )
    days = config.settings.demo.history_days
    if days and not store.query_value("SELECT count(*) FROM cases"):
        from ingest.demo_city.history import generate_case_history
        from models.work_calendar import WorkCalendar

        history = generate_case_history(
            store,
            end=utcnow(),
            days=days,
            seed=config.settings.demo.seed,
            calendar=WorkCalendar.from_settings(config.settings.calendar),
        )
        print(f"demo case history loaded: {history['cases']} cases ({days} days)")
    if config.settings.demo.create_users and not store.query_value("SELECT count(*) FROM users"):
        lines = []
        for username, role, scope, display in _demo_users(store):
            password = _new_password()
            add_user(
                store,
                username,
                password,
                role=role,
                scope=parse_scope(scope),
                display_name=display,
                min_password_length=10,
                actor="init",
            )
            lines.append(f"{username:16} {role:12} {password:16} {scope[:40]}")
        table = "\n".join(lines)
        path = config.database_path.with_name("demo-users.txt")
        path.write_text(
            "username         role         password         scope\n" + table + "\n",
            encoding="utf-8",
        )
        os.chmod(path, 0o600)
        print("demo users (also saved, readable by you only, in", path, "):")
        print(table)


def cmd_user_add(store: Store, args: argparse.Namespace, config: Config) -> None:
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("password: ")
        if getpass.getpass("again: ") != password:
            raise UserError("the two passwords differ")
    user = add_user(
        store,
        args.username,
        password,
        role=args.role,
        scope=parse_scope(args.scope),
        display_name=args.display_name,
        language=args.language,
        min_password_length=config.settings.security.min_password_length,
    )
    print(f"user {user.username} created: role {user.role}, scope {user.scope.label()}")


def file_options(config: Config) -> dict[str, object]:
    """Options of every file load, from the settings (CLI and drop folder alike)."""
    return {
        "metric_crs": config.settings.map.metric_crs,
        "max_bytes": config.settings.ingest.max_file_mb * 2**20,
    }


def cmd_ingest(config: Config, store: Store, args: argparse.Namespace) -> int:
    from ingest.files import ingest_paths, render_text

    results = ingest_paths(
        store,
        args.paths,
        kind=args.kind,
        now=utcnow(),
        progress=sys.stderr.isatty(),
        local_tz=config.settings.calendar.timezone if args.local_time else None,
        report_dir=args.report_dir,
        **file_options(config),
    )
    for result in results:
        print(render_text(result))
    return 1 if any(r.status == "failed" for r in results) else 0


def run_worker(config: Config, store: Store, *, status_every_s: float = 5.0) -> None:
    """Ingest until SIGTERM/SIGINT, then commit what is queued and stop."""
    import signal
    import threading

    from app.runtime import start_background

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    background = start_background(config, store)
    log.info("worker running", extra={"database": str(config.database_path)})
    try:
        while not stop.wait(status_every_s):
            log.info("worker alive", extra=background.health())
    finally:
        background.stop()


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"cityops: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    setup_logging(config.settings.logging.level)
    if args.command == "simulate":  # never opens the database: the server holds it
        return run_simulate(args, config)
    if args.command == "check-config":
        print(json.dumps(redacted_dump(config), ensure_ascii=False, indent=2))
        return 0
    try:
        store = Store(config.database_path)
    except StoreError as exc:
        print(f"cityops: {exc}", file=sys.stderr)
        return EXIT_STORE
    try:
        if args.command == "init":
            cmd_init(config, store, demo=not args.no_demo)
        elif args.command == "user":
            if args.user_command == "add":
                cmd_user_add(store, args, config)
            else:
                for u in list_users(store):
                    print(
                        f"{u.username:16} {u.role:12} {u.scope.label()[:60]}"
                        f"{'  (disabled)' if u.disabled else ''}"
                    )
        elif args.command in ("serve", "demo"):
            if args.command == "demo":
                cmd_init(config, store)
            from app.server import serve

            host = args.host or config.settings.server.host
            port = args.port if args.port is not None else config.settings.server.port
            serve(
                config,
                store,
                host=host,
                port=port,
                allow_embedded_broker=args.command == "demo",
                simulate=bool(getattr(args, "simulate", False)),
            )
        elif args.command == "category":
            return run_category(store, args)
        elif args.command == "evaluate":
            return run_evaluate(config, store, args)
        elif args.command == "case":
            return run_case(config, store, args)
        elif args.command == "ingest":
            return cmd_ingest(config, store, args)
        elif args.command == "deadletters":
            from models.dead_letters import list_dead_letters

            df = list_dead_letters(store, limit=args.limit, channel=args.channel)
            for row in df.itertuples():
                print(
                    f"#{row.dead_letter_id} {row.received_at:%Y-%m-%d %H:%M:%S} "
                    f"{row.channel} {row.topic}\n    reason: {row.reason}\n    "
                    f"payload: {row.preview}"
                )
            print(f"{len(df)} dead letter(s) shown")
        elif args.command == "worker":
            run_worker(config, store, status_every_s=args.status_every)
    except (UserError, ValueError) as exc:
        print(f"cityops: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    finally:
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
