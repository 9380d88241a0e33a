"""ConnectSiteModal: site name, token and API URL, checked against Capsule in a worker."""

from __future__ import annotations

import threading

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, Label, LoadingIndicator, Static

from ...core.core import Core
from ...core.errors import describe
from ...domain.models import DEFAULT_API_URL


class ConnectSiteModal(ModalScreen[str | None]):
    """Dismisses with the connected site's name, or None when cancelled."""

    DEFAULT_CSS = """
    ConnectSiteModal { align: center middle; }
    ConnectSiteModal > Vertical {
        width: 76; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    ConnectSiteModal .title { text-style: bold; }
    ConnectSiteModal Grid { grid-size: 2; grid-columns: 11 1fr; height: auto; grid-rows: 3; }
    ConnectSiteModal Grid Label { padding-top: 1; }
    ConnectSiteModal #connect-error { color: $error; height: auto; display: none; }
    ConnectSiteModal #connect-error.-shown { display: block; }
    ConnectSiteModal #connect-busy { height: 1; display: none; }
    ConnectSiteModal #connect-busy.-shown { display: block; }
    ConnectSiteModal #connect-busy LoadingIndicator { width: 8; height: 1; }
    ConnectSiteModal .keys { color: $text-muted; }
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="connect.cancel"),
        Binding("ctrl+s", "connect", "Connect", id="connect.submit", show=False),
    ]

    class Checked(Message):
        """The check finished: `site` is set on success, `error` otherwise."""

        def __init__(self, site: str | None, error: BaseException | None) -> None:
            super().__init__()
            self.site = site
            self.error = error

    def __init__(self, core: Core) -> None:
        super().__init__()
        self.core = core
        self.checking = False
        self.cancel = threading.Event()

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Connect a Capsule site", classes="title")
            with Grid():
                yield Label("Site name")
                yield Input(placeholder="the subdomain: acme for acme.capsulecrm.com",
                            id="site-name")
                yield Label("Token")
                yield Input(placeholder="personal access token", password=True, id="token")
                yield Label("API URL")
                yield Input(value=DEFAULT_API_URL, id="api-url")
            with Horizontal(id="connect-busy"):
                yield LoadingIndicator()
                yield Label("Checking the token with Capsule…")
            yield Static(id="connect-error")
            yield Static(Text.assemble(("enter", "bold"), " connect   ", ("tab", "bold"),
                                       " next field   ", ("esc", "bold"), " cancel"),
                         classes="keys")

    def on_mount(self) -> None:
        for widget in self.query(Input):
            widget.cursor_blink = getattr(self.app, "cursor_blink", True)
        self.query_one("#site-name", Input).focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_connect()

    def action_connect(self) -> None:
        if self.checking:
            return
        name = self.query_one("#site-name", Input).value.strip()
        token = self.query_one("#token", Input).value.strip()
        url = self.query_one("#api-url", Input).value.strip() or DEFAULT_API_URL
        for widget_id, value in (("#site-name", name), ("#token", token)):
            if not value:
                field = "site name" if widget_id == "#site-name" else "access token"
                self._show_error(f"The {field} is empty.", f"Type the {field}, then press enter.")
                self.query_one(widget_id, Input).focus()
                return
        self.checking = True
        self.cancel = threading.Event()
        self.query_one("#connect-error").remove_class("-shown")
        self.query_one("#connect-busy").add_class("-shown")
        self._check(name, token, url, self.cancel)

    @work(thread=True, exclusive=True, exit_on_error=False, group="connect")
    def _check(self, name: str, token: str, url: str, cancel: threading.Event) -> None:
        try:
            site = self.core.connect_site(name, token, url, cancel=cancel)
        except Exception as exc:  # shown inline: every failure says what to fix
            self.post_message(self.Checked(None, exc))
        else:
            self.post_message(self.Checked(site.name, None))

    @on(Checked)
    def _checked(self, event: Checked) -> None:
        self.checking = False
        self.query_one("#connect-busy").remove_class("-shown")
        if event.site is not None:
            self.dismiss(event.site)
            return
        title, hint = describe(event.error)
        self._show_error(title, hint)

    def _show_error(self, title: str, hint: str) -> None:
        error = self.query_one("#connect-error", Static)
        error.update(Text.assemble((title, "bold"), "\n", hint))
        error.add_class("-shown")

    def action_cancel(self) -> None:
        """escape: close the dialog; a check under way is abandoned and connects nothing."""
        if self.checking:
            self.cancel.set()
        self.dismiss(None)
