"""Store journal tests: small changes are appended to `<file>.journal`, replayed on open,
folded into the file by full rewrites; crashes and failures lose nothing acknowledged."""

from __future__ import annotations

import errno
import json
import os
import shutil
import stat
import time
from pathlib import Path

import orjson
import pytest
from tinydb import TinyDB

from capsule_tui.store import SCHEMA_VERSION, NewerSchemaError, Store, StoreWriteError
from capsule_tui.store.storage import journal_path


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "capsule-tui.json"


@pytest.fixture
def quiet_store(db_path: Path):
    """A store whose background writer stays idle: only flush() writes."""
    s = Store.open(db_path, flush_delay=60)
    yield s
    s.close()


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def journal_lines(db_path: Path) -> list[dict]:
    return [orjson.loads(line) for line in journal_path(db_path).read_bytes().splitlines()]


def generation(db_path: Path) -> int:
    return json.loads(db_path.read_bytes())["schema"]["1"]["generation"]


def crash_copy(db_path: Path, dest: Path) -> Path:
    """The files as a crash would leave them now (the store is still open on the original)."""
    dest.mkdir(parents=True, exist_ok=True)
    copy = dest / db_path.name
    shutil.copyfile(db_path, copy)
    if journal_path(db_path).exists():
        shutil.copyfile(journal_path(db_path), journal_path(copy))
    return copy


def wait_until(condition, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.005)
    return condition()


# -- appends ----------------------------------------------------------------------------------

def test_one_put_appends_a_journal_line_and_leaves_the_file(quiet_store: Store,
                                                           db_path: Path) -> None:
    assert quiet_store.full_writes == 1  # the new file was written whole at open
    main_before = db_path.read_bytes()
    gen = generation(db_path)
    quiet_store.put("staged_contacts", "demo:1", {"type": "Customer"})
    quiet_store.flush()
    assert not quiet_store.dirty
    assert db_path.read_bytes() == main_before
    assert journal_lines(db_path) == [
        {"gen": gen, "changes": {"staged_contacts": {"demo:1": {"type": "Customer"}}}}]
    assert (quiet_store.journal_appends, quiet_store.full_writes) == (1, 1)

    quiet_store.delete("staged_contacts", "demo:1")
    quiet_store.flush()
    assert journal_lines(db_path)[-1]["changes"] == {"staged_contacts": {"demo:1": None}}


def test_reopen_replays_the_journal_then_compacts(quiet_store: Store, db_path: Path,
                                                   tmp_path: Path) -> None:
    quiet_store.put_many("staged_contacts", [("demo:1", {"v": 1}), ("demo:2", {"v": 2})])
    quiet_store.flush()
    quiet_store.put("staged_contacts", "demo:1", {"v": 10})
    quiet_store.delete("staged_contacts", "demo:2")
    quiet_store.put("runs", "r1", {"ok": True})
    quiet_store.flush()
    assert len(journal_lines(db_path)) == 2
    copy = crash_copy(db_path, tmp_path / "crash")
    gen = generation(copy)

    s = Store.open(copy, flush_delay=0.01)
    try:
        assert s.journal.applied == 2 and s.journal.problem is None
        assert s.get("staged_contacts", "demo:1") == {"v": 10}
        assert s.get("staged_contacts", "demo:2") is None
        assert s.get("runs", "r1") == {"ok": True}
        assert s.get("schema", "1") == {"version": SCHEMA_VERSION}
        # folded into the file in the background, the journal removed
        assert wait_until(lambda: not journal_path(copy).exists() and not s.dirty)
        assert generation(copy) == gen + 1
        on_disk = json.loads(copy.read_bytes())
        assert on_disk["staged_contacts"] == {"demo:1": {"v": 10}}
        assert on_disk["runs"] == {"r1": {"ok": True}}
    finally:
        s.close()


def test_rapid_puts_make_at_most_two_appends(db_path: Path) -> None:
    with Store.open(db_path, flush_delay=0.1) as s:
        appends, fulls = s.journal_appends, s.full_writes
        for i in range(50):
            s.put("staged_contacts", "demo:1", {"type": f"t{i}"})
            s.put("staged_contacts", f"demo:{i + 100}", {"n": i})
            time.sleep(0.001)
        s.flush()
        assert 1 <= s.journal_appends - appends <= 2
        assert s.full_writes == fulls
        last = {}
        for entry in journal_lines(db_path):
            last.update(entry["changes"]["staged_contacts"])
        assert last["demo:1"] == {"type": "t49"} and len(last) == 51


