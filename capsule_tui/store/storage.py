"""A TinyDB storage held in memory, written atomically to its JSON file by a background thread."""

from __future__ import annotations

import atexit
import itertools
import os
import secrets
import threading
import time
import weakref
from collections.abc import Callable, Iterator
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

TEMP_SUFFIX = ".tmp"

Tables = dict[str, dict[str, Any]]
ErrorCallback = Callable[[StoreWriteError | None], None]

_OPEN_STORAGES: "weakref.WeakSet[BackgroundJSONStorage]" = weakref.WeakSet()


def temp_prefix(target: Path) -> str:
    """The name prefix of the temporary files written next to `target`."""
    return f".{target.name}."


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


class BackgroundJSONStorage(Storage):
    """All tables live in one dict `{table: {str_id: doc}}`; a daemon thread saves it.

    `read()` returns the live dict (no copy). `write(data)` keeps `data` and marks the storage
    dirty. A dirty mark schedules a write `flush_delay` seconds later; marks arriving before
    that write starts join it, and marks arriving while it runs schedule exactly one more.
    Every write goes to a temporary file that replaces the target only once it is on disk.
    `lock` guards the data: hold it to read or change several things consistently.
    """

    def __init__(self, path: Path, data: Tables | None = None, *,
                 flush_delay: float = DEFAULT_FLUSH_DELAY, lock: threading.RLock | None = None,
                 chunk_docs: int = CHUNK_DOCS, small_table_docs: int = SMALL_TABLE_DOCS) -> None:
        super().__init__()
        self.path = Path(path)
        self.flush_delay = flush_delay
        self.lock = lock if lock is not None else threading.RLock()
        self.chunk_docs = chunk_docs
        self.small_table_docs = small_table_docs
        self._data: Tables = data if data is not None else {}
        self._dirty_gen = 0      # bumped by every change (under `lock`)
        self._written_gen = 0    # the change the file on disk includes
        self._write_mutex = threading.Lock()  # one write at a time (thread or flush)
        self._schedule = threading.Condition(threading.Lock())
        self._due: float | None = None
        self._stopping = False
        self._closed = False
        self._thread: threading.Thread | None = None
        self._callbacks: list[ErrorCallback] = []
        self.last_write_error: StoreWriteError | None = None
        self.writes_completed = 0
        self.writes_failed = 0
        _OPEN_STORAGES.add(self)

    # -- the TinyDB Storage interface -------------------------------------------------------

    def read(self) -> Tables:
        return self._data

    def write(self, data: Tables) -> None:
        with self.lock:
            self._data = data
            self.mark_dirty()

    def close(self) -> None:
        """Flush, then stop the writer. Idempotent; re-raises a failed final write."""
        if self._closed:
            return
        try:
            self.flush()
        finally:
            self._closed = True
            self._stop_thread()
            _OPEN_STORAGES.discard(self)

    def abandon(self) -> None:
        """Stop without writing (used when opening fails half-way)."""
        self._closed = True
        self._stop_thread()
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

    def on_write_error(self, callback: ErrorCallback) -> Callable[[], None]:
        """Call `callback(error)` from the writer when a write fails, `callback(None)` when
        writes succeed again after a failure. Returns a function that unsubscribes."""
        self._callbacks.append(callback)

        def unsubscribe() -> None:
            if callback in self._callbacks:
                self._callbacks.remove(callback)

        return unsubscribe

    # -- scheduling ---------------------------------------------------------------------------

    def mark_dirty(self) -> None:
        """Record a change and make sure a write follows within `flush_delay`."""
        with self.lock:
            if self._closed:
                raise StoreClosedError(self.path)
            self._dirty_gen += 1
        with self._schedule:
            if self._due is None:
                self._due = time.monotonic() + self.flush_delay
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name=f"capsule-tui writer {self.path.name}", daemon=True)
                self._thread.start()
            self._schedule.notify()

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
                self._write_if_dirty()
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
        """Write now if anything changed and return once it is durable on disk.

        Raises StoreWriteError if the write fails (the data stays in memory)."""
        self._write_if_dirty()

    def _snapshot(self) -> tuple[int, list[tuple[str, bytes | dict]]]:
        # Under the lock: small tables are serialised whole (a deep snapshot, immune to
        # TinyDB's in-place updates); big ones are shallow-copied with one dict() each, which
        # allocates no per-document objects (a list of items would, and wake the GC).
        with self.lock:
            gen = self._dirty_gen
            snapshot: list[tuple[str, bytes | dict]] = []
            for name, table in self._data.items():
                if len(table) < self.small_table_docs:
                    snapshot.append((str(name), _dumps(table)))
                else:
                    snapshot.append((str(name), dict(table)))
            return gen, snapshot

    def _write_if_dirty(self) -> bool:
        with self._write_mutex:
            if not self.dirty:
                return False
            try:
                gen, snapshot = self._snapshot()
                write_atomically(self.path, _serialise(snapshot, self.chunk_docs))
            except Exception as exc:  # OSError, or a document orjson cannot serialise
                error = StoreWriteError(self.path, exc)
                error.__cause__ = exc
                self.last_write_error = error
                self.writes_failed += 1
                self._notify(error)
                raise error from exc
            recovered = self.last_write_error is not None
            with self.lock:
                self._written_gen = max(self._written_gen, gen)
            self.last_write_error = None
            self.writes_completed += 1
            if recovered:
                self._notify(None)
            return True

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
