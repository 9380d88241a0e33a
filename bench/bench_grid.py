"""Benchmark ContactsGrid against Textual's DataTable at 10,000 and 100,000 staged contacts."""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from textual import events  # noqa: E402
from textual.app import App  # noqa: E402
from textual.strip import Strip  # noqa: E402
from textual.widgets import DataTable  # noqa: E402

from capsule_tui.tui.widgets import ContactsGrid  # noqa: E402
from capsule_tui.tui.widgets.contacts_grid import COLUMNS, row_cells  # noqa: E402

SIZE = (120, 40)
TYPES = ("customer", "supplier", "ignore", "not_defined")
ACTIONS = ("pending", "created", "updated", "contact", "skipped")
WORDS = ("Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Wonka", "Tyrell")


def make_rows(count: int) -> list[dict]:
    """Organisations each followed by four people; about one in nine is an "Acme" company."""
    rows: list[dict] = []
    for i in range(count):
        org = i - i % 5
        org_name = f"{WORDS[(org // 5) % len(WORDS)]} {org} Ltd"
        if i % 5 == 0:
            rows.append({
                "party_id": i + 1, "kind": "organisation", "name": org_name,
                "organisation_id": None, "organisation_name": "",
                "tags": ["Customer"] if i % 2 else ["Lead"], "type": TYPES[i % 4],
                "action": ACTIONS[i % 5], "reason": "",
            })
        else:
            rows.append({
                "party_id": i + 1, "kind": "person", "name": f"Person {i} Müller",
                "organisation_id": org + 1, "organisation_name": org_name,
                "tags": ["Lead", "VIP"] if i % 3 else [], "type": TYPES[i % 4],
                "action": ACTIONS[i % 5],
                "reason": "conflicting tags: Customer, Supplier" if i % 7 == 0 else "",
            })
    return rows


class PaintClock:
    """Records when a widget first finished painting lines that show rows."""

    def __init__(self) -> None:
        self.painted_at: float | None = None


class TimedGrid(ContactsGrid):
    def __init__(self, rows, clock: PaintClock) -> None:
        super().__init__(rows)
        self.clock = clock
        self.last_paint = 0.0

    def render_lines(self, crop) -> list[Strip]:
        lines = super().render_lines(crop)
        self.last_paint = time.perf_counter()
        if self.clock.painted_at is None and self.virtual_size.height > 1:
            self.clock.painted_at = self.last_paint
        return lines


class TimedTable(DataTable):
    def __init__(self, clock: PaintClock) -> None:
        super().__init__()
        self.clock = clock

    def render_lines(self, crop) -> list[Strip]:
        lines = super().render_lines(crop)
        if self.clock.painted_at is None and self.virtual_size.height > 1:
            self.clock.painted_at = time.perf_counter()
        return lines


class HostApp(App):
    """An empty app; the benchmark mounts the widget under test itself."""


async def first_paint(kind: str, rows: list[dict],
                      cells: Callable[[dict], tuple] = row_cells) -> float:
    """Seconds from mounting the widget (rows handed over included) to its first painted rows.

    `cells` turns a row into the DataTable's cells (pass rich Texts for names that may hold
    markup, as the stand-in's do)."""
    app = HostApp()
    clock = PaintClock()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        gc.collect()
        start = time.perf_counter()
        if kind == "grid":
            await app.mount(TimedGrid(rows, clock))
        else:
            table = TimedTable(clock)
            await app.mount(table)
            table.add_columns(*(column.title for column in COLUMNS))
            table.add_rows([cells(row) for row in rows])
        while clock.painted_at is None:
            await pilot.pause()
        return clock.painted_at - start


def paint_viewport(grid: ContactsGrid) -> None:
    """What a screen update asks of the grid: every visible line."""
    for y in range(grid.scrollable_content_region.height):
        grid.render_line(y)


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


