"""The CLI commands that work on the store, run as a checked user: the same code runs in the
CLI's own process or, when a server holds the database, in the server for the CLI."""

from __future__ import annotations

import argparse
import getpass
import logging
import sys
from pathlib import Path
from typing import Any

from app.cli_cases import run_case, run_category, run_evaluate
from app.cli_parser import build_parser
from app.cli_reports import ROLES as REPORT_ROLES
from app.cli_reports import run_indicators, run_report
from app.control import ControlError, ControlServer, control_socket_path
from models.clock import utcnow
from models.config import Config
from models.security import is_city_admin, parse_scope
from models.store import Store
from models.users import (
    AccessDenied,
    User,
    UserError,
    acting_user,
    add_user,
    list_users,
    set_user_disabled,
)

log = logging.getLogger(__name__)

#: Commands that need the store and that a running server runs for the CLI.
STORE_COMMANDS = frozenset(
    {"case", "user", "token", "category", "ingest", "evaluate", "deadletters", "report",
     "indicators", "backup", "duties"}
)  # fmt: skip
_ADMIN = frozenset({"admin"})


def who_may(args: argparse.Namespace) -> tuple[bool, frozenset[str] | None]:
    """(needs a user, roles allowed) for a parsed command; (False, None) for a read.

    The admin commands (users, tokens, ingest, backup, duties, category edits, dead-letter
    re-ingest) are for admins of the whole city only, as /admin and the users API: see
    :func:`run_store_command`."""
    if args.command in ("user", "token", "ingest", "backup", "duties"):
        return True, _ADMIN
    if args.command in REPORT_ROLES:
        return True, REPORT_ROLES[args.command]
    if args.command == "category" and args.category_command == "set":
        return True, _ADMIN
    if args.command == "deadletters" and getattr(args, "deadletters_command", None):
        return True, _ADMIN  # re-ingest writes
    if args.command == "case" and args.case_command in ("report", "transition"):
        return True, None  # the workflow checks the role per action, the scope per case
    return False, None


def read_password(args: argparse.Namespace) -> str | None:
    """The new password of `user add`, read where the command was typed (never by a server)."""
    if not (args.command == "user" and args.user_command == "add"):
        return None
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    try:
        password = getpass.getpass("password: ")
        again = getpass.getpass("again: ")
    except EOFError:  # no terminal and nothing on stdin: getpass read an empty input
        print(file=sys.stderr)
        raise UserError(
            "no password given: type it at a terminal, or pipe it in with --password-stdin"
        ) from None
    if again != password:
        raise UserError("the two passwords differ")
    return password


def run_store_command(
    config: Config,
    store: Store,
    args: argparse.Namespace,
    *,
    username: str | None,
    password: str | None = None,
) -> int:
    """Run one store command as ``username``; refusals print their reason and return 1.

    Every refusal of a user is audited (``cli.denied``); what a command writes is audited
    with the user by the command itself.
    """
    needs_user, roles = who_may(args)
    what = " ".join(
        str(v)
        for v in (args.command, getattr(args, f"{args.command}_command", None))
        if v is not None
    )
    user: User | None = None
    try:
        if needs_user and not _bootstrapping(store, args):
            user = acting_user(store, username, roles=roles, what=what)
            if roles == _ADMIN and not is_city_admin(user.role, user.scope):
                raise AccessDenied(
                    f"{what} is for admins of the whole city only; {user.username}'s scope "
                    f"is {user.scope.label()[:60]}"
                )
        return _dispatch(config, store, args, user, password)
    except AccessDenied as exc:
        store.audit("cli.denied", actor=username, target=what, outcome="denied", detail=str(exc))
        print(f"cityops: {exc}", file=sys.stderr)
        return 1
    except (UserError, ValueError) as exc:
        print(f"cityops: {exc}", file=sys.stderr)
        return 1


def _bootstrapping(store: Store, args: argparse.Namespace) -> bool:
    """The first user of an empty users table is added without one (it must be an admin)."""
    if not (args.command == "user" and args.user_command == "add"):
        return False
    if list_users(store):
        return False
    if args.role != "admin":
        raise UserError("the first user must be an admin (role admin)")
    return True


