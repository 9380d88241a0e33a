"""Persistence: one TinyDB JSON file held in memory and saved atomically in the background."""

from .errors import (
    DamagedDatabaseError,
    DatabaseLockedError,
    NewerSchemaError,
    StoreAccessError,
    StoreClosedError,
    StoreError,
    StoreWriteError,
)
from .storage import BackgroundJSONStorage
from .store import SCHEMA_VERSION, TABLES, Store, TableView

__all__ = [
    "BackgroundJSONStorage",
    "DamagedDatabaseError",
    "DatabaseLockedError",
    "NewerSchemaError",
    "SCHEMA_VERSION",
    "Store",
    "StoreAccessError",
    "StoreClosedError",
    "StoreError",
    "StoreWriteError",
    "TABLES",
    "TableView",
]
