"""Benchmark of the Store at 100,000 staged contacts + 100,000 customers (prints figures)."""

from __future__ import annotations

import argparse
import gc
import os
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from capsule_tui.store import Store  # noqa: E402


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


def wait_durable(path: Path, old_mtime: int, marker: bytes, start: float,
                 timeout: float = 30) -> float:
    """Seconds from `start` until the file is replaced (new mtime) by one containing `marker`.

    Reading the file back to check it is not counted."""
    while time.perf_counter() - start < timeout:
        try:
            mtime = os.stat(path).st_mtime_ns
        except FileNotFoundError:
            mtime = old_mtime
        if mtime != old_mtime:
            seen = time.perf_counter() - start
            if marker in path.read_bytes():
                return seen
            old_mtime = mtime
        time.sleep(0.001)
    raise TimeoutError("the change never reached the file")


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

    # One type change on one row → durable.
    base = store.get("staged_contacts", "demo:180000101")
    old = os.stat(path).st_mtime_ns
    put_start = time.perf_counter()
    store.put("staged_contacts", "demo:180000101", {**base, "type": "Supplier-one"})
    put_cost = time.perf_counter() - put_start
    durable = wait_durable(path, old, b"Supplier-one", put_start)
    print(f"one put: call                      {ms(put_cost)}")
    print(f"one put → file replaced with it    {ms(durable)}  (flush_delay 200 ms)")

    # 50 changes in a burst.
    writes_before = store.writes_completed
    old = os.stat(path).st_mtime_ns
    burst_start = time.perf_counter()
    for i in range(50):
        key = f"demo:{180000000 + i}"
        row = store.get("staged_contacts", key)
        store.put("staged_contacts", key, {**row, "type": f"burst-{i}"})
    burst_call = time.perf_counter() - burst_start
    durable = wait_durable(path, old, b"burst-49", burst_start)
    while store.dirty:
        time.sleep(0.001)
    print(f"50 puts: calls                     {ms(burst_call)}")
    print(f"50 puts → file replaced            {ms(durable)}  "
          f"({store.writes_completed - writes_before} file writes)")

    # Longest stall of another thread while a background write runs.
    with GapRecorder() as idle:
        time.sleep(1.0)
    for label, chunk in (("chunked (2,000 docs/call)", 2_000), ("one orjson call", 10**9)):
        store._storage.chunk_docs = chunk
        writes = store.writes_completed
        with GapRecorder() as gaps:
            time.sleep(0.05)
            start = time.perf_counter()
            store.put("staged_contacts", "demo:180000102", {**base, "type": f"stall-{chunk}"})
            worst_put = 0.0
            while store.writes_completed == writes:
                p0 = time.perf_counter()
                store.get("staged_contacts", "demo:180000103")
                store.put("runs", "bench", {"t": p0})  # what the UI thread does meanwhile
                worst_put = max(worst_put, time.perf_counter() - p0)
                time.sleep(0.001)
            elapsed = time.perf_counter() - start
        store.flush()
        print(f"stall during write, {label:26s}: ticker max gap {ms(gaps.max_gap)}, "
              f"worst get+put {ms(worst_put)}, write done after {ms(elapsed)}")
    store._storage.chunk_docs = 2_000
    print(f"ticker max gap with no write       {ms(idle.max_gap)}")

    store.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS                           {peak:8.1f} MB")


if __name__ == "__main__":
    main()
