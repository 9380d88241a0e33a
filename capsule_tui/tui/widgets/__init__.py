"""Widgets of the TUI: the contacts grid and small building blocks."""

from capsule_tui.tui.widgets.contacts_grid import ContactsGrid

__all__ = ["ContactsGrid"]
