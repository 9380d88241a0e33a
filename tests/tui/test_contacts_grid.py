"""Behaviour and looks of ContactsGrid: big lists, plain-text cells, filters, cursor, widths."""

from __future__ import annotations

import pytest
from rich.cells import cell_len
from rich.style import Style
from textual.app import App, ComposeResult
from textual.color import Color
from textual.filter import NoColor

from capsule_tui.tui.widgets import ContactsGrid
from capsule_tui.tui.widgets.contacts_grid import (
    COLUMNS,
    EMPTY_HINT,
    NO_MATCH_HINT,
    column_widths,
)

TYPES = ("customer", "supplier", "ignore", "not_defined")
ACTIONS = ("pending", "created", "updated", "contact", "skipped")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def make_rows(count: int) -> list[dict]:
    """Organisations, each followed by four of its people; deterministic."""
    rows = []
    for i in range(count):
        org_index = i - i % 5
        if i % 5 == 0:
            rows.append({
                "party_id": i + 1, "kind": "organisation", "name": f"Org {i} Ltd",
                "organisation_id": None, "organisation_name": "",
                "tags": ["Customer"] if i % 2 else [], "type": TYPES[i % 4],
                "action": ACTIONS[i % 5], "reason": "",
            })
        else:
            rows.append({
                "party_id": i + 1, "kind": "person", "name": f"Person {i}",
                "organisation_id": org_index + 1, "organisation_name": f"Org {org_index} Ltd",
                "tags": ["Lead", "VIP"] if i % 3 else [], "type": TYPES[i % 4],
                "action": ACTIONS[i % 5],
                "reason": "conflicting tags: Customer, Supplier" if i % 7 == 0 else "",
            })
    return rows


def row(party_id: int, name: str, **extra) -> dict:
    base = {
        "party_id": party_id, "kind": "organisation", "name": name, "organisation_id": None,
        "organisation_name": "", "tags": [], "type": "not_defined", "action": "pending",
        "reason": "",
    }
    base.update(extra)
    return base


class GridApp(App):
    """A tiny host: one grid, focused, recording the CursorMoved messages."""

    def __init__(self, rows: list[dict] | None = None) -> None:
        super().__init__()
        self.rows = rows if rows is not None else []
        self.moves: list[int | None] = []

    def compose(self) -> ComposeResult:
        yield ContactsGrid(self.rows)

    def on_mount(self) -> None:
        self.query_one(ContactsGrid).focus()

    def on_contacts_grid_cursor_moved(self, message: ContactsGrid.CursorMoved) -> None:
        self.moves.append(message.party_id)


async def settle(pilot) -> None:
    """Let posted messages bubble up to the app."""
    for _ in range(3):
        await pilot.pause()


def screen_text(grid: ContactsGrid) -> list[str]:
    return [grid.render_line(y).text for y in range(grid.scrollable_content_region.height)]


@pytest.mark.anyio
async def test_100k_rows_mount_and_keys_move_the_cursor() -> None:
    rows = make_rows(100_000)
    app = GridApp(rows)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        grid = app.query_one(ContactsGrid)
        assert grid.visible_count == 100_000
        assert grid.virtual_size.height == 100_001
        assert "Org 0 Ltd" in grid.render_line(1).text
        page = grid.scrollable_content_region.height - 1

        await pilot.press("end")
        assert grid.cursor_index == 99_999
        assert grid.current_row is rows[-1]
        assert "Person 99999" in screen_text(grid)[-1]  # scrolled so the cursor shows

        await pilot.press("home")
        assert grid.cursor_index == 0 and grid.scroll_y == 0

        await pilot.press("pagedown")
        assert grid.cursor_index == page
        assert f"Person {page}" in screen_text(grid)[-1]
        await pilot.press("pagedown", "j", "down")
        assert grid.cursor_index == 2 * page + 2
        await pilot.press("k", "up", "pageup")
        assert grid.cursor_index == page
        await pilot.press("ctrl+end")
        assert grid.cursor_index == 99_999
        await pilot.press("ctrl+home")
        assert grid.cursor_index == 0
        await settle(pilot)
        assert app.moves[0] == 1 and app.moves[-1] == 1


