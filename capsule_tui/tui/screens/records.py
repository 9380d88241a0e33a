"""RecordsScreen: the Customers or the Suppliers made so far, with a detail pane and a filter."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Input, Label, Static
from textual.worker import get_current_worker

from ..text import number
from ..widgets.records_list import RecordsList, name_haystacks
from ..widgets.title_bar import TitleBar

TITLES = {"customer": "Customers", "supplier": "Suppliers"}


def record_detail(record: dict) -> Group:
    """The addresses and contacts of one record, every value as literal text."""
    head = Text()
    head.append(record.get("Name", ""), style="bold")
    facts = [f"{key} {record[key]}" for key in ("Status", "Currency", "PaymentTerm", "TaxRule")
             if record.get(key)]
    head.append("\n" + " · ".join(facts), style="dim")
    if record.get("Tags"):
        head.append("\nTags: ")
        head.append(str(record["Tags"]))
    if record.get("Comments"):
        head.append("\n")
        head.append(str(record["Comments"]).replace("\n", " ")[:300])
    parts: list = [head]

    addresses = record.get("Addresses") or []
    parts.append(Text(f"\nAddresses ({len(addresses)})", style="bold"))
    if addresses:
        table = Table.grid(padding=(0, 1))
        table.add_column(no_wrap=True, style="dim")
        table.add_column(ratio=1)
        for address in addresses:
            kind = address.get("Type", "") + (" *" if address.get("DefaultForType") else "")
            lines = [address.get("Line1", ""), address.get("Line2", ""),
                     " ".join(x for x in (address.get("City", ""), address.get("State", ""),
                                          address.get("Postcode", "")) if x),
                     address.get("Country", "")]
            table.add_row(Text(kind), Text(", ".join(x for x in lines if x)))
        parts.append(table)
    else:
        parts.append(Text("none", style="dim"))

    contacts = record.get("Contacts") or []
    parts.append(Text(f"\nContacts ({len(contacts)})", style="bold"))
    if contacts:
        table = Table.grid(padding=(0, 1))
        table.add_column(ratio=1)
        for contact in contacts:
            line = Text(contact.get("Name", ""), style="bold" if contact.get("Default") else "")
            for key in ("JobTitle", "Phone", "MobilePhone", "Email", "Website"):
                if contact.get(key):
                    line.append(" · ")
                    line.append(str(contact[key]))
            table.add_row(line)
        parts.append(table)
    else:
        parts.append(Text("none", style="dim"))
    return Group(*parts)


class RecordsLoaded(Message):
    """A thread worker read the records (sorted) and their lower-cased names."""

    def __init__(self, generation: int, records: list[dict], haystacks: list[str]) -> None:
        super().__init__()
        self.generation = generation
        self.records = records
        self.haystacks = haystacks


class RecordsFilterInput(Input):
    """The name filter box: enter applies, escape clears the filter and goes back."""

    BINDINGS = [
        Binding("enter", "submit", "Apply filter", id="records.filter_apply"),
        Binding("escape", "clear", "Clear filter", id="records.filter_clear"),
    ]

    def action_clear(self) -> None:
        self.value = ""
        screen = self.screen
        if isinstance(screen, RecordsScreen):
            screen.apply_filter("")


class RecordsScreen(Screen):
    """Browse what was made: a list of records; the highlighted one is shown below.

    The records are read in a thread worker (sorting 100,000 takes a moment), and the list
    draws only the rows on screen, so the screen opens at once at any size.
    """

    DEFAULT_CSS = """
    RecordsScreen #records-table { height: 1fr; min-height: 5; }
    RecordsScreen #records-detail-scroll {
        height: 1fr; border-top: solid $primary; padding: 0 1;
    }
    RecordsScreen #records-filter-bar { display: none; height: 1; padding: 0 1; }
    RecordsScreen.-filtering #records-filter-bar { display: block; }
    RecordsScreen #records-filter-bar Label { width: auto; text-style: bold; }
    RecordsScreen RecordsFilterInput, RecordsScreen RecordsFilterInput:focus {
        height: 1; border: none; padding: 0 1; background: $boost;
    }
    RecordsScreen #records-empty { padding: 1 2; display: none; }
    RecordsScreen.-empty #records-empty { display: block; }
    RecordsScreen.-empty #records-table, RecordsScreen.-empty #records-detail-scroll {
        display: none;
    }
    """

    BINDINGS = [
        Binding("escape", "back", "Back", id="records.back",
                tooltip="Clear the filter, or go back"),
        Binding("tab", "switch_pane", "Detail/List", id="records.switch_pane"),
        Binding("slash", "open_filter", "Filter", id="records.filter",
                tooltip="Filter records by name"),
        Binding("r", "reload", "Reload", id="records.reload"),
    ]

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind
        self._generation = 0

    def compose(self) -> ComposeResult:
        title = TITLES[self.kind]
        yield TitleBar(title, note=self.app.demo_note or "")
        box = RecordsFilterInput(placeholder="part of a name — enter applies, esc clears",
                                 id="records-filter", compact=True)
        box.cursor_blink = getattr(self.app, "cursor_blink", True)
        with Horizontal(id="records-filter-bar"):
            yield Label("Filter:")
            yield box
        yield RecordsList(id="records-table", loading_hint=f"Loading {title}…",
                          empty_hint=f"No {title} yet.")
        with VerticalScroll(id="records-detail-scroll"):
            yield Static(id="records-detail")
        yield Static(Text(f"No {title} yet. Download contacts on a site, then set "
                          "rows to Customer or Supplier."), id="records-empty")
        yield Footer(compact=True, show_command_palette=False)

    @property
    def records_list(self) -> RecordsList:
        return self.query_one("#records-table", RecordsList)

    def on_mount(self) -> None:
        self.records_list.focus()
        self.action_reload()

    # ------------------------------------------------------------- loading

    def action_reload(self) -> None:
        self._generation += 1
        self._load(self._generation)

    @work(thread=True, exclusive=True, exit_on_error=False, group="records")
    def _load(self, generation: int) -> None:
        records = self.app.core.records(self.kind)  # sorted: O(n log n), off the UI thread
        haystacks = name_haystacks(records)
        if not get_current_worker().is_cancelled:
            self.post_message(RecordsLoaded(generation, records, haystacks))

    @on(RecordsLoaded)
    def _loaded(self, message: RecordsLoaded) -> None:
        if message.generation != self._generation:
            return  # a newer reload is on its way
        listing = self.records_list
        current = listing.current_record
        listing.set_records(message.records, message.haystacks,
                            keep_id=current.get("ID") if current is not None else None)
        self.set_class(not message.records, "-empty")
        self._update_crumbs()

    def _update_crumbs(self) -> None:
        listing = self.records_list
        title = TITLES[self.kind]
        if listing.filter_text:
            crumb = (f"{title} ({number(listing.row_count)} of {number(listing.total_count)}"
                     f" · filter: {listing.filter_text})")
        else:
            crumb = f"{title} ({number(listing.total_count)})"
        self.query_one(TitleBar).set_crumbs(crumb)

    # ------------------------------------------------------------- detail

    @on(RecordsList.Highlighted)
    def _highlighted(self, event: RecordsList.Highlighted) -> None:
        self._show(event.record)

    def _show(self, record: dict | None) -> None:
        detail = self.query_one("#records-detail", Static)
        detail.update(record_detail(record) if record else "")
        self.query_one("#records-detail-scroll").scroll_home(animate=False)

    # ------------------------------------------------------------- filter

    def action_open_filter(self) -> None:
        self.add_class("-filtering")
        box = self.query_one(RecordsFilterInput)
        box.value = self.records_list.filter_text
        box.focus()

    @on(Input.Submitted, "#records-filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.apply_filter(event.value)

    def apply_filter(self, text: str) -> None:
        """Show only the records whose name contains `text`, and go back to the list."""
        listing = self.records_list
        listing.set_filter(text.strip())
        self.remove_class("-filtering")
        listing.focus()
        self._update_crumbs()

    # ------------------------------------------------------------- keys

    def action_switch_pane(self) -> None:
        listing = self.records_list
        if listing.has_focus:
            self.query_one("#records-detail-scroll").focus()
        else:
            listing.focus()

    def action_back(self) -> None:
        if self.records_list.filter_text or self.has_class("-filtering"):
            self.query_one(RecordsFilterInput).value = ""
            self.apply_filter("")
            return
        self.dismiss()
