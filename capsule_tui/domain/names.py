"""Name normalisation used to match records by name (rule S1)."""

from __future__ import annotations

import unicodedata


def normalise_name(name: str) -> str:
    """Return the form two names are compared in: NFC, trimmed, inner spaces collapsed, case-folded."""
    text = " ".join(unicodedata.normalize("NFC", name).split())
    return unicodedata.normalize("NFC", text.casefold())


def person_name(first: str, last: str) -> str:
    """A person's display name: "First Last", or whichever part exists (R3)."""
    return " ".join(part for part in (first.strip(), last.strip()) if part)
