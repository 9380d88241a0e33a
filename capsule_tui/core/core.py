"""The application core: every use case the TUI and the CLI offer, over domain, client and store."""

from __future__ import annotations

import contextlib
import gc
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..capsule.client import CapsuleClient, PageFetched, RateLimitWait, Retrying
from ..capsule.errors import DownloadCancelled
from ..domain.models import (
    CAPSULE_ADDRESS_TYPES,
    DEFAULT_API_URL,
    INVENTORY_ADDRESS_TYPES,
    Action,
    AppDefaults,
    ContactType,
    RunSummary,
    SaveSummary,
    Site,
    SiteSettings,
    TagMapping,
    TaxRule,
)
from ..domain.names import normalise_name
from ..domain.records import (RecordKind, capsule_fields, merge_fields, new_record,
                              updated_record)
from ..domain.staging import Stager, follow_organisation, follows_organisation
from ..store.store import Store
from .errors import AppError, SiteNotFound
from .gc_pause import gc_paused

SITES, TAGS, STAGED, CUSTOMERS, SUPPLIERS, LINKS, TAX_RULES, DEFAULTS, RUNS = (
    "sites", "tags", "staged_contacts", "customers", "suppliers", "links", "tax_rules",
    "defaults", "runs")
RECORD_TABLE = {"customer": CUSTOMERS, "supplier": SUPPLIERS}
RECORD_KINDS = ("customer", "supplier")


@dataclass(frozen=True)
class DownloadProgress:
    """Where a download is; sent to the caller's `progress` callback."""

    phase: str  # "fetching", "waiting", "retrying", "saving", "done"
    pages: int = 0
    parties: int = 0
    wait_seconds: float = 0.0
    message: str = ""
    done: int = 0
    total: int = 0


@dataclass(frozen=True)
class SaveProgress:
    done: int
    total: int


@dataclass
class SiteSummary:
    name: str
    display_name: str
    api_url: str
    last_download_at: datetime | None
    staged: int = 0
    customers: int = 0
    suppliers: int = 0
    not_defined: int = 0
    ignored: int = 0


class _SiteRows:
    """The staged rows of one site in display order, with an index by party id and counts
    kept up to date as rows change (so no key press walks 100,000 rows)."""

    def __init__(self, site: str, rows: list[dict]) -> None:
        self.site = site
        self.rows = rows
        self.position = {r["party_id"]: i for i, r in enumerate(rows)}
        self.counts = {t.value: 0 for t in ContactType}
        self.waiting = 0  # top-level Not defined rows: what a bulk save would save
        for row in rows:
            self._count(row, 1)

    def _count(self, row: dict, step: int) -> None:
        self.counts[row["type"]] += step
        if row["type"] == "not_defined" and not follows_organisation(row):
            self.waiting += step

    def replace(self, row: dict) -> None:
        index = self.position[row["party_id"]]
        self._count(self.rows[index], -1)
        self._count(row, 1)
        self.rows[index] = row


def utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _staged_key(site: str, party_id: int) -> str:
    return f"{site}:{party_id}"


def _capsule_address_type(text: str) -> str | None:
    """The Capsule address type a user typed ("home", "none", "(none)" …), or None."""
    text = text.strip()
    if text.casefold() in ("", "none", "(none)"):
        return ""
    return next((t for t in CAPSULE_ADDRESS_TYPES if t and t.casefold() == text.casefold()), None)


def _unlinked(row: dict) -> dict:
    """A copy of a staged row without its saved-record id."""
    return {key: value for key, value in row.items() if key != "record_id"}


