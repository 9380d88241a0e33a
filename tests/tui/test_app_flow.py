"""Pilot tests: the main job through the keys, cancel, errors and the confirmations."""

from __future__ import annotations

import asyncio

import pytest
from textual.widgets import Input, Static

from capsule_tui.capsule.sandbox import Fault
from capsule_tui.tui.dialogs.confirm import ConfirmModal
from capsule_tui.tui.dialogs.connect import ConnectSiteModal
from capsule_tui.tui.dialogs.help import HelpModal
from capsule_tui.tui.screens.records import RecordsScreen
from capsule_tui.tui.screens.site import SiteScreen
from capsule_tui.tui.screens.sites import SitesScreen
from capsule_tui.tui.widgets.contacts_grid import ContactsGrid
from capsule_tui.tui.widgets.contacts_pane import ContactsPane
from capsule_tui.tui.widgets.progress_panel import ProgressPanel
from capsule_tui.tui.widgets.records_list import RecordsList
from capsule_tui.tui.widgets.setup_pane import TagTable

from .conftest import SITE, TOKEN, app_for, connect, staged

pytestmark = pytest.mark.anyio


async def settle(app, pilot) -> None:
    await app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


def screen_text(app) -> str:
    """What the terminal shows, as plain text."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def notes(app) -> list[str]:
    return [f"{n.title} {n.message}" for n in app._notifications]


async def move_grid_to(pilot, grid: ContactsGrid, predicate) -> dict:
    """Press down until the row under the cursor satisfies `predicate`."""
    for _ in range(grid.visible_count):
        row = grid.current_row
        if row is not None and predicate(row):
            return row
        await pilot.press("down")
    raise AssertionError("no row matched")


async def test_whole_loop_from_connect_to_customers(core, sandbox) -> None:
    app = app_for(core)
    async with app.run_test(size=(80, 24)) as pilot:
        assert isinstance(app.screen, SitesScreen)
        assert "press n" in str(app.screen.query_one("#sites-empty", Static).render()).lower()
        # Connect through the modal.
        await pilot.press("n")
        assert isinstance(app.screen, ConnectSiteModal)
        assert app.screen.query_one("#token", Input).password
        await pilot.press(*SITE, "tab", *TOKEN, "tab")
        app.screen.query_one("#api-url", Input).value = sandbox.url
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, SiteScreen)
        assert [s.name for s in core.list_sites()] == [SITE]
        # Load tags, map Customer and Supplier with one key each.
        await pilot.press("l")
        await settle(app, pilot)
        tags = app.screen.query_one(TagTable)
        assert tags.has_focus and tags.row_count > 0
        names = [key.value for key in tags.rows]
        for tag, key in (("Customer", "c"), ("Supplier", "s")):
            tags.move_cursor(row=names.index(tag))
            await pilot.press(key)
        await settle(app, pilot)
        mapped = {t.name: t.type for t in core.tags(SITE) if t.type}
        assert {k: v.value for k, v in mapped.items()} == {"Customer": "customer",
                                                           "Supplier": "supplier"}
        # Download.
        await pilot.press("d")
        await settle(app, pilot)
        grid = app.screen.query_one(ContactsGrid)
        assert grid.has_focus and grid.visible_count == len(core.rows(SITE)) > 0
        counts = app.screen.query_one("#contacts-counts", Static).render()
        assert f"{len(core.rows(SITE))} rows" in str(counts)
        assert any("Download finished" in n for n in notes(app))
        # Per-row keys on Not defined organisations: c, s, i; the cursor moves on.
        for key, expected in (("c", "customer"), ("s", "supplier"), ("i", "ignore")):
            row = await move_grid_to(pilot, grid, lambda r: r["kind"] == "organisation"
                                     and r["type"] == "not_defined")
            index = grid.cursor_index
            await pilot.press(key)
            assert core.row(SITE, row["party_id"])["type"] == expected
            # The cursor moves on to the next row a key decides (skipping the people
            # who follow the organisation).
            assert grid.cursor_index > index
            assert grid.current_row["kind"] == "organisation" or grid.current_row.get(
                "organisation_id") is None
        # Bulk save the rest as Customers, after the question with the count.
        waiting = core.count_waiting(SITE)
        assert waiting > 0
        await pilot.press("C")
        assert isinstance(app.screen, ConfirmModal)
        assert app.screen.question == f"Save {waiting} contacts as Customers?"
        await pilot.press("y")
        await settle(app, pilot)
        assert core.counts(SITE)["not_defined"] == 0
        assert not app.screen.query_one(ProgressPanel).running
        # The Customers screen shows the records.
        await pilot.press("escape")
        assert isinstance(app.screen, SitesScreen)
        await pilot.press("c")
        assert isinstance(app.screen, RecordsScreen)
        await settle(app, pilot)  # records load in a worker
        table = app.screen.query_one("#records-table", RecordsList)
        assert table.row_count == len(core.records("customer")) > waiting
        shown = screen_text(app)
        assert "Addresses (" in shown
        await pilot.press("tab")  # into the detail pane, scrolled down to its contacts
        app.screen.query_one("#records-detail-scroll").scroll_end(animate=False)
        await pilot.pause()
        assert "Contacts (" in screen_text(app)


async def test_download_cancel_keeps_the_previous_staging(core, sandbox) -> None:
    staged(core, sandbox)
    before = [dict(r) for r in core.rows(SITE)]
    sandbox.faults.add(Fault("429", reset_in=30))
    app = app_for(core, open_site=SITE)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("d")
        panel = app.screen.query_one(ProgressPanel)
        for _ in range(100):  # until the rate-limit countdown shows
            await asyncio.sleep(0.05)
            await pilot.pause()
            if "rate limit" in str(panel.query_one("#progress-note", Static).render()):
                break
        assert panel.running
        assert "Capsule's rate limit: waiting" in str(
            panel.query_one("#progress-note", Static).render())
        await pilot.press("escape")
        await settle(app, pilot)
        assert isinstance(app.screen, SiteScreen)  # escape cancelled, it did not go back
        assert not panel.running
        assert any("Download cancelled" in n and "kept" in n for n in notes(app))
        assert [dict(r) for r in core.rows(SITE)] == before


async def test_wrong_token_is_explained_inline(core, sandbox) -> None:
    app = app_for(core)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("n", *SITE, "tab", *"not-the-token", "tab")
        app.screen.query_one("#api-url", Input).value = sandbox.url
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, ConnectSiteModal)
        error = str(app.screen.query_one("#connect-error", Static).render())
        assert "refused the access token" in error and "paste it again" in error
        assert core.list_sites() == []
        await pilot.press("escape")
        assert isinstance(app.screen, SitesScreen)


async def test_empty_fields_are_named_before_any_check(core) -> None:
    app = app_for(core)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("n", "enter")
        error = str(app.screen.query_one("#connect-error", Static).render())
        assert "site name is empty" in error


async def test_disconnect_asks_and_keeps_records(core, sandbox) -> None:
    staged(core, sandbox)
    customers = len(core.records("customer"))
    assert customers > 0
    app = app_for(core)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("x")
        assert isinstance(app.screen, ConfirmModal)
        assert "Customers and Suppliers already made are kept" in app.screen.detail
        await pilot.press("n")
        assert [s.name for s in core.list_sites()] == [SITE]
        await pilot.press("x", "y")
        await settle(app, pilot)
        assert core.list_sites() == []
        assert len(core.records("customer")) == customers
        assert app.screen.has_class("-empty")
        assert any("Site disconnected" in n for n in notes(app))


async def test_type_key_on_a_person_says_why_nothing_happens(core, sandbox) -> None:
    staged(core, sandbox)
    app = app_for(core, open_site=SITE)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        grid = app.screen.query_one(ContactsGrid)
        row = await move_grid_to(pilot, grid, lambda r: r["kind"] == "person"
                                 and r.get("organisation_id") is not None)
        before = core.row(SITE, row["party_id"])["type"]
        await pilot.press("s")
        assert core.row(SITE, row["party_id"])["type"] == before
        assert grid.current_row["party_id"] == row["party_id"]
        assert any("follows its type" in n and "organisation's row" in n for n in notes(app))


async def test_filter_and_view_modes(core, sandbox) -> None:
    staged(core, sandbox)
    app = app_for(core, open_site=SITE)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        grid = app.screen.query_one(ContactsGrid)
        pane = app.screen.query_one(ContactsPane)
        total = grid.visible_count
        await pilot.press("slash")
        assert pane.has_class("-filtering") and app.focused.id == "contacts-filter"
        await pilot.press(*"harbour", "enter")
        assert grid.has_focus and not pane.has_class("-filtering")
        assert 0 < grid.visible_count < total
        view = str(app.screen.query_one("#contacts-view", Static).render())
        assert "filter: harbour" in view
        await pilot.press("slash", "escape")
        assert grid.visible_count == total and grid.has_focus
        await pilot.press("f")
        assert grid.filter_mode == "not_defined"
        assert grid.visible_count == core.counts(SITE)["not_defined"]
        assert "View: Not defined" in str(app.screen.query_one("#contacts-view").render())
        await pilot.press("f")
        assert grid.filter_mode == "conflicts"
        await pilot.press("f")
        assert grid.filter_mode == "all"
        # escape with a filter on clears it first; then it goes back to the sites.
        await pilot.press("f", "escape")
        assert grid.filter_mode == "all" and isinstance(app.screen, SiteScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, SitesScreen)


async def test_bulk_save_with_nothing_waiting_only_says_so(core, sandbox) -> None:
    staged(core, sandbox)
    core.save_not_defined(SITE, "supplier")
    app = app_for(core, open_site=SITE)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("S")
        assert isinstance(app.screen, SiteScreen)
        assert any("nothing to save" in n for n in notes(app))


async def test_settings_are_saved_at_once(core, sandbox) -> None:
    connect(core, sandbox)
    app = app_for(core, open_site=SITE)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1")
        assert app.focused.id == "switch-ignore_without_organisation"
        await pilot.press("enter")  # Switch toggles on enter / space
        await settle(app, pilot)
        assert core.settings(SITE).ignore_without_organisation is False
        rules = [r.Name for r in core.tax_rules("purchase")]
        app.screen.query_one("#select-supplier_tax_rule").value = rules[-1]
        app.screen.query_one("#address-0").value = "Shipping"
        await settle(app, pilot)
        settings = core.settings(SITE)
        assert settings.supplier_tax_rule == rules[-1]
        assert settings.address_mapping["Office"] == "Shipping"


async def test_help_lists_the_keys_with_ids_and_keymap_remaps(core, sandbox) -> None:
    staged(core, sandbox)
    app = app_for(core, open_site=SITE, keymap={"site.download": "D"})
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpModal)
        ids = {row[2] for row in app.screen.rows}
        assert {"site.download", "site.back", "grid.customer", "grid.supplier", "grid.ignore",
                "grid.cycle", "grid.save_customers", "grid.save_suppliers", "grid.filter",
                "grid.view", "app.help", "app.command_palette"} <= ids
        keys = {row[2]: row[0] for row in app.screen.rows}
        assert keys["site.download"] == "D"
        await pilot.press("escape")
        assert isinstance(app.screen, SiteScreen)


async def test_command_palette_offers_the_site_actions(core, sandbox) -> None:
    from capsule_tui.tui.commands import commands_for

    staged(core, sandbox)
    app = app_for(core, open_site=SITE)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        titles = [c[0] for c in commands_for(app, app.screen)]
        for title in ("Download contacts", "Load tags", "Save all Not defined as Customers",
                      "Save all Not defined as Suppliers", "Customers", "Suppliers", "Help"):
            assert title in titles
        await pilot.press("escape")
        titles = [c[0] for c in commands_for(app, app.screen)]
        assert "Connect a site" in titles and f"Open site {SITE}" in titles and "Quit" in titles
        await pilot.press("ctrl+p", *"suppliers", "enter")
        await pilot.pause()
        assert isinstance(app.screen, RecordsScreen) and app.screen.kind == "supplier"


async def test_names_with_markup_show_as_typed(core) -> None:
    from capsule_tui.capsule.sandbox import SandboxServer

    with SandboxServer(parties=120, seed=1, token=TOKEN, subdomain=SITE) as server:
        staged(core, server)
    core.save_not_defined(SITE, "customer")
    app = app_for(core)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("c")
        table = app.screen.query_one("#records-table", RecordsList)
        names = [record["Name"] for record in table.records]
        index = names.index("[red]Acme[/red] Ltd")
        table.move_cursor(row=index)
        await pilot.pause()
        shown = screen_text(app)
        assert "[red]Acme[/red] Ltd" in shown
        await pilot.press("tab", "end")  # scroll the detail down to the Contacts
        await pilot.pause()
        assert "John Smith [bold]" in screen_text(app)


async def test_escape_while_checking_closes_the_dialog_and_connects_nothing(core, sandbox) -> None:
    sandbox.faults.add(Fault("delay", path="/api/v2/site", seconds=1.5))
    app = app_for(core)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("n")
        await pilot.press(*SITE, "tab", *TOKEN, "tab")
        app.screen.query_one("#api-url", Input).value = sandbox.url
        await pilot.press("enter")
        await pilot.pause(0.2)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, SitesScreen)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert core.list_sites() == []


async def test_clearing_a_filter_keeps_the_current_row_on_screen(core, sandbox) -> None:
    staged(core, sandbox)
    app = app_for(core, open_site=SITE)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.press("2")
        await pilot.pause()
        await pilot.press("slash", "a", "c", "m", "e", "enter")
        await pilot.pause()
        grid = app.screen.query_one(ContactsGrid)
        chosen = grid.current_row["party_id"]
        await pilot.press("escape")
        await pilot.pause()
        await pilot.pause()
        assert grid.current_row["party_id"] == chosen and grid.visible_count > 30
        top = int(grid.scroll_y)
        assert top <= grid.cursor_index < top + grid.size.height - 1