@pytest.mark.anyio
async def test_markup_like_and_wide_names_show_as_typed() -> None:
    names = [
        "Smith [bold]", "x [/y]", "[red]Acme[/red]", "[link=http://x]y[/link]",
        "🎉 Party Ltd", "株式会社テスト", "שלום עולם", "شركة الأمل", "Ünïcödé Ŝtreet",
    ]
    rows = [row(i + 1, name, tags=[f"[tag{i}]"]) for i, name in enumerate(names)]
    rows.append(row(99, "Line\nbreak\tand\x1b[31mescape"))
    app = GridApp(rows)
    async with app.run_test(size=(140, 24)) as pilot:
        await pilot.pause()
        grid = app.query_one(ContactsGrid)
        lines = screen_text(grid)
        for y, name in enumerate(names, start=1):
            assert name in lines[y]
            assert f"[tag{y - 1}]" in lines[y]
        assert "Line break and\ufffd[31mescape" in lines[len(names) + 1]
        width = grid.scrollable_content_region.width
        for y in range(len(rows) + 1):
            assert grid.render_line(y).cell_length == width
        assert "Smith&#160;[bold]" in app.export_screenshot()


@pytest.mark.anyio
async def test_lines_fit_in_80_columns_and_long_names_are_cropped() -> None:
    rows = [
        row(1, "株" * 60, kind="person", organisation_id=2, organisation_name="組織" * 20,
            tags=["タグ"] * 20, reason="conflicting tags: " + "x" * 80),
        row(2, "A" * 200, reason="no Customer or Supplier tag"),
        row(3, "🎉" * 50),
    ]
    app = GridApp(rows)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        grid = app.query_one(ContactsGrid)
        header = grid.render_line(0).text
        for column in COLUMNS:
            assert column.title in header
        for y in range(grid.scrollable_content_region.height):
            strip = grid.render_line(y)
            assert strip.cell_length <= 80
            assert cell_len(strip.text) <= 80
        assert grid.render_line(1).text.startswith("  └ 株")
        assert "…" in grid.render_line(1).text
        assert "…" in app.export_screenshot()  # the whole screen renders the cropped cells


@pytest.mark.parametrize("total", [40, 60, 79, 80, 100, 119, 160, 240])
def test_column_widths_fill_the_width_from_the_terminal_alone(total: int) -> None:
    widths = column_widths(total)
    used = sum(widths) + len(widths) - 1
    if total >= 79:
        assert used == total
        assert widths[0] == max(widths)  # Name gets the most room
        assert all(w >= len(c.title) for w, c in zip(widths, COLUMNS))
    assert all(w > 0 for w in widths)


@pytest.mark.anyio
async def test_filter_by_text_and_mode_keeps_the_cursor_on_the_party() -> None:
    rows = [
        row(1, "Acme Ltd", type="customer", tags=["Customer"]),
        row(2, "Renée Dubois", kind="person", organisation_id=1, organisation_name="Acme Ltd"),
        row(3, "Bolt & Nut", tags=["ACME partner"], type="supplier"),
        row(4, "Zed", reason="conflicting tags: Customer, Supplier"),
        row(5, "Quiet Co", type="ignore", reason="conflicting tags: x"),
    ]
    app = GridApp(rows)
    async with app.run_test(size=(100, 20)) as pilot:
        await pilot.pause()
        grid = app.query_one(ContactsGrid)
        grid.move_cursor_to(3)
        assert grid.current_row["party_id"] == 3

        assert grid.set_filter("aCmE") == 3  # name, organisation and tags, any case
        assert grid.current_row["party_id"] == 3 and grid.cursor_index == 2
        assert grid.set_filter("acme", "not_defined") == 1
        assert grid.current_row["party_id"] == 2
        assert grid.set_filter("", "not_defined") == 2
        assert grid.current_row["party_id"] == 2
        assert grid.set_filter("", "conflicts") == 2
        assert [grid.render_line(y).text.split()[0] for y in (1, 2)] == ["Zed", "Quiet"]
        assert grid.set_filter("dubois") == 1
        assert grid.set_filter("nobody") == 0
        assert grid.current_row is None
        assert NO_MATCH_HINT in "".join(screen_text(grid))
        assert grid.set_filter() == 5
        with pytest.raises(ValueError):
            grid.set_filter("", "everything")
        await pilot.pause()
        assert None in app.moves


