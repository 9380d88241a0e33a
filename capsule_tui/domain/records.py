"""How a staged row becomes a Customer or Supplier record (rules S2–S4)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Literal

RecordKind = Literal["customer", "supplier"]

COMMENT_LIMIT = {"customer": 2000, "supplier": 256}
WORK_PHONE_TYPES = {"", "work", "direct"}


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit]


def inventory_address(address: Sequence[str], mapping: Mapping[str, str],
                      default_country: str) -> dict:
    """S3: one Capsule address ([type, street, city, state, zip, country]) → one Address."""
    capsule_type, street, city, state, postcode, country = address
    lines = [line.strip() for line in street.splitlines() if line.strip()]
    kind = mapping.get(capsule_type) or mapping.get("") or "Business"
    return {
        "Line1": _cut(lines[0] if lines else "", 256),
        "Line2": _cut(", ".join(lines[1:]), 256),
        "City": _cut(city, 256),
        "State": _cut(state, 256),
        "Postcode": _cut(postcode, 20),
        "Country": _cut(country or default_country, 256),
        "Type": kind,
        "DefaultForType": False,
    }


def inventory_addresses(addresses: Iterable[Sequence[str]], mapping: Mapping[str, str],
                        default_country: str) -> list[dict]:
    out = [inventory_address(a, mapping, default_country) for a in addresses]
    seen: set[str] = set()
    for address in out:  # the first address of each type is its default
        if address["Type"] not in seen:
            address["DefaultForType"] = True
            seen.add(address["Type"])
    return out


def _first(items: Iterable[Sequence[str]], types: set[str] | None = None) -> str:
    """The value (last element) of the first [type, …, value] item whose type is in `types`."""
    for item in items:
        if types is None or item[0].casefold() in types:
            return item[-1]
    return ""


def inventory_contact(name: str, row: Mapping, *, job_title: str = "", default: bool = False) -> dict:
    """S4: the Contact made from a party's phones, emails and websites."""
    phones = row.get("phones", ())
    return {
        "Name": _cut(name, 256),
        "JobTitle": _cut(job_title, 256),
        "Phone": _cut(_first(phones, WORK_PHONE_TYPES), 50),
        "MobilePhone": _cut(_first(phones, {"mobile"}), 50),
        "Fax": _cut(_first(phones, {"fax"}), 50),
        "Email": _cut(_first(row.get("emails", ())), 256),
        "Website": _cut(_first(row.get("websites", ())), 256),
        "Comment": "",
        "Default": default,
        "IncludeInEmail": default,
    }


def _has_reachable_details(row: Mapping) -> bool:
    return bool(row.get("phones") or row.get("emails") or row.get("websites"))


def capsule_fields(row: Mapping, people: Iterable[Mapping], kind: RecordKind,
                   address_mapping: Mapping[str, str], default_country: str) -> dict:
    """S2: the fields Capsule decides — Name, Comments, Tags, Addresses, Contacts."""
    contacts: list[dict] = []
    if row["kind"] == "person":  # a standalone person is its own default Contact
        contacts.append(inventory_contact(row["name"], row, job_title=row.get("job_title", ""),
                                          default=True))
    elif _has_reachable_details(row):  # the organisation's own phone/email
        contacts.append(inventory_contact(row["name"], row, default=True))
    for person in people:
        contacts.append(inventory_contact(person["name"], person,
                                          job_title=person.get("job_title", "")))
    if contacts and not any(c["Default"] for c in contacts):
        contacts[0]["Default"] = contacts[0]["IncludeInEmail"] = True
    return {
        "Name": _cut(row["name"].strip(), 256),
        "Comments": _cut(row.get("about", ""), COMMENT_LIMIT[kind]),
        "Tags": ",".join(row.get("tags", ())),
        "Addresses": inventory_addresses(row.get("addresses", ()), address_mapping, default_country),
        "Contacts": contacts,
    }


_ADDRESS_KEYS = ("Line1", "Line2", "City", "State", "Postcode", "Country", "Type")
_CONTACT_KEYS = ("Name", "Email", "Phone", "MobilePhone")


def merge_fields(fields: Mapping, existing: Mapping) -> dict:
    """S1 when several Capsule parties match one record by name: saving one of them keeps
    what the others brought. The record's addresses, contacts and tags stay as they are and
    what this party brings is added where it is not there yet; this party decides the name
    and the comments. Such a shared record only grows: what one party drops in Capsule stays.
    """
    def merged(current: list[dict], new: list[dict], keys: tuple[str, ...],
               flags: dict) -> list[dict]:
        seen = {tuple(map(item.get, keys)) for item in current}
        extra = [{**item, **flags} for item in new if tuple(map(item.get, keys)) not in seen]
        return [*current, *extra] if extra else list(current)

    tags = [t for t in existing.get("Tags", "").split(",") if t]
    tags += [t for t in fields["Tags"].split(",") if t and t not in tags]
    return {**fields, "Tags": ",".join(tags),
            "Addresses": merged(existing.get("Addresses", []), fields["Addresses"],
                                _ADDRESS_KEYS, {"DefaultForType": False}),
            "Contacts": merged(existing.get("Contacts", []), fields["Contacts"], _CONTACT_KEYS,
                               {"Default": False, "IncludeInEmail": False})}


def new_record(kind: RecordKind, record_id: str, fields: Mapping, defaults: Mapping,
               tax_rule: str, now: str) -> dict:
    """S2: a record created from Capsule's fields plus the app's defaults and the site's tax rule."""
    record = {
        "ID": record_id,
        "Name": fields["Name"],
        "Status": defaults.get("Status", "Active"),
        "Currency": defaults["Currency"],
        "PaymentTerm": defaults["PaymentTerm"],
        "TaxRule": tax_rule,
        "Discount": 0,
    }
    if kind == "customer":
        record.update(AccountReceivable=defaults["AccountReceivable"],
                      RevenueAccount=defaults["RevenueAccount"],
                      PriceTier=defaults["PriceTier"], CreditLimit=0)
    else:
        record.update(AccountPayable=defaults["AccountPayable"])
    record.update(Comments=fields["Comments"], Tags=fields["Tags"],
                  Addresses=fields["Addresses"], Contacts=fields["Contacts"], LastModifiedOn=now)
    return record


def updated_record(existing: Mapping, fields: Mapping, now: str) -> dict:
    """S2: an update rewrites only what Capsule decides; the defaults set on create stay."""
    record = dict(existing)
    record.update(fields)
    record["LastModifiedOn"] = now
    return record
