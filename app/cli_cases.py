"""The `cityops case` commands: report, list, show and move cases along the workflow."""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from app.cli_types import bounded_float, list_limit
from ingest.locate import store_locator
from models.calendar_in_force import calendar_in_force
from models.case_queries import case_record, list_cases, list_categories, route_reasons
from models.case_service import Actor, Refused, act
from models.cases import CaseError, history, report_case, sla_limit
from models.categories import get_category
from models.clock import utcnow
from models.config import Config
from models.coordinates import coordinates_problem
from models.security import parse_scope
from models.sla import dispatched_limit, sla_status
from models.store import Store
from models.users import User
from models.workflow import ACTIONS, fold


def add_case_parser(sub: argparse._SubParsersAction) -> None:
    case = sub.add_parser("case", help="report, list, show and move cases").add_subparsers(
        dest="case_command", required=True
    )
    rep = case.add_parser("report", help="report a new case")
    rep.add_argument("--category", required=True)
    rep.add_argument("--lon", type=float, required=True)
    rep.add_argument("--lat", type=float, required=True)
    rep.add_argument("--text", default="")
    rep.add_argument("--source", default="grid_worker")
    rep.add_argument("--exercise", action="store_true")
    lst = case.add_parser("list", help="list cases, newest first")
    lst.add_argument("--stage")
    lst.add_argument("--scope", default="city")
    lst.add_argument("--limit", type=list_limit, default=20)
    show = case.add_parser("show", help="a case with its history and routing reasons")
    show.add_argument("case_id")
    tr = case.add_parser("transition", help="apply a workflow action")
    tr.add_argument("case_id")
    tr.add_argument("action", choices=sorted(ACTIONS))
    tr.add_argument("--note")
    tr.add_argument("--unit")
    tr.add_argument("--reason")
    tr.add_argument(
        "--extension-hours", type=bounded_float(0, 2920), help="working hours asked or granted"
    )
    tr.add_argument("--override-reason", help="why another unit than the suggested one")
    tr.add_argument("--category", help="the new category code (recategorise)")


def add_category_parser(sub: argparse._SubParsersAction) -> None:
    cat = sub.add_parser("category", help="list or edit the category table (admin)")
    verbs = cat.add_subparsers(dest="category_command", required=True)
    verbs.add_parser("list", help="every category with its owner and time limit")
    edit = verbs.add_parser("set", help="edit one category; every change is audited")
    edit.add_argument("code")
    edit.add_argument(
        "field_values",
        nargs="+",
        metavar="FIELD=VALUE",
        help="e.g. limit_value=4 limit_unit=working_hours enabled=false",
    )


def run_category(store: Store, args: argparse.Namespace, user: User | None = None) -> int:
    """List the category table, or edit one category as ``user`` (an admin, checked by the
    caller)."""
    from models.categories import CategoryTableError
    from models.category_edits import update_category

    if args.category_command == "list":
        for row in list_categories(store):
            code, kind, name, owner, value, unit, enabled = row
            print(
                f"{code}  {kind:9} {name:12} {owner:8} {value:g} {unit}"
                f"{'' if enabled else '  (disabled)'}"
            )
        return 0
    changes = {}
    for item in args.field_values:
        key, sep, value = item.partition("=")
        if not sep:
            print(f"cityops category: {item!r} is not FIELD=VALUE", file=sys.stderr)
            return 1
        changes[key.strip()] = value
    try:
        assert user is not None, "category set acts as a user"
        row = update_category(store, args.code, actor=user.username, **changes)
    except CategoryTableError as exc:
        print(f"cityops category: {exc}", file=sys.stderr)
        return 1
    print(f"category {args.code} updated: " + ", ".join(f"{k}={row[k]}" for k in changes))
    return 0


def add_evaluate_parser(sub: argparse._SubParsersAction) -> None:
    ev = sub.add_parser("evaluate", help="evaluation of one month (考核): rates and scores")
    ev.add_argument("--period", required=True, help="a month, e.g. 2026-10")
    ev.add_argument(
        "--by", default="district", choices=["district", "street", "department", "post"]
    )
    ev.add_argument("--csv", type=Path, help="also write the table as CSV here")


