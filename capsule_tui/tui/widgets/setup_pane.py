"""SetupPane: a site's settings, default tax rules, address mapping and tag mapping."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, Label, Select, Static, Switch

from ...domain.models import CAPSULE_ADDRESS_TYPES, INVENTORY_ADDRESS_TYPES, ContactType
from ..messages import SettingsSaved, TagMapped, TagsLoaded, WorkFailed
from ..text import plain

SWITCHES = (
    ("ignore_without_organisation", "Ignore people without an organisation"),
    ("only_tagged", "Download only tagged contacts"),
)
TAG_KEYS = Binding.Group("Map tag")


def address_label(capsule_type: str) -> str:
    return capsule_type or "(no type)"


class TagTable(DataTable):
    """The tags of the site and what each maps to; one key maps the selected tag."""

    BINDINGS = [
        Binding("c", "map('customer')", "Customer", id="tags.customer", group=TAG_KEYS),
        Binding("s", "map('supplier')", "Supplier", id="tags.supplier", group=TAG_KEYS),
        Binding("i", "map('ignore')", "Ignore", id="tags.ignore", group=TAG_KEYS),
        Binding("0,backspace,delete", "map('')", "Unmap", id="tags.unmap", group=TAG_KEYS),
    ]

    def action_map(self, kind: str) -> None:
        if self.row_count == 0:
            self.notify("No tags yet: press l to load them from Capsule.", markup=False,
                        severity="warning")
            return
        tag = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        self.update_cell(tag, "type", SetupPane.type_text(ContactType(kind) if kind else None))
        pane = next(a for a in self.ancestors if isinstance(a, SetupPane))
        pane.map_tag(tag, kind or None)
        self.action_cursor_down()


class SetupPane(Horizontal):
    """Every change is saved at once through the core, in a thread worker."""

    DEFAULT_CSS = """
    SetupPane { height: 1fr; }
    SetupPane #setup-settings { width: 1fr; min-width: 40; padding: 0 1; }
    SetupPane #setup-tags { width: 36; padding: 0 1;
                            border-left: solid $primary; }
    SetupPane .heading { text-style: bold; margin-top: 1; }
    SetupPane .heading.-first { margin-top: 0; }
    SetupPane .row { height: 1; }
    SetupPane .row Label { width: 1fr; }
    SetupPane .row Label.short { width: 11; }
    SetupPane .switch-row { height: auto; }
    SetupPane Switch, SetupPane Switch:focus {
        border: none; height: 1; padding: 0; width: 6; margin-right: 1;
    }
    SetupPane Switch:focus { text-style: reverse; }
    SetupPane .switch-row Label { width: 1fr; height: auto; }
    SetupPane Select { width: 1fr; }
    SetupPane .row Select.addr { width: 16; }
    SetupPane TagTable { height: 1fr; }
    SetupPane #tags-hint { color: $text-muted; height: auto; }
    """

    BINDINGS = [
        Binding("l", "load_tags", "Load tags", id="setup.load_tags",
                tooltip="Load the tag list from Capsule"),
    ]

    def __init__(self, site: str) -> None:
        super().__init__(id="setup-pane")
        self.site = site

    def compose(self) -> ComposeResult:
        core = self.app.core
        settings = core.settings(self.site)
        with VerticalScroll(id="setup-settings"):
            yield Static("Contacts to download", classes="heading -first")
            for key, label in SWITCHES:
                with Horizontal(classes="row switch-row"):
                    yield Switch(getattr(settings, key), id=f"switch-{key}")
                    yield Label(self.switch_text(getattr(settings, key), label),
                                id=f"label-{key}")
            yield Static("Default tax rules", classes="heading")
            for key, label, use in (("customer_tax_rule", "Customers", "sale"),
                                    ("supplier_tax_rule", "Suppliers", "purchase")):
                names = [r.Name for r in core.tax_rules(use)]
                current = getattr(settings, key)
                with Horizontal(classes="row"):
                    yield Label(label, classes="short")
                    yield Select([(plain(n), n) for n in names], compact=True,
                                 value=current if current in names else Select.NULL,
                                 allow_blank=current not in names,
                                 prompt="choose a rule", id=f"select-{key}")
            yield Static("Address types (Capsule → inventory)", classes="heading")
            mapping = settings.address_mapping
            for index, capsule_type in enumerate(CAPSULE_ADDRESS_TYPES):
                with Horizontal(classes="row"):
                    yield Label(address_label(capsule_type), classes="short")
                    yield Select([(t, t) for t in INVENTORY_ADDRESS_TYPES], compact=True,
                                 value=mapping.get(capsule_type, "Business"),
                                 allow_blank=False, classes="addr", id=f"address-{index}")
        with Vertical(id="setup-tags"):
            yield Static("Tags", classes="heading -first")
            table = TagTable(cursor_type="row", id="tags-table")
            table.add_column("Tag", width=18, key="tag")
            table.add_column("Maps to", width=10, key="type")
            yield table
            yield Static(id="tags-hint")

    def on_mount(self) -> None:
        self.show_tags(self.app.core.tags(self.site))

    def show_tags(self, tags: list) -> None:
        table = self.query_one(TagTable)
        current = None
        if table.row_count:
            current = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        table.clear()
        for tag in tags:
            table.add_row(plain(tag.name), self.type_text(tag.type), key=tag.name)
        if current in table.rows:
            table.move_cursor(row=table.get_row_index(current))
        hint = ("l load tags · c s i map · 0 unmap" if tags
                else "No tags yet: press l to load them from Capsule.")
        self.query_one("#tags-hint", Static).update(Text(hint))

    @staticmethod
    def type_text(kind: ContactType | None) -> Text:
        return Text(kind.label if kind else "—", style="" if kind else "dim")

    # ------------------------------------------------------------- settings

    @staticmethod
    def switch_text(value: bool, label: str) -> Text:
        return Text.assemble(("On " if value else "Off", "bold"), " ", label)

    @on(Switch.Changed)
    def _switch_changed(self, event: Switch.Changed) -> None:
        key = (event.switch.id or "").removeprefix("switch-")
        self.query_one(f"#label-{key}", Label).update(
            self.switch_text(event.value, dict(SWITCHES)[key]))
        if getattr(self.app.core.settings(self.site), key, None) != event.value:
            self._save(**{key: event.value})

    @on(Select.Changed)
    def _select_changed(self, event: Select.Changed) -> None:
        widget_id = event.select.id or ""
        if event.value is Select.NULL:
            return
        settings = self.app.core.settings(self.site)
        if widget_id.startswith("select-"):
            key = widget_id.removeprefix("select-")
            if getattr(settings, key) != event.value:
                self._save(**{key: event.value})
        elif widget_id.startswith("address-"):
            capsule_type = CAPSULE_ADDRESS_TYPES[int(widget_id.removeprefix("address-"))]
            if settings.address_mapping.get(capsule_type) != event.value:
                self._save(address_mapping={capsule_type: event.value})

    @work(thread=True, exit_on_error=False, group="setup")
    def _save(self, **changes: object) -> None:
        try:
            self.app.core.update_settings(self.site, **changes)
        except Exception as exc:
            self.post_message(SettingsSaved(exc))
        else:
            self.post_message(SettingsSaved())

    @on(SettingsSaved)
    def _settings_saved(self, event: SettingsSaved) -> None:
        if event.error is not None:
            self.app.report_error(event.error)
            self.refresh_values()

    def refresh_values(self) -> None:
        """Put the stored settings back into the widgets (after a refused change)."""
        settings = self.app.core.settings(self.site)
        with self.prevent(Switch.Changed, Select.Changed):
            for key, label in SWITCHES:
                self.query_one(f"#switch-{key}", Switch).value = getattr(settings, key)
                self.query_one(f"#label-{key}", Label).update(
                    self.switch_text(getattr(settings, key), label))
            for key in ("customer_tax_rule", "supplier_tax_rule"):
                select = self.query_one(f"#select-{key}", Select)
                value = getattr(settings, key)
                if value in [v for _, v in select._options]:
                    select.value = value
            for index, capsule_type in enumerate(CAPSULE_ADDRESS_TYPES):
                self.query_one(f"#address-{index}", Select).value = (
                    settings.address_mapping.get(capsule_type, "Business"))

    # ------------------------------------------------------------- tags

    def action_load_tags(self) -> None:
        self.query_one("#tags-hint", Static).update(Text("Loading tags from Capsule…"))
        self._load_tags()

    @work(thread=True, exclusive=True, exit_on_error=False, group="tags")
    def _load_tags(self) -> None:
        try:
            tags = self.app.core.load_tags(self.site)
        except Exception as exc:
            self.post_message(WorkFailed(exc, "loading tags"))
        else:
            self.post_message(TagsLoaded(tags))

    @on(TagsLoaded)
    def _tags_loaded(self, event: TagsLoaded) -> None:
        self.show_tags(event.tags)
        self.notify(f"{len(event.tags)} tags loaded from Capsule.", title="Tags loaded",
                    markup=False)
        self.query_one(TagTable).focus()

    @on(WorkFailed)
    def _work_failed(self, event: WorkFailed) -> None:
        event.stop()
        self.show_tags(self.app.core.tags(self.site))
        self.app.report_error(event.error)

    def map_tag(self, tag: str, kind: str | None) -> None:
        self._map_tag(tag, kind)

    @work(thread=True, exit_on_error=False, group="setup")
    def _map_tag(self, tag: str, kind: str | None) -> None:
        try:
            mapping = self.app.core.map_tag(self.site, tag, kind)
        except Exception as exc:
            self.post_message(WorkFailed(exc, "mapping a tag"))
        else:
            self.post_message(TagMapped(mapping))

    @on(TagMapped)
    def _tag_mapped(self, event: TagMapped) -> None:
        # Re-read every mapping: the table then shows what is stored, whatever the order
        # in which quick key presses were saved.
        self.show_tags(self.app.core.tags(self.site))