async def grid_latencies(rows: list[dict], runs: int) -> dict[str, list[float]]:
    """Per-operation seconds: the widget's own work (action + repaint of the viewport) and,
    for keys, the whole trip through the app (key event → binding → next paint)."""
    results: dict[str, list[float]] = {}

    def add(name: str, value: float) -> None:
        results.setdefault(name, []).append(value)

    app = HostApp()
    async with app.run_test(size=SIZE) as pilot:
        grid = TimedGrid(rows, PaintClock())
        await app.mount(grid)
        grid.focus()
        await pilot.pause()

        async def key_to_paint(key: str) -> float:
            """Post the key as the terminal driver would and wait for the grid to repaint."""
            start = time.perf_counter()
            app.post_message(events.Key(key, None))
            while grid.last_paint < start:
                await asyncio.sleep(0.0005)
            return grid.last_paint - start

        for _ in range(runs):
            for key, action in (
                ("end", grid.action_cursor_last),
                ("home", grid.action_cursor_first),
                ("pagedown", grid.action_cursor_page_down),
            ):
                add(f"{key} (widget work)", timed(lambda: (action(), paint_viewport(grid))))
                grid.action_cursor_first() if key != "home" else grid.action_cursor_last()
                await pilot.pause()
                add(f"{key} (key to repaint)", await key_to_paint(key))
                await pilot.pause()
            grid.action_cursor_first()

            def replace_one() -> None:
                index = grid.cursor_index
                old = rows[index]
                rows[index] = dict(old, type="customer" if old["type"] != "customer" else "supplier")
                grid.rows_changed([old["party_id"]])
                paint_viewport(grid)

            add("replace 1 row + rows_changed", timed(replace_one))

            # Typing "acme" into the filter, once with cold haystacks (fresh row dicts that the
            # idle warm-up has not seen yet) and once warm.
            grid.set_rows([dict(row) for row in rows])
            cold = [timed(lambda t=text: (grid.set_filter(t), paint_viewport(grid)))
                    for text in ("a", "ac", "acm", "acme")]
            add("filter 1st key, cold cache", cold[0])
            add("filter keys 2-4, cold", max(cold[1:]))
            grid.set_filter()
            warm = [timed(lambda t=text: (grid.set_filter(t), paint_viewport(grid)))
                    for text in ("a", "ac", "acm", "acme")]
            add("filter worst key, warm cache", max(warm))
            grid.set_filter()
            add("mode not_defined", timed(lambda: grid.set_filter("", "not_defined")))
            add("mode conflicts", timed(lambda: grid.set_filter("", "conflicts")))
            add("clear filter", timed(lambda: grid.set_filter()))
            grid.set_rows(rows)
            await pilot.pause(0.6)  # let the idle warm-up finish before the next run
    return results


def ms(seconds: float) -> str:
    return f"{seconds * 1000:9.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true",
                        help="skip the DataTable at 100,000 rows (it takes ~15 s)")
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (median is shown)")
    args = parser.parse_args()
    sizes = (10_000, 100_000)
    print(f"ContactsGrid vs DataTable, headless {SIZE[0]}x{SIZE[1]}, median of {args.runs} runs\n")
    first: dict[tuple[str, int], float] = {}
    table_runs: dict[int, int] = {}
    for count in sizes:
        rows = make_rows(count)
        first["grid", count] = statistics.median(
            asyncio.run(first_paint("grid", rows)) for _ in range(args.runs)
        )
        if count >= 100_000 and args.quick:
            continue
        runs = 1 if count >= 100_000 else args.runs
        table_runs[count] = runs
        first["table", count] = statistics.median(
            asyncio.run(first_paint("table", rows)) for _ in range(runs)
        )

    latencies = {count: asyncio.run(grid_latencies(make_rows(count), args.runs)) for count in sizes}

    header = f"{'':34}" + "".join(f"{count:>14,}" for count in sizes) + "     target (100k)"
    print(header)
    print("-" * len(header))
    print(f"{'first paint, ContactsGrid':34}" + "".join(ms(first['grid', c]).rjust(14) for c in sizes)
          + "     ≤ 500 ms")
    table_cells = []
    ratio_cells = []
    for count in sizes:
        if ("table", count) in first:
            runs = table_runs[count]
            table_cells.append((ms(first["table", count]) + ("" if runs > 1 else "*")).rjust(14))
            ratio_cells.append(f"{first['table', count] / first['grid', count]:12.0f}×".rjust(14))
        else:
            table_cells.append("skipped".rjust(14))
            ratio_cells.append("—".rjust(14))
    print(f"{'first paint, DataTable':34}" + "".join(table_cells))
    print(f"{'DataTable ÷ ContactsGrid':34}" + "".join(ratio_cells) + "     ≥ 25×")
    targets = {
        "end": "≤ 50 ms", "home": "≤ 50 ms", "pagedown": "≤ 50 ms",
        "replace 1 row": "≤ 50 ms", "filter": "≤ 100 ms", "mode": "≤ 100 ms", "clear": "≤ 100 ms",
    }
    for name in latencies[sizes[0]]:
        target = next((t for key, t in targets.items() if name.startswith(key)), "")
        cells = "".join(ms(statistics.median(latencies[c][name])).rjust(14) for c in sizes)
        print(f"{name:34}{cells}     {target}")
    if any(runs == 1 for runs in table_runs.values()):
        print("\n* one run only (DataTable at 100,000 rows takes many seconds)")
    print("widget work = the action plus rendering every visible line; key to repaint = a key"
          " event posted to the app until the grid's lines are next painted (Textual paints at"
          " most 60 times a second, so up to ~17 ms of it is the frame wait).")


if __name__ == "__main__":
    main()
