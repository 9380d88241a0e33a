"""HelpModal: every key binding active on the screen it was opened from."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


class HelpModal(ModalScreen[None]):
    """Lists (key, what it does, binding id) rows; escape, ? or q closes it."""

    DEFAULT_CSS = """
    HelpModal { align: center middle; }
    HelpModal > Vertical {
        width: 78; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    HelpModal .title { text-style: bold; }
    HelpModal VerticalScroll { height: auto; max-height: 18; }
    HelpModal .keys { color: $text-muted; }
    """

    BINDINGS = [
        Binding("escape", "close", "Close", id="help.close"),
        Binding("question_mark", "close", "Close", id="help.close_question", show=False),
        Binding("q", "close", "Close", id="help.close_q", show=False),
    ]

    def __init__(self, where: str, rows: list[tuple[str, str, str]]) -> None:
        super().__init__()
        self.where = where
        self.rows = rows

    def compose(self) -> ComposeResult:
        table = Table.grid(padding=(0, 2))
        table.add_column(no_wrap=True, style="bold")
        table.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
        table.add_column(no_wrap=True, style="dim")
        for key, description, binding_id in self.rows:
            table.add_row(Text(key), Text(description), Text(binding_id))
        with Vertical():
            yield Static(Text(f"Keys — {self.where}"), classes="title")
            with VerticalScroll():
                yield Static(table)
            yield Static(Text("Remap any key by its id (App.set_keymap). "
                              "esc closes this help."), classes="keys")

    def action_close(self) -> None:
        self.dismiss(None)