def _dispatch(
    config: Config,
    store: Store,
    args: argparse.Namespace,
    user: User | None,
    password: str | None,
) -> int:
    if args.command == "case":
        return run_case(config, store, args, user)
    if args.command == "category":
        return run_category(store, args, user)
    if args.command == "duties":
        from app.cli_duties import run_duties

        assert user is not None
        return run_duties(store, args, user)
    if args.command == "evaluate":
        return run_evaluate(config, store, args)
    if args.command in REPORT_ROLES:
        assert user is not None
        run = run_report if args.command == "report" else run_indicators
        return run(config, store, args, user)
    if args.command == "ingest":
        assert user is not None
        return _ingest(config, store, args, user)
    if args.command == "backup":
        from app.cli_backup import run_backup

        assert user is not None
        return run_backup(config, store, args, user)
    if args.command == "deadletters":
        if getattr(args, "deadletters_command", None) == "reingest":
            assert user is not None
            return _reingest(config, store, args, user)
        return _dead_letters(store, args)
    if args.command == "token":
        assert user is not None
        return _token_command(store, args, user)
    return _user_command(config, store, args, user, password)


def _user_command(
    config: Config,
    store: Store,
    args: argparse.Namespace,
    user: User | None,
    password: str | None,
) -> int:
    actor = user.username if user is not None else "bootstrap"
    if args.user_command == "add":
        if password is None:
            raise UserError("no password given")
        made = add_user(
            store,
            args.username,
            password,
            role=args.role,
            scope=parse_scope(args.scope),
            display_name=args.display_name,
            language=args.language,
            min_password_length=config.settings.security.min_password_length,
            actor=actor,
        )
        print(f"user {made.username} created: role {made.role}, scope {made.scope.label()}")
    elif args.user_command in ("disable", "enable"):
        set_user_disabled(store, args.username, args.user_command == "disable", actor=actor)
        print(f"user {args.username} {args.user_command}d")
    elif args.user_command in ("reset-password", "set"):
        return _user_change(config, store, args, actor)
    else:
        for u in list_users(store):
            print(
                f"{u.username:16} {u.role:12} {u.scope.label()[:60]}"
                f"{'  (disabled)' if u.disabled else ''}"
            )
    return 0


def _user_change(config: Config, store: Store, args: argparse.Namespace, actor: str) -> int:
    """`user reset-password` (the new password printed once) and `user set`; either ends
    the user's sessions."""
    from models.security import generate_password
    from models.users import change_user

    min_length = config.settings.security.min_password_length
    if args.user_command == "reset-password":
        password = generate_password(min_length=min_length)
        change_user(store, args.username, actor=actor, password=password,
                    min_password_length=min_length)  # fmt: skip
        print(f"new password of {args.username} (shown once; their sessions ended):")
        print(password)
        return 0
    if args.role is None and args.scope is None and args.display_name is None:
        raise UserError("give --role, --scope or --display-name")
    changed = change_user(
        store, args.username, actor=actor, role=args.role,
        scope=parse_scope(args.scope) if args.scope is not None else None,
        display_name=args.display_name,
    )  # fmt: skip
    print(
        f"user {changed.username}: role {changed.role}, scope {changed.scope.label()}, "
        f"name {changed.display_name} (their sessions ended)"
    )
    return 0


def _token_command(store: Store, args: argparse.Namespace, user: User) -> int:
    from models.api_tokens import create_token, list_tokens, revoke_token

    if args.token_command == "create":
        made, secret = create_token(
            store, args.username, label=args.label, created_by=user.username, at=utcnow()
        )
        print(f"token {made.token_id} for {made.username} (shown once, keep it secret):")
        print(secret)
    elif args.token_command == "revoke":
        gone = revoke_token(store, args.token_id, actor=user.username, at=utcnow())
        print(f"token {gone.token_id} of {gone.username} revoked")
    else:
        for t in list_tokens(store, args.username):
            used = f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "never"
            state = f"revoked {t.revoked_at:%Y-%m-%d %H:%M}" if t.revoked_at else "active"
            print(
                f"{t.token_id:16} {t.username:16} {state:22} used {used:16} {(t.label or '')[:40]}"
            )
    return 0


