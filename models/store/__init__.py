"""The store: DuckDB behind one writer thread (see engine), schema in migrations."""

from models.store.engine import SchemaTooNewError, Store, StoreError, WriteTx, migrate
from models.store.migrations import LATEST_VERSION

__all__ = ["LATEST_VERSION", "SchemaTooNewError", "Store", "StoreError", "WriteTx", "migrate"]
