"""RecordsScreen: the Customers or the Suppliers made so far, with a detail pane."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from ..text import number, plain
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


class RecordsScreen(Screen):
    """Browse what was made: a table of records; the highlighted one is shown below."""

    DEFAULT_CSS = """
    RecordsScreen #records-table { height: 1fr; min-height: 5; }
    RecordsScreen #records-detail-scroll {
        height: 1fr; border-top: solid $primary; padding: 0 1;
    }
    RecordsScreen #records-empty { padding: 1 2; display: none; }
    RecordsScreen.-empty #records-empty { display: block; }
    RecordsScreen.-empty #records-table, RecordsScreen.-empty #records-detail-scroll {
        display: none;
    }
    """

    BINDINGS = [
        Binding("escape", "back", "Back", id="records.back"),
        Binding("tab", "switch_pane", "Detail/List", id="records.switch_pane"),
        Binding("r", "reload", "Reload", id="records.reload"),
    ]

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind
        self.records: dict[str, dict] = {}

    def compose(self) -> ComposeResult:
        yield TitleBar(TITLES[self.kind], note=self.app.demo_note or "")
        table: DataTable = DataTable(cursor_type="row", zebra_stripes=True, id="records-table")
        table.add_column("Name", width=34, key="name")
        table.add_column("Currency", width=8, key="currency")
        table.add_column("Tax rule", width=14, key="tax")
        table.add_column(Text("Addr.", justify="right"), width=5, key="addresses")
        table.add_column(Text("Cont.", justify="right"), width=5, key="contacts")
        yield table
        with VerticalScroll(id="records-detail-scroll"):
            yield Static(id="records-detail")
        yield Static(Text(f"No {TITLES[self.kind]} yet. Download contacts on a site, then set "
                          "rows to Customer or Supplier."), id="records-empty")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.action_reload()

    def action_reload(self) -> None:
        table = self.query_one("#records-table", DataTable)
        table.clear()
        records = self.app.core.records(self.kind)
        self.records = {r["ID"]: r for r in records}
        for record in records:
            table.add_row(plain(record.get("Name", "")), plain(record.get("Currency", "")),
                          plain(record.get("TaxRule", "")),
                          Text(number(len(record.get("Addresses") or [])), justify="right"),
                          Text(number(len(record.get("Contacts") or [])), justify="right"),
                          key=record["ID"])
        self.set_class(not records, "-empty")
        self.query_one(TitleBar).set_crumbs(f"{TITLES[self.kind]} ({number(len(records))})")
        table.focus()
        self._show(records[0]["ID"] if records else None)

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show(event.row_key.value if event.row_key else None)

    def _show(self, record_id: str | None) -> None:
        record = self.records.get(record_id or "")
        detail = self.query_one("#records-detail", Static)
        detail.update(record_detail(record) if record else "")
        self.query_one("#records-detail-scroll").scroll_home(animate=False)

    def action_switch_pane(self) -> None:
        table = self.query_one("#records-table")
        if table.has_focus:
            self.query_one("#records-detail-scroll").focus()
        else:
            table.focus()

    def action_back(self) -> None:
        self.dismiss()
