"""HelpModal: every key binding active on the screen it was opened from."""

from __future__ import annotations

from rich.cells import cell_len, set_cell_size
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

    KEY_CELLS, ID_CELLS, LINE_CELLS = 12, 22, 72

    def _line(self, key: str, description: str, binding_id: str) -> Text:
        """One row in fixed cells: key, what it does (cropped to fit), binding id."""
        text_cells = self.LINE_CELLS - self.KEY_CELLS - self.ID_CELLS - 2
        line = Text()
        line.append(self._cell(key, self.KEY_CELLS - 1) + " ", style="bold")
        line.append(self._cell(description, text_cells) + "  ")
        line.append(self._cell(binding_id, self.ID_CELLS), style="dim")
        return line

    @staticmethod
    def _cell(text: str, cells: int) -> str:
        if cell_len(text) > cells:
            return set_cell_size(text, cells - 1) + "…"
        return set_cell_size(text, cells)

    def compose(self) -> ComposeResult:
        lines = Text("\n").join(self._line(*row) for row in self.rows)
        with Vertical():
            yield Static(Text(f"Keys — {self.where}"), classes="title")
            with VerticalScroll():
                yield Static(lines)
            yield Static(Text("Remap any key by its id (App.set_keymap). "
                              "esc closes this help."), classes="keys")

    def action_close(self) -> None:
        self.dismiss(None)
