"""Pydantic models: sites, settings, mappings, staged rows, Customers, Suppliers, reference data."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_API_URL = "https://api.capsulecrm.com"


class ContactType(StrEnum):
    """What a staged contact becomes."""

    CUSTOMER = "customer"
    SUPPLIER = "supplier"
    IGNORE = "ignore"
    NOT_DEFINED = "not_defined"

    @property
    def label(self) -> str:
        return {
            "customer": "Customer",
            "supplier": "Supplier",
            "ignore": "Ignore",
            "not_defined": "Not defined",
        }[self.value]


TAG_TYPES = (ContactType.CUSTOMER, ContactType.SUPPLIER, ContactType.IGNORE)
"""The types a tag may map to (or to nothing)."""


class PartyKind(StrEnum):
    ORGANISATION = "organisation"
    PERSON = "person"


class Action(StrEnum):
    """What saving does or did for a staged row."""

    PENDING = "pending"  # Not defined: waits for the operator
    CREATED = "created"
    UPDATED = "updated"
    CONTACT = "contact"  # a person saved as a Contact of its organisation's record
    SKIPPED = "skipped"  # Ignore


INVENTORY_ADDRESS_TYPES = ("Business", "Billing", "Shipping")
CAPSULE_ADDRESS_TYPES = ("Office", "Postal", "Home", "Billing", "Shipping", "")
"""Capsule address types; "" stands for an address without a type."""


def default_address_mapping() -> dict[str, str]:
    return {
        "Office": "Business",
        "Postal": "Billing",
        "Home": "Shipping",
        "Billing": "Billing",
        "Shipping": "Shipping",
        "": "Business",
    }


class SiteSettings(BaseModel):
    """Per-site settings (DESIGN §3)."""

    model_config = ConfigDict(extra="ignore")

    ignore_without_organisation: bool = True
    only_tagged: bool = False
    customer_tax_rule: str = ""
    supplier_tax_rule: str = ""
    address_mapping: dict[str, str] = Field(default_factory=default_address_mapping)


class Site(BaseModel):
    """A connected Capsule site."""

    model_config = ConfigDict(extra="ignore")

    name: str  # the Capsule subdomain
    display_name: str = ""
    api_url: str = DEFAULT_API_URL
    token: str = Field(default="", repr=False)
    connected_at: datetime | None = None
    last_download_at: datetime | None = None
    settings: SiteSettings = Field(default_factory=SiteSettings)


class TagMapping(BaseModel):
    """A Capsule tag and the type it maps to (None: unmapped)."""

    name: str
    tag_id: int | None = None
    type: ContactType | None = None


class StagedContact(BaseModel):
    """One row of the staging grid. The hot path keeps these as plain, sparse dicts of this
    shape: only party_id, kind, name, type, reason and action are always there."""

    model_config = ConfigDict(extra="forbid")

    party_id: int
    kind: PartyKind
    name: str
    first_name: str = ""
    last_name: str = ""
    job_title: str = ""
    about: str = ""
    organisation_id: int | None = None
    organisation_name: str = ""
    tags: list[str] = Field(default_factory=list)
    type: ContactType = ContactType.NOT_DEFINED
    reason: str = ""
    action: Action = Action.PENDING
    organisation_restricted: bool = False
    record_id: str | None = None
    addresses: list[list[str]] = Field(default_factory=list)  # [type, street, city, state, zip, country]
    phones: list[list[str]] = Field(default_factory=list)  # [type, number]
    emails: list[list[str]] = Field(default_factory=list)  # [type, address]
    websites: list[list[str]] = Field(default_factory=list)  # [type, service, url]


class InventoryAddress(BaseModel):
    Line1: str = Field(max_length=256)
    Line2: str = Field(default="", max_length=256)
    City: str = Field(default="", max_length=256)
    State: str = Field(default="", max_length=256)
    Postcode: str = Field(default="", max_length=20)
    Country: str
    Type: Literal["Billing", "Business", "Shipping"]
    DefaultForType: bool = False


class InventoryContact(BaseModel):
    Name: str = Field(max_length=256)
    JobTitle: str = ""
    Phone: str = Field(default="", max_length=50)
    MobilePhone: str = Field(default="", max_length=50)
    Fax: str = Field(default="", max_length=50)
    Email: str = Field(default="", max_length=256)
    Website: str = Field(default="", max_length=256)
    Comment: str = Field(default="", max_length=256)
    Default: bool = False
    IncludeInEmail: bool = False


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ID: str
    Name: str = Field(min_length=1, max_length=256)
    Status: Literal["Active", "Deprecated"] = "Active"
    Currency: str = Field(min_length=3, max_length=3)
    PaymentTerm: str
    TaxRule: str
    Discount: float = 0
    Comments: str = ""
    Tags: str = ""
    Addresses: list[InventoryAddress] = Field(default_factory=list)
    Contacts: list[InventoryContact] = Field(default_factory=list)
    LastModifiedOn: datetime | None = None


class Customer(_Record):
    AccountReceivable: str
    RevenueAccount: str
    PriceTier: str
    CreditLimit: float = 0
    Comments: str = Field(default="", max_length=2000)


class Supplier(_Record):
    AccountPayable: str
    Comments: str = Field(default="", max_length=256)


class TaxRule(BaseModel):
    Name: str = Field(max_length=50)
    IsActive: bool = True
    IsTaxForSale: bool = False
    IsTaxForPurchase: bool = False
    TaxPercent: float = 0
    TaxInclusive: bool = False


class AppDefaults(BaseModel):
    """Values for the inventory fields Capsule does not have (used on create only, S2)."""

    model_config = ConfigDict(extra="ignore")

    Status: Literal["Active", "Deprecated"] = "Active"
    Currency: str = "GBP"
    PaymentTerm: str = "30 days"
    AccountReceivable: str = "610"
    RevenueAccount: str = "200"
    AccountPayable: str = "800"
    PriceTier: str = "Tier 1"
    Country: str = "United Kingdom"


class RunSummary(BaseModel):
    """What one download did."""

    site: str
    started_at: datetime
    finished_at: datetime | None = None
    fetched: int = 0
    pages: int = 0
    staged: int = 0
    skipped: dict[str, int] = Field(default_factory=dict)
    created: int = 0
    updated: int = 0
    not_defined: int = 0
    ignored: int = 0
    customers: int = 0
    suppliers: int = 0


class SaveSummary(BaseModel):
    """What saving a set of rows did."""

    saved: int = 0
    created: int = 0
    updated: int = 0
