"""CapsuleCommands: a command-palette provider offering the actions that make sense right now."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.markup import escape

from ..domain.models import ContactType

if TYPE_CHECKING:
    from .app import CapsuleApp

Command = tuple[str, str, Callable[[], object]]


def commands_for(app: CapsuleApp, screen: object) -> Iterator[Command]:
    """(title, help, callback) for every action the operator can take from `screen`."""
    from .screens.site import SiteScreen
    from .screens.sites import SitesScreen

    if isinstance(screen, SiteScreen):
        yield "Download contacts", f"Download {screen.site}'s contacts from Capsule", \
            screen.action_download
        yield "Load tags", "Load the tag list from Capsule", partial(
            _on_setup, screen, lambda pane: pane.action_load_tags())
        yield "Save all Not defined as Customers", "Asks first, with the count", partial(
            screen.ask_bulk_save, ContactType.CUSTOMER)
        yield "Save all Not defined as Suppliers", "Asks first, with the count", partial(
            screen.ask_bulk_save, ContactType.SUPPLIER)
        yield "Refresh the grid", "Reload the grid from the staged contacts", \
            screen.action_refresh
        yield "Show Setup", "Settings, tax rules, address types and tags", partial(
            screen.action_show_tab, "setup")
        yield "Show Contacts", "The grid of staged contacts", partial(
            screen.action_show_tab, "contacts")
        yield "Back to sites", "Leave this site", screen.action_back
    if isinstance(screen, SitesScreen):
        yield "Connect a site", "Connect a new Capsule site", screen.action_connect
        for site in app.core.list_sites():
            yield f"Open site {site.name}", site.display_name or site.name, partial(
                app.open_site, site.name)
        yield "Quit", "Quit capsule-tui", app.action_quit
    yield "Customers", "Browse the Customers made so far", app.action_customers
    yield "Suppliers", "Browse the Suppliers made so far", app.action_suppliers
    yield "Help", "Keys of the current screen", app.action_help


def _on_setup(screen: object, call: Callable) -> None:
    from .widgets.setup_pane import SetupPane

    screen.action_show_tab("setup")
    call(screen.query_one(SetupPane))


class CapsuleCommands(Provider):
    """Every action for the current state; names are escaped (they may come from Capsule)."""

    def _commands(self) -> list[Command]:
        return list(commands_for(self.app, self.screen))

    async def discover(self) -> Hits:
        for title, help_text, callback in self._commands():
            yield DiscoveryHit(escape(title), callback, help=escape(help_text))

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(escape(title)), callback,
                          help=escape(help_text))