@pytest.mark.anyio
async def test_rows_changed_shows_replaced_rows_and_refilters_them() -> None:
    rows = make_rows(50)
    app = GridApp(rows)
    async with app.run_test(size=(100, 20)) as pilot:
        await pilot.pause()
        grid = app.query_one(ContactsGrid)
        grid.cursor_index = 3
        assert "Not defined" in grid.render_line(4).text
        rows[3] = dict(rows[3], type="customer", action="created", name="Renamed Person")
        grid.rows_changed([rows[3]["party_id"]])
        await pilot.pause()
        line = grid.render_line(4).text
        assert "Customer" in line and "Created" in line and "Renamed Person" in line
        assert grid.set_filter("renamed") == 1  # the filter sees the replacement too
        rows[3] = dict(rows[3], name="Other")
        grid.rows_changed()
        assert grid.set_filter("renamed") == 0
        grid.set_filter()

        # "Save and move on": the filtered set stays put while rows are typed.
        grid.set_filter("", "not_defined")
        first = grid.current_row
        rows[rows.index(first)] = dict(first, type="supplier")
        grid.rows_changed([first["party_id"]])
        grid.cursor_down()
        assert grid.cursor_index == 1
        assert "Supplier" in grid.render_line(1).text


@pytest.mark.anyio
async def test_set_rows_keeps_the_cursor_on_the_same_party_and_shows_empty_hint() -> None:
    app = GridApp([])
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        grid = app.query_one(ContactsGrid)
        assert grid.current_row is None and grid.visible_count == 0
        assert EMPTY_HINT in "".join(screen_text(grid))
        await pilot.press("down", "end", "pagedown", "home")  # no rows: nothing breaks

        rows = make_rows(200)
        grid.set_rows(rows)
        grid.move_cursor_to(120)
        assert grid.cursor_index == 119
        grid.set_rows(list(reversed(rows)))
        assert grid.current_row["party_id"] == 120 and grid.cursor_index == 80
        grid.set_rows([r for r in rows if r["party_id"] != 120][:100])
        assert grid.cursor_index == 80  # the party left: the cursor stays in place
        await pilot.pause()
        assert app.moves[-1] == grid.current_row["party_id"]


@pytest.mark.anyio
async def test_bindings_have_ids_and_mouse_and_resizing_are_safe() -> None:
    ids = {binding.id for binding in ContactsGrid.BINDINGS}
    assert {"grid.cursor_up", "grid.cursor_down", "grid.page_up", "grid.page_down",
            "grid.first", "grid.last"} <= ids
    app = GridApp(make_rows(100))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        grid = app.query_one(ContactsGrid)
        await pilot.click(ContactsGrid, offset=(5, 3))
        assert grid.cursor_index == 2
        await pilot.click(ContactsGrid, offset=(5, 0))  # the header: no change
        assert grid.cursor_index == 2
        await pilot.hover(ContactsGrid, offset=(10, 10))
        for width, height in ((120, 30), (50, 12)):
            await pilot.resize_terminal(width, height)
            await pilot.pause()
            for y in range(grid.scrollable_content_region.height):
                assert grid.render_line(y).cell_length <= width


@pytest.mark.anyio
async def test_cursor_stays_visible_without_colour(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = GridApp(make_rows(10))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.no_color
        grid = app.query_one(ContactsGrid)
        no_color = NoColor()

        def styles(y: int) -> list[Style]:
            segments = no_color.apply(list(grid.render_line(y)), Color(0, 0, 0))
            return [segment.style for segment in segments]

        assert all(style.reverse for style in styles(1))  # the cursor row
        assert not any(style.reverse for style in styles(2))
        assert all(style.bold for style in styles(0))  # the header
        assert all(style.color is None or style.color.is_default for style in styles(1))


def snapshot_rows() -> list[dict]:
    rows = make_rows(24)
    rows[1] = dict(rows[1], name="Renée Dubois")
    rows[2] = dict(rows[2], name="Smith [bold]", tags=["[red]VIP[/red]"])
    rows[5] = dict(rows[5], name="株式会社テスト 🎉", tags=["Supplier"])
    rows[6] = dict(rows[6], name="שלום עולם", reason="conflicting tags: Customer, Supplier")
    rows[7] = dict(rows[7], name="x [/y]" + " very long name" * 3)
    return rows + [row(1000 + i, f"Extra {i}") for i in range(6)]


def test_contacts_grid_snapshot(snap_compare, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)

    async def run_before(pilot) -> None:
        await pilot.press("down", "down")
        await pilot.pause()

    assert snap_compare(GridApp(snapshot_rows()), terminal_size=(80, 24), run_before=run_before)
