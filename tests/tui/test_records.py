"""Pilot tests of the Customers / Suppliers screens: 100,000 records, the filter, loading."""

from __future__ import annotations

import threading

import pytest

from capsule_tui.core.core import Core
from capsule_tui.tui.screens.records import RecordsScreen
from capsule_tui.tui.widgets.records_list import RecordsList, record_cells

from .conftest import app_for

pytestmark = pytest.mark.anyio

BIG = 100_000


def make_record(i: int, name: str | None = None) -> dict:
    """A Cin7-shaped record, small but complete enough for the list and the detail."""
    return {
        "ID": f"rec-{i:06d}",
        "Name": name or f"Company {i:06d}",
        "Status": "Active",
        "Currency": "GBP",
        "TaxRule": "20% (VAT on Income)",
        "Addresses": [{"Type": "Business", "DefaultForType": True, "Line1": f"{i} High Street",
                       "City": "Leeds", "Postcode": "LS1 1AA", "Country": "United Kingdom"}],
        "Contacts": [{"Name": f"Person {i}", "Default": True, "Email": f"p{i}@example.com"}],
    }


def put_records(core: Core, table: str, records: list[dict]) -> None:
    core.store.put_many(table, ((r["ID"], r) for r in records))


def screen_text(app) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


async def settle(app, pilot) -> None:
    await app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


async def test_100k_records_open_end_home_and_detail(core) -> None:
    put_records(core, "customers", [make_record(i) for i in range(BIG)])
    ordered = core.records("customer")
    first, last = ordered[0], ordered[-1]
    app = app_for(core)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("c")
        await settle(app, pilot)
        assert isinstance(app.screen, RecordsScreen) and app.screen.kind == "customer"
        listing = app.screen.query_one("#records-table", RecordsList)
        assert listing.has_focus
        assert listing.row_count == BIG
        shown = screen_text(app)
        assert "Customers (100,000)" in shown
        assert first["Name"] in shown and last["Name"] not in shown

        await pilot.press("end")
        await pilot.pause()
        assert listing.cursor_index == BIG - 1
        assert listing.current_record is last
        shown = screen_text(app)
        assert last["Name"] in shown
        assert last["Addresses"][0]["Line1"] in shown  # the detail pane follows the cursor
        assert last["Contacts"][0]["Email"] in shown

        await pilot.press("home")
        await pilot.pause()
        assert listing.cursor_index == 0 and listing.current_record is first
        assert first["Addresses"][0]["Line1"] in screen_text(app)

        await pilot.press("pagedown", "down")
        await pilot.pause()
        assert listing.cursor_index == listing.scrollable_content_region.height  # page + 1
        assert listing.current_record is ordered[listing.cursor_index]


async def test_filter_by_name_applies_on_enter_and_escape_clears(core) -> None:
    records = [make_record(i) for i in range(300)]
    records.append(make_record(900, "[red]Acme[/red] Ltd"))
    records.append(make_record(901, "Acme Holdings"))
    put_records(core, "suppliers", records)
    app = app_for(core)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("s")
        await settle(app, pilot)
        listing = app.screen.query_one("#records-table", RecordsList)
        assert listing.row_count == 302

        await pilot.press("slash", *"acme", "enter")
        await pilot.pause()
        assert listing.has_focus and listing.filter_text == "acme"
        names = [r["Name"] for r in listing.records]
        assert sorted(names) == ["Acme Holdings", "[red]Acme[/red] Ltd"]
        shown = screen_text(app)
        assert "Suppliers (2 of 302 · filter: acme)" in shown
        listing.move_cursor(row=names.index("[red]Acme[/red] Ltd"))
        await pilot.pause()
        assert "[red]Acme[/red] Ltd" in screen_text(app)  # as typed, never markup

        # Escape in the box clears the filter; the cursor stays on its record.
        await pilot.press("slash", "escape")
        await pilot.pause()
        assert listing.filter_text == "" and listing.row_count == 302
        assert listing.current_record["Name"] == "[red]Acme[/red] Ltd"

        # Escape on the list clears an applied filter first, then goes back.
        await pilot.press("slash", *"zzz", "enter")
        await pilot.pause()
        assert listing.row_count == 0
        assert "No name matches the filter." in screen_text(app)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, RecordsScreen) and listing.row_count == 302
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, RecordsScreen)


async def test_loading_line_until_the_worker_ends_and_reload_keeps_the_cursor(core) -> None:
    put_records(core, "customers", [make_record(i) for i in range(50)])
    gate = threading.Event()
    real_records = core.records

    def slow_records(kind: str) -> list[dict]:
        gate.wait(10)
        return real_records(kind)

    core.records = slow_records  # type: ignore[method-assign]
    app = app_for(core)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("c")
        await pilot.pause()
        listing = app.screen.query_one("#records-table", RecordsList)
        assert not listing.loaded
        assert "Loading Customers…" in screen_text(app)
        await pilot.press("end")  # keys while loading do nothing harmful
        gate.set()
        await settle(app, pilot)
        assert listing.row_count == 50
        await pilot.press("down", "down", "down")
        chosen = listing.current_record
        put_records(core, "customers", [make_record(i) for i in range(50, 60)])
        await pilot.press("r")
        await settle(app, pilot)
        assert listing.row_count == 60
        assert listing.current_record["ID"] == chosen["ID"]


async def test_empty_kind_says_so(core) -> None:
    app = app_for(core)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("s")
        await settle(app, pilot)
        assert "No Suppliers yet." in screen_text(app)


def test_cells_are_plain_single_line_text() -> None:
    record = make_record(1, "Line\nbreak [bold]x[/bold]")
    record["Addresses"] = None
    assert record_cells(record) == ("Line break [bold]x[/bold]", "GBP",
                                    "20% (VAT on Income)", "0", "1")
