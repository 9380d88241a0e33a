"""Benchmark of the Store at 100,000 staged contacts + 100,000 customers (prints figures)."""

from __future__ import annotations

import argparse
import gc
import resource
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path
from statistics import median

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from capsule_tui.store import Store  # noqa: E402
from capsule_tui.store.storage import (  # noqa: E402
    BackgroundJSONStorage,
    journal_path,
    replay_journal,
    take_generation,
)


def staged_contact(i: int) -> tuple[str, dict]:
    key = f"demo:{180000000 + i}"
    return key, {
        "site": "demo",
        "party_id": 180000000 + i,
        "kind": "organisation",
        "name": f"Company {i:06d} Trading Ltd",
        "organisation": None,
        "first_name": None,
        "last_name": None,
        "job_title": "",
        "about": f"Imported from Capsule; customer since {2000 + i % 25}.",
        "tags": [f"tag-{i % 17}", "Wholesale"],
        "type": ("Not defined", "Customer", "Supplier", "Ignore")[i % 4],
        "reason": "" if i % 4 else "no mapped tag",
        "addresses": [
            {"type": "Office", "street": f"{i} High Street\nUnit {i % 40}", "city": "Leeds",
             "state": "West Yorkshire", "zip": "LS1 4AP", "country": "United Kingdom"},
            {"type": "Postal", "street": f"PO Box {i}", "city": "Leeds", "state": "",
             "zip": "LS2 7AA", "country": "United Kingdom"},
        ],
        "emails": [f"accounts{i}@company{i}.example"],
        "phones": [{"type": "Work", "number": f"+44 113 496 {i % 10000:04d}"}],
        "updated_at": "2026-05-01T10:00:00Z",
    }


def customer(i: int) -> tuple[str, dict]:
    return f"cust-{i:06d}", {
        "ID": f"cust-{i:06d}", "Name": f"Company {i:06d} Trading Ltd", "Status": "Active",
        "Currency": "GBP", "PaymentTerm": "30 days", "AccountReceivable": "610",
        "RevenueAccount": "200", "TaxRule": "20% (VAT on Income)", "PriceTier": "Tier 1",
        "Discount": 0, "CreditLimit": 0, "Comments": "", "Tags": f"tag-{i % 17},Wholesale",
        "Addresses": [{"Line1": f"{i} High Street", "Line2": "", "City": "Leeds", "State": "",
                       "Postcode": "LS1 4AP", "Country": "United Kingdom", "Type": "Business"}],
        "Contacts": [{"Name": f"Company {i:06d} Trading Ltd", "Phone": "+44 113 496 0000",
                      "Email": f"accounts{i}@company{i}.example", "Default": True}],
        "LastModifiedOn": "2026-05-01T10:00:00Z",
    }


class GapRecorder:
    """A thread that sleeps 1 ms in a loop and records the longest gap between wake-ups."""

    def __init__(self) -> None:
        self.max_gap = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        last = time.perf_counter()
        while not self._stop.is_set():
            time.sleep(0.001)
            now = time.perf_counter()
            self.max_gap = max(self.max_gap, now - last)
            last = now

    def __enter__(self) -> "GapRecorder":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def wait_durable(store: Store, start: float, timeout: float = 30) -> float:
    """Seconds from `start` until every change is durable (journal append or rewrite fsynced:
    the store is no longer dirty)."""
    while time.perf_counter() - start < timeout:
        if not store.dirty:
            return time.perf_counter() - start
        time.sleep(0.0005)
    raise TimeoutError("the change never reached the disk")


