"""Tolerant reading of Capsule party JSON into plain row dicts (rules R5, R6)."""

from __future__ import annotations

from sys import intern
from typing import Any

from .names import person_name

KNOWN_KINDS = ("organisation", "person")
ALWAYS = frozenset({"party_id", "kind", "name"})
"""Keys every staged row has; the others are present only when not empty."""


class UnusableParty(Exception):
    """A party that cannot be staged; `reason` says why (R5, R6)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _text(value: Any) -> str:
    if type(value) is str:
        return value
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return ""


def _items(value: Any) -> list[dict]:
    """A list of dicts, dropping anything malformed."""
    if type(value) is not list or not value:
        return []
    return [item for item in value if type(item) is dict]


def _party_id(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def read_tags(raw: dict) -> list[str]:
    names = []
    for tag in _items(raw.get("tags")):
        name = _text(tag.get("name")).strip()
        if name and name not in names:
            names.append(intern(name))
    return names


def read_addresses(raw: dict) -> list[list[str]]:
    """Addresses as compact lists: [type, street, city, state, zip, country]."""
    out = []
    for item in _items(raw.get("addresses")):
        address = [intern(_text(item.get("type")).strip()), _text(item.get("street")),
                   _text(item.get("city")).strip(), _text(item.get("state")).strip(),
                   _text(item.get("zip")).strip(), intern(_text(item.get("country")).strip())]
        if any(address[1:]):
            out.append(address)
    return out


def _typed_values(raw: dict, key: str, field: str) -> list[list[str]]:
    """Phones or e-mails as compact [type, value] pairs."""
    out = []
    for item in _items(raw.get(key)):
        value = _text(item.get(field)).strip()
        if value:
            out.append([intern(_text(item.get("type")).strip()), value])
    return out


def read_websites(raw: dict) -> list[list[str]]:
    """Websites as compact [type, service, url] triples."""
    out = []
    for item in _items(raw.get("websites")):
        value = (_text(item.get("url")) or _text(item.get("address"))).strip()
        if value:
            out.append([intern(_text(item.get("type")).strip()),
                        intern(_text(item.get("service")).strip().upper()), value])
    return out


def organisation_ref(raw: dict) -> tuple[int | None, str, bool]:
    """The (id, name, restricted) of a person's organisation, or (None, "", False)."""
    org = raw.get("organisation")
    if not isinstance(org, dict):
        return None, "", False
    return _party_id(org.get("id")), _text(org.get("name")).strip(), bool(org.get("isRestricted"))


def read_party(raw: Any) -> dict:
    """Read one party into a row dict (without site, type, reason, action), or raise UnusableParty."""
    if not isinstance(raw, dict):
        raise UnusableParty("not a party object")
    party_id = _party_id(raw.get("id"))
    if party_id is None:
        raise UnusableParty("no id")
    kind = raw.get("type")
    if kind not in KNOWN_KINDS:
        raise UnusableParty(f"unknown type {kind!r}" if isinstance(kind, str) else "no type")
    if raw.get("isRestricted"):
        raise UnusableParty("restricted")
    first = last = ""
    if kind == "organisation":
        name = _text(raw.get("name")).strip()
        org_id, org_name, org_restricted = None, "", False
    else:
        first, last = _text(raw.get("firstName")), _text(raw.get("lastName"))
        name = person_name(first, last)
        org_id, org_name, org_restricted = organisation_ref(raw)
    if not name:
        raise UnusableParty("no name")
    row = {
        "party_id": party_id,
        "kind": "organisation" if kind == "organisation" else "person",
        "name": name,
        "first_name": first.strip(),
        "last_name": last.strip(),
        "job_title": _text(raw.get("jobTitle")).strip(),
        "about": _text(raw.get("about")).strip(),
        "organisation_id": org_id,
        "organisation_name": org_name,
        "tags": read_tags(raw),
        "addresses": read_addresses(raw),
        "phones": _typed_values(raw, "phoneNumbers", "number"),
        "emails": _typed_values(raw, "emailAddresses", "address"),
        "websites": read_websites(raw),
        "organisation_restricted": org_restricted,
    }
    # Rows are sparse: an empty field is left out (readers use .get), which keeps 100,000
    # rows small in memory and on disk.
    return {key: value for key, value in row.items() if value or key in ALWAYS}
