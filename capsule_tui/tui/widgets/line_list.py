"""LineList: the Line-API base of the row lists: cursor, scrolling, header and visible rows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

__all__ = ["LineList", "cursor_bindings"]

NOTHING: Any = object()
"""No cursor message posted yet (and, from `_cursor_key`, nothing to announce)."""


def cursor_bindings(prefix: str, noun: str) -> list[Binding]:
    """The cursor keys of a list, with ids `<prefix>.cursor_up` … `<prefix>.last`."""
    return [
        Binding("up,k", "cursor_up", "Up", show=False, id=f"{prefix}.cursor_up"),
        Binding("down,j", "cursor_down", "Down", show=False, id=f"{prefix}.cursor_down"),
        Binding("pageup", "cursor_page_up", "Page up", show=False, id=f"{prefix}.page_up"),
        Binding("pagedown", "cursor_page_down", "Page down", show=False,
                id=f"{prefix}.page_down"),
        Binding("home,ctrl+home,g", "cursor_first", f"First {noun}", show=False,
                id=f"{prefix}.first"),
        Binding("end,ctrl+end,G", "cursor_last", f"Last {noun}", show=False, id=f"{prefix}.last"),
    ]


class LineList(ScrollView, can_focus=True):
    """A keyboard-driven list of row dicts under a one-line header, drawn a line at a time.

    Only the lines on screen are turned into text, so the cost does not grow with the rows.
    Subclasses hold the rows in `_rows` and the filter in `_index` (visible row -> position
    in `_rows`; None = every row), and draw with `_get_styles` (a style tuple with at least
    `base`), `_render_header`, `_render_item` and `_render_hint`. Drawn rows are cached by
    `_cache_key` until the width, the styles or the row object changes.
    """

    DEFAULT_CSS = """
    LineList {
        height: 1fr;
        background: $surface;
        color: $foreground;
        overflow-x: hidden;
        overflow-y: auto;
        scrollbar-size-vertical: 1;
    }
    """

    CACHE_LIMIT: ClassVar[int] = 1000
    """Cached lines kept before the cache starts afresh."""
    ANNOUNCE_BY_IDENTITY: ClassVar[bool] = False
    """Compare cursor keys with `is` (objects) rather than `==` (ids)."""

    cursor_index: reactive[int] = reactive(0, repaint=False, init=False)
    """The cursor's position among the visible (filtered) rows."""

    def __init__(
        self,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self._rows: Sequence[dict] = []
        self._index: list[int] | None = None  # visible row -> position in _rows; None = all
        self._line_cache: dict[Any, tuple[dict, bool, Strip]] = {}
        self._cache_width = -1
        self._styles: Any = None
        self._announced: object = NOTHING
        self._ready = False  # set on mount: sizes are known and messages can be posted

    @property
    def visible_count(self) -> int:
        """How many rows the filter lets through."""
        return len(self._rows) if self._index is None else len(self._index)

    def cursor_down(self) -> None:
        """Move the cursor to the next visible row (stays on the last one)."""
        self.cursor_index = self.cursor_index + 1

    def cursor_up(self) -> None:
        """Move the cursor to the previous visible row (stays on the first one)."""
        self.cursor_index = self.cursor_index - 1

    # ------------------------------------------------------------------ subclass hooks

    def _get_styles(self) -> Any:
        raise NotImplementedError

    def _render_header(self, width: int, styles: Any) -> Strip:
        raise NotImplementedError

    def _render_item(self, index: int, row: dict, is_cursor: bool, width: int,
                     styles: Any) -> Strip:
        raise NotImplementedError

    def _render_hint(self, hint: str, width: int, styles: Any) -> Strip:
        raise NotImplementedError

    def _hint(self) -> str:
        """The line shown when no row is visible."""
        raise NotImplementedError

    def _hint_line(self) -> int:
        """Which line (1 = under the header) shows the hint."""
        return 1

    def _cache_key(self, index: int, row: dict) -> Any:
        return index

    def _cursor_key(self) -> object:
        """What identifies the row under the cursor for `_announce` (NOTHING = stay quiet)."""
        raise NotImplementedError

    def _cursor_message(self, key: Any) -> Message:
        raise NotImplementedError

    def _width_changed(self, width: int) -> None:
        """The content width changed (the line cache is already cleared)."""

    def _mounted(self) -> None:
        """Called at the end of mounting, once the cursor is announced."""

    # ------------------------------------------------------------------ actions

    def action_cursor_up(self) -> None:
        self.cursor_up()

    def action_cursor_down(self) -> None:
        self.cursor_down()

    def action_cursor_page_up(self) -> None:
        self.cursor_index = self.cursor_index - self._page_height()

    def action_cursor_page_down(self) -> None:
        self.cursor_index = self.cursor_index + self._page_height()

    def action_cursor_first(self) -> None:
        self.cursor_index = 0

    def action_cursor_last(self) -> None:
        self.cursor_index = self.visible_count - 1

    # ------------------------------------------------------------------ reactive plumbing

    def validate_cursor_index(self, value: int) -> int:
        return max(0, min(value, self.visible_count - 1))

    def watch_cursor_index(self, old: int, new: int) -> None:
        self._refresh_row(old)
        self._refresh_row(new)
        self._scroll_cursor_into_view()
        self._announce()

    def on_mount(self) -> None:
        self._ready = True
        self._update_virtual_size()
        self._announce()
        self._mounted()

    def on_unmount(self) -> None:
        self._ready = False

    def on_resize(self, event: events.Resize) -> None:
        self._update_virtual_size()
        self._scroll_cursor_into_view()

    def notify_style_update(self) -> None:
        self._styles = None
        self._line_cache.clear()
        super().notify_style_update()

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or offset.y < 1:
            return
        index = int(self.scroll_y) + offset.y - 1
        if 0 <= index < self.visible_count:
            self.cursor_index = index

    # ------------------------------------------------------------------ rendering

    def render_line(self, y: int) -> Strip:
        """Line 0 is the column header; the other lines show rows from the scroll position."""
        width = self.scrollable_content_region.width or self.size.width
        styles = self._get_styles()
        if width != self._cache_width:
            self._line_cache.clear()
            self._cache_width = width
            self._width_changed(width)
        if y == 0:
            return self._render_header(width, styles)
        base: Style = styles.base
        if not self.visible_count:
            if y == self._hint_line():
                return self._render_hint(self._hint(), width, styles)
            return Strip.blank(width, base)
        index = int(self.scroll_y) + y - 1
        row = self._visible_row(index)
        if row is None:
            return Strip.blank(width, base)
        is_cursor = index == self.cursor_index
        key = self._cache_key(index, row)
        cached = self._line_cache.get(key)
        if cached is not None and cached[0] is row and cached[1] is is_cursor:
            return cached[2]
        strip = self._render_item(index, row, is_cursor, width, styles)
        if len(self._line_cache) > self.CACHE_LIMIT:
            self._line_cache.clear()
        self._line_cache[key] = (row, is_cursor, strip)
        return strip

    # ------------------------------------------------------------------ internals

    def _visible_row(self, index: int) -> dict | None:
        if index < 0:
            return None
        try:
            if self._index is None:
                return self._rows[index]
            return self._rows[self._index[index]]
        except IndexError:
            return None

    def _place_cursor(self, index: int) -> None:
        """Move the cursor after the rows or the filter changed, announcing a new row."""
        index = self.validate_cursor_index(index)
        if index != self.cursor_index:
            self.cursor_index = index
        else:
            self._refresh_row(index)
            self._scroll_cursor_into_view()
            self._announce()

    def _update_virtual_size(self) -> None:
        # Width 0: the columns always fit the view, so there is never a horizontal scrollbar.
        self.virtual_size = Size(0, self.visible_count + 1)

    def _page_height(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def _refresh_row(self, index: int) -> None:
        y = index - int(self.scroll_y) + 1
        if 1 <= y < self.scrollable_content_region.height:
            self.refresh(Region(0, y, self.size.width, 1))

    def _scroll_cursor_into_view(self) -> None:
        if not self._ready:
            return
        page = self._page_height()
        top = int(self.scroll_y)
        index = self.cursor_index
        if index < top:
            self.scroll_to(y=index, animate=False, immediate=True)
        elif index >= top + page:
            self.scroll_to(y=index - page + 1, animate=False, immediate=True)

    def _announce(self) -> None:
        """Post the cursor message when the row under the cursor differs from the last one."""
        if not self._ready:
            return
        key = self._cursor_key()
        if key is NOTHING:
            return
        last = self._announced
        if last is NOTHING or (key is not last if self.ANNOUNCE_BY_IDENTITY else key != last):
            self._announced = key
            self.post_message(self._cursor_message(key))
