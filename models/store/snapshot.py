"""Whole-database copies: every table as of one read snapshot written to Parquet files, and a
new database file built from such files (the DuckDB side of backup and restore)."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import duckdb

from models.store.engine import SchemaTooNewError, StoreError, migrate, schema_version
from models.store.migrations import LATEST_VERSION

_NEXTVAL = re.compile(r"^nextval\('([^']+)'\)$")
#: Table names we copy: those of our migrations, never anything that needs quoting.
TABLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class RestoreError(StoreError):
    """A database cannot be built from these files (tables, columns or counts differ)."""


@dataclass(frozen=True)
class TableCopy:
    """One table of a snapshot: its file, its rows and the highest value of its sequence key."""

    name: str
    rows: int
    file: Path
    key: str | None = None
    max_key: int | None = None


@dataclass(frozen=True)
class Snapshot:
    """What :func:`export_snapshot` wrote: the schema version, every table, every sequence."""

    schema_version: int
    tables: tuple[TableCopy, ...]
    sequences: dict[str, int]
    #: The photo files (and thumbnails) the snapshot's case_attachments rows name, as
    #: stored: relative to the photo folder, sorted, each once.
    photos: tuple[str, ...] = ()


def _literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _sequence_keys(conn: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[str, str]]]:
    """table → [(column, sequence)] of the columns whose default draws from a sequence."""
    keys: dict[str, list[tuple[str, str]]] = {}
    for table, column, default in conn.execute(
        "SELECT table_name, column_name, column_default FROM duckdb_columns() "
        "WHERE NOT internal AND schema_name = 'main' AND column_default LIKE 'nextval(%' "
        "AND database_name = current_database() ORDER BY table_name, column_index"
    ).fetchall():
        match = _NEXTVAL.match(str(default))
        if match:
            keys.setdefault(table, []).append((column, match.group(1)))
    return keys


def _tables(conn: duckdb.DuckDBPyConnection) -> list[str]:
    names = [
        row[0]
        for row in conn.execute(
            "SELECT table_name FROM duckdb_tables() WHERE NOT internal AND schema_name = 'main' "
            "AND database_name = current_database() ORDER BY table_name"
        ).fetchall()
    ]
    odd = [n for n in names if not TABLE_NAME.match(n)]
    if odd:
        raise StoreError(f"tables with names this backup does not copy: {', '.join(odd)}")
    return names


def export_snapshot(conn: duckdb.DuckDBPyConnection, folder: Path) -> Snapshot:
    """Write every table of ``conn``'s database into ``folder`` as ``<table>.parquet``.

    Everything is read inside one transaction: its first read fixes the snapshot (DuckDB's
    MVCC), so the files hold the database as it was at one moment while writers go on.
    Sequences are not transactional: their values are read at the end, hence at least
    those of the snapshot.
    """
    folder.mkdir(parents=True, exist_ok=True)
    conn.execute("BEGIN TRANSACTION")
    try:
        names = _tables(conn)  # the first read: the snapshot starts here
        version = schema_version(conn)
        keys = _sequence_keys(conn)
        copies = []
        for name in names:
            key = keys.get(name, [(None, None)])[0][0]
            stats = f', max("{key}")' if key else ""
            row = conn.execute(f'SELECT count(*){stats} FROM "{name}"').fetchone()
            assert row is not None
            file = folder / f"{name}.parquet"
            conn.execute(
                f'COPY (SELECT * FROM "{name}") TO {_literal(file)} '
                "(FORMAT parquet, COMPRESSION zstd)"
            )
            max_key = int(row[1]) if key and row[1] is not None else None
            copies.append(TableCopy(name, int(row[0]), file, key, max_key))
        photos = _photo_paths(conn) if "case_attachments" in names else ()
        sequences = {
            str(n): int(v or 0)
            for n, v in conn.execute(
                "SELECT sequence_name, last_value FROM duckdb_sequences() "
                "WHERE database_name = current_database() ORDER BY sequence_name"
            ).fetchall()
        }
    finally:
        with contextlib.suppress(duckdb.Error):
            conn.execute("ROLLBACK")  # read only: nothing to keep
    return Snapshot(version, tuple(copies), sequences, photos)


def _photo_paths(conn: duckdb.DuckDBPyConnection) -> tuple[str, ...]:
    """The files the rows of case_attachments name (inside the snapshot's transaction)."""
    rows = conn.execute(
        "SELECT DISTINCT p FROM (SELECT path AS p FROM case_attachments UNION ALL "
        "SELECT thumb_path FROM case_attachments) WHERE p IS NOT NULL AND p <> '' ORDER BY p"
    ).fetchall()
    return tuple(str(r[0]) for r in rows)


def build_database(
    path: Path,
    files: Mapping[str, Path],
    *,
    rows: Mapping[str, int],
    version: int,
    sequences: Mapping[str, int],
) -> dict[str, int]:
    """Create the database ``path`` from one Parquet file per table, then migrate it up.

    The schema comes from our migrations at ``version`` (the backup's); every table of that
    schema must have a file and every file a table. The tables are loaded in one
    transaction, their counts checked against ``rows``, each sequence moved past the
    highest of its recorded value and the keys drawn from it; then the remaining
    migrations run. Returns the rows loaded per table.

    Raises
    ------
    SchemaTooNewError
        ``version`` is newer than this CityOps knows.
    RestoreError
        Tables, columns or counts do not match.
    """
    if version > LATEST_VERSION:
        raise SchemaTooNewError(
            f"the backup has schema version {version}, but this CityOps knows versions up to "
            f"{LATEST_VERSION}: restore it with a newer CityOps"
        )
    if path.exists():
        raise RestoreError(f"{path} exists already")
    conn = duckdb.connect(str(path))
    try:
        migrate(conn, path=str(path), upto=version)
        tables = set(_tables(conn))
        missing, unknown = sorted(tables - set(files)), sorted(set(files) - tables)
        if missing or unknown:
            raise RestoreError(
                f"the backup does not match schema version {version}: "
                + "; ".join(
                    part
                    for part in (
                        f"tables missing: {', '.join(missing)}" if missing else "",
                        f"tables unknown: {', '.join(unknown)}" if unknown else "",
                    )
                    if part
                )
            )
        loaded = _load(conn, files)
        wrong = {t: (loaded[t], rows.get(t)) for t in loaded if loaded[t] != rows.get(t)}
        if wrong:
            detail = ", ".join(
                f"{t}: {got} loaded, {want} expected" for t, (got, want) in wrong.items()
            )
            raise RestoreError(f"row counts differ after loading: {detail}")
        _advance_sequences(conn, sequences)
        migrate(conn, path=str(path))
        conn.execute("CHECKPOINT")
    except BaseException:
        conn.close()
        for leftover in (path, path.with_name(path.name + ".wal")):
            leftover.unlink(missing_ok=True)
        raise
    conn.close()
    return loaded


def _load(conn: duckdb.DuckDBPyConnection, files: Mapping[str, Path]) -> dict[str, int]:
    conn.execute("BEGIN TRANSACTION")
    try:
        for name, file in sorted(files.items()):
            conn.execute(f'DELETE FROM "{name}"')  # rows a migration seeded
            conn.execute(
                f'INSERT INTO "{name}" BY NAME SELECT * FROM read_parquet({_literal(file)})'
            )
        loaded = {}
        for name in sorted(files):
            row = conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()
            loaded[name] = int(row[0]) if row else 0
        conn.execute("COMMIT")
    except duckdb.Error as exc:
        with contextlib.suppress(duckdb.Error):
            conn.execute("ROLLBACK")
        raise RestoreError(f"the backup's tables do not load: {exc}") from None
    return loaded


def _advance_sequences(conn: duckdb.DuckDBPyConnection, recorded: Mapping[str, int]) -> None:
    """Move every sequence past its recorded value and past every key drawn from it."""
    target = {name: int(value) for name, value in recorded.items()}
    for table, columns in _sequence_keys(conn).items():
        for column, sequence in columns:
            row = conn.execute(f'SELECT max("{column}") FROM "{table}"').fetchone()
            if row and row[0] is not None:
                target[sequence] = max(target.get(sequence, 0), int(row[0]))
    for name, last in conn.execute(
        "SELECT sequence_name, last_value FROM duckdb_sequences() "
        "WHERE database_name = current_database()"
    ).fetchall():
        steps = target.get(name, 0) - int(last or 0)
        if steps > 0:
            conn.execute(f"SELECT max(nextval('{name}')) FROM range({int(steps)})").fetchall()


def check_free(path: Path) -> None:
    """Raise StoreError when another process holds the database ``path``.

    A free file is opened once and closed, which folds a left-over write-ahead log into it
    (so no stale log can later be replayed onto a file that replaces it). A file DuckDB
    cannot read for another reason (damaged, not a database) counts as free: it is what a
    restore replaces.
    """
    if not path.exists():
        return
    try:
        duckdb.connect(str(path)).close()
    except duckdb.Error as exc:
        if "lock" in str(exc).lower():
            raise StoreError(
                f"{path} is in use by another process (a running server or worker?): stop it first"
            ) from None
