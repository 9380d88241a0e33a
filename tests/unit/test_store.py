"""Store tests: persistence, atomic writes, locking, damage, schema, seed data, coalescing."""

from __future__ import annotations

import errno
import json
import os
import stat
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import orjson
import pytest
from tinydb import Query, TinyDB

from capsule_tui.domain.reference import seed_reference_data
from capsule_tui.store import (
    SCHEMA_VERSION,
    DamagedDatabaseError,
    DatabaseLockedError,
    NewerSchemaError,
    Store,
    StoreClosedError,
    StoreError,
    StoreWriteError,
)
from capsule_tui.store.storage import (
    BackgroundJSONStorage,
    journal_path,
    replay_journal,
    take_generation,
)

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "capsule-tui.json"


@pytest.fixture
def store(db_path: Path):
    s = Store.open(db_path, flush_delay=0.02)
    yield s
    s.close()


@pytest.fixture
def quiet_store(db_path: Path):
    """A store whose background writer stays idle: only flush() writes."""
    s = Store.open(db_path, flush_delay=60)
    yield s
    s.close()


def file_tables(path: Path) -> dict:
    """The main file alone."""
    return json.loads(path.read_bytes())


def durable_tables(path: Path) -> dict:
    """What a reopen would see: the main file plus its journal replayed."""
    data = json.loads(path.read_bytes())
    generation = take_generation(data)
    replay_journal(path, data, generation)
    return data


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


# -- persistence ------------------------------------------------------------------------------

def test_round_trip_across_reopen(db_path: Path) -> None:
    s = Store.open(db_path)
    s.put("customers", "demo:1", {"Name": "Acme", "Tags": ["a", "b"]})
    s.put_many("staged_contacts", [(f"demo:{i}", {"n": i}) for i in range(5)])
    s.delete("staged_contacts", "demo:3")
    s.delete_many("staged_contacts", ["demo:4", "missing"])
    s.close()

    s = Store.open(db_path)
    try:
        assert s.get("customers", "demo:1") == {"Name": "Acme", "Tags": ["a", "b"]}
        assert sorted(s.docs("staged_contacts")) == ["demo:0", "demo:1", "demo:2"]
        assert s.get("customers", "nope") is None
        assert s.get("no_such_table", "x") is None
        assert {"customers", "staged_contacts", "schema", "tax_rules", "defaults"} <= set(
            s.table_names())
    finally:
        s.close()


def test_file_opens_with_stock_tinydb(store: Store, db_path: Path) -> None:
    store.put("customers", "demo:1", {"Name": "Acme"})
    store.db.table("sites").insert({"subdomain": "demo"})
    store.close()  # compacts: the main file alone is complete

    assert not journal_path(db_path).exists()
    stock = TinyDB(db_path)
    try:
        assert stock.table("customers").get(doc_id="demo:1") == {"Name": "Acme"}
        assert stock.table("sites").all() == [{"subdomain": "demo"}]
        assert stock.table("schema").get(doc_id=1)["version"] == SCHEMA_VERSION
        assert len(stock.table("tax_rules")) == len(seed_reference_data()["tax_rules"])
    finally:
        stock.close()


def test_chunked_serialisation_is_valid_json(tmp_path: Path) -> None:
    data = {
        "empty": {},
        "small": {"1": {"a": 1}},
        "big": {f"k{i}": {"i": i, "s": "é\"\\\n"} for i in range(25)},
        "int_keys": {},
    }
    data["int_keys"] = {f"x{i}": {1: "one"} for i in range(3)}  # orjson needs OPT_NON_STR_KEYS
    storage = BackgroundJSONStorage(tmp_path / "db.json", data, chunk_docs=7, small_table_docs=3)
    storage.mark_dirty()
    storage.flush()
    storage.close()
    written = json.loads((tmp_path / "db.json").read_bytes())
    assert written["big"] == data["big"]
    assert written["empty"] == {} and written["small"] == data["small"]
    assert written["int_keys"]["x0"] == {"1": "one"}


# -- modes and atomicity --------------------------------------------------------------------

def test_new_file_folder_and_temporaries_are_private(db_path: Path, monkeypatch) -> None:
    old_umask = os.umask(0)  # the store must not rely on the umask
    try:
        temp_modes: list[int] = []
        real_replace = os.replace

        def spying_replace(src, dst):
            temp_modes.append(mode(Path(src)))
            return real_replace(src, dst)

        monkeypatch.setattr(os, "replace", spying_replace)
        s = Store.open(db_path, flush_delay=0.01)
        s.put("sites", "demo", {"token": "secret"})
        s.flush()
        s.close()
    finally:
        os.umask(old_umask)
    assert temp_modes and all(m == 0o600 for m in temp_modes)
    assert mode(db_path) == 0o600
    assert mode(db_path.parent) == 0o700
    assert mode(db_path.with_name(db_path.name + ".lock")) == 0o600


