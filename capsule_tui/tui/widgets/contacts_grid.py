"""ContactsGrid: a Line-API grid of staged contacts whose cost depends on the rows on screen."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.message import Message
from textual.strip import Strip

from ...core.gc_pause import gc_paused
from ...domain.staging import follows_organisation
from .line_list import LineList, cursor_bindings

__all__ = ["ContactsGrid", "Column", "COLUMNS", "column_widths", "FILTER_MODES"]

FILTER_MODES = ("all", "not_defined", "conflicts")
"""The row filters `ContactsGrid.set_filter` understands, in the order `f` cycles them."""

EMPTY_HINT = "No staged contacts — press d to download."
NO_MATCH_HINT = "No row matches the filter."

TYPE_LABELS = {
    "customer": "Customer",
    "supplier": "Supplier",
    "ignore": "Ignore",
    "not_defined": "Not defined",
}
ACTION_LABELS = {
    "pending": "Pending",
    "created": "Created",
    "updated": "Updated",
    "contact": "Contact",
    "skipped": "Skipped",
}
KIND_LABELS = {"organisation": "Org", "person": "Person"}
CHILD_PREFIX = "  └ "
ELLIPSIS = "…"
SEPARATOR = " "
_WARM_CHUNK = 5_000  # haystacks built per idle step (a few milliseconds)
_WARM_PAUSE = 0.005

# Control characters would move the terminal cursor or break the line; show them as a
# replacement character instead (tabs and line breaks become spaces).
_CONTROL_TABLE = {code: "\ufffd" for code in [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0)]}
_CONTROL_TABLE.update({0x09: " ", 0x0A: " ", 0x0D: " "})


class Column(NamedTuple):
    """One grid column: its title, its narrowest width and its share of spare width."""

    title: str
    minimum: int
    weight: int  # 0 = fixed at `minimum`
    shrink_order: int  # columns with a higher number give up width first when space is short


COLUMNS: tuple[Column, ...] = (
    Column("Name", 14, 6, 1),
    Column("Kind", 6, 0, 0),
    Column("Organisation", 12, 3, 3),
    Column("Tags", 8, 3, 4),
    Column("Type", 11, 0, 0),
    Column("Action", 7, 0, 0),
    Column("Reason", 8, 3, 5),
)


def column_widths(total: int) -> tuple[int, ...]:
    """Share `total` cells between the columns (separators included) without looking at rows."""
    spare = total - len(SEPARATOR) * (len(COLUMNS) - 1)
    widths = [column.minimum for column in COLUMNS]
    extra = spare - sum(widths)
    if extra >= 0:
        weights = sum(column.weight for column in COLUMNS)
        given = 0
        for index, column in enumerate(COLUMNS):
            share = extra * column.weight // weights
            widths[index] += share
            given += share
        widths[0] += extra - given  # rounding leftovers go to Name
    else:
        # Too narrow for the minimums: take width from the least important columns first.
        shortfall = -extra
        for index in sorted(range(len(COLUMNS)), key=lambda i: -COLUMNS[i].shrink_order):
            if not COLUMNS[index].shrink_order:
                continue
            floor = 3 if index else 6
            take = min(shortfall, max(0, widths[index] - floor))
            widths[index] -= take
            shortfall -= take
            if not shortfall:
                break
    return tuple(widths)


def clean_text(value: Any) -> str:
    """A plain, single-line string for a cell (never markup, no control characters)."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if text.isprintable():
        return text
    return text.translate(_CONTROL_TABLE)


def fit_cell(text: str, width: int) -> str:
    """Pad or crop `text` to exactly `width` cells, ending a cropped text with an ellipsis."""
    if width <= 0:
        return ""
    length = len(text) if text.isascii() else cell_len(text)
    if length <= width:
        return text + " " * (width - length)
    if width == 1:
        return ELLIPSIS
    return set_cell_size(text, width - 1) + ELLIPSIS


def row_cells(row: dict) -> tuple[str, ...]:
    """The seven cell texts of a staged-contact row, uncropped."""
    name = clean_text(row.get("name"))
    if follows_organisation(row):
        name = CHILD_PREFIX + name
    kind = row.get("kind")
    kind_label = KIND_LABELS.get(kind, clean_text(kind))
    tags = row.get("tags") or ()
    if isinstance(tags, str):
        tag_text = clean_text(tags)
    else:
        tag_text = ", ".join(clean_text(tag) for tag in tags)
    row_type = row.get("type")
    action = row.get("action")
    return (
        name,
        kind_label,
        clean_text(row.get("organisation_name")),
        tag_text,
        TYPE_LABELS.get(row_type, clean_text(row_type)),
        ACTION_LABELS.get(action, clean_text(action)),
        clean_text(row.get("reason")),
    )


