"""RecordsList: a Line-API list of Customer or Supplier records that renders only visible rows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.message import Message
from textual.strip import Strip

from .contacts_grid import clean_text, fit_cell
from .line_list import NOTHING, LineList, cursor_bindings

__all__ = ["RecordsList", "RECORD_COLUMNS", "record_cells", "name_haystacks"]

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


class RecordsList(LineList, can_focus=True):
    """A keyboard-driven list over a (possibly huge) list of record dicts.

    Opening, scrolling and moving the cursor cost the same at 10 rows and at 100,000: only
    the lines on screen are turned into text. Until `set_records` is called the list shows
    a loading line. A name filter (`set_filter`) keeps the positions of the matching records.
    """

    BINDINGS = cursor_bindings("records", "record")

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

    ANNOUNCE_BY_IDENTITY = True

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
        self._loaded = False  # the rows stay empty and a loading line shows until set_records
        self._hays: list[str] | None = None
        self._filter_text = ""
        self.loading_hint = loading_hint
        self.empty_hint = empty_hint
        self._styles: _Styles | None = None

    # ------------------------------------------------------------------ public API

    @property
    def loaded(self) -> bool:
        return self._loaded

    @property
    def records(self) -> list[dict]:
        """The visible records, in order (a new list: meant for tests and small lists)."""
        rows = self._rows
        if self._index is None:
            return list(rows)
        return [rows[i] for i in self._index]

    @property
    def total_count(self) -> int:
        """How many records were given, whatever the filter."""
        return len(self._rows)

    @property
    def row_count(self) -> int:
        """How many records the filter lets through."""
        return self.visible_count

    @property
    def current_record(self) -> dict | None:
        return self._visible_row(self.cursor_index)

    @property
    def filter_text(self) -> str:
        return self._filter_text

    def set_records(self, records: Sequence[dict], haystacks: list[str] | None = None,
                    keep_id: str | None = None) -> None:
        """Show `records` (with their lower-cased names, if already built); keep the cursor on
        the record `keep_id` when it is still there and visible."""
        self._rows = records
        self._loaded = True
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

    # ------------------------------------------------------------------ LineList hooks

    def _cursor_key(self) -> object:
        return self.current_record if self._loaded else NOTHING

    def _cursor_message(self, record: dict | None) -> Message:
        return self.Highlighted(self, record)

    def _hint(self) -> str:
        if not self._loaded:
            return self.loading_hint
        return "No name matches the filter." if self._rows else self.empty_hint

    def on_focus(self) -> None:
        self._restyle()

    def on_blur(self) -> None:
        self._restyle()

    def _restyle(self) -> None:
        """The cursor and background look different with and without focus."""
        self._styles = None
        self._line_cache.clear()
        self.refresh()

    # ------------------------------------------------------------------ rendering

    def _render_header(self, width: int, styles: _Styles) -> Strip:
        text = _line_text([column.title for column in RECORD_COLUMNS])
        return Strip([Segment(text, styles.header)]).crop_extend(0, width, styles.header)

    def _render_item(self, index: int, record: dict, is_cursor: bool, width: int,
                     styles: _Styles) -> Strip:
        style = styles.cursor if is_cursor else styles.odd if index % 2 else styles.even
        strip = Strip([Segment(_line_text(record_cells(record)), style)])
        return strip.crop_extend(0, width, style)

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

    def _position_of(self, record_id: str | None) -> int | None:
        """The visible row of record `record_id` (one pass; only after a reload or filter)."""
        if record_id is None:
            return None
        current = self.current_record
        if current is not None and current.get("ID") == record_id:
            return self.cursor_index
        rows = self._rows
        positions = range(len(rows)) if self._index is None else self._index
        for row, position in enumerate(positions):
            if rows[position].get("ID") == record_id:
                return row
        return None

    def _apply_filter(self) -> None:
        text = self._filter_text.lower()
        if not text or not self._loaded:
            self._index = None
        else:
            if self._hays is None:
                self._hays = name_haystacks(self._rows)
            self._index = [i for i, hay in enumerate(self._hays) if text in hay]
        self._line_cache.clear()
        self._update_virtual_size()
        self.refresh()
