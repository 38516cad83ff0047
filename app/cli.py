"""The `cityops` command line: init, serve, demo, worker, check-config, and the hand-over of
store commands to a running server (or opening the database when none runs)."""

from __future__ import annotations

import json
import logging
import os
import secrets
import sys
import time

from app.cli_parser import USER_ENV, build_parser
from app.commands import STORE_COMMANDS, read_password, run_store_command, start_control
from app.control import EXIT_CONTROL, ControlError, control_socket_path, send_request
from app.logs import setup_logging
from ingest.simulator.cli import run_simulate
from models.case_queries import has_cases
from models.clock import utcnow
from models.config import Config, ConfigError, load_config, redacted_dump
from models.geography import current_grid_version, first_street_cells
from models.security import parse_scope
from models.store import Store, StoreError
from models.units import street_units
from models.users import UserError, add_user, list_users

log = logging.getLogger("cityops")

EXIT_CONFIG = 2
EXIT_STORE = 3


def _demo_users(store: Store) -> list[tuple[str, str, str, str]]:
    """(username, role, scope, display name) of the demo: one per role, plus sub-centers."""
    first_street, cells = first_street_cells(store, "445102", limit=12)
    return [
        ("operator", "operator", "city", "市中心值班坐席"),
        ("dispatcher", "dispatcher", "city", "市分拨中心分拨员"),
        ("gridworker", "grid_worker", "cells:" + ",".join(cells), "网格员（演示）"),
        ("leader", "leader", "city", "市领导（演示）"),
        ("emergency", "emergency", "city", "市应急指挥值班员"),
        ("admin", "admin", "city", "系统管理员"),
        ("xq_operator", "operator", "district:445102", "湘桥区分中心坐席"),
        ("street_operator", "operator", f"street:{first_street}", "镇街子中心坐席"),
        ("district_leader", "leader", "district:445102", "湘桥区领导（演示）"),  # its cockpit
        # handlers (处置人员): the district's urban-management bureau, and the street office
        # answering for its communities' committees (where the grid worker's cases go)
        ("xq_cg", "handler", "unit:CG-445102", "湘桥区城管执法局处置员"),
        (
            "street_handler",
            "handler",
            "unit:" + ",".join(street_units(store, first_street)),
            "桥东街道处置员",
        ),
    ]


def _new_password() -> str:
    return secrets.token_urlsafe(9) + str(secrets.randbelow(90) + 10)


def _load_demo_statistics(config: Config, store: Store) -> None:
    """The demo's SYNTHETIC statistics-bureau figures (经济运行), loaded with the demo city."""
    from ingest.files.indicator_values import DEMO_FILE, import_external

    tz = config.settings.calendar.timezone
    result = import_external(store, DEMO_FILE, actor="init", now=utcnow(), tz=tz)
    print(f"demo statistics (synthetic): {result.summary}")


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
    if current_grid_version(store) is not None:
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
        _load_demo_statistics(config, store)
    days = config.settings.demo.history_days
    if days and not has_cases(store):
        from ingest.demo_city.history import generate_case_history
        from models.calendar_in_force import calendar_in_force

        history = generate_case_history(
            store,
            end=utcnow(),
            days=days,
            seed=config.settings.demo.seed,
            calendar=calendar_in_force(store, config.settings.calendar),
        )
        print(f"demo case history loaded: {history['cases']} cases ({days} days)")
    days = config.settings.demo.readings_days
    if days:
        from ingest.demo_city.readings import generate_patrol_history, generate_readings_history

        seed = config.settings.demo.seed
        written = generate_readings_history(store, end=utcnow(), days=days, seed=seed)
        written["patrol check-ins"] = generate_patrol_history(
            store, end=utcnow(), days=days, seed=seed
        )
        if any(written.values()):
            print(
                "demo readings history loaded (synthetic): "
                + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in written.items())
                + f" ({days} days)"
            )
    if config.settings.demo.create_users and not list_users(store):
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


def run_worker(config: Config, store: Store, *, status_every_s: float = 5.0) -> None:
    """Ingest until SIGTERM/SIGINT, then commit what is queued and stop."""
    import signal
    import threading

    from app.runtime import start_background

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    background = start_background(config, store)
    control = start_control(config, store)  # the CLI's commands run here while we hold the file
    log.info("worker running", extra={"database": str(config.database_path)})
    try:
        while not stop.wait(status_every_s):
            log.info("worker alive", extra=background.health())
    finally:
        if control is not None:
            control.stop()
        background.stop()


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
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
    username = args.user or os.environ.get(USER_ENV) or None
    if args.command == "restore":  # never handed to a server: the installation is stopped
        from app.cli_backup import run_restore

        return run_restore(config, args, username=username)
    password = None
    if args.command in STORE_COMMANDS:
        try:
            password = read_password(args)
            answer = send_request(
                control_socket_path(config.database_path),
                {"argv": argv, "cwd": os.getcwd(), "user": username, "password": password},
                warn=sys.stderr,
            )
        except (UserError, ControlError) as exc:
            print(f"cityops: {exc}", file=sys.stderr)
            return EXIT_CONTROL if isinstance(exc, ControlError) else 1
        if answer is not None:  # a running server ran it
            sys.stdout.write(str(answer.get("stdout", "")))
            sys.stderr.write(str(answer.get("stderr", "")))
            return int(answer["code"])
    try:
        store = Store(config.database_path)
    except StoreError as exc:
        print(f"cityops: {exc}", file=sys.stderr)
        return EXIT_STORE
    try:
        if args.command in STORE_COMMANDS:
            return run_store_command(config, store, args, username=username, password=password)
        if args.command == "init":
            cmd_init(config, store, demo=not args.no_demo)
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
                simulate=bool(getattr(args, "simulate", False) or getattr(args, "scenario", None)),
                scenario=getattr(args, "scenario", None),
            )
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