def row_haystack(row: dict) -> str:
    """The lower-cased text the filter searches: name, organisation and tags, one per line."""
    tags = row.get("tags") or ()
    try:
        tag_text = "\n".join(tags) if not isinstance(tags, str) else tags
    except TypeError:
        tag_text = "\n".join(map(str, tags))
    name = row.get("name") or ""
    organisation = row.get("organisation_name") or ""
    return ("%s\n%s\n%s" % (name, organisation, tag_text)).lower()


def row_matches_mode(row: dict, mode: str) -> bool:
    """Whether a row belongs to the filter mode (`all`, `not_defined` or `conflicts`)."""
    if mode == "not_defined":
        return row.get("type") == "not_defined"
    if mode == "conflicts":
        return str(row.get("reason") or "").startswith("conflicting tags")
    return True


def _mode_positions(rows: Sequence[dict], mode: str) -> list[int]:
    """Positions of the rows in `mode`, as one tight loop (called on every keystroke)."""
    if mode == "not_defined":
        return [i for i, row in enumerate(rows) if row.get("type") == "not_defined"]
    if mode == "conflicts":
        prefix = "conflicting tags"
        return [i for i, row in enumerate(rows) if str(row.get("reason")).startswith(prefix)]
    return [i for i, row in enumerate(rows) if row_matches_mode(row, mode)]


class _Styles(NamedTuple):
    base: Style
    header: Style
    cursor: Style
    hint: Style
    types: dict[str, Style]


