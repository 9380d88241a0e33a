"""Benchmark of the whole app (issue 4): the real TUI driven headlessly at 10,000 and 100,000 parties.

Run on purpose (not a test):

    .venv/bin/python bench/bench_app.py [--sizes 10000 100000] [--runs 3] [--quick] [--rebuild]

Builds one database per size under bench/data/ (downloaded from the Capsule stand-in, which
runs in its own process; cached between runs unless --rebuild), then runs every measure
--runs times on a fresh copy of that file and prints one table of medians with the floors
(stock DataTable, bare httpx, bare orjson) measured in the same run. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))
sys.path.insert(0, str(BENCH))

import bench_download  # noqa: E402
from bench_download import OURS, SERVER, TOKEN  # noqa: E402

DATA = BENCH / "data"
SITE = "bench"
SIZE = (120, 40)
TYPE_KEYS = 6          # single type keys timed per run (alternating c / s)
FAST_KEYS = 50         # the burst of type keys
FAST_INTERVAL = 0.02   # seconds between the burst's keys (50 keys a second)
NAV_REPEATS = 3        # Home / End / PageDown each, per run
FILTER_TEXT = "acme"

# ----------------------------------------------------------------------------- data sets


def db_path(size: int) -> Path:
    return DATA / f"app-{size}.json"


def build(size: int, rebuild: bool) -> Path:
    """Download `size` parties from the stand-in into bench/data/app-SIZE.json (cached)."""
    path = db_path(size)
    if path.exists() and not rebuild:
        return path
    DATA.mkdir(parents=True, exist_ok=True)
    for old in DATA.glob(path.name + "*"):
        old.unlink()
    print(f"building {path.relative_to(BENCH.parent)} ({size:,} parties from the stand-in)…",
          flush=True)
    server = subprocess.Popen([sys.executable, "-c", SERVER, str(size), TOKEN],
                              stdout=subprocess.PIPE, text=True)
    try:
        url = server.stdout.readline().strip()
        tmp = path.with_name(path.name + ".building")
        result = bench_download.run(OURS, url, TOKEN, str(tmp))  # connect, tags, map, download
        tmp.rename(path)
        for lock in DATA.glob(tmp.name + "*"):
            lock.unlink()
        print(f"  {result['staged']:,} staged, {result['created']:,} records created, "
              f"{result['db_mb']:.0f} MB", flush=True)
    finally:
        server.kill()
        server.wait()
    return path


def fresh_copy(source: Path, folder: Path, name: str) -> Path:
    target = folder / name
    shutil.copyfile(source, target)
    os.chmod(target, 0o600)
    return target


def child(mode: str, db: Path, *extra: str) -> dict:
    """Run `bench_app.py --child MODE DB` in a fresh interpreter; its last stdout line is JSON."""
    out = subprocess.run([sys.executable, __file__, "--child", mode, str(db), *extra],
                         capture_output=True, text=True, timeout=1800)
    if out.returncode:
        raise SystemExit(f"child {mode} failed:\n{out.stderr[-4000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# ----------------------------------------------------------------------------- driving the app


def key_event(key: str):
    """A key event as the terminal driver sends it (the same derivation as Textual's pilot)."""
    from textual import events
    from textual.keys import REPLACED_KEYS, _character_to_key, _get_unicode_name_from_key

    if len(key) == 1 and not key.isalnum():
        key = _character_to_key(key)
    original = REPLACED_KEYS.get(key, key)
    try:
        char = unicodedata.lookup(_get_unicode_name_from_key(original))
    except KeyError:
        char = key if len(key) == 1 else None
    return events.Key(key, char)


class Screens:
    """Wraps `app._display` (called with every screen update, after the widgets rendered their
    lines): each probe's condition is checked there, and the update's time is kept."""

    def __init__(self, app) -> None:
        self.app = app
        self.updates = 0
        self._probes: list[list] = []
        original = app._display

        def display(screen, renderable) -> None:
            original(screen, renderable)
            if renderable is None:
                return
            now = time.perf_counter()
            self.updates += 1
            for probe in self._probes[:]:
                try:
                    hit = probe[0]()
                except Exception:
                    hit = False
                if hit:
                    probe[1] = now
                    self._probes.remove(probe)

        app._display = display

    def expect(self, condition: Callable[[], bool]) -> list:
        probe = [condition, None]
        self._probes.append(probe)
        return probe

    async def until(self, probe: list, timeout: float = 120.0) -> float:
        deadline = time.perf_counter() + timeout
        while probe[1] is None:
            if time.perf_counter() > deadline:
                if probe in self._probes:
                    self._probes.remove(probe)
                raise TimeoutError("the screen never showed the expected change")
            await asyncio.sleep(0.0005)
        return probe[1]

    def send(self, key: str) -> float:
        """Send a key as the terminal would; returns the time it was sent."""
        start = time.perf_counter()
        self.app._driver.send_message(key_event(key))
        return start

    async def key_to_screen(self, key: str, condition: Callable[[], bool],
                            timeout: float = 120.0) -> float:
        """Seconds from sending `key` to the first screen update where `condition` holds."""
        probe = self.expect(condition)
        start = self.send(key)
        return await self.until(probe, timeout) - start


class Stalls:
    """An asyncio task on the app's loop that sleeps 1 ms at a time and keeps the longest gap:
    how long the UI could not run anything (a keystroke would have waited as long)."""

    def __init__(self) -> None:
        self.max_gap = 0.0
        self._task: asyncio.Task | None = None

    async def _run(self) -> None:
        last = time.perf_counter()
        while True:
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            self.max_gap = max(self.max_gap, now - last)
            last = now

    def start(self) -> None:
        self.max_gap = 0.0
        self._task = asyncio.get_running_loop().create_task(self._run())

    def stop(self) -> float:
        if self._task is not None:
            self._task.cancel()
            self._task = None
        return self.max_gap


async def wait_durable(store, writes_before: int, start: float, timeout: float = 60) -> float:
    """Seconds from `start` until the store has nothing pending and wrote at least once more."""
    while store.dirty or store.writes_completed <= writes_before:
        if time.perf_counter() - start > timeout:
            raise TimeoutError("the change never became durable")
        await asyncio.sleep(0.001)
    return time.perf_counter() - start


async def settle(store) -> None:
    while store.dirty:
        await asyncio.sleep(0.005)


async def session(db: Path) -> dict:
    """One session on `db`: start, open the contacts, keys, filter, type keys, bulk save, quit."""
    from capsule_tui.core.core import Core
    from capsule_tui.tui.app import make_app
    from capsule_tui.tui.dialogs.confirm import ConfirmModal
    from capsule_tui.tui.screens.site import SiteScreen
    from capsule_tui.tui.screens.sites import SitesScreen
    from capsule_tui.tui.widgets.contacts_grid import ContactsGrid
    from capsule_tui.tui.widgets.contacts_pane import ContactsPane, FilterInput
    from textual.widgets import TabbedContent

    painted = {"rows": 0}
    render_line = ContactsGrid.render_line

    def counting_render_line(self, y: int):
        strip = render_line(self, y)
        if y >= 1 and self.visible_count:
            painted["rows"] += 1
        return strip

    ContactsGrid.render_line = counting_render_line

    out: dict[str, float | int | list] = {}
    core = Core.open(db)
    store = core.store
    app = make_app(core, cursor_blink=False)
    stalls = Stalls()
    async with app.run_test(size=SIZE) as pilot:
        screens = Screens(app)
        while not isinstance(app.screen, SitesScreen):
            await pilot.pause()
        await pilot.pause()
        gc.collect()

        # 1. enter on the site → the Contacts tab's grid has painted rows.
        out["open_contacts"] = await screens.key_to_screen(
            "enter", lambda: isinstance(app.screen, SiteScreen) and painted["rows"] > 0)
        site = app.screen
        await pilot.pause()
        pane = site.query_one(ContactsPane)
        grid = site.query_one(ContactsGrid)
        tabs = site.query_one(TabbedContent)
        out["rows"] = grid.visible_count
        # … and switching back to it from the Setup tab with `2`.
        await screens.key_to_screen("1", lambda: tabs.active == "setup")
        await pilot.pause()
        before = painted["rows"]
        out["tab_2"] = await screens.key_to_screen(
            "2", lambda: tabs.active == "contacts" and painted["rows"] > before)
        await pilot.pause()

        # 4. Home / End / PageDown.
        for _ in range(NAV_REPEATS):
            for key, target in (("end", lambda: grid.visible_count - 1), ("home", lambda: 0),
                                ("pagedown", lambda: grid._page_height())):
                expected = target()
                if key == "pagedown":
                    grid.action_cursor_first()
                    await pilot.pause()
                out.setdefault(key, []).append(await screens.key_to_screen(
                    key, lambda e=expected: grid.cursor_index == e))
                await pilot.pause()

        # 9. Filter: `/`, then "acme" one key at a time, then enter; escape clears it.
        out["filter_open"] = await screens.key_to_screen(
            "slash", lambda: pane.has_class("-filtering"))
        box = site.query_one(FilterInput)
        await pilot.pause()
        live: bool | None = None
        for n in range(1, len(FILTER_TEXT) + 1):
            typed = FILTER_TEXT[:n]
            on_grid = screens.expect(lambda t=typed: grid.filter_text.lower() == t)
            start = screens.send(typed[-1])
            on_box = await screens.until(screens.expect(lambda t=typed: box.value == t))
            if live is not False:
                try:
                    shown = await screens.until(on_grid, timeout=2.0 if live is None else 60)
                    live = True
                except TimeoutError:
                    live, shown = False, on_box
            else:
                shown = on_box
            out.setdefault("filter_keys", []).append(shown - start)
            await pilot.pause()
        out["filter_live"] = bool(live)
        out["filter_enter"] = await screens.key_to_screen(
            "enter", lambda: grid.filter_text.lower() == FILTER_TEXT
            and not pane.has_class("-filtering"))
        out["filter_shown"] = grid.visible_count
        await pilot.pause()
        out["filter_clear"] = await screens.key_to_screen(
            "escape", lambda: grid.filter_text == "" and grid.visible_count == out["rows"])
        await pilot.pause()
        grid.action_cursor_first()
        await pilot.pause()
        await settle(store)

        # 2 + 3. One type key at a time: key → row repainted, key → durable.
        for i in range(TYPE_KEYS):
            row = grid.current_row
            kind = "supplier" if row.get("type") == "customer" else "customer"
            party_id = row["party_id"]

            def repainted(party_id=party_id, kind=kind) -> bool:
                cached = getattr(grid, "_line_cache", {}).get(party_id)
                if cached is not None:
                    return cached[0].get("type") == kind
                return core.row(SITE, party_id).get("type") == kind

            writes = store.writes_completed
            probe = screens.expect(repainted)
            start = screens.send("c" if kind == "customer" else "s")
            durable_task = asyncio.ensure_future(wait_durable(store, writes, start))
            out.setdefault("type_key", []).append(await screens.until(probe) - start)
            out.setdefault("type_durable", []).append(await durable_task)
            out.setdefault("type_writes", []).append(store.writes_completed - writes)
            await pilot.pause()

        # 3b. 50 fast type keys (50 a second): writes, durable after the last, longest stall.
        await settle(store)
        await pilot.pause()
        calls = {"n": 0}
        set_row = ContactsPane._set

        def counting_set(self, *args, **kwargs):
            calls["n"] += 1
            return set_row(self, *args, **kwargs)

        ContactsPane._set = counting_set
        writes, journal, full = store.writes_completed, store.journal_appends, store.full_writes
        stalls.start()
        last_seen = screens.expect(lambda: calls["n"] >= FAST_KEYS)
        first = time.perf_counter()
        for i in range(FAST_KEYS):
            last = screens.send("c" if i % 2 == 0 else "s")
            await asyncio.sleep(FAST_INTERVAL)
        shown = await screens.until(last_seen)
        durable = await wait_durable(store, writes, last)
        out["burst_stall"] = stalls.stop()
        out["burst_shown"] = shown - last
        out["burst_durable"] = durable
        out["burst_span"] = last - first
        out["burst_writes"] = store.writes_completed - writes
        out["burst_journal"] = store.journal_appends - journal
        out["burst_full"] = store.full_writes - full
        ContactsPane._set = set_row
        await pilot.pause()

        # 5. Bulk save: C → the question is on screen; y → worker done and durable.
        await settle(store)
        out["bulk_candidates"] = core.counts(SITE)["not_defined"]
        out["bulk_ask"] = await screens.key_to_screen(
            "C", lambda: isinstance(app.screen, ConfirmModal))
        await pilot.pause()
        writes = store.writes_completed
        stalls.start()
        start = screens.send("y")
        seen_job = False
        while True:
            job = getattr(site, "_job", "")
            seen_job = seen_job or job == "save"
            if seen_job and job == "" and not store.dirty and store.writes_completed > writes:
                break
            if time.perf_counter() - start > 300:
                raise TimeoutError("the bulk save never finished")
            await asyncio.sleep(0.001)
        out["bulk_save"] = time.perf_counter() - start
        out["bulk_stall"] = stalls.stop()
        out["bulk_left"] = core.counts(SITE)["not_defined"]
        await pilot.pause()
    quit_start = time.perf_counter()
    core.close()
    out["close"] = time.perf_counter() - quit_start
    out["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


async def datatable(db: Path) -> dict:
    """The stock DataTable's first paint of the same rows (bench_grid's measurement)."""
    import bench_grid
    from capsule_tui.core.core import Core

    core = Core.open(db)
    rows = core.rows(SITE)
    from rich.text import Text

    # Texts, not strings: the stand-in's names hold markup-like brackets, as real ones may.
    seconds = await bench_grid.first_paint(
        "table", rows, lambda row: tuple(map(Text, bench_grid.row_cells(row))))
    count = len(rows)
    core.close()
    return {"seconds": seconds, "rows": count}


COLD = r"""
import asyncio, sys
from pathlib import Path
from capsule_tui.core.core import Core
from capsule_tui.tui.app import make_app
from capsule_tui.tui.screens.sites import SitesScreen
core = Core.open(Path(sys.argv[1]))
app = make_app(core, cursor_blink=False)
async def main():
    async with app.run_test(size=(120, 40)) as pilot:
        while not (isinstance(app.screen, SitesScreen) and app.screen.is_mounted):
            await pilot.pause()
        await pilot.pause()
        print("ready", flush=True)
asyncio.run(main())
core.close()
"""

BARE_LOAD = r"""
import gc, sys, orjson
gc.disable()  # as the app's store does while it loads: the fair floor
with open(sys.argv[1], "rb") as f:
    orjson.loads(f.read())
print("ready", flush=True)
"""


def spawn_to_ready(code: str, db: Path) -> float:
    """Wall-clock seconds from spawning `python -c code db` to its "ready" line."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code, str(db)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    seconds = time.perf_counter() - start
    _, err = proc.communicate()
    if line.strip() != "ready" or proc.returncode:
        raise SystemExit(f"cold start failed:\n{err[-4000:]}")
    return seconds


# ----------------------------------------------------------------------------- the table


def fmt_time(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds >= 1:
        return f"{seconds:.3g} s"
    ms = seconds * 1000
    return f"{ms:.3g} ms" if ms >= 1 else f"{ms:.2f} ms"


class Table:
    def __init__(self) -> None:
        self.rows: list[tuple[str, ...]] = []

    def add(self, measure: str, size: int, figure: str, target: str = "", floor: str = "",
            ratio: str = "", met: bool | None = None) -> None:
        self.rows.append((measure, f"{size:,}", figure, target, floor, ratio,
                          "" if met is None else ("yes" if met else "NO")))

    def print(self) -> None:
        head = ("measure", "parties", "median", "target", "floor / stock", "ratio", "met")
        widths = [max(len(r[i]) for r in [head, *self.rows]) for i in range(len(head))]
        line = lambda r: "  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                                   for i, (c, w) in enumerate(zip(r, widths)))
        print(line(head))
        print("-" * len(line(head)))
        for row in self.rows:
            print(line(row))


def med(values: list[float]) -> float:
    return statistics.median(values)


def bench_size(size: int, args, table: Table) -> None:
    source = build(size, args.rebuild)
    runs = args.runs
    sessions, cold, bare, stock = [], [], [], []
    with tempfile.TemporaryDirectory(prefix="bench-app-") as tmp:
        folder = Path(tmp)
        for i in range(runs):
            print(f"  {size:,}: session {i + 1}/{runs}", flush=True)
            sessions.append(child("session", fresh_copy(source, folder, f"s{i}.json")))
            db = fresh_copy(source, folder, f"c{i}.json")
            bare.append(spawn_to_ready(BARE_LOAD, db))
            cold.append(spawn_to_ready(COLD, db))
        table_runs = 0 if (args.quick and size >= 100_000) else (1 if size >= 100_000 else runs)
        for i in range(table_runs):
            print(f"  {size:,}: stock DataTable {i + 1}/{table_runs}", flush=True)
            stock.append(child("datatable", fresh_copy(source, folder, f"t{i}.json"))["seconds"])
    download = None
    if not args.no_download:
        print(f"  {size:,}: download vs bare httpx ({runs} runs)", flush=True)
        download = bench_download.bench(size, runs)

    def pick(key: str) -> list[float]:
        values: list[float] = []
        for s in sessions:
            v = s[key]
            values.extend(v if isinstance(v, list) else [v])
        return values

    rows_n = sessions[0]["rows"]
    opened = med(pick("open_contacts"))
    if stock:
        s = med(stock)
        note = "" if len(stock) > 1 else " (1 run)"
        table.add("1 open Contacts, first rows painted", size, fmt_time(opened), "≤ 0.5 s, ≥ 25×",
                  f"{fmt_time(s)}{note}", f"{s / opened:.0f}×", opened <= 0.5 and s / opened >= 25)
    else:
        table.add("1 open Contacts, first rows painted", size, fmt_time(opened), "≤ 0.5 s",
                  "skipped (--quick)", "", opened <= 0.5)
    table.add("  switch Setup → Contacts (2)", size, fmt_time(med(pick("tab_2"))), "", "", "")
    type_key = med(pick("type_key"))
    table.add("2 type key → row repainted", size, fmt_time(type_key), "≤ 50 ms", "", "",
              type_key <= 0.05)
    durable = med(pick("type_durable"))
    table.add("3 type key → durable on disk", size, fmt_time(durable), "≤ 1 s", "", "",
              durable <= 1)
    table.add("  writes per single key", size, f"{med(pick('type_writes')):.0f}")
    burst_durable = med(pick("burst_durable"))
    table.add(f"  {FAST_KEYS} keys at 50/s: durable after last", size, fmt_time(burst_durable),
              "≤ 1 s", "", "", burst_durable <= 1)
    burst_writes = med(pick("burst_writes"))
    span = med(pick("burst_span"))
    table.add(f"  {FAST_KEYS} keys: writes (journal+full)", size,
              f"{burst_writes:.0f} ({med(pick('burst_journal')):.0f}+"
              f"{med(pick('burst_full')):.0f})", f"≪ {FAST_KEYS}", "", "",
              burst_writes <= max(3, span / 0.2 + 2))
    table.add(f"  {FAST_KEYS} keys: last key → on screen", size, fmt_time(med(pick("burst_shown"))),
              "≤ 50 ms", "", "", med(pick("burst_shown")) <= 0.05)
    table.add(f"  {FAST_KEYS} keys: longest UI stall", size, fmt_time(med(pick("burst_stall"))),
              "≤ 50 ms", "", "", med(pick("burst_stall")) <= 0.05)
    for key in ("home", "end", "pagedown"):
        value = med(pick(key))
        table.add(f"4 {key} → repainted", size, fmt_time(value), "≤ 50 ms", "", "", value <= 0.05)
    bulk = med(pick("bulk_save"))
    table.add(f"5 bulk save {med(pick('bulk_candidates')):,.0f} Not defined, durable", size,
              fmt_time(bulk), "≤ 3 s", "", "",
              bulk <= 3 and all(s["bulk_left"] == 0 for s in sessions))
    table.add("  C → question on screen", size, fmt_time(med(pick("bulk_ask"))), "≤ 50 ms", "", "",
              med(pick("bulk_ask")) <= 0.05)
    table.add("  bulk save: longest UI stall", size, fmt_time(med(pick("bulk_stall"))), "≤ 100 ms",
              "", "", med(pick("bulk_stall")) <= 0.1)
    c, b = med(cold), med(bare)
    table.add("6 cold start to Sites, idle", size, fmt_time(c), "≤ 1.5 s", f"orjson {fmt_time(b)}",
              f"{c / b:.1f}×", c <= 1.5)
    if download is not None:
        table.add(f"7 download+stage+save", size, fmt_time(download["ours_s"]), "≤ 1.3×",
                  f"httpx {fmt_time(download['bare_s'])}", f"{download['ratio']:.2f}×",
                  download["ratio"] <= 1.3)
        table.add("  re-download (updates)", size, fmt_time(download["again_s"]), "≤ 1.3×",
                  "", f"{download['ratio_again']:.2f}×", download["ratio_again"] <= 1.3)
    rss = med(pick("rss_mb"))
    table.add("8 peak RSS, whole session", size, f"{rss:.0f} MB", "≤ 500 MB", "", "",
              rss <= 500)
    if download is not None:
        table.add("  peak RSS, download", size, f"{download['rss_mb']:.0f} MB", "≤ 500 MB", "",
                  "", download["rss_mb"] <= 500)
    keys = pick("filter_keys")
    live = all(s["filter_live"] for s in sessions)
    label = "9 filter keystroke → grid repainted" if live else \
        "9 filter keystroke → box repainted (grid filters on enter)"
    table.add(label + ", max", size, fmt_time(max(keys)), "≤ 100 ms", "", "", max(keys) <= 0.1)
    table.add("  filter keystroke, median", size, fmt_time(med(keys)), "≤ 100 ms", "", "",
              med(keys) <= 0.1)
    enter = med(pick("filter_enter"))
    table.add(f"  filter enter → {med(pick('filter_shown')):,.0f} rows shown", size,
              fmt_time(enter), "≤ 100 ms", "", "", enter <= 0.1)
    table.add("  escape → filter cleared", size, fmt_time(med(pick("filter_clear"))), "≤ 100 ms",
              "", "", med(pick("filter_clear")) <= 0.1)
    table.add("  close (compaction on quit)", size, fmt_time(med(pick("close"))))
    print(f"  {size:,}: done ({rows_n:,} rows)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true",
                        help="skip the stock DataTable at 100,000 rows (~1-2 min)")
    parser.add_argument("--no-download", action="store_true",
                        help="skip measure 7 (download vs bare httpx)")
    parser.add_argument("--rebuild", action="store_true", help="download the data sets again")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, db = args.child[0], Path(args.child[1])
        result = asyncio.run(session(db) if mode == "session" else datatable(db))
        print(json.dumps(result))
        return
    started = time.perf_counter()
    table = Table()
    for size in args.sizes:
        bench_size(size, args, table)
    print(f"\ncapsule-tui app benchmark: medians of {args.runs} runs, headless "
          f"{SIZE[0]}×{SIZE[1]}, Python {sys.version.split()[0]}\n")
    table.print()
    load = os.getloadavg()
    print(f"\nload average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} CPUs; "
          f"took {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    os.environ.pop("NO_COLOR", None)
    main()
