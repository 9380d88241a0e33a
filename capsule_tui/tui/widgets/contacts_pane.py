"""ContactsPane: the counts line, the filter and the ContactsGrid, with one key per decision."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label, Static

from ...core.errors import describe
from ...domain.models import ContactType
from ...domain.staging import follows_organisation
from ..text import counts_line, number
from .contacts_grid import FILTER_MODES, ContactsGrid, clean_text

MODE_LABELS = {"all": "all rows", "not_defined": "Not defined", "conflicts": "conflicts"}
NEXT_TYPE = {
    ContactType.NOT_DEFINED.value: ContactType.CUSTOMER,
    ContactType.CUSTOMER.value: ContactType.SUPPLIER,
    ContactType.SUPPLIER.value: ContactType.IGNORE,
    ContactType.IGNORE.value: ContactType.CUSTOMER,
}
TYPE_KEYS = Binding.Group("Set type")
SAVE_KEYS = Binding.Group("Save all")


class FilterInput(Input):
    """The filter box; escape clears the filter and goes back to the grid."""

    BINDINGS = [
        Binding("enter", "submit", "Apply filter", id="filter.apply"),
        Binding("escape", "clear", "Clear filter", id="filter.clear"),
    ]

    def action_clear(self) -> None:
        self.value = ""
        pane = next(a for a in self.ancestors if isinstance(a, ContactsPane))
        pane.apply_filter("", close=True)


class ContactsPane(Vertical):
    """Owns the grid; the site screen owns the long jobs (download, bulk save)."""

    DEFAULT_CSS = """
    ContactsPane { height: 1fr; }
    ContactsPane #contacts-counts { height: 1; padding: 0 1; text-style: bold; }
    ContactsPane #contacts-view { height: 1; padding: 0 1; color: $text-muted; }
    ContactsPane #filter-bar { display: none; height: 1; padding: 0 1; }
    ContactsPane.-filtering #filter-bar { display: block; }
    ContactsPane #filter-bar Label { width: auto; text-style: bold; }
    ContactsPane FilterInput, ContactsPane FilterInput:focus {
        height: 1; border: none; padding: 0 1; background: $boost;
    }
    ContactsPane.-filtering #contacts-view { display: none; }
    ContactsPane #row-detail { height: 1; padding: 0 1; background: $boost; }
    """

    BINDINGS = [
        Binding("c", "set_type('customer')", "Customer", id="grid.customer",
                group=TYPE_KEYS, tooltip="Row → Customer (saved at once)"),
        Binding("s", "set_type('supplier')", "Supplier", id="grid.supplier",
                group=TYPE_KEYS, tooltip="Row → Supplier (saved at once)"),
        Binding("i", "set_type('ignore')", "Ignore", id="grid.ignore",
                group=TYPE_KEYS, tooltip="Row → Ignore (not saved)"),
        Binding("space", "cycle_type", "Cycle type", id="grid.cycle", show=False,
                tooltip="Cycle the row's type"),
        Binding("C", "save_all('customer')", "Save all Not defined as Customers",
                id="grid.save_customers", group=SAVE_KEYS),
        Binding("S", "save_all('supplier')", "Save all Not defined as Suppliers",
                id="grid.save_suppliers", group=SAVE_KEYS),
        Binding("slash", "open_filter", "Filter", id="grid.filter",
                tooltip="Filter rows by text"),
        Binding("f", "cycle_mode", "View", id="grid.view",
                tooltip="View all / Not defined / conflicts"),
    ]

    def __init__(self, site: str) -> None:
        super().__init__(id="contacts-pane")
        self.site = site

    def compose(self) -> ComposeResult:
        yield Static(id="contacts-counts")
        yield Static(id="contacts-view")
        filter_input = FilterInput(placeholder="name, organisation, tag, reason — enter: back "
                                               "to the grid, esc: clear", id="contacts-filter",
                                   compact=True)
        filter_input.cursor_blink = getattr(self.app, "cursor_blink", True)
        with Horizontal(id="filter-bar"):
            yield Label("Filter:")
            yield filter_input
        yield ContactsGrid(id="contacts-grid")
        yield Static(id="row-detail")

    @property
    def grid(self) -> ContactsGrid:
        return self.query_one(ContactsGrid)

    def on_mount(self) -> None:
        self.reload()

    def reload(self) -> None:
        """Show the core's current rows (after a download, a bulk save or `r`)."""
        grid = self.grid
        current = grid.current_row
        grid.set_rows(self.app.core.rows(self.site))
        if grid.filter_text or grid.filter_mode != "all":
            grid.set_filter(grid.filter_text, grid.filter_mode)
        if current is not None:
            grid.move_cursor_to(current["party_id"])
        self.update_lines()
        self.show_row_detail()

    @on(ContactsGrid.CursorMoved)
    def show_row_detail(self) -> None:
        """The row under the cursor in full: what the grid's columns may have cut short."""
        row = self.grid.current_row
        line = Text(no_wrap=True, overflow="ellipsis")
        if row is not None:
            line.append(clean_text(row.get("name", "")), style="bold")
            if row.get("reason"):
                line.append(f" · {clean_text(row['reason'])}")
            tags = ", ".join(row.get("tags", ()))
            line.append(f" · tags: {clean_text(tags)}" if tags else " · no tags")
        self.query_one("#row-detail", Static).update(line)

    def update_lines(self) -> None:
        counts = self.app.core.counts(self.site)
        self.query_one("#contacts-counts", Static).update(Text(counts_line(counts)))
        grid = self.grid
        view = Text()
        view.append(f"View: {MODE_LABELS.get(grid.filter_mode, grid.filter_mode)}")
        if grid.filter_text:
            view.append(" · filter: ")
            view.append(grid.filter_text, style="bold")
        view.append(f" · {number(grid.visible_count)} shown")
        view.append(" · / filter · f view", style="dim")
        self.query_one("#contacts-view", Static).update(view)

    # ------------------------------------------------------------- row types

    def action_set_type(self, kind: str) -> None:
        row = self.grid.current_row
        if row is None:
            self.notify("There is no row here. Press d to download contacts.", markup=False,
                        severity="warning")
            return
        self._set(row, ContactType(kind))

    def action_cycle_type(self) -> None:
        row = self.grid.current_row
        if row is None:
            return
        self._set(row, NEXT_TYPE.get(row.get("type", ""), ContactType.CUSTOMER), advance=False)

    def _set(self, row: dict, kind: ContactType, advance: bool = True) -> None:
        # The core saves in memory and the store writes in the background: fast enough
        # for the event loop, and the operator sees the change at once.
        try:
            changed = self.app.core.set_type(self.site, row["party_id"], kind)
        except Exception as exc:
            title, hint = describe(exc)
            self.notify(hint, title=title, severity="warning", markup=False)
            return
        self.grid.rows_changed([r["party_id"] for r in changed])
        if advance:
            self.next_decision()
        self.update_lines()
        self.show_row_detail()

    def next_decision(self) -> None:
        """Move down to the next row a key can decide: people of an organisation follow it."""
        grid = self.grid
        for _ in range(grid.visible_count):
            before = grid.cursor_index
            grid.cursor_down()
            row = grid.current_row
            if grid.cursor_index == before or row is None or not follows_organisation(row):
                return

    def action_save_all(self, kind: str) -> None:
        self.screen.ask_bulk_save(ContactType(kind))

    # ------------------------------------------------------------- filter

    def action_open_filter(self) -> None:
        self.add_class("-filtering")
        box = self.query_one(FilterInput)
        box.value = self.grid.filter_text
        box.focus()

    @on(Input.Changed, "#contacts-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        """The grid follows the filter as it is typed."""
        event.stop()
        if self.has_class("-filtering"):
            self.apply_filter(event.value)

    @on(Input.Submitted, "#contacts-filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.apply_filter(event.value, close=True)

    def apply_filter(self, text: str, close: bool = False, mode: str | None = None) -> None:
        self.grid.set_filter(text.strip(), mode or self.grid.filter_mode)
        if close:
            self.remove_class("-filtering")
            self.grid.focus()
        self.update_lines()

    def clear_filter(self) -> bool:
        """Clear the text filter and the view; True when there was something to clear."""
        if not self.grid.filter_text and self.grid.filter_mode == "all":
            return False
        self.query_one(FilterInput).value = ""
        self.apply_filter("", close=True, mode="all")
        return True

    def action_cycle_mode(self) -> None:
        modes = list(FILTER_MODES)
        mode = modes[(modes.index(self.grid.filter_mode) + 1) % len(modes)]
        self.apply_filter(self.grid.filter_text, mode=mode)
        self.grid.focus()
