"""Rules S2–S4: what a Customer or Supplier record holds (domain, no IO)."""

from __future__ import annotations

from capsule_tui.domain.models import Customer, SiteSettings, Supplier, default_address_mapping
from capsule_tui.domain.parties import read_party
from capsule_tui.domain.records import capsule_fields, new_record, updated_record
from capsule_tui.domain.staging import stage

DEFAULTS = {"Status": "Active", "Currency": "GBP", "PaymentTerm": "30 days",
            "AccountReceivable": "610", "RevenueAccount": "200", "AccountPayable": "800",
            "PriceTier": "Tier 1", "Country": "United Kingdom"}
MAPPING = default_address_mapping()


def fixture_rows(page2_parties):
    result = stage(page2_parties, SiteSettings(ignore_without_organisation=False), {})
    return {r["party_id"]: r for r in result.rows}


def test_S2_created_record_takes_capsule_fields_defaults_and_tax_rule(page2_parties):
    rows = fixture_rows(page2_parties)
    fields = capsule_fields(rows[180000101], [rows[180000102]], "customer", MAPPING, "UK")
    record = new_record("customer", "id-1", fields, DEFAULTS, "20% (VAT on Income)", "2026-01-01T00:00:00+00:00")
    assert record["Name"] == "Müller & Söhne Logistik GmbH"
    assert record["Comments"] == "Freight forwarding partner for the northern region."
    assert record["Tags"] == "Customer,Partner"
    assert record["TaxRule"] == "20% (VAT on Income)"
    assert (record["Currency"], record["PaymentTerm"], record["PriceTier"]) == ("GBP", "30 days", "Tier 1")
    Customer.model_validate(record)  # exactly the inventory model's fields


def test_S2_name_is_trimmed_as_capsule_spells_it(page2_parties):
    rows = fixture_rows(page2_parties)
    fields = capsule_fields(rows[180000108], [], "supplier", MAPPING, "UK")
    assert fields["Name"] == "ACME WIDGETS LTD"
    Supplier.model_validate(new_record("supplier", "x", fields, DEFAULTS, "No VAT", "2026-01-01T00:00:00+00:00"))


def test_S2_update_never_overwrites_fields_capsule_does_not_have(page2_parties):
    rows = fixture_rows(page2_parties)
    fields = capsule_fields(rows[180000107], [], "customer", MAPPING, "UK")
    existing = new_record("customer", "id-9", fields, DEFAULTS, "No VAT", "then")
    existing.update(Currency="EUR", PaymentTerm="14 days", PriceTier="Tier 3", TaxRule="Zero",
                    Name="Old name", Comments="old")
    updated = updated_record(existing, {**fields, "Comments": "new about"}, "now")
    assert (updated["Currency"], updated["PaymentTerm"], updated["PriceTier"], updated["TaxRule"]) == (
        "EUR", "14 days", "Tier 3", "Zero")
    assert updated["Name"] == "Acme Widgets Ltd" and updated["Comments"] == "new about"
    assert updated["ID"] == "id-9" and updated["LastModifiedOn"] == "now"


def test_S2_supplier_comments_fit_256_characters():
    row = read_party({"id": 1, "type": "organisation", "name": "Long", "about": "x" * 3000})
    assert len(capsule_fields(row, [], "supplier", MAPPING, "UK")["Comments"]) == 256
    assert len(capsule_fields(row, [], "customer", MAPPING, "UK")["Comments"]) == 2000


def test_S3_addresses_lines_types_and_defaults(page2_parties):
    rows = fixture_rows(page2_parties)
    addresses = capsule_fields(rows[180000101], [], "customer", MAPPING, "UK")["Addresses"]
    office, postal = addresses
    assert (office["Line1"], office["Line2"]) == ("Beispielkai 12", "Haus B, 3. OG")
    assert (office["City"], office["State"], office["Postcode"], office["Country"]) == (
        "Hamburg", "Hamburg", "20099", "Germany")
    assert office["Type"] == "Business" and postal["Type"] == "Billing"
    assert office["DefaultForType"] and postal["DefaultForType"]
    untyped = capsule_fields(rows[180000103], [], "customer", MAPPING, "UK")["Addresses"][0]
    assert untyped["Type"] == "Business"  # (none) → Business


def test_S3_address_without_street_or_country():
    row = read_party({"id": 1, "type": "organisation", "name": "N",
                      "addresses": [{"type": "Home", "city": "Leeds", "zip": "LS1"}]})
    mapping = {**MAPPING, "Home": "Shipping"}
    address = capsule_fields(row, [], "customer", mapping, "United Kingdom")["Addresses"][0]
    assert address == {"Line1": "", "Line2": "", "City": "Leeds", "State": "", "Postcode": "LS1",
                       "Country": "United Kingdom", "Type": "Shipping", "DefaultForType": True}


def test_S4_people_become_contacts_and_the_organisation_a_default_contact(page2_parties):
    rows = fixture_rows(page2_parties)
    contacts = capsule_fields(rows[180000101], [rows[180000102]], "customer", MAPPING, "UK")["Contacts"]
    org_contact, renee = contacts
    assert org_contact["Name"] == "Müller & Söhne Logistik GmbH" and org_contact["Default"]
    assert org_contact["Phone"] == "+49 40 5550 1200" and org_contact["Fax"] == "+49 40 5550 1299"
    assert org_contact["Email"] == "kontakt.mueller@example.com"
    assert org_contact["Website"] == "https://mueller-logistik.example.com"
    assert renee == {"Name": "Renée Dubois-Lefèvre", "JobTitle": "Responsable achats",
                     "Phone": "+49 40 5550 1234", "MobilePhone": "+33 6 55 50 12 34", "Fax": "",
                     "Email": "renee.dubois@example.com", "Website": "", "Comment": "",
                     "Default": False, "IncludeInEmail": False}


def test_S4_standalone_person_is_its_own_default_contact(page2_parties):
    rows = fixture_rows(page2_parties)
    fields = capsule_fields(rows[180000103], [], "customer", MAPPING, "UK")
    assert fields["Name"] == "Tomasz Wiśniewski-Żak"
    (contact,) = fields["Contacts"]
    assert contact["Default"] and contact["Phone"] == "+48 12 555 01 23"
    assert contact["JobTitle"] == "Freelance consultant"