def test_existing_loose_file_is_made_private(db_path: Path) -> None:
    db_path.parent.mkdir()
    db_path.write_text("{}")
    os.chmod(db_path, 0o644)
    Store.open(db_path).close()
    assert mode(db_path) == 0o600


def test_crash_before_rename_leaves_file_intact(quiet_store: Store, db_path: Path,
                                                 monkeypatch) -> None:
    quiet_store.put("customers", "demo:1", {"Name": "Before"})
    quiet_store.compact()
    before = db_path.read_bytes()

    def crash(src, dst):
        raise OSError(errno.EIO, "simulated crash")

    monkeypatch.setattr(os, "replace", crash)
    quiet_store.put("customers", "demo:1", {"Name": "After"})
    with pytest.raises(StoreWriteError):
        quiet_store.compact()
    assert db_path.read_bytes() == before
    assert file_tables(db_path)["customers"]["demo:1"] == {"Name": "Before"}
    assert [p.name for p in db_path.parent.iterdir() if p.name.endswith(".tmp")] == []
    assert quiet_store.get("customers", "demo:1") == {"Name": "After"}  # kept in memory

    monkeypatch.undo()
    quiet_store.compact()  # the next write retries and succeeds
    assert quiet_store.last_write_error is None
    assert file_tables(db_path)["customers"]["demo:1"] == {"Name": "After"}


def test_unserialisable_document_fails_the_write_not_the_file(quiet_store: Store,
                                                                db_path: Path) -> None:
    quiet_store.flush()
    before = db_path.read_bytes()
    quiet_store.put("runs", "r1", {"bad": {1, 2}})
    with pytest.raises(StoreWriteError):
        quiet_store.flush()
    assert db_path.read_bytes() == before
    assert not journal_path(db_path).exists() or b"r1" not in journal_path(db_path).read_bytes()
    quiet_store.delete("runs", "r1")
    quiet_store.flush()
    assert "runs" in durable_tables(db_path)


def test_disk_full_is_remembered_reported_and_recovered(store: Store, db_path: Path,
                                                        monkeypatch) -> None:
    seen: list[StoreWriteError | None] = []
    store.on_write_error(seen.append)
    real_fsync = os.fsync
    full = threading.Event()
    full.set()

    def fsync(fd):
        if full.is_set():
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    store.put("customers", "demo:1", {"Name": "Acme"})
    deadline = time.monotonic() + 5
    while store.last_write_error is None and time.monotonic() < deadline:
        time.sleep(0.01)  # the background writer fails on its own
    error = store.last_write_error
    assert isinstance(error, StoreWriteError)
    assert "disk is full" in error.hint and str(db_path) in error.title
    assert seen and seen[0] is error
    with pytest.raises(StoreWriteError):
        store.flush()
    assert store.dirty and store.get("customers", "demo:1") == {"Name": "Acme"}

    full.clear()
    store.flush()
    assert store.last_write_error is None and not store.dirty
    assert seen[-1] is None  # recovered
    assert file_tables(db_path)["customers"]["demo:1"] == {"Name": "Acme"}


def test_permission_denied_write_error(quiet_store: Store, db_path: Path, monkeypatch) -> None:
    quiet_store.flush()
    real_open = os.open

    def refusing_open(path, flags, *args, **kwargs):
        if str(path).endswith((".tmp", ".journal")):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", refusing_open)
    quiet_store.put("customers", "demo:1", {"Name": "Acme"})
    with pytest.raises(StoreWriteError) as info:
        quiet_store.flush()
    assert "writable" in info.value.hint and "Permission denied" in info.value.title
    monkeypatch.undo()
    quiet_store.flush()
    assert "customers" in durable_tables(db_path)


def test_stale_temporaries_are_removed_on_open(db_path: Path) -> None:
    Store.open(db_path).close()
    stale = db_path.parent / f".{db_path.name}.abcdef.tmp"
    stale.write_text("{half")
    other = db_path.parent / "keep-me.tmp"
    other.write_text("x")
    Store.open(db_path).close()
    assert not stale.exists() and other.exists()


# -- locking ----------------------------------------------------------------------------------

def test_second_open_in_same_process_is_refused(store: Store, db_path: Path) -> None:
    with pytest.raises(DatabaseLockedError) as info:
        Store.open(db_path)
    message = str(info.value)
    assert str(db_path) in message
    assert "another capsule-tui" in message and "--db" in message
    assert info.value.holder_pid == os.getpid()


