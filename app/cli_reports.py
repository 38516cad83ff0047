"""The `cityops report` and `cityops indicators` commands: make a daily or monthly report now
(as a user of the report roles, for their city or district), import external indicators."""

from __future__ import annotations

import argparse
from pathlib import Path

from app.reports.schedule import latest_daily, latest_monthly
from app.reports.store import READER_ROLES, BadReport, ReportKey, check_period, scope_district
from models.clock import utcnow
from models.config import Config
from models.report_queries import area_names
from models.store import Store
from models.users import AccessDenied, User

#: (command, subcommand) -> roles that may run it.
ROLES = {"report": READER_ROLES, "indicators": frozenset({"admin"})}


def add_report_parser(sub: argparse._SubParsersAction) -> None:
    rep = sub.add_parser(
        "report", help="make a daily or monthly report (PDF and XLSX) under reports.dir"
    )
    rep.add_argument("kind", choices=["daily", "monthly"])
    rep.add_argument(
        "--period",
        help="2026-12-06 (daily) or 2026-11 (monthly); default: the previous local day or month",
    )
    rep.add_argument(
        "--district", help="a district's report (6-digit code; a district user's own by default)"
    )
    rep.add_argument("--force", action="store_true", help="make it again even if it exists")
    ind = sub.add_parser("indicators", help="indicators from elsewhere (admin)").add_subparsers(
        dest="indicators_command", required=True
    )
    imp = ind.add_parser("import", help="import external indicator values from CSV or XLSX")
    imp.add_argument("file", type=Path)


def _key(config: Config, store: Store, args: argparse.Namespace, user: User) -> ReportKey:
    tz = config.settings.calendar.timezone
    if args.period:
        period = check_period(args.kind, args.period)
    elif args.kind == "daily":
        period = latest_daily(utcnow(), tz=tz, daily_at="00:00")
    else:
        period = latest_monthly(utcnow(), tz=tz, daily_at="00:00", monthly_day=1)
    own = scope_district(user.scope)
    district = args.district or own
    if district is not None and not (len(district) == 6 and district.isascii()
                                     and (district.isascii() and district.isdigit())):  # fmt: skip
        raise BadReport("--district takes a 6-digit district code")
    if own is not None and district != own:
        raise AccessDenied(f"district {district} is outside the scope of {user.username}")
    if district is not None and district not in area_names(store, [district]):
        raise BadReport(f"no district {district}")
    return ReportKey(args.kind, period, district)


def run_report(config: Config, store: Store, args: argparse.Namespace, user: User) -> int:
    """Make the report (or find it made) and print its two files."""
    from app.reports.make import make_report

    key = _key(config, store, args, user)
    paths = make_report(store, config, key, now=utcnow(), force=args.force)
    store.audit("cli.report", actor=user.username, target=key.file_name("pdf"))
    for path in paths.values():
        print(path)
    return 0


def run_indicators(config: Config, store: Store, args: argparse.Namespace, user: User) -> int:
    """Import a file of external indicator values (经济运行 from the statistics bureau)."""
    from ingest.files import render_text
    from ingest.files.indicator_values import import_external

    tz = config.settings.calendar.timezone
    result = import_external(store, args.file, actor=user.username, now=utcnow(), tz=tz)
    print(render_text(result), end="")
    return 0 if result.ok else 1
