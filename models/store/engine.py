"""The one owner of DuckDB: migrations, a single writer thread fed by a queue, read cursors."""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import duckdb
import pandas as pd
import pyarrow as pa

from models.clock import utcnow
from models.store.migrations import LATEST_VERSION, MIGRATIONS, Migration

if TYPE_CHECKING:
    from models.store.snapshot import Snapshot

log = logging.getLogger(__name__)
T = TypeVar("T")
_STOP = object()


class StoreError(Exception):
    """The database cannot be used as asked (locked, too new, closed)."""


class SchemaTooNewError(StoreError):
    """The file was written by a newer CityOps than this one."""


class WriteTx:
    """What a write job may do inside its transaction on the writer thread."""

    def __init__(self, conn: duckdb.DuckDBPyConnection):
        self._conn = conn

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> None:
        self._conn.execute(sql, params)

    def fetch(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> list[tuple]:
        return self._conn.execute(sql, params).fetchall()

    def append(
        self, table: str, data: pa.Table | pd.DataFrame, *, ignore_duplicates: bool = False
    ) -> int:
        """Insert a whole batch by column name through Arrow; returns the rows inserted.

        With ``ignore_duplicates`` rows whose key already exists are skipped (replays of the
        same message are harmless); otherwise a duplicate fails the whole transaction.
        """
        batch = (
            data if isinstance(data, pa.Table) else pa.Table.from_pandas(data, preserve_index=False)
        )
        if batch.num_rows == 0:
            return 0
        verb = "INSERT OR IGNORE" if ignore_duplicates else "INSERT"
        with self.registered(batch) as name:
            row = self._conn.execute(
                f'{verb} INTO "{table}" BY NAME SELECT * FROM {name}'
            ).fetchone()
        return int(row[0]) if row else 0

    @contextlib.contextmanager
    def registered(self, data: pa.Table) -> Iterator[str]:
        """Expose an Arrow table to SQL under a temporary name for the ``with`` block."""
        name = f"__cityops_batch_{id(data):x}"
        self._conn.register(name, data)
        try:
            yield name
        finally:
            # in a transaction that a failed statement aborted, unregistering fails too;
            # let the statement's own error be the one that is seen
            with contextlib.suppress(duckdb.TransactionException):
                self._conn.unregister(name)


def schema_version(conn: duckdb.DuckDBPyConnection) -> int:
    exists = conn.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_migrations'"
    ).fetchone()
    if not exists or exists[0] == 0:
        return 0
    row = conn.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()
    return int(row[0]) if row else 0


def migrate(
    conn: duckdb.DuckDBPyConnection,
    *,
    path: str = "",
    upto: int | None = None,
    migrations: Sequence[Migration] = MIGRATIONS,
) -> int:
    """Bring the schema up to ``upto`` (default: latest); refuse a newer file untouched."""
    latest = migrations[-1].version
    target = latest if upto is None else upto
    current = schema_version(conn)
    if current > latest:
        raise SchemaTooNewError(
            f"database {path} has schema version {current}, but this CityOps knows versions up "
            f"to {latest}: upgrade CityOps, or restore a backup made by this version"
        )
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations "
        "(version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)"
    )
    for migration in migrations:
        if current < migration.version <= target:
            conn.execute("BEGIN TRANSACTION")
            try:
                conn.execute(migration.sql)
                conn.execute(
                    "INSERT INTO schema_migrations VALUES (?, ?, ?)",
                    [migration.version, migration.name, utcnow()],
                )
                conn.execute("COMMIT")
            except Exception:
                conn.execute("ROLLBACK")
                raise
            log.info(
                "schema migrated", extra={"version": migration.version, "step": migration.name}
            )
            current = migration.version
    return current


