"""The core's save rules S1, S5, S6 and the download's all-or-nothing staging, on a real store."""

from __future__ import annotations

import itertools

import pytest

from capsule_tui.capsule.errors import CapsuleError
from capsule_tui.core.core import Core
from capsule_tui.core.errors import AppError
from capsule_tui.domain.models import Customer, Supplier

from ..conftest import org, person
from ..fake_capsule import FakeCapsule

TAGS = [{"id": 1, "name": "Customer"}, {"id": 2, "name": "Supplier"}, {"id": 3, "name": "Lead"}]


@pytest.fixture
def capsule():
    return FakeCapsule([
        org(1, "Acme Widgets Ltd", ["Customer"], phoneNumbers=[{"type": "Work", "number": "1"}]),
        person(11, "Ann", "Lee", 1, emailAddresses=[{"type": None, "address": "ann@example.com"}]),
        org(2, "ACME   widgets ltd  ", ["Customer"]),
        org(3, "Beta plc", ["Supplier"]),
        org(4, "Gamma GmbH", ["Lead"]),
        org(5, "Delta & Co", ["Customer", "Supplier"]),
        person(12, "Bo", "Ng", 4),
    ], tags=TAGS)


@pytest.fixture
def core(tmp_path, capsule):
    ids = (f"rec-{n}" for n in itertools.count(1))
    core = Core.open(tmp_path / "db.json", client_factory=capsule.client_factory,
                     id_factory=lambda: next(ids))
    core.connect_site("acme", "good-token", "https://api.example")
    core.load_tags("acme")
    core.map_tag("acme", "Customer", "customer")
    core.map_tag("acme", "supplier", "supplier")  # tag names are case-insensitive
    yield core
    core.close()


def by_id(core):
    return {r["party_id"]: r for r in core.rows("acme")}


def test_connect_checks_the_subdomain(tmp_path, capsule):
    core = Core.open(tmp_path / "other.json", client_factory=capsule.client_factory)
    with pytest.raises(AppError, match="belongs to the site 'acme'"):
        core.connect_site("wrong", "good-token", "https://api.example")
    with pytest.raises(CapsuleError, match="refused"):
        core.connect_site("acme", "bad-token", "https://api.example")
    core.connect_site("acme", "good-token", "https://api.example")
    core.close()


def test_connecting_again_replaces_the_token_and_keeps_everything_else(core, capsule):
    core.download("acme")
    core.update_settings("acme", supplier_tax_rule="No VAT")
    rows = [dict(r) for r in core.rows("acme")]
    capsule.token = "rotated"
    with pytest.raises(CapsuleError, match="refused"):
        core.download("acme")
    with pytest.raises(CapsuleError, match="refused"):
        core.connect_site("acme", "still-wrong", "https://api.example")
    core.connect_site("ACME", "rotated", "https://api.example")
    assert [s.name for s in core.list_sites()] == ["acme"]  # never connected twice
    assert core.site("acme").token == "rotated"
    assert core.settings("acme").supplier_tax_rule == "No VAT"
    assert [dict(r) for r in core.rows("acme")] == rows
    assert core.download("acme").created == 0


def test_download_saves_typed_rows_at_once_and_keeps_the_rest(core):
    summary = core.download("acme")
    rows = by_id(core)
    assert summary.fetched == 7 and summary.staged == 7
    assert rows[1]["action"] == "created" and rows[11]["action"] == "contact"
    assert rows[3]["type"] == "supplier" and rows[3]["action"] == "created"
    assert rows[4]["type"] == "not_defined" and rows[4]["action"] == "pending"
    assert rows[5]["reason"].startswith("conflicting tags")
    customers = core.records("customer")
    for record in customers:
        Customer.model_validate(record)
    for record in core.records("supplier"):
        Supplier.model_validate(record)


def test_S1_names_equal_up_to_case_and_spaces_make_one_record(core):
    core.download("acme")
    customers = core.records("customer")
    assert [c["Name"] for c in customers] == ["ACME   widgets ltd"]  # the later spelling, trimmed
    rows = by_id(core)
    assert rows[1]["record_id"] == rows[2]["record_id"] == customers[0]["ID"]
    assert rows[2]["action"] == "updated"
    contacts = [c["Name"] for c in customers[0]["Contacts"]]
    assert contacts == ["Acme Widgets Ltd", "Ann Lee"]  # org 1's contacts are kept


