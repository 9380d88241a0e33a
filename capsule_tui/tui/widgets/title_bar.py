"""TitleBar: one line naming the app, the screen and (in the demo) where the data comes from."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class TitleBar(Static):
    """`capsule-tui › Sites` on the left, an optional note on the right."""

    DEFAULT_CSS = """
    TitleBar { dock: top; height: 1; background: $panel; color: $foreground; }
    """

    def __init__(self, *crumbs: str, note: str = "") -> None:
        super().__init__()
        self.crumbs = list(crumbs)
        self.note = note

    def set_crumbs(self, *crumbs: str) -> None:
        self.crumbs = list(crumbs)
        self.refresh()

    def render(self) -> Text:
        text = Text(" capsule-tui", style="bold")
        for crumb in self.crumbs:
            text.append(" › ")
            text.append(crumb)
        room = self.size.width - text.cell_len - 2
        hints = "? help · ^p commands"
        for right in ((f"{self.note} · {hints}" if self.note else hints), self.note, ""):
            if right and len(right) <= room:
                text.append(" " * (room - len(right) + 1))
                text.append(right, style="italic")
                break
        return text
