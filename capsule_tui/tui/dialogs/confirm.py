"""ConfirmModal: a yes/no question answered with y, n or escape."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static


class ConfirmModal(ModalScreen[bool]):
    """Asks one question; dismisses with True for y, False for n or escape."""

    DEFAULT_CSS = """
    ConfirmModal { align: center middle; }
    ConfirmModal > Vertical {
        width: 60; max-width: 95%; height: auto; max-height: 90%;
        border: thick $warning; background: $surface; padding: 1 2;
    }
    ConfirmModal .question { text-style: bold; }
    ConfirmModal .detail { margin-top: 1; color: $text-muted; }
    ConfirmModal .keys { margin-top: 1; }
    """

    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n", "answer(False)", "No", id="confirm.no"),
        Binding("escape", "answer(False)", "Cancel", id="confirm.cancel"),
    ]

    def __init__(self, question: str, detail: str = "") -> None:
        super().__init__()
        self.question = question
        self.detail = detail

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(self.question), classes="question")
            if self.detail:
                yield Static(Text(self.detail), classes="detail")
            yield Static(Text.assemble(("y", "bold"), " yes   ", ("n", "bold"), " no   ",
                                       ("esc", "bold"), " cancel"), classes="keys")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)