def run_evaluate(config: Config, store: Store, args: argparse.Namespace) -> int:
    from models.evaluation import evaluate, period_of_month

    try:
        start, end = period_of_month(args.period, tz=config.settings.calendar.timezone)
    except ValueError as exc:
        print(f"cityops evaluate: {exc}", file=sys.stderr)
        return 1
    df = evaluate(store, period_start=start, period_end=end, by=args.by, now=utcnow())
    columns = [
        "group_value",
        "group_name",
        "registered",
        "on_time_dispatch_rate",
        "on_time_handling_rate",
        "closure_rate",
        "rework_rate",
        "overdue_count",
        "mean_handling_hours",
        "score",
    ]
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(df[columns].to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    if args.csv:
        df.to_csv(args.csv, index=False)
    return 0


def run_case(
    config: Config, store: Store, args: argparse.Namespace, user: User | None = None
) -> int:
    """Run one `cityops case` command; report and transition act as ``user`` (their role
    and scope from the users table, resolved by the caller)."""
    calendar = calendar_in_force(store, config.settings.calendar)
    try:
        if args.case_command == "report":
            assert user is not None, "case report acts as a user"
            problem = coordinates_problem(args.lon, args.lat)
            if problem:  # before locating: the locator is not asked about NaN
                raise CaseError(problem)
            locate = store_locator(store, metric_crs=config.settings.map.metric_crs)
            cells, _ = locate(np.array([args.lon], float), np.array([args.lat], float))
            cell = cells[0] if len(cells) else None
            if user.scope.kind != "city" and not (cell and user.scope.contains_cell(cell)):
                raise CaseError(f"the place is outside the scope of {user.username}")
            r = report_case(
                store,
                category_code=args.category,
                lon=args.lon,
                lat=args.lat,
                at=utcnow(),
                source=args.source,
                actor=user.username,
                role=user.role,
                text=args.text,
                exercise=args.exercise,
                locate=locate,
                tz=config.settings.calendar.timezone,
            )
            store.audit("case.report", actor=user.username, target=r.case_id)
            print(
                f"case {r.case_id} reported → {r.route.unit}"
                + (f" / {r.route.assignee}" if r.route.assignee else "")
            )
            for reason in r.route.reasons:
                print(f"  - {reason}")
            if r.duplicates:
                print(f"  possible duplicates: {', '.join(r.duplicates)}")
        elif args.case_command == "list":
            rows = list_cases(
                store, scope=parse_scope(args.scope), stage=args.stage, limit=args.limit
            )
            for row in rows:
                print("  ".join("-" if v is None else str(v) for v in row))
            print(f"{len(rows)} case(s)")
        elif args.case_command == "show":
            record = case_record(store, args.case_id)
            if record is None:
                raise CaseError(f"unknown case {args.case_id!r}")
            for key, value in record.items():
                print(f"{key:18} {value}")
            past = history(store, args.case_id)
            category = (
                get_category(store, record["category_code"]) if record["category_code"] else None
            )
            if category and past:
                state = fold(past)
                category_limit = sla_limit(category, calendar)
                kept = dispatched_limit(
                    record.get("sla_limit_s"), state, category_limit=category_limit
                )  # the limit it was dispatched with: a later category change does not move it
                status = sla_status(
                    state,
                    limit=kept or category_limit,
                    now=utcnow(),
                    working_time_between=calendar.working_time_between,
                )
                print(
                    f"{'sla':18} {status.level}: used {status.used}, left {status.left} "
                    f"({status.fraction:.0%} of {status.limit})"
                )
            for t in past:
                print(
                    f"  #{t.seq} {t.at:%Y-%m-%d %H:%M} {t.actor} ({t.role}) {t.action}: "
                    f"{t.from_stage} → {t.to_stage} {t.note or ''}"
                )
            for reason in route_reasons(store, args.case_id):
                print(f"  route: {reason}")
        else:
            data: dict[str, object] = {}
            if args.unit:
                data["unit"] = args.unit
            if args.reason:
                data["reason"] = args.reason
            if args.extension_hours:
                data["extension"] = timedelta(hours=args.extension_hours)
            if args.category:
                data["category"] = args.category
            assert user is not None, "case transition acts as a user"
            try:
                state = act(
                    store,
                    Actor(user.username, user.role, user.scope),
                    args.case_id,
                    args.action,
                    at=utcnow(),
                    calendar=calendar,
                    note=args.note,
                    override_reason=args.override_reason,
                    data=data,
                )
            except Refused as exc:
                if exc.status == 404:  # one answer for unknown and out of scope, as the API
                    raise CaseError(
                        f"case {args.case_id!r} is unknown or outside the scope of {user.username}"
                    ) from None
                raise
            print(f"case {args.case_id}: {state.stage}")
    except CaseError as exc:
        print(f"cityops case: {exc}", file=sys.stderr)
        return 1
    return 0
