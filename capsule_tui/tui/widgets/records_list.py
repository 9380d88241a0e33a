"""RecordsList: a Line-API list of Customer or Supplier records that renders only visible rows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from .contacts_grid import clean_text, fit_cell

__all__ = ["RecordsList", "RECORD_COLUMNS", "record_cells", "name_haystacks"]

_NOTHING = object()  # no Highlighted posted yet
_PAD = " "  # one cell each side of every column, as DataTable draws them


class RecordColumn(NamedTuple):
    title: str
    width: int
    right: bool  # right-aligned (counts)


RECORD_COLUMNS: tuple[RecordColumn, ...] = (
    RecordColumn("Name", 34, False),
    RecordColumn("Currency", 8, False),
    RecordColumn("Tax rule", 14, False),
    RecordColumn("Addr.", 5, True),
    RecordColumn("Cont.", 5, True),
)


def record_cells(record: dict) -> tuple[str, ...]:
    """The five cell texts of a record, plain and single-line."""
    return (
        clean_text(record.get("Name")),
        clean_text(record.get("Currency")),
        clean_text(record.get("TaxRule")),
        f"{len(record.get('Addresses') or ()):,}",
        f"{len(record.get('Contacts') or ()):,}",
    )


def name_haystacks(records: Sequence[dict]) -> list[str]:
    """The lower-cased names the filter searches, one per record (build it off the UI thread)."""
    return [str(record.get("Name") or "").lower() for record in records]


def _fit(text: str, column: RecordColumn) -> str:
    if column.right and len(text) <= column.width:
        return text.rjust(column.width)
    return fit_cell(text, column.width)


def _line_text(cells: Sequence[str]) -> str:
    return "".join(_PAD + _fit(text, column) + _PAD for text, column in zip(cells, RECORD_COLUMNS))


class _Styles(NamedTuple):
    base: Style
    header: Style
    even: Style
    odd: Style
    cursor: Style
    hint: Style


class RecordsList(ScrollView, can_focus=True):
    """A keyboard-driven list over a (possibly huge) list of record dicts.

    Opening, scrolling and moving the cursor cost the same at 10 rows and at 100,000: only
    the lines on screen are turned into text. Until `set_records` is called the list shows
    a loading line. A name filter (`set_filter`) keeps the positions of the matching records.
    """

    BINDINGS = [
        Binding("up,k", "cursor_up", "Up", show=False, id="records.cursor_up"),
        Binding("down,j", "cursor_down", "Down", show=False, id="records.cursor_down"),
        Binding("pageup", "cursor_page_up", "Page up", show=False, id="records.page_up"),
        Binding("pagedown", "cursor_page_down", "Page down", show=False,
                id="records.page_down"),
        Binding("home,ctrl+home,g", "cursor_first", "First record", show=False,
                id="records.first"),
        Binding("end,ctrl+end,G", "cursor_last", "Last record", show=False, id="records.last"),
    ]

    COMPONENT_CLASSES = {
        "records-list--header",
        "records-list--cursor",
        "records-list--even-row",
        "records-list--odd-row",
        "records-list--hint",
    }

    # The looks of the DataTable this list replaced (zebra stripes, block cursor).
    DEFAULT_CSS = """
    RecordsList {
        height: 1fr;
        background: $surface;
        color: $foreground;
        overflow-x: hidden;
        overflow-y: auto;
        scrollbar-size-vertical: 1;
        &:focus {
            background-tint: $foreground 5%;
            & > .records-list--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
            & > .records-list--header {
                background-tint: $foreground 5%;
            }
        }
        &:dark > .records-list--even-row {
            background: $surface-darken-1 40%;
        }
        & > .records-list--header {
            text-style: bold;
            background: $panel;
            color: $foreground;
        }
        &:ansi > .records-list--header {
            background: ansi_bright_blue;
            color: ansi_default;
        }
        & > .records-list--even-row {
            background: $surface-lighten-1 50%;
        }
        & > .records-list--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        & > .records-list--hint {
            color: $text-muted;
            text-style: italic;
        }
    }
    """

    cursor_index: reactive[int] = reactive(0, repaint=False, init=False)
    """The cursor's position among the visible (filtered) records."""

    class Highlighted(Message):
        """Another record is under the cursor (`record` is None when no record is visible)."""

        def __init__(self, records_list: RecordsList, record: dict | None) -> None:
            super().__init__()
            self.records_list = records_list
            self.record = record

        @property
        def control(self) -> RecordsList:
            return self.records_list

    def __init__(
        self,
        *,
        loading_hint: str = "Loading…",
        empty_hint: str = "Nothing here yet.",
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._records: Sequence[dict] | None = None  # None = still loading
        self._hays: list[str] | None = None
        self._index: list[int] | None = None  # visible row -> position in _records; None = all
        self._filter_text = ""
        self.loading_hint = loading_hint
        self.empty_hint = empty_hint
        self._line_cache: dict[int, tuple[bool, Strip]] = {}
        self._cache_width = -1
        self._styles: _Styles | None = None
        self._announced: object = _NOTHING
        self._ready = False

    # ------------------------------------------------------------------ public API

    @property
    def loaded(self) -> bool:
        return self._records is not None

    @property
    def records(self) -> list[dict]:
        """The visible records, in order (a new list: meant for tests and small lists)."""
        if self._records is None:
            return []
        if self._index is None:
            return list(self._records)
        rows = self._records
        return [rows[i] for i in self._index]

    @property
    def total_count(self) -> int:
        """How many records were given, whatever the filter."""
        return 0 if self._records is None else len(self._records)

    @property
    def row_count(self) -> int:
        """How many records the filter lets through."""
        if self._records is None:
            return 0
        return len(self._records) if self._index is None else len(self._index)

    @property
    def current_record(self) -> dict | None:
        return self._visible(self.cursor_index)

    @property
    def filter_text(self) -> str:
        return self._filter_text

    def set_records(self, records: Sequence[dict], haystacks: list[str] | None = None,
                    keep_id: str | None = None) -> None:
        """Show `records` (with their lower-cased names, if already built); keep the cursor on
        the record `keep_id` when it is still there and visible."""
        self._records = records
        self._hays = haystacks if haystacks is not None and len(haystacks) == len(records) \
            else None
        self._apply_filter()
        index = self._position_of(keep_id) if keep_id is not None else None
        self._place_cursor(self.cursor_index if index is None else index)

    def set_filter(self, text: str) -> int:
        """Show only records whose name contains `text` (any case); return how many show.

        The cursor stays on its record when it still shows, else goes to the first record."""
        current = self.current_record
        self._filter_text = text
        self._apply_filter()
        index = self._position_of(current.get("ID")) if current is not None else None
        self._place_cursor(0 if index is None else index)
        return self.row_count

    def move_cursor(self, *, row: int) -> None:
        """Put the cursor on visible row `row`."""
        self.cursor_index = row

    # ------------------------------------------------------------------ actions

    def action_cursor_up(self) -> None:
        self.cursor_index -= 1

    def action_cursor_down(self) -> None:
        self.cursor_index += 1

    def action_cursor_page_up(self) -> None:
        self.cursor_index -= self._page_height()

    def action_cursor_page_down(self) -> None:
        self.cursor_index += self._page_height()

    def action_cursor_first(self) -> None:
        self.cursor_index = 0

    def action_cursor_last(self) -> None:
        self.cursor_index = self.row_count - 1

    # ------------------------------------------------------------------ reactive plumbing

    def validate_cursor_index(self, value: int) -> int:
        return max(0, min(value, self.row_count - 1))

    def watch_cursor_index(self, old: int, new: int) -> None:
        self._refresh_row(old)
        self._refresh_row(new)
        self._scroll_cursor_into_view()
        self._announce()

    def on_mount(self) -> None:
        self._ready = True
        self._update_virtual_size()
        if self._records is not None:
            self._announce()

    def on_unmount(self) -> None:
        self._ready = False

    def on_resize(self, event: events.Resize) -> None:
        self._update_virtual_size()
        self._scroll_cursor_into_view()

    def notify_style_update(self) -> None:
        self._styles = None
        self._line_cache.clear()
        super().notify_style_update()

    def on_focus(self) -> None:
        self._restyle()

    def on_blur(self) -> None:
        self._restyle()

    def _restyle(self) -> None:
        """The cursor and background look different with and without focus."""
        self._styles = None
        self._line_cache.clear()
        self.refresh()

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or offset.y < 1:
            return
        index = int(self.scroll_y) + offset.y - 1
        if 0 <= index < self.row_count:
            self.cursor_index = index

    # ------------------------------------------------------------------ rendering

    def render_line(self, y: int) -> Strip:
        """Line 0 is the column header; the others show records from the scroll position."""
        width = self.scrollable_content_region.width or self.size.width
        styles = self._get_styles()
        if width != self._cache_width:
            self._line_cache.clear()
            self._cache_width = width
        if y == 0:
            text = _line_text([column.title for column in RECORD_COLUMNS])
            return Strip([Segment(text, styles.header)]).crop_extend(0, width, styles.header)
        if self._records is None or not self.row_count:
            if y == 1:
                if self._records is None:
                    hint = self.loading_hint
                elif self._records:
                    hint = "No name matches the filter."
                else:
                    hint = self.empty_hint
                return self._render_hint(hint, width, styles)
            return Strip.blank(width, styles.base)
        index = int(self.scroll_y) + y - 1
        record = self._visible(index)
        if record is None:
            return Strip.blank(width, styles.base)
        is_cursor = index == self.cursor_index
        cached = self._line_cache.get(index)
        if cached is not None and cached[0] is is_cursor:
            return cached[1]
        style = styles.cursor if is_cursor else styles.odd if index % 2 else styles.even
        strip = Strip([Segment(_line_text(record_cells(record)), style)])
        strip = strip.crop_extend(0, width, style)
        if len(self._line_cache) > 1000:
            self._line_cache.clear()
        self._line_cache[index] = (is_cursor, strip)
        return strip

    def _render_hint(self, hint: str, width: int, styles: _Styles) -> Strip:
        hint = set_cell_size(_PAD + hint, min(cell_len(hint) + 1, width))
        return Strip([Segment(hint, styles.hint)]).crop_extend(0, width, styles.base)

    def _get_styles(self) -> _Styles:
        if self._styles is None:
            base = self.rich_style
            get = self.get_component_rich_style
            self._styles = _Styles(
                base=base,
                header=base + get("records-list--header"),
                even=base + get("records-list--even-row"),
                odd=base + get("records-list--odd-row"),
                cursor=base + get("records-list--cursor"),
                hint=base + get("records-list--hint"),
            )
        return self._styles

    # ------------------------------------------------------------------ internals

    def _visible(self, index: int) -> dict | None:
        if index < 0 or self._records is None:
            return None
        try:
            if self._index is None:
                return self._records[index]
            return self._records[self._index[index]]
        except IndexError:
            return None

    def _position_of(self, record_id: str | None) -> int | None:
        """The visible row of record `record_id` (one pass; only after a reload or filter)."""
        if record_id is None or self._records is None:
            return None
        current = self.current_record
        if current is not None and current.get("ID") == record_id:
            return self.cursor_index
        rows = self._records
        positions = range(len(rows)) if self._index is None else self._index
        for row, position in enumerate(positions):
            if rows[position].get("ID") == record_id:
                return row
        return None

    def _apply_filter(self) -> None:
        text = self._filter_text.lower()
        if not text or self._records is None:
            self._index = None
        else:
            if self._hays is None:
                self._hays = name_haystacks(self._records)
            self._index = [i for i, hay in enumerate(self._hays) if text in hay]
        self._line_cache.clear()
        self._update_virtual_size()
        self.refresh()

    def _place_cursor(self, index: int) -> None:
        index = self.validate_cursor_index(index)
        if index != self.cursor_index:
            self.cursor_index = index
        else:
            self._scroll_cursor_into_view()
            self._announce()

    def _update_virtual_size(self) -> None:
        # Width 0: the columns never scroll sideways.
        self.virtual_size = Size(0, self.row_count + 1)

    def _page_height(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def _refresh_row(self, index: int) -> None:
        self._line_cache.pop(index, None)
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
        """Post Highlighted when the record under the cursor differs from the last one posted."""
        if not self._ready or self._records is None:
            return
        record = self.current_record
        if self._announced is _NOTHING or record is not self._announced:
            self._announced = record
            self.post_message(self.Highlighted(self, record))
