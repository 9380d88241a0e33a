"""A TinyDB storage held in memory, saved by a background thread: small changes are appended
to a write-ahead journal beside the file, big ones (and compactions) rewrite the file atomically.

On disk, the database is `<file>` plus, at times, `<file>.journal`:

- `<file>` is a complete TinyDB JSON file. Its `schema` document carries a `generation`
  number, raised by one at every full rewrite.
- `<file>.journal` holds one JSON object per line, `{"gen": G, "changes": {table: {key:
  doc_or_null}}}`, each appended with one write and fsynced. Only the lines whose `gen` equals
  the file's generation apply (in order); older lines were already folded into the file by a
  rewrite that crashed before it could remove the journal.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import os
import secrets
import threading
import time
import weakref
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from tinydb.storages import Storage

from .errors import StoreClosedError, StoreWriteError

DEFAULT_FLUSH_DELAY = 0.2
# Documents per orjson.dumps call: small enough that each call holds the GIL ~1 ms.
CHUNK_DOCS = 2_000
# Tables smaller than this are serialised whole under the lock (a deep, immutable snapshot);
# bigger tables are shallow-copied, relying on "documents are replaced, never mutated".
SMALL_TABLE_DOCS = 1_000
# A write of at most this many changed documents is a journal append, not a full rewrite...
JOURNAL_MAX_DOCS = 2_000
# ...as long as the journal is smaller than this; then the next write compacts.
JOURNAL_MAX_BYTES = 16 * 1024 * 1024

TEMP_SUFFIX = ".tmp"
JOURNAL_SUFFIX = ".journal"
# Where the file's generation number lives: a field of this document.
GENERATION_TABLE = "schema"
GENERATION_KEY = "1"
GENERATION_FIELD = "generation"

Tables = dict[str, dict[str, Any]]
ErrorCallback = Callable[[StoreWriteError | None], None]

_OPEN_STORAGES: "weakref.WeakSet[BackgroundJSONStorage]" = weakref.WeakSet()


def temp_prefix(target: Path) -> str:
    """The name prefix of the temporary files written next to `target`."""
    return f".{target.name}."


def journal_path(target: Path) -> Path:
    """The journal that goes with the database file `target`."""
    return target.with_name(target.name + JOURNAL_SUFFIX)


def _dumps(obj: Any) -> bytes:
    try:
        return orjson.dumps(obj)
    except orjson.JSONEncodeError:
        # Integer (or other non-string) keys: write them as strings, as json.dumps would.
        return orjson.dumps(obj, option=orjson.OPT_NON_STR_KEYS)


def _serialise(snapshot: list[tuple[str, bytes | dict]], chunk_docs: int) -> Iterator[bytes]:
    """Yield the JSON text of the whole database in pieces, one orjson call per piece."""
    yield b"{"
    for index, (name, payload) in enumerate(snapshot):
        if index:
            yield b","
        yield orjson.dumps(name)
        yield b":"
        if isinstance(payload, bytes):
            yield payload
            continue
        yield b"{"
        first = True
        items = iter(payload.items())
        for _ in range(0, len(payload), chunk_docs):
            piece = _dumps(dict(itertools.islice(items, chunk_docs)))
            if len(piece) > 2:
                if not first:
                    yield b","
                yield piece[1:-1]  # drop this chunk's own braces
                first = False
            # Let other threads (the UI) take the GIL between chunks.
            time.sleep(0)
        yield b"}"
    yield b"}"


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomically(target: Path, pieces: Iterator[bytes]) -> None:
    """Write `pieces` to a 0600 temporary beside `target`, fsync it, rename it over `target`.

    On any failure the temporary is removed and `target` is left as it was.
    """
    folder = target.parent
    temp = folder / f"{temp_prefix(target)}{secrets.token_hex(6)}{TEMP_SUFFIX}"
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o600)
    try:
        with os.fdopen(fd, "wb", buffering=1 << 20) as handle:
            for piece in pieces:
                handle.write(piece)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise
    _fsync_dir(folder)


# -- reading the generation and the journal back ---------------------------------------------

def take_generation(data: Tables) -> int:
    """Remove the generation field from the loaded data and return it (0 when absent).

    The in-memory documents never carry it: the storage adds it to each full rewrite.
    Raises ValueError when it is not a non-negative integer."""
    doc = (data.get(GENERATION_TABLE) or {}).get(GENERATION_KEY)
    if not isinstance(doc, dict) or GENERATION_FIELD not in doc:
        return 0
    value = doc[GENERATION_FIELD]
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"the generation is {value!r}")
    data[GENERATION_TABLE][GENERATION_KEY] = {
        k: v for k, v in doc.items() if k != GENERATION_FIELD}
    return value


@dataclass
class JournalReplay:
    """What opening found in the journal."""

    size: int = 0            # bytes in the journal (0: there was none)
    applied: int = 0         # entries of the file's generation, replayed
    stale: int = 0           # entries of older generations, ignored (already in the file)
    problem: str | None = None  # why reading stopped before the end, if it did
    raw: bytes = b""         # the journal's content when there is a problem (to keep a copy)


def _entry_changes(entry: Any) -> tuple[int, dict] | None:
    if not isinstance(entry, dict):
        return None
    gen, changes = entry.get("gen"), entry.get("changes")
    if not isinstance(gen, int) or isinstance(gen, bool) or not isinstance(changes, dict):
        return None
    for docs in changes.values():
        if not isinstance(docs, dict):
            return None
        for doc in docs.values():
            if doc is not None and not isinstance(doc, dict):
                return None
    return gen, changes


def replay_journal(target: Path, data: Tables, generation: int) -> JournalReplay:
    """Apply to `data` the journal entries of `generation`, in order.

    Stops at the first line that is not a journal entry (a line torn by a crash, or damage),
    or that belongs to a newer generation than the file (the file was replaced by an older
    one): the lines before it stay applied. Raises OSError if the journal cannot be read."""
    try:
        raw = journal_path(target).read_bytes()
    except FileNotFoundError:
        return JournalReplay()
    report = JournalReplay(size=len(raw))
    for number, line in enumerate(raw.split(b"\n"), start=1):
        if not line.strip():
            continue
        try:
            parsed = _entry_changes(orjson.loads(line))
        except orjson.JSONDecodeError:
            parsed = None
        if parsed is None:
            report.problem = f"line {number} of the journal is not a complete entry"
            break
        gen, changes = parsed
        if gen < generation:
            report.stale += 1
            continue
        if gen > generation:
            report.problem = (f"line {number} of the journal belongs to generation {gen}, "
                              f"the file is generation {generation}")
            break
        for name, docs in changes.items():
            table = data.get(name)
            if table is None:
                table = data[name] = {}
            for key, doc in docs.items():
                if doc is None:
                    table.pop(key, None)
                else:
                    table[key] = doc
        report.applied += 1
    if report.problem:
        report.raw = raw
    return report


# -- the storage ---------------------------------------------------------------------------------

class BackgroundJSONStorage(Storage):
    """All tables live in one dict `{table: {str_id: doc}}`; a daemon thread saves it.

    `read()` returns the live dict (no copy). Changes are recorded with `record_changes(table,
    keys)` (known documents) or `write(data)` / `mark_dirty()` (unknown: the next write is a
    full rewrite). A change schedules a write `flush_delay` seconds later; changes arriving
    before that write starts join it, and changes arriving while it runs schedule exactly one
    more. A write is a journal append when few documents changed, else a full atomic rewrite
    (temporary file, fsync, rename, fsync of the folder) that then removes the journal.
    `lock` guards the data: hold it to read or change several things consistently.
    """

    def __init__(self, path: Path, data: Tables | None = None, *,
                 flush_delay: float = DEFAULT_FLUSH_DELAY, lock: threading.RLock | None = None,
                 chunk_docs: int = CHUNK_DOCS, small_table_docs: int = SMALL_TABLE_DOCS,
                 generation: int = 0, journal_in_use: bool = False,
                 journal_max_docs: int = JOURNAL_MAX_DOCS,
                 journal_max_bytes: int = JOURNAL_MAX_BYTES) -> None:
        super().__init__()
        self.path = Path(path)
        self.journal = journal_path(self.path)
        self.flush_delay = flush_delay
        self.lock = lock if lock is not None else threading.RLock()
        self.chunk_docs = chunk_docs
        self.small_table_docs = small_table_docs
        self.journal_max_docs = journal_max_docs
        self.journal_max_bytes = journal_max_bytes
        self._data: Tables = data if data is not None else {}
        self._dirty_gen = 0      # bumped by every change (under `lock`)
        self._written_gen = 0    # the change the file + journal on disk include
        # What changed since the last write began (under `lock`): documents by table, or
        # "anything" (`_full_pending`), which only a full rewrite can save.
        self._changes: dict[str, set[str]] = {}
        self._pending_docs = 0
        self._full_pending = False
        self._table_update: str | None = None  # a TinyDB table write in progress
        # The files (under `_write_mutex`): the main file's generation, and the journal.
        self._generation = generation
        self._journal_fd: int | None = None
        self._journal_size = 0
        self._journal_created = False    # the folder entry still needs an fsync
        # Never append to the journal on disk (it holds entries, or damage, from before): every
        # write is a full rewrite until one succeeds and removes it. Set when `journal_in_use`.
        self._journal_unusable = journal_in_use
        self._write_mutex = threading.Lock()  # one write at a time (thread or flush)
        self._schedule = threading.Condition(threading.Lock())
        self._due: float | None = None
        self._stopping = False
        self._closed = False
        self._thread: threading.Thread | None = None
        self._callbacks: list[ErrorCallback] = []
        self.last_write_error: StoreWriteError | None = None
        self.writes_completed = 0    # journal appends + full writes
        self.journal_appends = 0
        self.full_writes = 0
        self.writes_failed = 0
        _OPEN_STORAGES.add(self)

    # -- the TinyDB Storage interface -------------------------------------------------------

    def read(self) -> Tables:
        return self._data

    def write(self, data: Tables) -> None:
        """TinyDB's whole-database write. Inside `table_update(name)` the caller records the
        table's documents; otherwise what changed is unknown and the next write is full."""
        with self.lock:
            self._data = data
            if self._table_update is None:
                self.mark_dirty()
            else:
                self._bump()

    def close(self) -> None:
        """Compact (full rewrite, journal removed), then stop the writer. Idempotent.

        If the rewrite fails, the changes are appended to the journal instead when that works
        (they are safe, and the next open folds them in); otherwise the error is raised."""
        if self._closed:
            return
        try:
            try:
                self.compact()
            except StoreWriteError:
                self.flush()
        finally:
            self._closed = True
            self._stop_thread()
            self._close_journal()
            _OPEN_STORAGES.discard(self)

    def abandon(self) -> None:
        """Stop without writing (used when opening fails half-way)."""
        self._closed = True
        self._stop_thread()
        self._close_journal()
        _OPEN_STORAGES.discard(self)

    # -- state --------------------------------------------------------------------------------

    @property
    def data(self) -> Tables:
        """The live dict of tables (look it up each time: TinyDB may replace it)."""
        return self._data

    @property
    def dirty(self) -> bool:
        """Whether some change is not on disk yet."""
        return self._dirty_gen != self._written_gen

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def generation(self) -> int:
        """The generation of the main file on disk (0: never rewritten by this version)."""
        return self._generation

    def on_write_error(self, callback: ErrorCallback) -> Callable[[], None]:
        """Call `callback(error)` from the writer when a write fails, `callback(None)` when
        writes succeed again after a failure. Returns a function that unsubscribes."""
        self._callbacks.append(callback)

        def unsubscribe() -> None:
            if callback in self._callbacks:
                self._callbacks.remove(callback)

        return unsubscribe

    # -- recording changes --------------------------------------------------------------------

    def record_changes(self, table: str, keys: Collection[str]) -> None:
        """Record that these documents of `table` changed (were put or deleted) and schedule
        a write. Call it under `lock`, in the same critical section as the change."""
        with self.lock:
            self._check_open()
            if not self._full_pending:
                if self._pending_docs + len(keys) > self.journal_max_docs:
                    self._want_full()
                else:
                    changed = self._changes.get(table)
                    if changed is None:
                        changed = self._changes[table] = set()
                    before = len(changed)
                    changed.update(keys)
                    self._pending_docs += len(changed) - before
            self._bump()

    @contextlib.contextmanager
    def table_update(self, name: str) -> Iterator[None]:
        """Wrap one TinyDB table write: every document of the table before and after it is
        recorded as changed (a full rewrite if the table is big)."""
        with self.lock:
            table = self._data.get(name) or {}
            before: list[str] | None = None
            if len(table) <= self.journal_max_docs:
                before = list(table)
            self._table_update = name
            try:
                yield
            finally:
                self._table_update = None
            after = self._data.get(name) or {}
            if before is None or len(after) > self.journal_max_docs:
                self.mark_dirty()
            else:
                self.record_changes(name, set(before).union(after))

    def mark_dirty(self) -> None:
        """Record an unknown change (the next write is a full rewrite) and schedule it."""
        with self.lock:
            self._check_open()
            self._want_full()
            self._bump()

    def request_compaction(self) -> None:
        """Schedule a full rewrite that removes the journal, in the background."""
        self.mark_dirty()

    def _want_full(self) -> None:
        self._full_pending = True
        self._changes = {}
        self._pending_docs = 0

    def _check_open(self) -> None:
        if self._closed:
            raise StoreClosedError(self.path)

    def _bump(self) -> None:
        """Count a change and make sure a write follows within `flush_delay`."""
        with self.lock:
            self._check_open()
            self._dirty_gen += 1
        with self._schedule:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name=f"capsule-tui writer {self.path.name}", daemon=True)
                self._thread.start()
            if self._due is None:  # wake the writer only when a write gets scheduled: a bulk
                self._due = time.monotonic() + self.flush_delay  # save makes 100,000 changes
                self._schedule.notify()

    # -- scheduling ---------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._schedule:
                while True:
                    if self._stopping:
                        return
                    if self._due is not None:
                        delay = self._due - time.monotonic()
                        if delay <= 0:
                            break
                        self._schedule.wait(delay)
                    else:
                        self._schedule.wait()
                self._due = None
            try:
                self._write()
            except StoreWriteError:
                pass  # remembered in last_write_error and reported to callbacks
            except BaseException:  # never let the writer thread die silently
                pass

    def _stop_thread(self) -> None:
        with self._schedule:
            self._stopping = True
            self._schedule.notify_all()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=30)

    # -- writing ------------------------------------------------------------------------------

    def flush(self) -> None:
        """Write now if anything changed and return once it is durable on disk (appended to
        the journal, or the file rewritten).

        Raises StoreWriteError if the write fails (the data stays in memory)."""
        self._write()

    def compact(self) -> bool:
        """Rewrite the whole file now and remove the journal, unless the file alone is
        already complete (nothing pending, no journal). Returns whether it rewrote.

        Raises StoreWriteError if the rewrite fails (the data stays in memory)."""
        return self._write(compact=True)

    def _journal_exists(self) -> bool:
        return self._journal_fd is not None or os.path.lexists(self.journal)

    def _snapshot(self, generation: int) -> list[tuple[str, bytes | dict]]:
        # Under the lock: small tables are serialised whole (a deep snapshot, immune to
        # TinyDB's in-place updates); big ones are shallow-copied with one dict() each, which
        # allocates no per-document objects (a list of items would, and wake the GC).
        snapshot: list[tuple[str, bytes | dict]] = []
        for name, table in self._data.items():
            if name == GENERATION_TABLE:
                table = dict(table)
                doc = table.get(GENERATION_KEY)
                table[GENERATION_KEY] = {**(doc if isinstance(doc, dict) else {}),
                                         GENERATION_FIELD: generation}
            if len(table) < self.small_table_docs:
                snapshot.append((str(name), _dumps(table)))
            else:
                snapshot.append((str(name), dict(table)))
        if GENERATION_TABLE not in self._data:
            snapshot.append((GENERATION_TABLE, _dumps(
                {GENERATION_KEY: {GENERATION_FIELD: generation}})))
        return snapshot

    def _journal_line(self, changes: dict[str, set[str]]) -> bytes:
        # Under the lock: the documents as they are now, serialised (a deep snapshot).
        entry: dict[str, dict[str, Any]] = {}
        for name, keys in changes.items():
            table = self._data.get(name) or {}
            entry[name] = {key: table.get(key) for key in keys}
        return _dumps({"gen": self._generation, "changes": entry}) + b"\n"

    def _write(self, compact: bool = False) -> bool:
        with self._write_mutex:
            with self.lock:
                if compact:
                    if not (self.dirty or self._full_pending or self._journal_unusable
                            or self._generation == 0 or self._journal_exists()):
                        return False
                elif not self.dirty:
                    return False
                gen = self._dirty_gen
                changes, self._changes = self._changes, {}
                self._pending_docs = 0
                full_pending, self._full_pending = self._full_pending, False
                full = (compact or full_pending or self._journal_unusable
                        or self._generation == 0
                        or self._journal_size >= self.journal_max_bytes)
                snapshot: list[tuple[str, bytes | dict]] = []
                line = b""
                problem: Exception | None = None
                try:
                    if full:
                        snapshot = self._snapshot(self._generation + 1)
                    elif changes:
                        line = self._journal_line(changes)
                except Exception as exc:  # a document orjson cannot serialise
                    self._restore(changes, full_pending)
                    problem = exc
            if problem is not None:
                raise self._failed(problem) from problem
            try:
                if full:
                    write_atomically(self.path, _serialise(snapshot, self.chunk_docs))
                    self._generation += 1
                    self._journal_unusable = False
                    self._remove_journal()
                elif line:
                    self._append(line)
            except Exception as exc:  # OSError, or a document orjson cannot serialise
                with self.lock:
                    self._restore(changes, full_pending)
                raise self._failed(exc) from exc
            recovered = self.last_write_error is not None
            with self.lock:
                self._written_gen = max(self._written_gen, gen)
            self.last_write_error = None
            self.writes_completed += 1
            if full:
                self.full_writes += 1
            elif line:
                self.journal_appends += 1
            if recovered:
                self._notify(None)
            return True

    def _restore(self, changes: dict[str, set[str]], full_pending: bool) -> None:
        """Put back what a failed write took (under `lock`), with what changed meanwhile."""
        if full_pending or self._full_pending:
            self._want_full()
            return
        for name, keys in changes.items():
            mine = self._changes.get(name)
            if mine is None:
                mine = self._changes[name] = set()
            mine.update(keys)
        self._pending_docs = sum(map(len, self._changes.values()))
        if self._pending_docs > self.journal_max_docs:
            self._want_full()

    def _failed(self, exc: BaseException) -> StoreWriteError:
        error = StoreWriteError(self.path, exc)
        error.__cause__ = exc
        self.last_write_error = error
        self.writes_failed += 1
        self._notify(error)
        return error

    # -- the journal file (under `_write_mutex`) ---------------------------------------------

    def _append(self, line: bytes) -> None:
        """Append one entry and fsync it. On failure the journal is cut back to its previous
        length; if that cannot be done, or fsync failed (the file's state is then unknown),
        the journal is abandoned and the next write is a full rewrite."""
        if self._journal_fd is None:
            # Whatever an existing journal holds is already in the file: a journal with
            # entries of this generation is rewritten away before any append (see Store.open).
            fd = os.open(self.journal, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_TRUNC
                         | getattr(os, "O_CLOEXEC", 0), 0o600)
            try:
                os.fchmod(fd, 0o600)
            except OSError:
                pass
            self._journal_fd = fd
            self._journal_size = 0
            self._journal_created = True
        fd = self._journal_fd
        start = self._journal_size
        try:
            view = memoryview(line)
            while view:
                view = view[os.write(fd, view):]
        except BaseException:
            try:
                os.ftruncate(fd, start)
            except BaseException:
                self._abandon_journal()
            raise
        try:
            os.fsync(fd)
            if self._journal_created:
                _fsync_dir(self.path.parent)  # the journal's name is durable too
                self._journal_created = False
        except BaseException:
            self._abandon_journal()
            raise
        self._journal_size = start + len(line)

    def _abandon_journal(self) -> None:
        self._close_journal()
        self._journal_unusable = True

    def _close_journal(self) -> None:
        fd, self._journal_fd = self._journal_fd, None
        if fd is not None:
            try:
                os.close(fd)
            except OSError:
                pass

    def _remove_journal(self) -> None:
        """After a full rewrite: its entries carry the old generation, so a crash before this
        removal is harmless (they are ignored), and so is a failure to remove it."""
        self._close_journal()
        self._journal_size = 0
        try:
            os.unlink(self.journal)
        except OSError:
            pass

    def _notify(self, error: StoreWriteError | None) -> None:
        for callback in list(self._callbacks):
            try:
                callback(error)
            except Exception:
                pass


@atexit.register
def _flush_open_storages() -> None:
    """Best effort: save what an app forgot to close before the interpreter exits."""
    for storage in list(_OPEN_STORAGES):
        try:
            storage.close()
        except Exception:
            pass
