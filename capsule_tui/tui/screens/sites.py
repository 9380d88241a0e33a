"""SitesScreen: the connected Capsule sites with their last download and counts."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from ..dialogs.confirm import ConfirmModal
from ..dialogs.connect import ConnectSiteModal
from ..text import ago, number, plain
from ..widgets.title_bar import TitleBar

EMPTY_TEXT = ("No Capsule site is connected yet.\n\n"
              "Press n to connect one: you need the site name (the subdomain of "
              "your-site.capsulecrm.com) and a personal access token.")


class SitesScreen(Screen):
    """The first screen: pick a site, connect one, or look at Customers and Suppliers."""

    DEFAULT_CSS = """
    SitesScreen DataTable { height: 1fr; }
    SitesScreen #sites-empty { padding: 1 2; display: none; }
    SitesScreen.-empty #sites-empty { display: block; }
    SitesScreen.-empty DataTable { display: none; }
    SitesScreen #sites-hint { dock: bottom; height: 1; color: $text-muted; padding: 0 1; }
    """

    BINDINGS = [
        Binding("n", "connect", "Connect", id="sites.connect",
                tooltip="Connect a new Capsule site"),
        Binding("enter", "open_site", "Open", id="sites.open", priority=True,
                tooltip="Open the selected site"),
        Binding("x", "disconnect", "Disconnect", id="sites.disconnect",
                tooltip="Disconnect the selected site (Customers and Suppliers are kept)"),
        Binding("c", "app.customers", "Customers", id="sites.customers",
                tooltip="Browse the Customers made"),
        Binding("s", "app.suppliers", "Suppliers", id="sites.suppliers",
                tooltip="Browse the Suppliers made"),
        Binding("q", "app.quit", "Quit", id="sites.quit"),
    ]

    def compose(self) -> ComposeResult:
        yield TitleBar("Sites", note=self.app.demo_note or "")
        table: DataTable = DataTable(cursor_type="row", zebra_stripes=True, id="sites-table")
        table.add_column("Site", width=10, key="site")
        table.add_column("Name", width=14, key="name")
        table.add_column("Downloaded", width=10, key="downloaded")
        table.add_column(Text("Staged", justify="right"), width=6, key="staged")
        table.add_column(Text("Customers", justify="right"), width=9, key="customers")
        table.add_column(Text("Suppliers", justify="right"), width=9, key="suppliers")
        table.add_column(Text("Not def.", justify="right"), width=8, key="not_defined")
        yield table
        yield Static(Text(EMPTY_TEXT), id="sites-empty")
        yield Footer(compact=True, show_command_palette=False)

    def on_screen_resume(self) -> None:
        """Shown first, or again after another screen: the counts may have changed."""
        self.refresh_sites()

    def refresh_sites(self, select: str | None = None) -> None:
        """Re-read the sites from the core (few rows: cheap) and keep the cursor on a site."""
        table = self.query_one(DataTable)
        current = select or self.selected_site()
        table.clear()
        now = self.app.now()
        for site in self.app.core.list_sites():
            table.add_row(
                plain(site.name), plain(site.display_name),
                plain(ago(site.last_download_at, now)),
                *(Text(number(n), justify="right") for n in (
                    site.staged, site.customers, site.suppliers, site.not_defined)),
                key=site.name)
        self.set_class(table.row_count == 0, "-empty")
        if current is not None and current in table.rows:
            table.move_cursor(row=table.get_row_index(current))
        if table.row_count:
            table.focus()

    def selected_site(self) -> str | None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return None
        try:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        except Exception:
            return None
        return key.value

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("open_site", "disconnect") and self.is_mounted:
            return self.selected_site() is not None
        return True

    def action_connect(self) -> None:
        def connected(site: str | None) -> None:
            if site:
                self.refresh_sites(select=site)
                self.notify(f"Connected to {site}. Set it up, then press d to download.",
                            title="Site connected", markup=False)
                self.app.open_site(site)

        self.app.push_screen(ConnectSiteModal(self.app.core), connected)

    def action_open_site(self) -> None:
        site = self.selected_site()
        if site:
            self.app.open_site(site)

    @on(DataTable.RowSelected)
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open_site()

    def action_disconnect(self) -> None:
        site = self.selected_site()
        if not site:
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._disconnect(site)

        self.app.push_screen(ConfirmModal(
            f"Disconnect the site {site}?",
            "Its settings, tag mappings, staged contacts and links are removed. "
            "The Customers and Suppliers already made are kept."), answered)

    @work(thread=True, exclusive=True, exit_on_error=False, group="disconnect")
    def _disconnect(self, site: str) -> None:
        try:
            links = self.app.core.disconnect_site(site)
        except Exception as exc:
            self.app.call_from_thread(self.app.report_error, exc)
            return
        self.app.call_from_thread(self._disconnected, site, links)

    def _disconnected(self, site: str, links: int) -> None:
        self.refresh_sites()
        self.notify(f"{site} is disconnected ({links} link{'s' if links != 1 else ''} removed). "
                    "Customers and Suppliers are kept.", title="Site disconnected",
                    markup=False)