def test_second_open_in_another_process_is_refused(store: Store, db_path: Path) -> None:
    code = textwrap.dedent(f"""
        from capsule_tui.store import Store, DatabaseLockedError
        try:
            Store.open({str(db_path)!r})
        except DatabaseLockedError as exc:
            print("LOCKED", exc)
        else:
            print("OPENED")
    """)
    env = dict(os.environ, PYTHONPATH=str(REPO))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, timeout=30)
    assert out.stdout.startswith("LOCKED"), out.stdout + out.stderr
    assert str(db_path) in out.stdout


def test_lock_is_released_on_close(db_path: Path) -> None:
    Store.open(db_path).close()
    with Store.open(db_path) as again:
        assert again.get("schema", "1") == {"version": SCHEMA_VERSION}


def test_closed_store_refuses_changes(db_path: Path) -> None:
    s = Store.open(db_path)
    s.close()
    s.close()  # idempotent
    with pytest.raises(StoreClosedError):
        s.put("customers", "x", {})


# -- damaged files and schema -----------------------------------------------------------------

@pytest.mark.parametrize("content", [
    b"\x00\xffgarbage",
    b'{"customers": {"demo:1": {"Name": "Ac',
    b"[1, 2, 3]",
    b'{"customers": [1]}',
    b'{"customers": {"demo:1": 5}}',
    b"   \n",
], ids=["garbage", "truncated", "array", "table-not-object", "doc-not-object", "blank"])
def test_damaged_file_is_kept_and_copied(db_path: Path, content: bytes) -> None:
    db_path.parent.mkdir()
    db_path.write_bytes(content)
    with pytest.raises(DamagedDatabaseError) as info:
        Store.open(db_path)
    error = info.value
    assert db_path.read_bytes() == content  # never overwritten
    copies = list(db_path.parent.glob(db_path.name + ".damaged-*"))
    assert copies == [error.copy_path]
    assert error.copy_path.read_bytes() == content
    assert mode(error.copy_path) == 0o600
    assert str(db_path) in str(error) and str(error.copy_path) in str(error)
    assert "backup" in error.hint and "move" in error.hint
    # the lock was released: a fixed file opens
    db_path.write_bytes(b"{}")
    Store.open(db_path).close()


def test_empty_file_is_a_new_database(db_path: Path) -> None:
    db_path.parent.mkdir()
    db_path.write_bytes(b"")
    with Store.open(db_path) as s:
        assert s.get("schema", "1") == {"version": SCHEMA_VERSION}
    assert file_tables(db_path)["schema"]["1"]["version"] == SCHEMA_VERSION


def test_newer_schema_is_refused(db_path: Path) -> None:
    db_path.parent.mkdir()
    content = orjson.dumps({"schema": {"1": {"version": SCHEMA_VERSION + 1}}})
    db_path.write_bytes(content)
    with pytest.raises(NewerSchemaError) as info:
        Store.open(db_path)
    assert "newer capsule-tui" in info.value.title and "Upgrade" in info.value.hint
    assert db_path.read_bytes() == content
    db_path.write_bytes(b"{}")
    Store.open(db_path).close()  # lock released


def test_missing_schema_is_set(db_path: Path) -> None:
    db_path.parent.mkdir()
    db_path.write_bytes(b'{"customers": {"demo:1": {"Name": "Acme"}}}')
    with Store.open(db_path) as s:
        assert s.get("customers", "demo:1") == {"Name": "Acme"}
    assert file_tables(db_path)["schema"]["1"]["version"] == SCHEMA_VERSION


def test_errors_have_title_and_hint() -> None:
    error = DatabaseLockedError(Path("/x/db.json"))
    assert isinstance(error, StoreError)
    assert str(error) == f"{error.title} {error.hint}"


# -- reference data -------------------------------------------------------------------------

def test_seed_data_present_and_edits_survive_reopen(db_path: Path) -> None:
    with Store.open(db_path) as s:
        rules = s.docs("tax_rules")
        assert rules["20% (VAT on Income)"]["IsTaxForSale"] is True
        assert rules["Old 17.5% VAT"]["IsActive"] is False
        assert s.get("defaults", "app")["Currency"] == "GBP"
        assert [t["Name"] for t in s.get("defaults", "price_tiers")["items"]] == [
            "Tier 1", "Tier 2", "Tier 3"]
        s.put("defaults", "app", {**s.get("defaults", "app"), "Currency": "EUR"})
        s.delete("tax_rules", "Old 17.5% VAT")
        s.delete("defaults", "accounts")

    with Store.open(db_path) as s:
        assert s.get("defaults", "app")["Currency"] == "EUR"
        assert s.get("tax_rules", "Old 17.5% VAT") is None  # not re-seeded
        assert s.get("defaults", "accounts") is not None  # a missing defaults doc is restored


# -- TinyDB and the direct path see the same data -----------------------------------------------