def test_tinydb_api_writes_go_to_the_journal(quiet_store: Store, db_path: Path,
                                             tmp_path: Path) -> None:
    sites = quiet_store.db.table("sites")
    sites.insert({"subdomain": "a"})
    sites.insert({"subdomain": "b"})
    quiet_store.flush()
    sites.remove(doc_ids=[1])
    quiet_store.flush()
    assert quiet_store.full_writes == 1
    entries = journal_lines(db_path)
    assert entries[0]["changes"] == {"sites": {"1": {"subdomain": "a"}, "2": {"subdomain": "b"}}}
    assert entries[1]["changes"] == {"sites": {"1": None, "2": {"subdomain": "b"}}}
    with Store.open(crash_copy(db_path, tmp_path / "crash")) as s:
        assert dict(s.docs("sites").items()) == {"2": {"subdomain": "b"}}

    quiet_store.db.drop_table("sites")  # an unknown change: a full rewrite
    quiet_store.flush()
    assert quiet_store.full_writes == 2 and not journal_path(db_path).exists()
    assert "sites" not in json.loads(db_path.read_bytes())


def test_a_new_empty_table_is_journalled(quiet_store: Store, db_path: Path,
                                         tmp_path: Path) -> None:
    quiet_store.put_many("links", [])
    quiet_store.flush()
    with Store.open(crash_copy(db_path, tmp_path / "crash")) as s:
        assert "links" in s.table_names()


# -- full rewrites ----------------------------------------------------------------------------

def test_a_big_change_set_is_a_full_write(quiet_store: Store, db_path: Path) -> None:
    quiet_store.put("runs", "small", {"v": 1})
    quiet_store.flush()
    assert journal_path(db_path).exists()
    gen = generation(db_path)
    quiet_store.put_many("staged_contacts", [(f"demo:{i}", {"n": i}) for i in range(2_500)])
    quiet_store.flush()
    assert (quiet_store.journal_appends, quiet_store.full_writes) == (1, 2)
    assert not journal_path(db_path).exists()
    on_disk = json.loads(db_path.read_bytes())
    assert len(on_disk["staged_contacts"]) == 2_500 and on_disk["runs"]["small"] == {"v": 1}
    assert generation(db_path) == gen + 1


def test_many_small_changes_add_up_to_a_full_write(quiet_store: Store, db_path: Path) -> None:
    for i in range(3):
        quiet_store.put_many("staged_contacts", [(f"demo:{i}:{j}", {}) for j in range(900)])
    quiet_store.flush()
    assert quiet_store.journal_appends == 0 and quiet_store.full_writes == 2


def test_a_grown_journal_is_compacted(quiet_store: Store, db_path: Path) -> None:
    quiet_store._storage.journal_max_bytes = 300
    for i in range(10):
        quiet_store.put("runs", "r", {"i": i, "pad": "x" * 100})
        quiet_store.flush()
    # append, append (300 bytes reached), rewrite, append, append, rewrite, ...
    assert quiet_store.full_writes >= 1 + 3 and quiet_store.journal_appends >= 6
    assert len(journal_lines(db_path)) <= 2


def test_compact_and_close_leave_the_file_alone_complete(db_path: Path) -> None:
    s = Store.open(db_path, flush_delay=60)
    s.put("customers", "demo:1", {"Name": "Acme"})
    s.flush()
    assert journal_path(db_path).exists()
    assert s.compact() is True
    assert not journal_path(db_path).exists()
    assert s.compact() is False  # nothing to do
    s.put("customers", "demo:2", {"Name": "Bolt"})
    s.flush()
    s.close()
    assert not journal_path(db_path).exists()
    stock = TinyDB(db_path)
    try:
        assert stock.table("customers").get(doc_id="demo:2") == {"Name": "Bolt"}
        assert stock.table("customers").get(doc_id="demo:1") == {"Name": "Acme"}
    finally:
        stock.close()


def test_close_falls_back_to_the_journal_when_the_rewrite_fails(db_path: Path, tmp_path: Path,
                                                                monkeypatch) -> None:
    s = Store.open(db_path, flush_delay=60)

    def no_space(src, dst):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "replace", no_space)
    s.put("customers", "demo:1", {"Name": "Acme"})
    s.close()  # the data is safe in the journal: no error
    monkeypatch.undo()
    with Store.open(db_path) as again:
        assert again.journal.applied == 1
        assert again.get("customers", "demo:1") == {"Name": "Acme"}
    assert not journal_path(db_path).exists()


# -- crashes ----------------------------------------------------------------------------------

