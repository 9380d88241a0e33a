"""Store: opens the database file (lock, damage check, schema, seed data) and gives its tables."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import gc
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import orjson
from tinydb import TinyDB
from tinydb.table import Table

from capsule_tui.domain.reference import seed_reference_data

from .errors import (
    DamagedDatabaseError,
    DatabaseLockedError,
    NewerSchemaError,
    StoreAccessError,
    StoreClosedError,
    StoreError,
    StoreWriteError,
)
from .storage import (
    DEFAULT_FLUSH_DELAY,
    TEMP_SUFFIX,
    BackgroundJSONStorage,
    ErrorCallback,
    JournalReplay,
    journal_path,
    replay_journal,
    take_generation,
    temp_prefix,
)

SCHEMA_VERSION = 1
SCHEMA_TABLE = "schema"
SCHEMA_KEY = "1"

TABLES = ("sites", "tags", "staged_contacts", "customers", "suppliers", "links",
          "tax_rules", "defaults", "runs")

__all__ = ["Store", "TableView", "SCHEMA_VERSION", "TABLES", "StoreError", "StoreWriteError"]


def _doc_id(value: Any) -> int | str:
    """TinyDB document ids here are ints when they look like ints, else our own string keys."""
    if isinstance(value, int):
        return value
    text = str(value)
    if text.isdecimal() and str(int(text)) == text:
        return int(text)
    return text


_MISSING = object()
"""Marks a document that did not exist before a batch changed it."""

class LockedTable(Table):
    """A TinyDB table that takes the store's lock and accepts string keys ("app", "demo:1")."""

    document_id_class = staticmethod(_doc_id)  # type: ignore[assignment]

    def _lock(self) -> threading.RLock:
        return self._storage.lock  # type: ignore[attr-defined]

    def _read_table(self) -> dict[str, Mapping]:
        with self._lock():
            table = super()._read_table()
            # TinyDB iterates what this returns without a lock: give small tables as a copy
            # so a concurrent put cannot change it mid-iteration.
            if len(table) < self._storage.small_table_docs:  # type: ignore[attr-defined]
                return dict(table)
            return table

    def _update_table(self, updater: Callable[[dict], None]) -> None:
        # The storage records every document of this table, before and after, as changed.
        with self._storage.table_update(self.name):  # type: ignore[attr-defined]
            super()._update_table(updater)

    def _get_next_id(self) -> int:
        with self._lock():
            if self._next_id is None:
                numeric = [k for k in map(_doc_id, self._read_table()) if isinstance(k, int)]
                self._next_id = max(numeric, default=0) + 1
            next_id = self._next_id
            self._next_id = next_id + 1
            return next_id


class StoreDB(TinyDB):
    """TinyDB whose tables are LockedTable."""

    table_class = LockedTable


