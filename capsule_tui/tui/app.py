"""CapsuleApp and make_app: the Textual application over one Core."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime

from textual.app import App
from textual.binding import Binding
from textual.worker import WorkerState

from ..core.core import Core
from ..core.errors import describe
from .commands import CapsuleCommands
from .dialogs.help import HelpModal
from .screens.records import RecordsScreen
from .screens.site import SiteScreen
from .screens.sites import SitesScreen

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


class CapsuleApp(App):
    """Screens over the core; the core holds the state, the screens show it."""

    CSS_PATH = "app.tcss"
    TITLE = "capsule-tui"
    COMMANDS = {CapsuleCommands}
    ENABLE_COMMAND_PALETTE = True

    BINDINGS = [
        Binding("question_mark", "help", "Help", id="app.help",
                tooltip="List the keys of this screen"),
        Binding("ctrl+p", "command_palette", "Commands", id="app.command_palette",
                show=False, priority=True, tooltip="Every action, by name"),
        Binding("ctrl+q", "quit", "Quit", id="app.quit", show=False, priority=True),
    ]

    def __init__(self, core: Core, *, clock: Clock | None = None, demo_note: str | None = None,
                 open_site: str | None = None, cursor_blink: bool = True) -> None:
        super().__init__()
        self.core = core
        self.now: Clock = clock or system_clock
        self.demo_note = demo_note
        self.start_site = open_site
        self.cursor_blink = cursor_blink

    def get_default_screen(self) -> SitesScreen:
        return SitesScreen()

    def on_mount(self) -> None:
        self._stop_watching_writes = self.core.store.on_write_error(self._write_status_changed)
        if self.start_site:
            self.open_site(self.start_site)

    def on_unmount(self) -> None:
        self._stop_watching_writes()

    def _write_status_changed(self, error: BaseException | None) -> None:
        """Called when saving to disk fails or works again (usually on the writer thread)."""
        if threading.get_ident() == self._thread_id:
            self._show_write_status(error)
        else:
            self.call_from_thread(self._show_write_status, error)

    def _show_write_status(self, error: BaseException | None) -> None:
        if error is None:
            self.notify("Changes are being saved to disk again.", title="Saved",
                        markup=False)
        else:
            self.report_error(error, "Your changes are kept in memory until it works.")

    # ------------------------------------------------------------- navigation

    def open_site(self, name: str) -> None:
        self.push_screen(SiteScreen(name))

    def action_customers(self) -> None:
        self.push_screen(RecordsScreen("customer"))

    def action_suppliers(self) -> None:
        self.push_screen(RecordsScreen("supplier"))

    def action_help(self) -> None:
        if isinstance(self.screen, HelpModal):
            return
        found: dict[str, list] = {}
        screen = self.screen
        for active in screen.active_bindings.values():
            binding = active.binding
            # Our bindings all have ids; Textual's own (focus, copy, scrolling) do not.
            if not binding.id:
                continue
            key = self.get_key_display(binding)
            if binding.id in found:
                found[binding.id][1].append(key)
                continue
            rank = (0 if active.node is screen else 3 if active.node is self
                    else 2 if active.node is screen.focused else 1)
            text = (binding.tooltip or binding.description) + (
                "" if active.enabled else " (not now)")
            found[binding.id] = [rank, [key], text, binding.id]
        rows = sorted(found.values(), key=lambda row: row[0])
        where = type(self.screen).__name__.removesuffix("Screen").removesuffix("Modal")
        self.push_screen(HelpModal(where, [(" ".join(k), t, i) for _, k, t, i in rows]))

    # ------------------------------------------------------------- errors

    def report_error(self, error: BaseException, also: str = "") -> None:
        """The one place errors become words: a title and what to do next."""
        title, hint = describe(error)
        self.notify(" ".join(x for x in (hint, also) if x), title=title, severity="error",
                    timeout=12, markup=False)

    def on_worker_state_changed(self, event) -> None:
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            self.report_error(event.worker.error)


def make_app(core: Core, *, clock: Clock | None = None, demo_note: str | None = None,
             open_site: str | None = None, cursor_blink: bool = True,
             keymap: dict[str, str] | None = None) -> CapsuleApp:
    """Build the app over an open core. Tests pass a fixed clock and cursor_blink=False."""
    app = CapsuleApp(core, clock=clock, demo_note=demo_note, open_site=open_site,
                     cursor_blink=cursor_blink)
    if keymap:
        app.set_keymap(keymap)
    return app