def test_torn_last_line_is_ignored_and_the_journal_copied(quiet_store: Store, db_path: Path,
                                                          tmp_path: Path) -> None:
    quiet_store.put("runs", "a", {"v": 1})
    quiet_store.flush()
    quiet_store.put("runs", "b", {"v": 2})
    quiet_store.flush()
    copy = crash_copy(db_path, tmp_path / "crash")
    gen = generation(copy)
    torn = f'{{"gen": {gen}, "changes": {{"runs": {{"c": {{"v"'.encode()
    with open(journal_path(copy), "ab") as handle:
        handle.write(torn)
    content = journal_path(copy).read_bytes()

    s = Store.open(copy, flush_delay=0.01)
    try:
        assert s.get("runs", "a") == {"v": 1} and s.get("runs", "b") == {"v": 2}
        assert s.get("runs", "c") is None
        assert s.journal.applied == 2 and "line 3" in s.journal.problem
        assert s.journal_copy is not None and s.journal_copy.read_bytes() == content
        assert s.journal_copy.name.startswith(copy.name + ".journal.damaged-")
        assert mode(s.journal_copy) == 0o600
        # never appended after the torn line: the next write is the rewrite
        s.put("runs", "d", {"v": 4})
        s.flush()
        assert not journal_path(copy).exists()
        assert json.loads(copy.read_bytes())["runs"]["d"] == {"v": 4}
    finally:
        s.close()


def test_lines_after_a_damaged_line_are_not_applied(quiet_store: Store, db_path: Path,
                                                    tmp_path: Path) -> None:
    for key in "abc":
        quiet_store.put("runs", key, {"v": key})
        quiet_store.flush()
    copy = crash_copy(db_path, tmp_path / "crash")
    lines = journal_path(copy).read_bytes().splitlines(keepends=True)
    journal_path(copy).write_bytes(lines[0] + b'["not an entry"]\n' + lines[1] + lines[2])
    with Store.open(copy) as s:
        assert s.get("runs", "a") == {"v": "a"}
        assert s.get("runs", "b") is None and s.get("runs", "c") is None
        assert s.journal_copy is not None


def test_crash_between_rename_and_unlink_leaves_a_harmless_journal(quiet_store: Store,
                                                                    db_path: Path) -> None:
    quiet_store.put("runs", "a", {"v": "old"})
    quiet_store.flush()
    stale = journal_path(db_path).read_bytes()
    quiet_store.put("runs", "a", {"v": "new"})
    quiet_store.close()  # rename, then the journal is removed...
    journal_path(db_path).write_bytes(stale)  # ...as if the crash came before the unlink
    assert orjson.loads(stale)["gen"] == generation(db_path) - 1

    with Store.open(db_path, flush_delay=0.01) as s:
        assert s.get("runs", "a") == {"v": "new"}
        assert s.journal.stale == 1 and s.journal.applied == 0 and s.journal.problem is None
        assert s.journal_copy is None
        assert wait_until(lambda: not journal_path(db_path).exists())


def test_journal_of_a_newer_generation_is_kept_not_applied(quiet_store: Store, db_path: Path,
                                                           tmp_path: Path) -> None:
    quiet_store.compact()
    backup = db_path.read_bytes()  # a backup of the main file alone
    quiet_store.put("runs", "x", {"v": 1})
    quiet_store.compact()
    quiet_store.put("runs", "x", {"v": 2})
    quiet_store.flush()
    copy = crash_copy(db_path, tmp_path / "crash")
    copy.write_bytes(backup)  # the operator restored the older main file
    with Store.open(copy) as s:
        assert s.get("runs", "x") is None
        assert "generation" in s.journal.problem and s.journal_copy is not None


def test_journal_without_main_file_is_kept(db_path: Path) -> None:
    db_path.parent.mkdir()
    journal_path(db_path).write_bytes(b'{"gen": 3, "changes": {"runs": {"a": {}}}}\n')
    with Store.open(db_path) as s:
        assert s.get("runs", "a") is None and s.journal_copy is not None
    assert not journal_path(db_path).exists()


# -- failures ---------------------------------------------------------------------------------

