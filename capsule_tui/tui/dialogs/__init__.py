"""Modal dialogs: confirm, connect a site, help."""
