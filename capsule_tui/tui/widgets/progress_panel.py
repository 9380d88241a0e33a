"""ProgressPanel: what a long job is doing — a bar, counts, and any rate-limit countdown."""

from __future__ import annotations

import time

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import ProgressBar, Static


class ProgressPanel(Vertical):
    """Hidden until `start`; `update_*` calls are made on the event loop from messages."""

    DEFAULT_CSS = """
    ProgressPanel {
        height: 4; display: none;
        border-top: solid $primary; padding: 0 1; background: $surface;
    }
    ProgressPanel.-running { display: block; }
    ProgressPanel #progress-label { height: 1; text-style: bold; }
    ProgressPanel ProgressBar { height: 1; }
    ProgressPanel #progress-note { height: 1; color: $text-muted; }
    """

    def __init__(self) -> None:
        super().__init__()
        self._wait_until: float | None = None
        self._wait_text = ""

    def compose(self) -> ComposeResult:
        yield Static(id="progress-label")
        yield ProgressBar(total=None, show_eta=False, id="progress-bar")
        yield Static(id="progress-note")

    def on_mount(self) -> None:
        self.set_interval(0.5, self._tick)

    def start(self, label: str, note: str) -> None:
        self._wait_until = None
        self.query_one("#progress-label", Static).update(Text(label))
        self.query_one("#progress-note", Static).update(Text(note))
        self.query_one(ProgressBar).update(total=None, progress=0)
        self.add_class("-running")

    def stop(self) -> None:
        self._wait_until = None
        self.remove_class("-running")

    @property
    def running(self) -> bool:
        return self.has_class("-running")

    def set_label(self, label: str) -> None:
        self.query_one("#progress-label", Static).update(Text(label))

    def set_note(self, note: str) -> None:
        self._wait_until = None
        self.query_one("#progress-note", Static).update(Text(note))

    def set_progress(self, done: int | None, total: int | None) -> None:
        bar = self.query_one(ProgressBar)
        if total:
            bar.update(total=total, progress=done or 0)
        else:
            bar.update(total=None)

    def wait(self, seconds: float, text: str = "Capsule's rate limit: waiting {s} s") -> None:
        """Show a countdown that ticks down on its own until the next update."""
        self._wait_until = time.monotonic() + max(0.0, seconds)
        self._wait_text = text
        self._tick()

    def _tick(self) -> None:
        if self._wait_until is None:
            return
        left = max(0, round(self._wait_until - time.monotonic()))
        self.query_one("#progress-note", Static).update(
            Text(self._wait_text.format(s=left) + " · esc cancels"))
