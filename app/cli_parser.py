"""The `cityops` command line's grammar: every command and option, parsed in the CLI and
again, from the same argv, by a server that runs the command for it."""

from __future__ import annotations

import argparse
from pathlib import Path

from app.cli_backup import add_backup_parser
from app.cli_cases import add_case_parser, add_category_parser, add_evaluate_parser
from app.cli_duties import add_duties_parser
from app.cli_reports import add_report_parser
from app.cli_types import bounded_float, bounded_int, list_limit, port
from ingest.simulator.cli import add_simulate_parser

#: Environment variable naming the user a command acts as when --user is not given.
USER_ENV = "CITYOPS_USER"


def build_parser() -> argparse.ArgumentParser:
    """The parser of every `cityops` command."""
    p = argparse.ArgumentParser(prog="cityops", description="CityOps city operations center")
    p.add_argument(
        "--config", type=Path, help="config file (default: $CITYOPS_CONFIG or ./config.yaml)"
    )
    p.add_argument(
        "--user",
        help=f"act as this user of the users table (default: ${USER_ENV}); "
        "their role and scope are checked",
    )
    sub = p.add_subparsers(dest="command", required=True)
    init = sub.add_parser("init", help="create the database and load the demo city")
    init.add_argument("--no-demo", action="store_true", help="create an empty database only")
    for name, text in (("serve", "run the web server"), ("demo", "init if needed, then serve")):
        s = sub.add_parser(name, help=text)
        s.add_argument("--host")
        s.add_argument("--port", type=port)
        if name == "demo":
            s.add_argument(
                "--simulate",
                action="store_true",
                help="also run `cityops simulate` (a live day at real speed)",
            )
            s.add_argument(
                "--scenario",
                choices=["typhoon", "chemical_leak", "forest_fire"],
                help="run a drill in the demo's simulator (implies --simulate): it starts "
                "10 minutes after the start, the emergency screens respond to it",
            )
    worker = sub.add_parser("worker", help="run ingest only (MQTT and the drop folder), no web")
    worker.add_argument(
        "--status-every",
        type=bounded_float(0, 86_400),
        default=5.0,
        metavar="S",
        help="log ingest counters every S seconds",
    )
    ing = sub.add_parser(
        "ingest", help="load files: grids, sensors, observations, hotline, CAP, cameras"
    )
    ing.add_argument("paths", nargs="+", type=Path)
    ing.add_argument(
        "--kind", choices=["grid", "sensors", "observations", "hotline", "cap", "cameras"]
    )
    ing.add_argument(
        "--local-time",
        action="store_true",
        help="times without a zone are local (calendar.timezone)",
    )
    ing.add_argument(
        "--report-dir", type=Path, help="write reports here (default: beside each file)"
    )
    dead = sub.add_parser("deadletters", help="list rejected input kept for inspection")
    dead.add_argument("--limit", type=list_limit, default=50)
    dead.add_argument("--channel", choices=["mqtt", "file", "http"])
    dead_sub = dead.add_subparsers(dest="deadletters_command")
    again = dead_sub.add_parser(
        "reingest",
        help="send dead letters through ingest again once their cause is fixed (admin)",
    )
    again.add_argument("ids", nargs="+", type=bounded_int(1, 2**62), metavar="ID")
    add_simulate_parser(sub)
    add_case_parser(sub)
    add_evaluate_parser(sub)
    add_category_parser(sub)
    add_duties_parser(sub)
    add_report_parser(sub)
    add_backup_parser(sub)
    sub.add_parser("check-config", help="print the effective config, secrets redacted")
    user = sub.add_parser("user", help="manage users (admin)").add_subparsers(
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
    for verb in ("disable", "enable"):
        user.add_parser(verb, help=f"{verb} a user (log-in and CLI)").add_argument("username")
    user.add_parser(
        "reset-password", help="give a user a new random password, printed once"
    ).add_argument("username")
    setting = user.add_parser("set", help="change a user's role, scope or display name")
    setting.add_argument("username")
    setting.add_argument("--role")
    setting.add_argument(
        "--scope", help="city | district:445102 | street:445102007 | cells:CODE,CODE | unit:CODE"
    )
    setting.add_argument("--display-name")
    token = sub.add_parser("token", help="API bearer tokens of users (admin)").add_subparsers(
        dest="token_command", required=True
    )
    made = token.add_parser("create", help="make a token for USER; it is printed once")
    made.add_argument("username")
    made.add_argument("--label", help="what the token is for (e.g. 12345 hotline)")
    token.add_parser("list", help="list tokens (never their secrets)").add_argument(
        "username", nargs="?"
    )
    token.add_parser("revoke", help="revoke a token by its id").add_argument("token_id")
    return p