def test_tinydb_api_and_put_get_agree(store: Store) -> None:
    rules = store.db.table("tax_rules")
    rule = Query()
    assert len(rules.search(rule.IsActive == True)) == 6  # noqa: E712
    store.put("tax_rules", "Reverse charge", {"Name": "Reverse charge", "IsActive": True})
    assert len(rules.search(rule.IsActive == True)) == 7  # noqa: E712  cache cleared
    rules.update({"TaxPercent": 21.0}, rule.Name == "No VAT")
    assert store.get("tax_rules", "No VAT")["TaxPercent"] == 21.0

    sites = store.db.table("sites")
    doc_id = sites.insert({"subdomain": "demo"})
    assert store.get("sites", str(doc_id)) == {"subdomain": "demo"}
    store.put("sites", "5", {"subdomain": "other"})
    assert sites.insert({"subdomain": "third"}) == 6  # ids do not collide with put
    assert store.docs("sites")["6"] == {"subdomain": "third"}
    store.delete("sites", "5")
    assert sites.get(doc_id=5) is None
    assert {d["subdomain"] for d in sites.all()} == {"demo", "third"}


def test_table_view_stays_live_when_tinydb_replaces_the_table(store: Store) -> None:
    view = store.docs("runs")
    assert len(view) == 0 and "r1" not in view
    store.db.table("runs").insert({"n": 1})  # TinyDB replaces the table dict
    store.put("runs", "r2", {"n": 2})
    assert set(view) == {"1", "r2"}
    assert view["r2"] == {"n": 2} and view.get("zz") is None
    assert dict(view.items()) == {"1": {"n": 1}, "r2": {"n": 2}}
    with pytest.raises(TypeError):
        view["r3"] = {}  # type: ignore[index]


def test_iterating_a_view_while_another_thread_puts(store: Store) -> None:
    store.put_many("staged_contacts", ((f"k{i}", {"i": i}) for i in range(3000)))
    stop = threading.Event()

    def writer() -> None:
        i = 0
        while not stop.is_set():
            store.put("staged_contacts", f"new{i}", {"i": i})
            i += 1

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        for _ in range(20):
            assert sum(1 for _ in store.docs("staged_contacts")) >= 3000
    finally:
        stop.set()
        thread.join()


# -- background writing -----------------------------------------------------------------------

def test_rapid_puts_are_coalesced(db_path: Path) -> None:
    with Store.open(db_path, flush_delay=0.1) as s:
        start = s.writes_completed
        for i in range(50):
            s.put("staged_contacts", "demo:1", {"Type": f"t{i}"})
            time.sleep(0.001)
        s.flush()
        writes = s.writes_completed - start
        assert 1 <= writes <= 3
        assert durable_tables(db_path)["staged_contacts"]["demo:1"] == {"Type": "t49"}


def test_change_is_durable_without_flush(db_path: Path) -> None:
    flush_delay = 0.05
    with Store.open(db_path, flush_delay=flush_delay) as s:
        s.put("staged_contacts", "demo:7", {"Type": "Supplier"})
        started = time.monotonic()
        while time.monotonic() - started < 2:
            try:
                if durable_tables(db_path).get("staged_contacts", {}).get("demo:7"):
                    break
            except ValueError:
                pass
            time.sleep(0.005)
        elapsed = time.monotonic() - started
        assert durable_tables(db_path)["staged_contacts"]["demo:7"] == {"Type": "Supplier"}
        assert elapsed < flush_delay + 0.5


def test_put_during_a_write_schedules_one_more(db_path: Path, monkeypatch) -> None:
    with Store.open(db_path, flush_delay=0.01) as s:
        s.flush()
        gate = threading.Event()
        entered = threading.Event()
        real_fsync = os.fsync

        def slow_fsync(fd):
            entered.set()
            gate.wait(5)
            return real_fsync(fd)

        monkeypatch.setattr(os, "fsync", slow_fsync)
        start = s.writes_completed
        s.put("runs", "a", {"v": 1})
        assert entered.wait(5)  # the background write is running
        for i in range(20):
            s.put("runs", "a", {"v": i})
        gate.set()
        monkeypatch.undo()
        deadline = time.monotonic() + 5
        while s.dirty and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not s.dirty
        assert s.writes_completed - start == 2
        assert durable_tables(db_path)["runs"]["a"] == {"v": 19}


def test_batch_changes_reach_the_file_together(store: Store, db_path: Path) -> None:
    store.put_many("staged_contacts", [("old:1", {"v": 1}), ("old:2", {"v": 2})])
    store.flush()
    with store.batch():
        store.delete_many("staged_contacts", ["old:1", "old:2"])
        time.sleep(0.1)  # the writer cannot snapshot the half-done change
        assert set(durable_tables(db_path)["staged_contacts"]) == {"old:1", "old:2"}
        store.put("staged_contacts", "new:1", {"v": 3})
    store.flush()
    assert durable_tables(db_path)["staged_contacts"] == {"new:1": {"v": 3}}
