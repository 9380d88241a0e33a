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
        right = " · ".join(x for x in (self.note, "? help · ^p commands") if x)
        if right:
            room = self.size.width - text.cell_len - 1
            if room > 4:
                note = Text(right, style="italic")
                note.truncate(room - 1, overflow="ellipsis")
                text.append(" " * max(1, room - note.cell_len))
                text.append(note)
        return text