class TableView(Mapping[str, dict]):
    """A read-only, always-current view of one table.

    Looks the table up on every call (TinyDB replaces table dicts). Lookups are O(1);
    iteration, `keys()`, `values()` and `items()` work on a copy taken under the lock, so they
    never fail when another thread changes the table meanwhile. Documents are shared: treat
    them as read-only and `put` a new dict to change one.
    """

    __slots__ = ("_storage", "_name")

    def __init__(self, storage: BackgroundJSONStorage, name: str) -> None:
        self._storage = storage
        self._name = name

    def _table(self) -> dict[str, dict]:
        return self._storage.data.get(self._name) or {}

    def __getitem__(self, key: str) -> dict:
        return self._table()[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self._table().get(key, default)

    def __contains__(self, key: object) -> bool:
        return key in self._table()

    def __len__(self) -> int:
        return len(self._table())

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def keys(self) -> list[str]:  # type: ignore[override]
        with self._storage.lock:
            return list(self._table())

    def values(self) -> list[dict]:  # type: ignore[override]
        with self._storage.lock:
            return list(self._table().values())

    def items(self) -> list[tuple[str, dict]]:  # type: ignore[override]
        with self._storage.lock:
            return list(self._table().items())

    def __repr__(self) -> str:
        return f"<TableView {self._name!r} ({len(self)} docs)>"


class Store:
    """The app's one database file: in-memory tables, saved atomically in the background.

    All methods are thread-safe. Documents are plain dicts keyed by our own string ids; a
    document given to `put` belongs to the store from then on and must not be mutated (the
    background writer shallow-copies big tables) — put a new dict instead.
    """

    def __init__(self, path: Path, storage: BackgroundJSONStorage, lock_fd: int,
                 journal: JournalReplay | None = None) -> None:
        self.path = path
        # What opening found in the journal (entries replayed, a damaged line and its copy).
        self.journal: JournalReplay = journal if journal is not None else JournalReplay()
        self.journal_copy: Path | None = None
        self._storage = storage
        self._lock = storage.lock
        self._undo: dict[tuple[str, str], Any] | None = None
        self._undo_order: dict[str, list[str]] = {}
        self._batch_changes: dict[str, list[str]] = {}
        self._lock_fd: int | None = lock_fd
        self.db = StoreDB(storage=lambda: storage)

    # -- opening ------------------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path | str, *, flush_delay: float = DEFAULT_FLUSH_DELAY,
             freeze_gc: bool = True) -> "Store":
        """Lock the file, read it once, replay its journal, check it, seed reference data.

        Journal entries of the file's generation are replayed in order, up to the first line
        that is not a complete entry (torn by a crash): a journal with such a line is copied
        to `<file>.journal.damaged-<timestamp>` first. After replaying a non-empty journal,
        the file is rewritten whole in the background (and the journal removed).

        With `freeze_gc` and a big file (8 MB or more), the objects loaded are moved out of
        the cyclic garbage collector's reach (`gc.freeze()`): at 100,000 contacts a full
        collection otherwise walks ~1M objects and stalls whichever thread triggers it (the
        UI) for a large fraction of a second. The documents hold no cycles, so nothing is
        leaked; they are still freed by reference counting when replaced.

        Raises DatabaseLockedError, DamagedDatabaseError, NewerSchemaError, StoreAccessError,
        StoreWriteError (a new file could not be written).
        """
        path = Path(os.path.abspath(Path(path).expanduser()))
        target = Path(os.path.realpath(path))
        try:
            target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreAccessError(target.parent, exc) from exc
        lock_fd = _acquire_lock(target)
        try:
            _remove_stale_temporaries(target)
            data, is_new = _load(target, freeze_gc=freeze_gc)
            try:
                generation = take_generation(data)
            except ValueError as exc:
                raise DamagedDatabaseError(target, _keep_copy(target), str(exc)) from None
            try:
                replay = replay_journal(target, data, generation)
            except OSError as exc:
                raise StoreAccessError(journal_path(target), exc) from exc
            # A journal that holds anything is never appended to: rewritten away first.
            storage = BackgroundJSONStorage(target, data, flush_delay=flush_delay,
                                            generation=generation,
                                            journal_in_use=replay.size > 0)
        except BaseException:
            _release_lock(lock_fd)
            raise
        store = cls(path, storage, lock_fd, replay)
        try:
            if replay.problem:
                store.journal_copy = _keep_copy(journal_path(target), replay.raw)
                replay.raw = b""
            store._prepare(is_new)
            if replay.size:
                storage.request_compaction()  # fold the journal into the file, soon
        except BaseException:
            storage.abandon()
            _release_lock(lock_fd)
            raise
        return store

    def _prepare(self, is_new: bool) -> None:
        data = self._storage.data
        schema = data.get(SCHEMA_TABLE, {}).get(SCHEMA_KEY)
        if schema is not None:
            version = schema.get("version") if isinstance(schema, dict) else None
            if not isinstance(version, int) or isinstance(version, bool):
                raise DamagedDatabaseError(self.path, _keep_copy(self._storage.path),
                                           f"the schema version is {version!r}")
            if version > SCHEMA_VERSION:
                raise NewerSchemaError(self.path, version, SCHEMA_VERSION)
        if schema is None or schema.get("version") != SCHEMA_VERSION:
            # No migrations exist yet: schema 1 is the first.
            self.put(SCHEMA_TABLE, SCHEMA_KEY, {"version": SCHEMA_VERSION})
        self._seed()
        if is_new:
            # Create the file now, so a folder we cannot write to is reported at once.
            self._storage.flush()

    def _seed(self) -> None:
        seeds = seed_reference_data()
        with self._lock:
            if not self._storage.data.get("tax_rules"):
                self.put_many("tax_rules", seeds["tax_rules"].items())
            existing = self._storage.data.get("defaults") or {}
            missing = [(k, v) for k, v in seeds["defaults"].items() if k not in existing]
            if missing:
                self.put_many("defaults", missing)

    # -- reading ------------------------------------------------------------------------------

    def table_names(self) -> list[str]:
        with self._lock:
            return sorted(self._storage.data)

    def get(self, table: str, key: str) -> dict | None:
        """The document `key` of `table` (shared: do not mutate it), or None."""
        with self._lock:
            return (self._storage.data.get(table) or {}).get(key)

    def docs(self, table: str) -> TableView:
        """A read-only live view of one table (O(1) to make)."""
        return TableView(self._storage, table)

    # -- writing ------------------------------------------------------------------------------

    def put(self, table: str, key: str, doc: dict) -> None:
        """Insert or replace one document. O(1); saved in the background."""
        if not isinstance(key, str) or not isinstance(doc, dict):
            self.put_many(table, ((key, doc),))  # raises the TypeError that says which
            return
        with self._lock:
            self._check_open()
            data = self._storage.data
            target = data.get(table)
            if target is None:
                target = data[table] = {}
            if self._undo is not None:
                self._undo.setdefault((table, key), target.get(key, _MISSING))
            target[key] = doc
            self._changed(table, [key])

    def put_many(self, table: str, items: Iterable[tuple[str, dict]]) -> None:
        """Insert or replace several documents at once (one scheduled write)."""
        with self._lock:
            self._check_open()
            data = self._storage.data
            target = data.get(table)
            created = target is None
            if target is None:
                target = data[table] = {}
            keys: list[str] = []
            try:
                for key, doc in items:
                    if not isinstance(key, str):
                        raise TypeError(f"document keys are strings, not {type(key).__name__}")
                    if not isinstance(doc, dict):
                        raise TypeError(f"documents are dicts, not {type(doc).__name__}")
                    if self._undo is not None:
                        self._undo.setdefault((table, key), target.get(key, _MISSING))
                    target[key] = doc
                    keys.append(key)
            finally:
                if keys or created:
                    self._changed(table, keys)

    def delete(self, table: str, key: str) -> None:
        """Remove one document if present."""
        self.delete_many(table, (key,))

    def delete_many(self, table: str, keys: Iterable[str]) -> None:
        """Remove documents if present (one scheduled write)."""
        with self._lock:
            self._check_open()
            target = self._storage.data.get(table)
            if not target:
                return
            if self._undo is not None:
                keys = list(keys)
                self._undo_order.setdefault(table, list(target))  # to restore the order
                for key in keys:
                    if key in target:
                        self._undo.setdefault((table, key), target[key])
            removed = [key for key in keys if target.pop(key, None) is not None]
            if removed:
                self._changed(table, removed)

    @contextlib.contextmanager
    def batch(self) -> Iterator["Store"]:
        """Hold the lock so that several changes reach the file together, or not at all: if
        the block raises (an error, Ctrl-C), every put and delete made in it is undone.

        Do not call flush() inside: prepare the data first, then change it in the batch.
        Batches nest; only the outermost one undoes."""
        with self._lock:
            if self._undo is not None:  # nested: the outer batch owns the undo log
                yield self
                return
            self._undo, self._undo_order, self._batch_changes = {}, {}, {}
            try:
                yield self
            except BaseException:
                self._batch_changes = {}
                self._roll_back(self._undo, self._undo_order)
                raise
            finally:
                self._undo, self._undo_order = None, {}
                changes, self._batch_changes = self._batch_changes, {}
                for table, keys in changes.items():  # told to the writer once, at the end
                    self._touched(table, keys)

    def _roll_back(self, undo: dict[tuple[str, str], Any], order: dict[str, list[str]]) -> None:
        """Put back what a failed batch changed; documents keep their places in their table."""
        data = self._storage.data
        self._undo = None
        touched: dict[str, list[str]] = {}
        for (table, key), old in undo.items():
            touched.setdefault(table, []).append(key)
            target = data.setdefault(table, {})
            if table in order:
                continue  # rebuilt below, in the order it had before the batch
            if old is _MISSING:
                target.pop(key, None)
            else:
                target[key] = old
        for table, keys in order.items():
            target = data.get(table, {})
            before = {}
            for key in keys:
                old = undo.get((table, key), _MISSING)
                value = target.get(key) if (table, key) not in undo else old
                if value is not _MISSING and value is not None:
                    before[key] = value
            data[table] = before
        for table, keys in touched.items():
            self._touched(table, keys)

    def _changed(self, table: str, keys: list[str]) -> None:
        """Tell the writer (now, or at the end of the batch) which documents changed."""
        if self._undo is not None:
            self._batch_changes.setdefault(table, []).extend(keys)
        else:
            self._touched(table, keys)

    def _touched(self, table: str, keys: list[str]) -> None:
        tiny = self.db._tables.get(table)
        if tiny is not None:
            tiny.clear_cache()
            tiny._next_id = None
        self._storage.record_changes(table, keys)

    def _check_open(self) -> None:
        if self._storage.closed:
            raise StoreClosedError(self.path)

    # -- saving -------------------------------------------------------------------------------

    @property
    def last_write_error(self) -> StoreWriteError | None:
        """The error of the last write if it failed (cleared by the next successful write)."""
        return self._storage.last_write_error

    @property
    def dirty(self) -> bool:
        """Whether some change is not on disk yet."""
        return self._storage.dirty

    @property
    def writes_completed(self) -> int:
        """How many writes completed: journal appends plus full rewrites (for tests and
        benchmarks)."""
        return self._storage.writes_completed

    @property
    def journal_appends(self) -> int:
        """How many writes were journal appends."""
        return self._storage.journal_appends

    @property
    def full_writes(self) -> int:
        """How many writes rewrote the whole file."""
        return self._storage.full_writes

    def on_write_error(self, callback: ErrorCallback) -> Callable[[], None]:
        """Call `callback(StoreWriteError)` when a background write fails and `callback(None)`
        when writing works again. Runs on the writer thread: a UI must hand it to its own loop.
        Returns a function that unsubscribes."""
        return self._storage.on_write_error(callback)

    def flush(self) -> None:
        """Write now if anything changed and block until it is durable (a journal append
        counts); raises StoreWriteError."""
        self._storage.flush()

    def compact(self) -> bool:
        """Rewrite the whole file now and remove the journal (unless the file alone is
        already complete); blocks until durable. Returns whether it rewrote. ~1 s at
        100,000 contacts: call it from a worker, not the UI. Raises StoreWriteError."""
        return self._storage.compact()

    def close(self) -> None:
        """Compact (the file alone is then complete, no journal), stop the writer, release
        the lock. Idempotent.

        If the rewrite fails but the journal append works, the changes are safe in the
        journal and close returns normally. Otherwise the store is closed anyway and the
        StoreWriteError is raised."""
        if self._lock_fd is None:
            return
        try:
            self.db.close()  # closes the storage: flush, then stop the writer thread
        finally:
            fd, self._lock_fd = self._lock_fd, None
            _release_lock(fd)

    @property
    def closed(self) -> bool:
        return self._lock_fd is None

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Store {str(self.path)!r}>"