def test_S1_a_record_fed_by_several_parties_keeps_what_each_brings(core, capsule):
    capsule.parties[2] = org(2, "ACME   widgets ltd  ", ["Customer"],
                             addresses=[{"type": "Postal", "street": "PO Box 1", "city": "Leeds"}])
    capsule.parties.append(person(13, "Cy", "Oh", 2))
    for _ in range(2):  # the second download re-saves both parties: nothing is lost either way
        core.download("acme")
        (record,) = core.records("customer")
        assert sorted(c["Name"] for c in record["Contacts"]) == [
            "Acme Widgets Ltd", "Ann Lee", "Cy Oh"]
        assert [a["Line1"] for a in record["Addresses"]] == ["PO Box 1"]
    core.set_type("acme", 2, "supplier")  # S5: party 2 leaves; its record is kept as it was
    (record,) = core.records("customer")
    assert "Cy Oh" in [c["Name"] for c in record["Contacts"]]


def test_S1_unicode_forms_match(tmp_path):
    capsule = FakeCapsule([org(1, "Cafe\u0301 Noir", ["Customer"]), org(2, "CAFÉ NOIR", ["Customer"])],
                          tags=TAGS)
    core = Core.open(tmp_path / "db.json", client_factory=capsule.client_factory)
    core.connect_site("acme", "good-token", "https://api.example")
    core.load_tags("acme")
    core.map_tag("acme", "Customer", "customer")
    core.download("acme")
    assert len(core.records("customer")) == 1
    core.close()


def test_S1_customers_only_match_customers(core):
    core.download("acme")
    core.set_type("acme", 4, "supplier")
    core.set_type("acme", 4, "customer")
    assert [s["Name"] for s in core.records("supplier")].count("Gamma GmbH") == 1
    assert [c["Name"] for c in core.records("customer")].count("Gamma GmbH") == 1


def test_S1_second_download_creates_no_duplicates_and_follows_links(core, capsule):
    core.download("acme")
    before = {k: len(core.records(k)) for k in ("customer", "supplier")}
    capsule.parties[3] = org(3, "Beta plc (renamed)", ["Supplier"])
    summary = core.download("acme")
    assert {k: len(core.records(k)) for k in ("customer", "supplier")} == before
    assert summary.created == 0
    assert [s["Name"] for s in core.records("supplier")] == ["Beta plc (renamed)"]


def test_S2_update_keeps_defaults_the_operator_changed(core):
    core.download("acme")
    record = next(r for r in core.records("supplier") if r["Name"] == "Beta plc")
    core.store.put("suppliers", record["ID"], {**record, "Currency": "EUR", "TaxRule": "No VAT"})
    core.download("acme")
    again = core.record("supplier", record["ID"])
    assert (again["Currency"], again["TaxRule"]) == ("EUR", "No VAT")


def test_S5_changing_type_makes_the_new_kind_and_keeps_the_old_record(core):
    core.download("acme")
    changed = core.set_type("acme", 1, "supplier")
    assert [r["party_id"] for r in changed] == [1, 11]
    assert all(r["type"] == "supplier" for r in changed)
    assert any(c["Name"] == "ACME   widgets ltd" for c in core.records("customer"))  # kept
    supplier = next(s for s in core.records("supplier") if s["Name"] == "Acme Widgets Ltd")
    assert [c["Name"] for c in supplier["Contacts"]] == ["Acme Widgets Ltd", "Ann Lee"]
    assert core.store.get("links", "acme:1")["kind"] == "supplier"
    core.set_type("acme", 1, "ignore")
    assert core.store.get("links", "acme:1") is None
    assert by_id(core)[11]["type"] == "ignore"
    assert any(s["Name"] == "Acme Widgets Ltd" for s in core.records("supplier"))


def test_person_of_an_organisation_cannot_be_typed_alone(core):
    core.download("acme")
    with pytest.raises(AppError, match="follows its type"):
        core.set_type("acme", 11, "supplier")


def test_operator_choice_survives_the_next_download(core):
    core.download("acme")
    core.set_type("acme", 4, "customer")
    core.download("acme")
    rows = by_id(core)
    assert rows[4]["type"] == "customer" and rows[4]["reason"] == "set by operator"
    assert rows[12]["type"] == "customer"


def test_bulk_save_not_defined(core):
    core.download("acme")
    summary = core.save_not_defined("acme", "supplier")
    assert summary.saved == 2  # Gamma (with Bo) and Delta; people follow
    assert core.counts("acme")["not_defined"] == 0
    assert by_id(core)[12]["action"] == "contact"


def test_S6_nothing_is_deleted_by_disconnect(core, tmp_path):
    core.download("acme")
    counts = (len(core.records("customer")), len(core.records("supplier")))
    core.disconnect_site("acme")
    assert (len(core.records("customer")), len(core.records("supplier"))) == counts
    assert not core.store.docs("links") and not core.store.docs("staged_contacts")
    assert core.list_sites() == []


def test_failed_download_leaves_staging_as_it_was(core, capsule):
    core.download("acme")
    before = [dict(r) for r in core.rows("acme")]
    capsule.fail_from_page = 1
    with pytest.raises(CapsuleError):
        core.download("acme")
    assert [dict(r) for r in core.rows("acme")] == before


