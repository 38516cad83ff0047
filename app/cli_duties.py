"""`cityops duties export FILE` / `cityops duties import FILE`: the responsibility list
(权责清单) as one XLSX workbook, out and back in (admin; an import is all rows or none)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ingest.files.duties_xlsx import MAX_BYTES, read_duties_xlsx, write_duties_xlsx
from models.duties_store import DutiesRejected, import_duties, load_duties
from models.store import Store
from models.users import User


def add_duties_parser(sub: argparse._SubParsersAction) -> None:
    duties = sub.add_parser("duties", help="export or import the responsibility list (admin)")
    verbs = duties.add_subparsers(dest="duties_command", required=True)
    out = verbs.add_parser("export", help="write the list as one XLSX workbook (three sheets)")
    out.add_argument("file", type=Path)
    into = verbs.add_parser("import", help="read a workbook: every row checked, all or none")
    into.add_argument("file", type=Path)


def run_duties(store: Store, args: argparse.Namespace, user: User) -> int:
    """Export or import as ``user`` (an admin, checked by the caller); a refused import
    prints every bad row (sheet, row, reason) and returns 1."""
    path: Path = args.file
    if args.duties_command == "export":
        tables = load_duties(store)
        path.write_bytes(write_duties_xlsx(tables))
        store.audit("duties.export", actor=user.username, target=str(path))
        n = (len(tables.categories), len(tables.departments), len(tables.cells))
        print(f"{path}: {n[0]} categories, {n[1]} departments, {n[2]} cells")
        return 0
    try:
        if path.stat().st_size > MAX_BYTES:
            print(f"cityops duties: {path} is larger than {MAX_BYTES >> 20} MB", file=sys.stderr)
            return 1
        data = path.read_bytes()
    except OSError as exc:
        print(f"cityops duties: cannot read {path}: {exc.strerror}", file=sys.stderr)
        return 1
    tables, problems = read_duties_xlsx(data)
    try:
        if problems:
            raise DutiesRejected(problems)
        result = import_duties(store, tables, actor=user.username)
    except DutiesRejected as exc:
        print(f"cityops duties: {path} not imported, nothing written:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    print(
        f"{path} imported: {result.categories} categories, {result.departments} departments, "
        f"{result.cells} cells changed"
    )
    return 0