def file_options(config: Config) -> dict[str, object]:
    """Options of every file load, from the settings (CLI and drop folder alike)."""
    from ingest.time_window import TimeWindow

    return {
        "metric_crs": config.settings.map.metric_crs,
        "max_bytes": config.settings.ingest.max_file_mb * 2**20,
        "window": TimeWindow.from_settings(config.settings.ingest),
    }


def _ingest(config: Config, store: Store, args: argparse.Namespace, user: User) -> int:
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
    store.audit(
        "ingest",
        actor=user.username,
        target=", ".join(str(p) for p in args.paths)[:500],
        outcome="failed" if any(r.status == "failed" for r in results) else "ok",
    )
    return 1 if any(r.status == "failed" for r in results) else 0


def _dead_letters(store: Store, args: argparse.Namespace) -> int:
    from models.dead_letters import list_dead_letters

    df = list_dead_letters(store, limit=args.limit, channel=args.channel)
    for row in df.itertuples():
        print(
            f"#{row.dead_letter_id} {row.received_at:%Y-%m-%d %H:%M:%S} "
            f"{row.channel} {row.topic}\n    reason: {row.reason}\n    "
            f"payload: {row.preview}"
        )
    print(f"{len(df)} dead letter(s) shown")
    return 0


def _reingest(config: Config, store: Store, args: argparse.Namespace, user: User) -> int:
    from app.reingest import reingest

    results = reingest(config, store, args.ids, actor=user.username)
    for r in results:
        print(f"#{r.dead_letter_id}: {r.outcome}")
    taken = sum(r.taken for r in results)
    print(f"{taken} re-ingested, {len(results) - taken} refused")
    return 0 if taken == len(results) else 1


# -- the server side of the control socket --------------------------------------------------
def execute_request(config: Config, store: Store, request: dict[str, Any]) -> int:
    """Run a CLI request in this (the server's) process against its own store.

    The request carries the CLI's ``argv``, its working directory ``cwd`` (relative paths
    are the caller's), the ``user`` it acts as and, for `user add`, the ``password``. The
    argv is parsed again here: nothing the client decided is trusted but the OS account.
    """
    argv, cwd = request.get("argv"), request.get("cwd")
    if not (isinstance(argv, list) and all(isinstance(a, str) for a in argv)):
        print("cityops: bad request: argv must be a list of strings", file=sys.stderr)
        return 2
    if not (isinstance(cwd, str) and Path(cwd).is_absolute()):
        print("cityops: bad request: cwd must be an absolute path", file=sys.stderr)
        return 2
    args = build_parser().parse_args(argv)
    if args.command not in STORE_COMMANDS:
        print(f"cityops: the server does not run {args.command!r}", file=sys.stderr)
        return 2
    for key, value in vars(args).items():
        if isinstance(value, Path):
            setattr(args, key, Path(cwd) / value)
        elif isinstance(value, list) and value and all(isinstance(v, Path) for v in value):
            setattr(args, key, [Path(cwd) / v for v in value])
    username, password = request.get("user"), request.get("password")
    return run_store_command(
        config,
        store,
        args,
        username=username if isinstance(username, str) else None,
        password=password if isinstance(password, str) else None,
    )


def start_control(config: Config, store: Store) -> ControlServer | None:
    """Listen for CLI commands beside the database; None (logged) when that is impossible."""
    path = control_socket_path(config.database_path)
    try:
        return ControlServer(path, lambda request: execute_request(config, store, request)).start()
    except (ControlError, OSError) as exc:
        log.error(
            "control socket not started: CLI commands cannot reach this server",
            extra={"path": str(path), "error": str(exc)},
        )
        return None