def test_settings_validate_tax_rules(core):
    with pytest.raises(AppError, match="not an active tax rule for sales"):
        core.update_settings("acme", customer_tax_rule="20% (VAT on Expenses)")
    with pytest.raises(AppError, match="not an active tax rule"):
        core.update_settings("acme", supplier_tax_rule="Old 17.5% VAT")
    settings = core.update_settings("acme", supplier_tax_rule="No VAT")
    assert settings.supplier_tax_rule == "No VAT"
    core.download("acme")
    assert next(s for s in core.records("supplier"))["TaxRule"] == "No VAT"


def test_everything_survives_a_reopen(core, tmp_path):
    core.download("acme")
    rows = [dict(r) for r in core.rows("acme")]
    customers = core.records("customer")
    core.close()
    again = Core.open(tmp_path / "db.json")
    assert [dict(r) for r in again.rows("acme")] == rows
    assert again.records("customer") == customers
    again.close()


def test_bulk_saved_rows_keep_their_type_on_the_next_download(core):
    core.download("acme")
    core.save_not_defined("acme", "supplier")
    core.download("acme")
    rows = by_id(core)
    assert rows[4]["type"] == rows[5]["type"] == "supplier"
    assert rows[4]["reason"] == "saved in bulk" and rows[4]["record_id"]
    assert core.counts("acme")["not_defined"] == 0


@pytest.mark.parametrize("failure", [KeyboardInterrupt, RuntimeError])
def test_a_failure_while_saving_a_download_changes_nothing(core, capsule, monkeypatch, failure):
    core.download("acme")
    core.set_type("acme", 4, "customer")
    rows = [dict(r) for r in core.rows("acme")]
    records = {k: core.records(k) for k in ("customer", "supplier")}
    links = dict(core.store.docs("links"))
    capsule.parties[3] = org(3, "Beta plc (renamed)", ["Customer"])  # would re-kind and rename
    calls = {"n": 0}
    real_save = Core._save

    def save_then_fail(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise failure()
        return real_save(self, *args, **kwargs)

    monkeypatch.setattr(Core, "_save", save_then_fail)
    with pytest.raises(failure):
        core.download("acme")
    assert [dict(r) for r in core.rows("acme")] == rows
    assert {k: core.records(k) for k in ("customer", "supplier")} == records
    assert dict(core.store.docs("links")) == links
    monkeypatch.setattr(Core, "_save", real_save)
    path = core.store.path
    core.close()
    again = Core.open(path)
    assert [dict(r) for r in again.rows("acme")] == rows
    again.close()


def test_a_failure_in_a_bulk_save_changes_nothing(core, monkeypatch):
    core.download("acme")
    rows = [dict(r) for r in core.rows("acme")]
    real_save = Core._save
    calls = {"n": 0}

    def save_then_fail(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt()
        return real_save(self, *args, **kwargs)

    monkeypatch.setattr(Core, "_save", save_then_fail)
    with pytest.raises(KeyboardInterrupt):
        core.save_not_defined("acme", "customer")
    assert [dict(r) for r in core.rows("acme")] == rows


def test_address_types_are_checked(core):
    with pytest.raises(AppError, match="'Warehouse' is not a Capsule address type"):
        core.update_settings("acme", address_mapping={"Warehouse": "Business"})
    with pytest.raises(AppError, match="not an inventory address type"):
        core.update_settings("acme", address_mapping={"Home": "Garage"})
    mapping = core.update_settings("acme", address_mapping={"home": "billing",
                                                            "(none)": "Shipping"}).address_mapping
    assert mapping["Home"] == "Billing" and mapping[""] == "Shipping"
    assert set(mapping) == {"Office", "Postal", "Home", "Billing", "Shipping", ""}


def test_counts_follow_every_change(core):
    def recount():
        counts = {t: 0 for t in ("customer", "supplier", "ignore", "not_defined")}
        for row in core.rows("acme"):
            counts[row["type"]] += 1
        waiting = sum(1 for r in core.rows("acme") if r["type"] == "not_defined"
                      and (r["kind"] == "organisation" or r.get("organisation_id") is None))
        return counts, waiting

    core.download("acme")
    assert (core.counts("acme"), core.count_waiting("acme")) == recount()
    assert core.count_waiting("acme") == 2
    core.set_type("acme", 4, "ignore")
    core.set_type("acme", 1, "supplier")
    assert (core.counts("acme"), core.count_waiting("acme")) == recount()
    core.save_not_defined("acme", "customer")
    assert (core.counts("acme"), core.count_waiting("acme")) == recount()
    assert core.count_waiting("acme") == 0
