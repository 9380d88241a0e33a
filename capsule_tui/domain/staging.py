"""How downloaded parties become staged rows with a type and a reason (rules R1–R6)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from .models import Action, ContactType, SiteSettings
from .parties import UnusableParty, read_party

# Skip reasons, as counted in the run summary.
SKIP_RESTRICTED = "restricted"
SKIP_NO_ORGANISATION = "person without organisation"
SKIP_ORGANISATION_NOT_STAGED = "organisation not staged"
SKIP_UNTAGGED = "no tags"


def type_from_tags(tags: Iterable[str], tag_types: Mapping[str, ContactType]) -> tuple[ContactType, str]:
    """R4: the type a set of tags decides, and why a row is Not defined.

    `tag_types` maps case-folded tag names to their type; unmapped tags are absent.
    """
    found: dict[ContactType, list[str]] = {}
    for tag in tags:
        kind = tag_types.get(tag.casefold())
        if kind is not None:
            found.setdefault(kind, []).append(tag)
    if not found:
        return ContactType.NOT_DEFINED, "no tags" if not tags else "no mapped tag"
    if len(found) == 1:
        return next(iter(found)), ""
    parts = [f"{', '.join(names)} → {kind.label}" for kind, names in found.items()]
    return ContactType.NOT_DEFINED, "conflicting tags: " + "; ".join(parts)


def initial_action(kind: ContactType) -> str:
    if kind is ContactType.IGNORE:
        return Action.SKIPPED.value
    return Action.PENDING.value


@dataclass
class StagingResult:
    rows: list[dict]
    skipped: Counter = field(default_factory=Counter)
    fetched: int = 0


class Stager:
    """Takes parties one by one as pages arrive, then resolves people against organisations.

    People may arrive before their organisation, so a person's fate (R2) is settled in
    `finish()`, once every organisation has been seen.
    """

    def __init__(self, settings: SiteSettings, tag_types: Mapping[str, ContactType]):
        self.settings = settings
        self.tag_types = dict(tag_types)
        self.fetched = 0
        self.skipped: Counter = Counter()
        self._top: list[dict] = []  # organisations and standalone people, in arrival order
        self._people_of: dict[int, list[dict]] = {}
        self._org_ids: set[int] = set()
        self._seen: set[int] = set()

    def add(self, raw: object) -> None:
        self.fetched += 1
        try:
            row = read_party(raw)
        except UnusableParty as exc:  # R5, R6
            self.skipped[SKIP_RESTRICTED if exc.reason == "restricted" else exc.reason] += 1
            return
        if row["party_id"] in self._seen:
            self.fetched -= 1
            return
        self._seen.add(row["party_id"])
        if row["kind"] == "organisation":  # R1
            if self.settings.only_tagged and not row.get("tags"):
                self.skipped[SKIP_UNTAGGED] += 1
                return
            row["type"], row["reason"] = type_from_tags(row.get("tags", ()), self.tag_types)
            self._org_ids.add(row["party_id"])
            self._top.append(row)
        elif row.get("organisation_id") is not None:  # R2, settled in finish()
            self._people_of.setdefault(row["organisation_id"], []).append(row)
        else:  # R3
            if self.settings.ignore_without_organisation:
                self.skipped[SKIP_NO_ORGANISATION] += 1
                return
            if self.settings.only_tagged and not row.get("tags"):
                self.skipped[SKIP_UNTAGGED] += 1
                return
            row["type"], row["reason"] = type_from_tags(row.get("tags", ()), self.tag_types)
            self._top.append(row)

    def add_many(self, parties: Iterable[object]) -> None:
        for raw in parties:
            self.add(raw)

    def finish(self) -> StagingResult:
        rows: list[dict] = []
        for top in self._top:
            top["type"] = ContactType(top["type"]).value
            top["action"] = initial_action(ContactType(top["type"]))
            rows.append(top)
            if top["kind"] != "organisation":
                continue
            for person in self._people_of.pop(top["party_id"], ()):
                follow_organisation(person, top)
                rows.append(person)
        for orphans in self._people_of.values():  # R2: organisation not staged
            self.skipped[SKIP_ORGANISATION_NOT_STAGED] += len(orphans)
        self._people_of.clear()
        return StagingResult(rows=rows, skipped=self.skipped, fetched=self.fetched)


def follows_organisation(row: dict) -> bool:
    """R2: a person of an organisation, whose type its organisation decides (not the operator)."""
    return row.get("kind") == "person" and row.get("organisation_id") is not None


def follow_organisation(person: dict, org: dict) -> None:
    """R2: a person of an organisation takes its organisation's type; its own tags decide nothing."""
    person["organisation_name"] = org["name"]
    person["type"] = org["type"]
    person["reason"] = f"follows {org['name']}"
    person["action"] = Action.CONTACT.value if org["type"] in (
        ContactType.CUSTOMER, ContactType.SUPPLIER) else initial_action(ContactType(org["type"]))


def stage(parties: Iterable[object], settings: SiteSettings,
          tag_types: Mapping[str, ContactType]) -> StagingResult:
    """Stage a whole list of parties at once (R1–R6)."""
    stager = Stager(settings, tag_types)
    stager.add_many(parties)
    return stager.finish()