def test_append_failure_keeps_the_data_and_is_retried(quiet_store: Store, db_path: Path,
                                                      tmp_path: Path, monkeypatch) -> None:
    quiet_store.put("runs", "a", {"v": 1})
    quiet_store.flush()
    journal_before = journal_path(db_path).read_bytes()
    real_write = os.write

    def half_then_full(fd, data):
        real_write(fd, bytes(data[: len(data) // 2]))  # a torn line...
        raise OSError(errno.ENOSPC, "No space left on device")  # ...then the disk is full

    monkeypatch.setattr(os, "write", half_then_full)
    quiet_store.put("runs", "b", {"v": 2})
    with pytest.raises(StoreWriteError) as info:
        quiet_store.flush()
    assert "disk is full" in info.value.hint
    assert quiet_store.dirty and quiet_store.get("runs", "b") == {"v": 2}
    assert journal_path(db_path).read_bytes() == journal_before  # cut back

    monkeypatch.undo()
    quiet_store.put("runs", "c", {"v": 3})
    quiet_store.flush()  # retried as an append, with both changes
    assert quiet_store.last_write_error is None and not quiet_store.dirty
    assert quiet_store.full_writes == 1
    assert journal_lines(db_path)[-1]["changes"]["runs"] == {"b": {"v": 2}, "c": {"v": 3}}
    with Store.open(crash_copy(db_path, tmp_path / "crash")) as s:
        assert s.journal.problem is None
        assert [s.get("runs", k) for k in "abc"] == [{"v": 1}, {"v": 2}, {"v": 3}]


def test_journal_open_failure_is_retried(quiet_store: Store, db_path: Path,
                                         monkeypatch) -> None:
    real_open = os.open

    def refusing_open(path, flags, *args, **kwargs):
        if str(path).endswith(".journal"):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", refusing_open)
    quiet_store.put("runs", "a", {"v": 1})
    with pytest.raises(StoreWriteError):
        quiet_store.flush()
    assert quiet_store.dirty and not journal_path(db_path).exists()
    monkeypatch.undo()
    quiet_store.flush()
    assert journal_lines(db_path)[0]["changes"] == {"runs": {"a": {"v": 1}}}


def test_fsync_failure_on_append_makes_the_next_write_a_rewrite(quiet_store: Store,
                                                                db_path: Path,
                                                                monkeypatch) -> None:
    quiet_store.put("runs", "a", {"v": 1})
    quiet_store.flush()
    real_fsync = os.fsync
    calls = []

    def failing_fsync(fd):
        calls.append(fd)
        raise OSError(errno.EIO, "I/O error")

    monkeypatch.setattr(os, "fsync", failing_fsync)
    quiet_store.put("runs", "b", {"v": 2})
    with pytest.raises(StoreWriteError):
        quiet_store.flush()
    monkeypatch.setattr(os, "fsync", real_fsync)
    quiet_store.flush()
    assert quiet_store.full_writes == 2 and not journal_path(db_path).exists()
    assert json.loads(db_path.read_bytes())["runs"] == {"a": {"v": 1}, "b": {"v": 2}}


def test_unserialisable_document_keeps_the_changes_pending(quiet_store: Store,
                                                           db_path: Path) -> None:
    quiet_store.put("runs", "bad", {"v": {1, 2}})
    quiet_store.put("runs", "good", {"v": 1})
    with pytest.raises(StoreWriteError):
        quiet_store.flush()
    assert not journal_path(db_path).exists()
    quiet_store.put("runs", "bad", {"v": [1, 2]})
    quiet_store.flush()
    assert journal_lines(db_path)[0]["changes"]["runs"] == {"bad": {"v": [1, 2]},
                                                            "good": {"v": 1}}


# -- files ------------------------------------------------------------------------------------

def test_journal_is_private(db_path: Path) -> None:
    old_umask = os.umask(0)
    try:
        s = Store.open(db_path, flush_delay=60)
        s.put("sites", "demo", {"token": "secret"})
        s.flush()
        assert mode(journal_path(db_path)) == 0o600
        s.close()
    finally:
        os.umask(old_umask)


def test_file_still_opens_with_stock_tinydb_after_close(db_path: Path) -> None:
    with Store.open(db_path, flush_delay=0.01) as s:
        for i in range(5):
            s.put("staged_contacts", f"demo:{i}", {"type": "Customer", "i": i})
            s.flush()
        s.db.table("sites").insert({"subdomain": "demo"})
    stock = TinyDB(db_path)
    try:
        assert len(stock.table("staged_contacts")) == 5
        assert stock.table("sites").all() == [{"subdomain": "demo"}]
        assert stock.table("schema").get(doc_id=1)["version"] == SCHEMA_VERSION
    finally:
        stock.close()


def test_a_replayed_journal_is_never_appended_to(quiet_store: Store, db_path: Path,
                                                  tmp_path: Path) -> None:
    quiet_store.put("runs", "a", {"v": 1})
    quiet_store.flush()
    copy = crash_copy(db_path, tmp_path / "crash")
    with Store.open(copy, flush_delay=60) as s:  # the background compaction has not run
        s.put("runs", "b", {"v": 2})
        s.flush()
        assert (s.journal_appends, s.full_writes) == (0, 1)
        assert not journal_path(copy).exists()
        assert json.loads(copy.read_bytes())["runs"] == {"a": {"v": 1}, "b": {"v": 2}}


def test_newer_schema_with_a_journal_writes_nothing(db_path: Path) -> None:
    db_path.parent.mkdir()
    main = orjson.dumps({"schema": {"1": {"version": SCHEMA_VERSION + 1, "generation": 4}}})
    journal = b'{"gen": 4, "changes": {"runs": {"a": {}}}}\n'
    db_path.write_bytes(main)
    journal_path(db_path).write_bytes(journal)
    with pytest.raises(NewerSchemaError):
        Store.open(db_path, flush_delay=0)
    time.sleep(0.05)
    assert db_path.read_bytes() == main and journal_path(db_path).read_bytes() == journal