# -- file handling ------------------------------------------------------------------------------

def lock_path(target: Path) -> Path:
    return target.with_name(target.name + ".lock")


def _acquire_lock(target: Path) -> int:
    path = lock_path(target)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o600)
    except OSError as exc:
        raise StoreAccessError(path, exc) from exc
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        holder = _read_pid(fd)
        os.close(fd)
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            raise DatabaseLockedError(target, holder) from None
        raise StoreAccessError(path, exc) from exc
    try:  # say who holds it, for the message a second instance shows
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    except OSError:
        pass
    return fd


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
        return int(text) if text.isdecimal() else None
    except (OSError, ValueError):
        return None


def _release_lock(fd: int) -> None:
    try:
        fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _remove_stale_temporaries(target: Path) -> None:
    """Temporaries left by a crash mid-write (we hold the lock, so nobody else is writing)."""
    prefix = temp_prefix(target)
    try:
        names = os.listdir(target.parent)
    except OSError:
        return
    for name in names:
        if name.startswith(prefix) and name.endswith(TEMP_SUFFIX):
            try:
                os.unlink(target.parent / name)
            except OSError:
                pass


FREEZE_GC_MIN_BYTES = 8_000_000


def _load(target: Path, *, freeze_gc: bool = False) -> tuple[dict, bool]:
    """Read the file once. Returns (tables, is_new). A damaged file is copied, never changed."""
    try:
        raw = target.read_bytes()
    except FileNotFoundError:
        return {}, True
    except OSError as exc:
        raise StoreAccessError(target, exc) from exc
    if not raw:
        return {}, True
    freeze = freeze_gc and len(raw) >= FREEZE_GC_MIN_BYTES
    if freeze:
        gc.collect()  # what is garbage now must not be frozen with the data
    # Building ~1M containers would run the cyclic GC over and over; none can be garbage yet.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        data = orjson.loads(raw)
        reason = _shape_problem(data)
    except orjson.JSONDecodeError as exc:
        reason = "it is not valid JSON, perhaps cut short" if raw.strip() else "it is blank"
        raise DamagedDatabaseError(target, _keep_copy(target, raw), reason) from exc
    finally:
        if gc_was_enabled:
            gc.enable()
    if reason:
        raise DamagedDatabaseError(target, _keep_copy(target, raw), reason)
    if freeze:
        gc.freeze()
    _tighten_mode(target)
    return data, False