class Core:
    """Use cases over one database. Thread-safe: the TUI calls it from worker threads."""

    def __init__(self, store: Store, *,
                 client_factory: Callable[[str, str], CapsuleClient] | None = None,
                 clock: Callable[[], datetime] = utc_now,
                 id_factory: Callable[[], str] = lambda: str(uuid.uuid4())) -> None:
        self.store = store
        self._client_factory = client_factory or (lambda url, token: CapsuleClient(url, token))
        self._clock = clock
        self._new_id = id_factory
        self._lock = threading.RLock()
        self._site_rows: dict[str, _SiteRows] = {}
        self._name_index: dict[str, dict[str, str]] = {}
        self._record_links: dict[str, set[str]] | None = None

    @classmethod
    def open(cls, db_path: Path, **kwargs: Any) -> Core:
        return cls(Store.open(db_path), **kwargs)

    def close(self) -> None:
        self.store.close()

    # ----------------------------------------------------------------- sites

    def _site(self, name: str) -> Site:
        doc = self.store.get(SITES, name)
        if doc is None:
            raise SiteNotFound(name)
        return Site.model_validate(doc)

    def site(self, name: str) -> Site:
        return self._site(name)

    def _put_site(self, site: Site) -> None:
        self.store.put(SITES, site.name, site.model_dump(mode="json"))

    def list_sites(self) -> list[SiteSummary]:
        with self._lock:
            out = []
            for doc in sorted(self.store.docs(SITES).values(), key=lambda d: d["name"]):
                site = Site.model_validate(doc)
                counts = self.counts(site.name)
                out.append(SiteSummary(
                    name=site.name, display_name=site.display_name, api_url=site.api_url,
                    last_download_at=site.last_download_at, staged=sum(counts.values()),
                    customers=counts["customer"], suppliers=counts["supplier"],
                    not_defined=counts["not_defined"], ignored=counts["ignore"]))
            return out

    def connect_site(self, name: str, token: str, api_url: str = DEFAULT_API_URL,
                     cancel: Any = None) -> Site:
        """Check the token with GET /site and store the site (DESIGN §2.1).

        Connecting a site that is already connected replaces its token and API URL (after
        the same check) and keeps everything else: a site is never connected twice, and a
        refused or rotated token can be replaced without losing settings or links."""
        name = name.strip()
        api_url = (api_url or DEFAULT_API_URL).strip()
        if not name:
            raise AppError("The site name is empty.",
                           "Type the Capsule subdomain: for https://acme.capsulecrm.com, type acme.")
        if not token.strip():
            raise AppError("The access token is empty.",
                           "Paste a personal access token from Capsule (My Preferences → API "
                           "Authentication Tokens).")
        client = self._client_factory(api_url, token.strip())
        client.max_retries = min(client.max_retries, 1)  # a check should answer quickly
        try:
            info = client.get_site(cancel=cancel)
        finally:
            client.close()
        if cancel is not None and cancel.is_set():
            raise DownloadCancelled()
        subdomain = str(info.get("subdomain") or "").strip()
        if subdomain.casefold() != name.casefold():
            raise AppError(
                f"This token belongs to the site '{subdomain or '?'}', not '{name}'.",
                f"Connect with the site name '{subdomain}', or use a token from '{name}'.")
        with self._lock:
            known = next((s for s in self.store.docs(SITES) if s.casefold() == name.casefold()),
                         None)
            if known is not None:
                site = self._site(known)
                site.token, site.api_url = token.strip(), api_url
                site.display_name = str(info.get("name") or site.display_name)
            else:
                sale, purchase = self.tax_rules("sale"), self.tax_rules("purchase")
                site = Site(name=subdomain, display_name=str(info.get("name") or subdomain),
                            api_url=api_url, token=token.strip(), connected_at=self._clock(),
                            settings=SiteSettings(
                                customer_tax_rule=sale[0].Name if sale else "",
                                supplier_tax_rule=purchase[0].Name if purchase else ""))
            self._put_site(site)
            self.store.flush()
        return site

    def is_connected(self, name: str) -> bool:
        return any(s.casefold() == name.strip().casefold() for s in self.store.docs(SITES))

    def disconnect_site(self, name: str) -> int:
        """Remove the site, its tags, staged rows, runs and links; records stay (S6)."""
        with self._lock:
            self._site(name)
            prefix = f"{name}:"
            removed_links = [k for k in self.store.docs(LINKS) if k.startswith(prefix)]
            for table in (TAGS, STAGED, RUNS):
                self.store.delete_many(table, [k for k in self.store.docs(table)
                                               if k.startswith(prefix)])
            self.store.delete_many(LINKS, removed_links)
            self.store.delete(SITES, name)
            self._site_rows.pop(name, None)
            self._record_links = None
            self.store.flush()
            return len(removed_links)

    # ----------------------------------------------------------------- setup

    def defaults(self) -> AppDefaults:
        return AppDefaults.model_validate(self.store.get(DEFAULTS, "app") or {})

    def tax_rules(self, use: str | None = None) -> list[TaxRule]:
        """Active tax rules usable for "sale", "purchase", or all rules when `use` is None."""
        rules = [TaxRule.model_validate(d) for d in self.store.docs(TAX_RULES).values()]
        if use == "sale":
            return [r for r in rules if r.IsActive and r.IsTaxForSale]
        if use == "purchase":
            return [r for r in rules if r.IsActive and r.IsTaxForPurchase]
        return rules

    def settings(self, name: str) -> SiteSettings:
        return self._site(name).settings

    def update_settings(self, name: str, **changes: Any) -> SiteSettings:
        """Change settings; tax rules must be active and usable for their side."""
        with self._lock:
            site = self._site(name)
            data = site.settings.model_dump()
            unknown = set(changes) - set(data)
            if unknown:
                raise AppError(f"Unknown setting: {', '.join(sorted(unknown))}.",
                               f"Settings are: {', '.join(sorted(data))}.")
            for key, use, side in (("customer_tax_rule", "sale", "sales"),
                                   ("supplier_tax_rule", "purchase", "purchases")):
                if key in changes:
                    valid = [r.Name for r in self.tax_rules(use)]
                    if changes[key] not in valid:
                        raise AppError(
                            f"'{changes[key]}' is not an active tax rule for {side}.",
                            f"Choose one of: {', '.join(valid) or '(none defined)'}.")
            if "address_mapping" in changes:
                mapping = dict(data["address_mapping"])
                for capsule_type, inventory_type in dict(changes["address_mapping"]).items():
                    key = _capsule_address_type(capsule_type)
                    if key is None:
                        raise AppError(f"'{capsule_type}' is not a Capsule address type.",
                                       "Use Office, Postal, Home, Billing, Shipping, or none "
                                       "for addresses without a type.")
                    value = next((t for t in INVENTORY_ADDRESS_TYPES
                                  if t.casefold() == str(inventory_type).strip().casefold()), None)
                    if value is None:
                        raise AppError(f"'{inventory_type}' is not an inventory address type.",
                                       "Use Business, Billing or Shipping.")
                    mapping[key] = value
                changes["address_mapping"] = mapping
            data.update(changes)
            site.settings = SiteSettings.model_validate(data)
            self._put_site(site)
            self.store.flush()
            return site.settings

    def tags(self, name: str) -> list[TagMapping]:
        self._site(name)
        prefix = f"{name}:"
        docs = [d for k, d in self.store.docs(TAGS).items() if k.startswith(prefix)]
        return sorted((TagMapping.model_validate(d) for d in docs), key=lambda t: t.name.casefold())

    def _tag_types(self, name: str) -> dict[str, ContactType]:
        return {t.name.casefold(): t.type for t in self.tags(name) if t.type is not None}

    def load_tags(self, name: str, cancel: Any = None) -> list[TagMapping]:
        """Fetch the tag list from Capsule; new tags start unmapped, mappings are kept."""
        site = self._site(name)
        client = self._client_factory(site.api_url, site.token)
        try:
            fetched = client.list_tags(cancel=cancel)
        finally:
            client.close()
        with self._lock:
            for tag in fetched:
                tag_name = str(tag.get("name") or "").strip()
                if not tag_name:
                    continue
                key = f"{name}:{tag_name.casefold()}"
                old = self.store.get(TAGS, key) or {}
                self.store.put(TAGS, key, {"site": name, "name": tag_name,
                                           "tag_id": tag.get("id"), "type": old.get("type")})
            self.store.flush()
        return self.tags(name)

    def map_tag(self, name: str, tag: str, kind: ContactType | str | None) -> TagMapping:
        """Map a tag to Customer, Supplier or Ignore, or unmap it (None)."""
        kind = ContactType(kind) if kind not in (None, "", "none") else None
        if kind is ContactType.NOT_DEFINED:
            kind = None
        with self._lock:
            self._site(name)
            key = f"{name}:{tag.strip().casefold()}"
            old = self.store.get(TAGS, key)
            if old is None:
                raise AppError(f"The tag '{tag}' is not known for {name}.",
                               "Load the tags from Capsule first (key l, or `tags SITE --load`).")
            doc = {**old, "type": kind.value if kind else None}
            self.store.put(TAGS, key, doc)
            self.store.flush()
            return TagMapping.model_validate(doc)

    # ----------------------------------------------------------------- staged rows

    def _rows_of(self, name: str) -> _SiteRows:
        cached = self._site_rows.get(name)
        if cached is None:
            prefix = f"{name}:"
            # The table keeps insertion order, which is the display order of each site's rows.
            rows = [d for k, d in self.store.docs(STAGED).items() if k.startswith(prefix)]
            cached = _SiteRows(name, rows)
            self._site_rows[name] = cached
        return cached

    def rows(self, name: str) -> list[dict]:
        """The staged rows in display order: each organisation followed by its people.

        The list is live: the core replaces its items when rows change. Do not mutate it.
        """
        with self._lock:
            self._site(name)
            return self._rows_of(name).rows

    def row(self, name: str, party_id: int) -> dict:
        with self._lock:
            site_rows = self._rows_of(name)
            index = site_rows.position.get(party_id)
            if index is None:
                raise AppError(f"No staged contact has the id {party_id} in {name}.",
                               "Download contacts first, or list them with `contacts SITE`.")
            return site_rows.rows[index]

    def counts(self, name: str) -> dict[str, int]:
        """Staged rows by type."""
        with self._lock:
            return dict(self._rows_of(name).counts)

    def count_waiting(self, name: str) -> int:
        """How many rows a bulk save would save: top-level rows that are Not defined."""
        with self._lock:
            return self._rows_of(name).waiting

    def _replace_row(self, site_rows: _SiteRows, row: dict) -> None:
        site_rows.replace(row)
        self.store.put(STAGED, _staged_key(site_rows.site, row["party_id"]), row)

    def _people_of(self, site_rows: _SiteRows, org: dict) -> list[dict]:
        out = []
        rows = site_rows.rows
        for index in range(site_rows.position[org["party_id"]] + 1, len(rows)):
            row = rows[index]
            if row["kind"] != "person" or row.get("organisation_id") != org["party_id"]:
                break
            out.append(row)
        return out

    # ----------------------------------------------------------------- saving (S1–S6)

    @contextlib.contextmanager
    def _changing(self, name: str) -> Iterator[None]:
        """Change the store all at once or not at all: on any failure (Ctrl-C included) the
        store undoes the whole block and the caches built on it are dropped."""
        try:
            with self.store.batch():
                yield
        except BaseException:
            self._site_rows.pop(name, None)
            self._name_index.clear()
            self._record_links = None
            raise

    def _links_to(self, record_id: str) -> set[str]:
        """The link keys ("site:party_id") of every Capsule party saved into a record."""
        if self._record_links is None:
            index: dict[str, set[str]] = {}
            for key, link in self.store.docs(LINKS).items():
                index.setdefault(link["record_id"], set()).add(key)
            self._record_links = index
        return self._record_links.get(record_id, set())

    def _put_link(self, key: str, link: dict) -> None:
        old = self.store.get(LINKS, key)
        if self._record_links is not None:
            if old is not None:
                self._record_links.get(old["record_id"], set()).discard(key)
            self._record_links.setdefault(link["record_id"], set()).add(key)
        self.store.put(LINKS, key, link)

    def _drop_link(self, key: str) -> None:
        old = self.store.get(LINKS, key)
        if old is None:
            return
        if self._record_links is not None:
            self._record_links.get(old["record_id"], set()).discard(key)
        self.store.delete(LINKS, key)

    def _names(self, kind: RecordKind) -> dict[str, str]:
        index = self._name_index.get(kind)
        if index is None:
            index = {}
            for record_id, record in self.store.docs(RECORD_TABLE[kind]).items():
                index.setdefault(normalise_name(str(record.get("Name") or "")), record_id)
            self._name_index[kind] = index
        return index

    def _save(self, site: Site, defaults: dict, org: dict, people: list[dict],
              kind: RecordKind, now: str) -> tuple[dict, list[dict]]:
        """S1–S4: create or update the record for one top-level row; return the new rows."""
        table = RECORD_TABLE[kind]
        fields = capsule_fields(org, people, kind, site.settings.address_mapping,
                                defaults["Country"])
        link_key = _staged_key(site.name, org["party_id"])
        link = self.store.get(LINKS, link_key)
        names = self._names(kind)
        record = None
        if link and link.get("kind") == kind:
            record = self.store.get(table, link["record_id"])
        if record is None:
            record_id = names.get(normalise_name(fields["Name"]))
            record = self.store.get(table, record_id) if record_id else None
        if record is None:
            tax_rule = (site.settings.customer_tax_rule if kind == "customer"
                        else site.settings.supplier_tax_rule)
            record = new_record(kind, self._new_id(), fields, defaults, tax_rule, now)
            action = Action.CREATED.value
        else:
            if self._links_to(record["ID"]) - {link_key}:
                # S1: several Capsule parties feed this record: keep what the others brought
                fields = merge_fields(fields, record)
            old_name = normalise_name(record["Name"])
            record = updated_record(record, fields, now)
            if names.get(old_name) == record["ID"]:
                del names[old_name]
            action = Action.UPDATED.value
        names.setdefault(normalise_name(record["Name"]), record["ID"])
        self.store.put(table, record["ID"], record)
        self._put_link(link_key, {"site": site.name, "party_id": org["party_id"],
                                  "kind": kind, "record_id": record["ID"]})
        saved = {**org, "type": kind, "action": action, "record_id": record["ID"]}
        return saved, [{**p, "type": kind, "action": Action.CONTACT.value,
                        "record_id": record["ID"]} for p in people]

    def _apply_type(self, site: Site, site_rows: _SiteRows, row: dict, kind: ContactType,
                    defaults: dict, now: str, reason: str, chosen: bool = False) -> list[dict]:
        """Set a top-level row's type, save or unlink it (S5), and make its people follow (R2).

        `chosen` marks the operator's own decision, which later downloads keep."""
        people = self._people_of(site_rows, row) if row["kind"] == "organisation" else []
        if chosen:
            row = {**row, "chosen": True}
        if kind in (ContactType.CUSTOMER, ContactType.SUPPLIER):
            saved, saved_people = self._save(site, defaults, {**row, "reason": reason},
                                             people, kind.value, now)
        else:
            self._drop_link(_staged_key(site.name, row["party_id"]))  # S5: the record is kept
            saved = {**_unlinked(row), "type": kind.value, "reason": reason,
                     "action": Action.SKIPPED.value if kind is ContactType.IGNORE
                     else Action.PENDING.value}
            saved_people = []
            for person in people:
                person = _unlinked(person)
                follow_organisation(person, saved)
                saved_people.append(person)
        changed = [saved, *saved_people]
        for new in changed:
            self._replace_row(site_rows, new)
        return changed

    def set_type(self, name: str, party_id: int, kind: ContactType | str) -> list[dict]:
        """The operator sets one row's type; it is saved at once. Returns the changed rows."""
        kind = ContactType(kind)
        if kind is ContactType.NOT_DEFINED:
            raise AppError("A row cannot be set back to Not defined.",
                           "Choose Customer, Supplier or Ignore.")
        with self._lock:
            site = self._site(name)
            site_rows = self._rows_of(name)
            row = self.row(name, party_id)
            if follows_organisation(row):
                raise AppError(
                    f"{row['name']} is a contact of {row.get('organisation_name') or 'an organisation'}"
                    " and follows its type.",
                    "Set the type on the organisation's row instead.")
            with self._changing(name):
                return self._apply_type(site, site_rows, row, kind,
                                        self.store.get(DEFAULTS, "app") or {},
                                        self._clock().isoformat(), "set by operator", True)

    def save_not_defined(self, name: str, kind: ContactType | str,
                         progress: Callable[[SaveProgress], None] | None = None,
                         cancel: Any = None) -> SaveSummary:
        """Save every Not defined row as Customers or as Suppliers."""
        kind = ContactType(kind)
        if kind not in (ContactType.CUSTOMER, ContactType.SUPPLIER):
            raise AppError("Bulk save makes Customers or Suppliers only.",
                           "Choose customer or supplier.")
        with self._lock:
            site = self._site(name)
            site_rows = self._rows_of(name)
            todo = [r for r in site_rows.rows
                    if r["type"] == ContactType.NOT_DEFINED.value and not follows_organisation(r)]
            with self._changing(name), gc_paused():
                summary = self._save_rows(site, site_rows, todo, kind, "saved in bulk",
                                          progress, cancel)
        self.store.flush()
        return summary

    def _save_rows(self, site: Site, site_rows: _SiteRows, todo: list[dict], kind: ContactType,
                   reason: str, progress: Callable[[SaveProgress], None] | None,
                   cancel: Any) -> SaveSummary:
        defaults = self.store.get(DEFAULTS, "app") or {}
        now = self._clock().isoformat()
        summary = SaveSummary()
        step = max(1, len(todo) // 100)
        for done, row in enumerate(todo, 1):
            if cancel is not None and cancel.is_set():
                break
            saved = self._apply_type(site, site_rows, row, kind, defaults, now, reason, True)[0]
            summary.saved += 1
            if saved["action"] == Action.CREATED.value:
                summary.created += 1
            else:
                summary.updated += 1
            if progress and (done % step == 0 or done == len(todo)):
                progress(SaveProgress(done, len(todo)))
        return summary

    # ----------------------------------------------------------------- download

    def download(self, name: str, progress: Callable[[DownloadProgress], None] | None = None,
                 cancel: Any = None) -> RunSummary:
        """Fetch every party, stage them, replace the site's staging, save typed rows.

        The staging is replaced only when the download completes; on any failure or cancel
        the previous staged rows stay exactly as they were.
        """
        with gc_paused():
            return self._download(name, progress, cancel)

    def _download(self, name: str, progress: Callable[[DownloadProgress], None] | None,
                  cancel: Any) -> RunSummary:
        site = self._site(name)
        summary = RunSummary(site=name, started_at=self._clock())
        stager = Stager(site.settings, self._tag_types(name))
        report = progress or (lambda _p: None)
        state = {"pages": 0}

        def on_event(event: object) -> None:
            if isinstance(event, PageFetched):
                state["pages"] = event.page
                report(DownloadProgress("fetching", event.page, event.parties_so_far))
            elif isinstance(event, RateLimitWait):
                report(DownloadProgress("waiting", state["pages"], stager.fetched,
                                        wait_seconds=event.seconds,
                                        message=f"Capsule's rate limit: waiting "
                                                f"{event.seconds:.0f} s"))
            elif isinstance(event, Retrying):
                report(DownloadProgress("retrying", state["pages"], stager.fetched,
                                        wait_seconds=event.delay,
                                        message=f"{event.reason}; retry {event.attempt} in "
                                                f"{event.delay:.0f} s"))

        client = self._client_factory(site.api_url, site.token)
        try:
            for page in client.iter_party_pages(on_event=on_event, cancel=cancel):
                stager.add_many(page)
                gc.collect(1)  # the automatic collector is paused: free this page's cycles
        finally:
            client.close()
        result = stager.finish()
        summary.pages = state["pages"]
        report(DownloadProgress("saving", summary.pages, result.fetched, total=len(result.rows)))
        with self._lock, self._changing(name):  # all or nothing, and one write, not one per row
            site = self._site(name)  # settings may have changed meanwhile
            self._replace_staging(site, result.rows)
            site_rows = self._rows_of(name)
            typed = [r for r in site_rows.rows if r["type"] in ("customer", "supplier")
                     and not follows_organisation(r)]
            created = updated = 0
            defaults = self.store.get(DEFAULTS, "app") or {}
            now = self._clock().isoformat()
            for row in typed:
                saved = self._apply_type(site, site_rows, row, ContactType(row["type"]),
                                         defaults, now, row.get("reason", ""))[0]
                if saved["action"] == Action.CREATED.value:
                    created += 1
                else:
                    updated += 1
            counts = self.counts(name)
            summary.fetched = result.fetched
            summary.staged = len(site_rows.rows)
            summary.skipped = dict(result.skipped)
            summary.created, summary.updated = created, updated
            summary.not_defined = counts["not_defined"]
            summary.ignored = counts["ignore"]
            summary.customers, summary.suppliers = counts["customer"], counts["supplier"]
            summary.finished_at = self._clock()
            site.last_download_at = summary.finished_at
            self._put_site(site)
            self.store.put(RUNS, f"{name}:{summary.started_at.isoformat()}",
                           summary.model_dump(mode="json"))
        self.store.flush()
        report(DownloadProgress("done", summary.pages, summary.fetched))
        return summary

    def _replace_staging(self, site: Site, rows: list[dict]) -> None:
        """Swap the site's staged rows for new ones, keeping the operator's earlier choices."""
        old = self._rows_of(site.name)
        chosen = {r["party_id"]: (r["type"], r["reason"]) for r in old.rows if r.get("chosen")}
        by_org: dict[int, dict] = {}
        for row in rows:
            row.setdefault("action", Action.PENDING.value)
            if row["party_id"] in chosen and not follows_organisation(row):
                row["type"], row["reason"] = chosen[row["party_id"]]
                row["chosen"] = True
                row["action"] = (Action.SKIPPED.value if row["type"] == "ignore"
                                 else Action.PENDING.value)
            if row["kind"] == "organisation":
                by_org[row["party_id"]] = row
            elif row.get("organisation_id") in by_org:
                follow_organisation(row, by_org[row["organisation_id"]])
        prefix = f"{site.name}:"
        self.store.delete_many(STAGED, [k for k in self.store.docs(STAGED) if k.startswith(prefix)])
        self.store.put_many(STAGED, ((_staged_key(site.name, r["party_id"]), r) for r in rows))
        new = _SiteRows(site.name, rows)
        self._site_rows[site.name] = new

    # ----------------------------------------------------------------- records

    def records(self, kind: RecordKind) -> list[dict]:
        """Every Customer or Supplier, sorted by name."""
        return sorted(self.store.docs(RECORD_TABLE[kind]).values(),
                      key=lambda r: normalise_name(str(r.get("Name") or "")))

    def record(self, kind: RecordKind, record_id: str) -> dict | None:
        return self.store.get(RECORD_TABLE[kind], record_id)