class Store:
    """A DuckDB database file with one writer thread and per-thread read cursors.

    Parameters
    ----------
    path
        The database file; created (with its folder) when missing.
    upto
        Migrate only up to this schema version (tests of old files use it).
    """

    def __init__(self, path: Path | str, *, upto: int | None = None):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._conn = duckdb.connect(str(self.path))
        except duckdb.IOException as exc:
            hint = (
                ". Another CityOps process (a running server?) probably holds it; stop that "
                "process or point --config at another database"
                if "lock" in str(exc).lower()
                else ""
            )
            raise StoreError(f"cannot open {self.path}: {exc}{hint}") from None
        try:
            self.schema_version = migrate(self._conn, path=str(self.path), upto=upto)
        except Exception:
            self._conn.close()
            raise
        self._local = threading.local()
        # Cursors are spawned from a root that the writer never uses, under a lock.
        self._reader_root = self._conn.cursor()
        self._reader_lock = threading.Lock()
        self._queue: queue.Queue[Any] = queue.Queue()
        self._closed = False
        self._writer = threading.Thread(target=self._write_loop, name="store-writer", daemon=True)
        self._writer.start()

    # -- writing -----------------------------------------------------------------------
    def _write_loop(self) -> None:
        conn = self._conn
        tx = WriteTx(conn)
        while True:
            job = self._queue.get()
            if job is _STOP:
                return
            fn, future = job
            if not future.set_running_or_notify_cancel():
                continue
            try:
                conn.execute("BEGIN TRANSACTION")
                result = fn(tx)
                conn.execute("COMMIT")
            except BaseException as exc:  # the loop must survive any job
                with contextlib.suppress(duckdb.Error):
                    conn.execute("ROLLBACK")
                future.set_exception(exc)
            else:
                future.set_result(result)

    def submit(self, fn: Callable[[WriteTx], T]) -> Future[T]:
        """Queue ``fn`` to run in one transaction on the writer thread."""
        if self._closed:
            raise StoreError("the store is closed")
        future: Future[T] = Future()
        self._queue.put((fn, future))
        return future

    def write(self, fn: Callable[[WriteTx], T], *, timeout: float | None = None) -> T:
        """Run ``fn`` in one transaction on the writer thread and wait for its result."""
        return self.submit(fn).result(timeout)

    def append(self, table: str, data: pa.Table | pd.DataFrame) -> int:
        """Insert one batch (all rows or none) and wait for the commit."""
        return self.write(lambda tx: tx.append(table, data))

    def audit(
        self,
        action: str,
        *,
        actor: str | None,
        outcome: str = "ok",
        target: str | None = None,
        detail: str | None = None,
        remote: str | None = None,
        at: datetime | None = None,
    ) -> None:
        """Append one row to the audit log (never updated nor deleted)."""
        row = [at or utcnow(), actor, action, target, outcome, detail, remote]
        self.submit(
            lambda tx: tx.execute(
                "INSERT INTO audit_log (occurred_at, actor, action, target, outcome, detail, "
                "remote) VALUES (?, ?, ?, ?, ?, ?, ?)",
                row,
            )
        )

    # -- reading -----------------------------------------------------------------------
    def _cursor(self) -> duckdb.DuckDBPyConnection:
        cur = getattr(self._local, "cursor", None)
        if cur is None:
            if self._closed:
                raise StoreError("the store is closed")
            with self._reader_lock:
                cur = self._reader_root.cursor()
            self._local.cursor = cur
        return cur

    def query_df(
        self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None
    ) -> pd.DataFrame:
        """Run a read query on this thread's cursor and return a DataFrame."""
        return self._cursor().execute(sql, params).df()

    def query_arrow(
        self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None
    ) -> pa.Table:
        result = self._cursor().execute(sql, params).fetch_arrow_table()
        return result

    def query_rows(
        self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None
    ) -> list[tuple]:
        return self._cursor().execute(sql, params).fetchall()

    def query_value(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> Any:
        row = self._cursor().execute(sql, params).fetchone()
        return None if row is None else row[0]

    def query_batches(
        self,
        sql: str,
        params: Sequence[Any] | dict[str, Any] | None = None,
        *,
        batch_rows: int = 2048,
    ) -> Iterator[pa.RecordBatch]:
        """Run a read query and yield its result as Arrow record batches of at most
        ``batch_rows`` rows, never holding the whole result (exports of a year of rows).

        The query runs on a cursor of its own (other reads of the same thread may run
        between two batches); it is opened at the first ``next`` and closed when the
        iteration ends or the generator is closed.
        """
        if self._closed:
            raise StoreError("the store is closed")
        with self._reader_lock:
            cursor = self._reader_root.cursor()
        try:
            # a relation streams; an executed statement's Arrow reader copies every row first
            reader = cursor.sql(sql, params=params).to_arrow_reader(int(batch_rows))
            for batch in reader:
                if batch.num_rows:
                    yield batch
        finally:
            cursor.close()

    def copy_snapshot(self, folder: Path) -> Snapshot:
        """Write every table as of one moment into ``folder`` (one Parquet file per table)
        on a cursor of its own, while the writer goes on (see models.store.snapshot)."""
        from models.store.snapshot import export_snapshot

        with self._reader_lock:
            if self._closed:
                raise StoreError("the store is closed")
            cur = self._reader_root.cursor()
        try:
            return export_snapshot(cur, folder)
        finally:
            cur.close()

    # -- life cycle --------------------------------------------------------------------
    def flush(self) -> None:
        """Wait until every write queued so far is committed."""
        self.write(lambda tx: None)

    def close(self) -> None:
        if self._closed:
            return
        self.flush()
        self._closed = True
        self._queue.put(_STOP)
        self._writer.join()
        self._reader_root.close()
        self._conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


__all__ = ["LATEST_VERSION", "SchemaTooNewError", "Store", "StoreError", "WriteTx", "migrate"]