class ContactsGrid(LineList, can_focus=True):
    """A keyboard-driven grid over the live list of staged-contact rows.

    Only the rows on screen are turned into text, so opening, scrolling and updating cost
    the same at 100 rows and at 100,000. The grid shows the live list it is given through
    `set_rows`; the owner replaces items of that list and calls `rows_changed`. A filter keeps
    its set of rows until `set_filter` or `set_rows` is called again, so a row typed while a
    filter is on stays put (and the cursor moves on to the next row predictably).
    """

    BINDINGS = cursor_bindings("grid", "row")

    COMPONENT_CLASSES = {
        "contacts-grid--header",
        "contacts-grid--cursor",
        "contacts-grid--hint",
        "contacts-grid--type-customer",
        "contacts-grid--type-supplier",
        "contacts-grid--type-ignore",
        "contacts-grid--type-not-defined",
    }

    # Readable in 16 colours; with NO_COLOR the header stays bold, the cursor reversed and
    # each type keeps its own text style.
    DEFAULT_CSS = """
    ContactsGrid {
        & > .contacts-grid--header {
            text-style: bold underline;
            color: $foreground;
            background: $panel;
        }
        & > .contacts-grid--cursor {
            text-style: reverse bold;
        }
        & > .contacts-grid--hint {
            color: $text-muted;
            text-style: italic;
        }
        & > .contacts-grid--type-customer {
            color: $text-success;
        }
        & > .contacts-grid--type-supplier {
            color: $text-primary;
        }
        & > .contacts-grid--type-ignore {
            color: $text-muted;
            text-style: italic;
        }
        & > .contacts-grid--type-not-defined {
            color: $text-warning;
            text-style: bold;
        }
    }
    """

    CACHE_LIMIT = 2000

    class CursorMoved(Message):
        """The cursor moved to another row (or off every row: `party_id` is None)."""

        def __init__(self, grid: ContactsGrid, party_id: int | None) -> None:
            super().__init__()
            self.grid = grid
            self.party_id = party_id

        @property
        def control(self) -> ContactsGrid:
            return self.grid

    def __init__(
        self,
        rows: Sequence[dict] | None = None,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self._rows = rows if rows is not None else []
        self._positions: dict[int, int] | None = None  # party_id -> visible row, built on demand
        self._filter_text = ""
        self._filter_mode = "all"
        self._last_filter: tuple[str, str, list[int] | None] | None = None
        self._hay_rows: list[Any] = []  # identity of the row each haystack was made from
        self._hays: list[str] = []
        self._widths: tuple[int, ...] = ()
        self._styles: _Styles | None = None

    # ------------------------------------------------------------------ public API

    @property
    def current_row(self) -> dict | None:
        """The row under the cursor, or None when no row is visible."""
        return self._visible_row(self.cursor_index)

    @property
    def filter_text(self) -> str:
        return self._filter_text

    @property
    def filter_mode(self) -> str:
        return self._filter_mode

    def set_rows(self, rows: Sequence[dict]) -> None:
        """Show `rows` (the live list), keeping the cursor on the same party when possible."""
        party_id = self._current_party_id()
        live = self._live_position(self.cursor_index)
        self._rows = rows
        self._line_cache.clear()
        self._last_filter = None
        self._apply_filter()
        index: int | None = None
        if party_id is not None:
            # Usually the party is still where it was: check that before searching.
            if live is not None and live < len(rows) and rows[live].get("party_id") == party_id:
                index = self._visible_position(live)
            if index is None:
                index = self._position_of(party_id)
        self._place_cursor(self.cursor_index if index is None else index)
        self._start_warm_up()

    def set_filter(self, text: str = "", mode: str = "all") -> int:
        """Show only rows whose name, organisation or tags contain `text` (any case) and that
        belong to `mode` ("all", "not_defined" or "conflicts"); return how many are visible.

        The cursor stays on its party when that row is still visible, otherwise it goes to
        the nearest visible row after it.
        """
        if mode not in FILTER_MODES:
            raise ValueError(f"unknown filter mode {mode!r}; expected one of {FILTER_MODES}")
        live = self._live_position(self.cursor_index)
        self._filter_text = text
        self._filter_mode = mode
        self._apply_filter()
        index = self.cursor_index
        if live is not None:
            if self._index is None:
                index = live
            else:
                index = bisect_left(self._index, live)
        self._place_cursor(index)
        # Scrolling now is clamped to the old (filtered) height: scroll again once the new
        # virtual size has been laid out, so the cursor's row is on screen.
        self.call_after_refresh(self._scroll_cursor_into_view)
        return self.visible_count

    def rows_changed(self, party_ids: Iterable[int] | None = None) -> None:
        """Some items of the live list were replaced: draw them again (None = every row)."""
        if party_ids is None:
            self._line_cache.clear()
        else:
            pop = self._line_cache.pop
            for party_id in party_ids:
                pop(party_id, None)
        # Rows may now match a typed filter differently: the next keystroke starts afresh.
        self._last_filter = None
        self.refresh()
        self._announce()

    def move_cursor_to(self, party_id: int) -> None:
        """Put the cursor on the row of `party_id`, if that row is visible."""
        index = self._position_of(party_id)
        if index is not None:
            self.cursor_index = index

    # ------------------------------------------------------------------ LineList hooks

    def _mounted(self) -> None:
        self._start_warm_up()

    def _cursor_key(self) -> int | None:
        return self._current_party_id()

    def _cursor_message(self, party_id: int | None) -> Message:
        return self.CursorMoved(self, party_id)

    def _cache_key(self, index: int, row: dict) -> int | None:
        return row.get("party_id")

    def _hint(self) -> str:
        return NO_MATCH_HINT if self._rows else EMPTY_HINT

    def _hint_line(self) -> int:
        return max(1, self.scrollable_content_region.height // 2)

    def _width_changed(self, width: int) -> None:
        self._widths = column_widths(width)

    # ------------------------------------------------------------------ rendering

    def _render_header(self, width: int, styles: _Styles) -> Strip:
        text = SEPARATOR.join(
            fit_cell(column.title, cell) for column, cell in zip(COLUMNS, self._widths)
        )
        return Strip([Segment(fit_cell(text, width), styles.header)], width)

    def _render_hint(self, hint: str, width: int, styles: _Styles) -> Strip:
        hint = set_cell_size(hint, min(cell_len(hint), width))
        left = max(0, (width - cell_len(hint)) // 2)
        right = max(0, width - left - cell_len(hint))
        return Strip(
            [
                Segment(" " * left, styles.base),
                Segment(hint, styles.hint),
                Segment(" " * right, styles.base),
            ],
            width,
        )

    def _render_item(
        self, index: int, row: dict, is_cursor: bool, width: int, styles: _Styles
    ) -> Strip:
        widths = self._widths
        cells = row_cells(row)
        base = styles.cursor if is_cursor else styles.base
        type_style = styles.types.get(row.get("type"))
        if type_style is not None:
            type_style = base + type_style
            if is_cursor:
                type_style = type_style + styles.cursor
        else:
            type_style = base
        # Name … Tags share one segment, Type has its own colour, Action and Reason follow.
        before = SEPARATOR.join(fit_cell(cells[i], widths[i]) for i in range(4))
        after = SEPARATOR.join(fit_cell(cells[i], widths[i]) for i in range(5, 7))
        segments = [
            Segment(before + SEPARATOR, base),
            Segment(fit_cell(cells[4], widths[4]), type_style),
            Segment(SEPARATOR + after, base),
        ]
        used = sum(widths) + len(SEPARATOR) * (len(widths) - 1)
        strip = Strip(segments, used)
        if used != width:
            strip = strip.crop_extend(0, width, base)
        return strip

    def _get_styles(self) -> _Styles:
        if self._styles is None:
            base = self.rich_style
            get = self.get_component_rich_style
            self._styles = _Styles(
                base=base,
                header=base + get("contacts-grid--header"),
                cursor=base + get("contacts-grid--cursor"),
                hint=base + get("contacts-grid--hint"),
                types={
                    "customer": get("contacts-grid--type-customer"),
                    "supplier": get("contacts-grid--type-supplier"),
                    "ignore": get("contacts-grid--type-ignore"),
                    "not_defined": get("contacts-grid--type-not-defined"),
                },
            )
        return self._styles

    # ------------------------------------------------------------------ internals

    def _current_party_id(self) -> int | None:
        row = self.current_row
        return None if row is None else row.get("party_id")

    def _position_of(self, party_id: int | None) -> int | None:
        if party_id is None:
            return None
        row = self.current_row
        if row is not None and row.get("party_id") == party_id:
            return self.cursor_index
        if self._positions is None:
            with gc_paused():
                self._positions = self._party_positions()
        return self._positions.get(party_id)

    def _party_positions(self) -> dict[int, int]:
        """party_id -> visible row, for every visible row."""
        rows = self._rows
        if self._index is None:
            return {row.get("party_id"): i for i, row in enumerate(rows)}
        return {rows[p].get("party_id"): i for i, p in enumerate(self._index)}

    def _haystacks(self) -> list[str]:
        """One lower-cased haystack per live row, rebuilt only for rows replaced since."""
        rows = self._rows
        if len(self._hay_rows) != len(rows):
            self._hay_rows = [None] * len(rows)
            self._hays = [""] * len(rows)
        hays, hay_rows = self._hays, self._hay_rows
        stale = [i for i, (row, seen) in enumerate(zip(rows, hay_rows)) if row is not seen]
        if len(stale) > len(rows) // 2:
            hay_rows[:] = rows
            hays[:] = map(row_haystack, rows)
        else:
            for i in stale:
                row = hay_rows[i] = rows[i]
                hays[i] = row_haystack(row)
        return hays

    def _start_warm_up(self) -> None:
        if self._ready:
            rows = self._rows
            self.call_after_refresh(lambda: self._warm_haystacks(rows))

    def _warm_haystacks(self, rows: Sequence[dict], start: int = 0) -> None:
        """Build haystacks a slice at a time while idle, so the first filter keystroke is cheap."""
        if rows is not self._rows or not self._ready:
            return  # set_rows was called again: that call started its own warm-up
        if len(self._hay_rows) != len(rows):
            self._hay_rows = [None] * len(rows)
            self._hays = [""] * len(rows)
        hays, hay_rows = self._hays, self._hay_rows
        end = min(len(rows), start + _WARM_CHUNK)
        with gc_paused():
            for i in range(start, end):
                row = rows[i]
                if hay_rows[i] is not row:
                    hay_rows[i] = row
                    hays[i] = row_haystack(row)
        if end < len(rows):
            self.set_timer(_WARM_PAUSE, lambda: self._warm_haystacks(rows, end))

    def _apply_filter(self) -> None:
        with gc_paused():
            self._filter_positions()
        self._positions = None
        self._update_virtual_size()
        self.refresh()

    def _filter_positions(self) -> None:
        """Set `_index` to the live-list positions the filter lets through (None = all)."""
        text = self._filter_text.lower()
        mode = self._filter_mode
        rows = self._rows
        if not text and mode == "all":
            index: list[int] | None = None
        else:
            last = self._last_filter
            typing_on = (
                last is not None
                and last[1] == mode
                and last[2] is not None
                and text.startswith(last[0])
            )
            if typing_on:
                candidates: Iterable[int] = last[2]  # typing on: search the previous matches only
                if text:
                    hays = self._haystacks()
                    index = [i for i in candidates if text in hays[i]]
                else:
                    index = list(candidates)
            else:
                if mode == "all":
                    index = [i for i, hay in enumerate(self._haystacks()) if text in hay]
                else:
                    index = _mode_positions(rows, mode)
                    if text:
                        hays = self._haystacks()
                        index = [i for i in index if text in hays[i]]
        self._index = index
        self._last_filter = (text, mode, index)

    def _live_position(self, index: int) -> int | None:
        """The position in the live list of visible row `index`."""
        if not 0 <= index < self.visible_count:
            return None
        return index if self._index is None else self._index[index]

    def _visible_position(self, live: int) -> int | None:
        """The visible row showing live-list position `live`, if the filter lets it through."""
        if self._index is None:
            return live if 0 <= live < len(self._rows) else None
        found = bisect_left(self._index, live)
        if found < len(self._index) and self._index[found] == live:
            return found
        return None