def _shape_problem(data: Any) -> str | None:
    if not isinstance(data, dict):
        return f"it holds a JSON {type(data).__name__}, not an object of tables"
    for name, table in data.items():
        if not isinstance(table, dict):
            return f"table {name!r} is not a JSON object"
        for key, doc in table.items():
            if not isinstance(doc, dict):
                return f"document {key!r} of table {name!r} is not a JSON object"
    return None


def _keep_copy(target: Path, raw: bytes | None = None) -> Path | None:
    """Copy a damaged file to `<file>.damaged-<timestamp>` (mode 0600); None if that failed."""
    try:
        if raw is None:
            raw = target.read_bytes()
        stamp = time.strftime("%Y%m%dT%H%M%S")
        for attempt in range(100):
            suffix = f".damaged-{stamp}" + (f"-{attempt}" if attempt else "")
            copy_path = target.with_name(target.name + suffix)
            try:
                fd = os.open(copy_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                continue
            with os.fdopen(fd, "wb") as handle:
                handle.write(raw)
                handle.flush()
                os.fsync(handle.fileno())
            return copy_path
    except OSError:
        return None
    return None


def _tighten_mode(target: Path) -> None:
    """A file made by something else may be readable by others; it holds tokens."""
    try:
        st = target.stat()
        if st.st_mode & 0o077 and st.st_uid == os.getuid():
            os.chmod(target, 0o600)
    except OSError:
        pass