def thread_cpu(storage: BackgroundJSONStorage) -> float:
    """CPU seconds used so far by the storage's writer thread (Linux schedstat)."""
    thread = storage._thread
    if thread is None or thread.native_id is None:
        return 0.0
    with open(f"/proc/self/task/{thread.native_id}/schedstat") as stat:
        return int(stat.read().split()[0]) / 1e9


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--dir", default=None, help="folder for the database (default: a temp)")
    args = parser.parse_args()
    folder = Path(args.dir or tempfile.mkdtemp(prefix="bench-store-"))
    path = folder / "capsule-tui.json"
    n = args.contacts

    staged = [staged_contact(i) for i in range(n)]
    customers = [customer(i) for i in range(n)]
    sample = len(orjson.dumps(staged[0][1]))
    print(f"{n:,} staged contacts (~{sample} bytes each) + {n:,} customers in {path}")

    store = Store.open(path, flush_delay=0.2)
    t0 = time.perf_counter()
    store.put_many("staged_contacts", staged)
    store.put_many("customers", customers)
    t1 = time.perf_counter()
    store.flush()
    t2 = time.perf_counter()
    store.close()
    del store, staged, customers
    gc.collect()
    size = path.stat().st_size
    print(f"put_many of {2 * n:,} docs             {ms(t1 - t0)}")
    print(f"full write (flush)                 {ms(t2 - t1)}")
    print(f"file size                          {size / 1e6:8.1f} MB")

    for gc_on in (True, False):
        if not gc_on:
            gc.disable()
        raw_start = time.perf_counter()
        loaded = orjson.loads(path.read_bytes())
        raw = time.perf_counter() - raw_start
        gc.enable()
        del loaded
        print(f"bare read + orjson.loads, GC {'on ' if gc_on else 'off'}  {ms(raw)}")
    rss_before = rss_mb()
    open_start = time.perf_counter()
    store = Store.open(path, flush_delay=0.2)
    opened = time.perf_counter() - open_start
    print(f"Store.open (read, parse, checks)   {ms(opened)}")
    print(f"RSS added by the open store        {rss_mb() - rss_before:8.1f} MB")
    gc_start = time.perf_counter()
    gc.collect()
    print(f"full gc.collect() after open       {ms(time.perf_counter() - gc_start)}  (frozen)")

    storage = store._storage
    journal = journal_path(path)

    # One type change on one row → durable (a journal line, fsynced), several times.
    base = store.get("staged_contacts", "demo:180000101")
    calls, durables, cpus = [], [], []
    for attempt in range(7):
        time.sleep(0.3)  # the writer is idle
        marker = f"Supplier-one-{attempt}"
        cpu_before = thread_cpu(storage)
        put_start = time.perf_counter()
        store.put("staged_contacts", "demo:180000101", {**base, "type": marker})
        calls.append(time.perf_counter() - put_start)
        durables.append(wait_durable(store, put_start))
        cpus.append(thread_cpu(storage) - cpu_before)
        assert marker.encode() in journal.read_bytes()
    print(f"one put: call                      {ms(median(calls))}")
    print(f"one put → journal line fsynced     {ms(median(durables))}  "
          f"(max {ms(max(durables)).strip()}; flush_delay 200 ms)")
    print(f"writer CPU per single change       {ms(median(cpus))}  "
          f"(thread CPU from the put to durable)")

    # 50 changes in a burst.
    time.sleep(0.3)
    appends_before, fulls_before = store.journal_appends, store.full_writes
    cpu_before = thread_cpu(storage)
    burst_start = time.perf_counter()
    for i in range(50):
        key = f"demo:{180000000 + i}"
        row = store.get("staged_contacts", key)
        store.put("staged_contacts", key, {**row, "type": f"burst-{i}"})
    burst_call = time.perf_counter() - burst_start
    durable = wait_durable(store, burst_start)
    burst_cpu = thread_cpu(storage) - cpu_before
    assert b"burst-49" in journal.read_bytes()
    print(f"50 puts: calls                     {ms(burst_call)}")
    print(f"50 puts → durable                  {ms(durable)}  "
          f"({store.journal_appends - appends_before} journal appends, "
          f"{store.full_writes - fulls_before} full writes, writer CPU {ms(burst_cpu).strip()})")
    print(f"journal size now                   {journal.stat().st_size / 1e3:8.1f} kB")

    # The files as a crash would leave them now (reopened at the end, not to add to the RSS).
    crash = folder / "crash"
    crash.mkdir(exist_ok=True)
    shutil.copyfile(path, crash / path.name)
    shutil.copyfile(journal, journal_path(crash / path.name))

    # Worst case: the key comes just as a full rewrite starts; its append waits for it.
    time.sleep(0.3)
    storage.flush_delay = 0.0
    storage.request_compaction()
    time.sleep(0.01)
    storage.flush_delay = 0.2
    put_start = time.perf_counter()
    store.put("staged_contacts", "demo:180000101", {**base, "type": "during-rewrite"})
    during = wait_durable(store, put_start)
    print(f"one put during a full rewrite      {ms(during)}  (waits for the rewrite)")

    # Compaction: full rewrite + journal removal, from this thread.
    compact_cpu = time.thread_time()
    compact_start = time.perf_counter()
    store.compact()
    compact_wall = time.perf_counter() - compact_start
    print(f"compact() (full rewrite)           {ms(compact_wall)}  "
          f"(CPU {ms(time.thread_time() - compact_cpu).strip()}; journal left: "
          f"{journal.exists()})")

    # Longest stall of another thread while a background write runs.
    with GapRecorder() as idle:
        time.sleep(1.0)
    for label, chunk in (("chunked (2,000 docs/call)", 2_000), ("one orjson call", 10**9)):
        store._storage.chunk_docs = chunk
        writes = store.full_writes
        with GapRecorder() as gaps:
            time.sleep(0.05)
            start = time.perf_counter()
            store.put("staged_contacts", "demo:180000102", {**base, "type": f"stall-{chunk}"})
            storage.request_compaction()  # a background full rewrite
            worst_put = 0.0
            while store.full_writes == writes:
                p0 = time.perf_counter()
                store.get("staged_contacts", "demo:180000103")
                store.put("runs", "bench", {"t": p0})  # what the UI thread does meanwhile
                worst_put = max(worst_put, time.perf_counter() - p0)
                time.sleep(0.001)
            elapsed = time.perf_counter() - start
        store.flush()
        print(f"stall during full write, {label:21s}: ticker max gap {ms(gaps.max_gap)}, "
              f"worst get+put {ms(worst_put)}, write done after {ms(elapsed)}")
    store._storage.chunk_docs = 2_000
    print(f"ticker max gap with no write       {ms(idle.max_gap)}")

    store.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS                           {peak:8.1f} MB")
    del store
    gc.collect()

    # Reopen after a crash: main file + journal replayed (then folded in by close()).
    crashed = crash / path.name
    data = orjson.loads(crashed.read_bytes())
    replay_start = time.perf_counter()
    replay_journal(crashed, data, take_generation(data))
    print(f"journal replay alone               {ms(time.perf_counter() - replay_start)}")
    del data
    gc.collect()
    reopen_start = time.perf_counter()
    replayed = Store.open(crash / path.name, flush_delay=60)
    reopened = time.perf_counter() - reopen_start
    print(f"Store.open with a journal          {ms(reopened)}  "
          f"({replayed.journal.applied} entries replayed; compare Store.open above)")
    assert replayed.get("staged_contacts", "demo:180000049")["type"] == "burst-49"
    replayed.close()
    shutil.rmtree(crash)


if __name__ == "__main__":
    main()
