"""Rules R1–R6: how parties become staged rows (domain, no IO)."""

from __future__ import annotations

from capsule_tui.domain.models import ContactType, SiteSettings, StagedContact
from capsule_tui.domain.staging import stage, type_from_tags

from ..conftest import org, person

TAGS = {"customer": ContactType.CUSTOMER, "supplier": ContactType.SUPPLIER,
        "newsletter": ContactType.IGNORE}


def names(result):
    return [r["name"] for r in result.rows]


def test_R1_organisations_are_rows_of_their_own():
    result = stage([org(1, "Acme Ltd", ["Customer"]), org(2, "Beta plc")], SiteSettings(), TAGS)
    assert names(result) == ["Acme Ltd", "Beta plc"]
    assert [r["kind"] for r in result.rows] == ["organisation", "organisation"]


def test_R1_only_tagged_leaves_out_untagged_organisations():
    result = stage([org(1, "Acme Ltd", ["Customer"]), org(2, "Beta plc")],
                   SiteSettings(only_tagged=True), TAGS)
    assert names(result) == ["Acme Ltd"]
    assert result.skipped["no tags"] == 1


def test_R2_people_are_staged_under_their_organisation_and_follow_its_type():
    parties = [org(1, "Acme Ltd", ["Customer"]), org(2, "Beta plc", ["Supplier"]),
               person(10, "Ann", "Lee", 1, ["Supplier"]), person(11, "Bo", "Ng", 2)]
    result = stage(parties, SiteSettings(), TAGS)
    assert names(result) == ["Acme Ltd", "Ann Lee", "Beta plc", "Bo Ng"]
    ann = result.rows[1]
    assert ann["type"] == "customer"  # her own Supplier tag decides nothing
    assert ann["organisation_name"] == "Acme Ltd"
    assert ann["action"] == "contact"


def test_R2_person_listed_before_its_organisation():
    result = stage([person(10, "Ann", "Lee", 1), org(1, "Acme Ltd", ["Supplier"])],
                   SiteSettings(), TAGS)
    assert names(result) == ["Acme Ltd", "Ann Lee"]
    assert result.rows[1]["type"] == "supplier"


def test_R2_person_whose_organisation_is_not_staged_is_counted_not_staged():
    parties = [org(1, "Acme Ltd"), person(10, "Ann", "Lee", 1), person(11, "Bo", "Ng", 99),
               person(12, "Cy", "Oh", 1)]
    result = stage(parties, SiteSettings(only_tagged=True), TAGS)
    assert result.rows == []
    assert result.skipped["organisation not staged"] == 3


def test_R3_people_without_organisation_skipped_by_default():
    result = stage([person(10, "Ann", "Lee")], SiteSettings(), TAGS)
    assert result.rows == []
    assert result.skipped["person without organisation"] == 1


def test_R3_people_without_organisation_staged_when_setting_off():
    parties = [person(10, "Ann", "Lee", tags=["Customer"]), person(11, None, "Halvorsen"),
               person(12, "Solo", None)]
    result = stage(parties, SiteSettings(ignore_without_organisation=False), TAGS)
    assert names(result) == ["Ann Lee", "Halvorsen", "Solo"]
    assert result.rows[0]["type"] == "customer"


def test_R4_no_mapped_tag_is_not_defined():
    assert type_from_tags([], TAGS) == (ContactType.NOT_DEFINED, "no tags")
    assert type_from_tags(["Partner"], TAGS) == (ContactType.NOT_DEFINED, "no mapped tag")


def test_R4_one_distinct_type_decides_and_unmapped_tags_are_left_out():
    assert type_from_tags(["Partner", "customer"], TAGS)[0] is ContactType.CUSTOMER
    many = {"customer": ContactType.CUSTOMER, "vip": ContactType.CUSTOMER}
    assert type_from_tags(["Customer", "VIP"], many)[0] is ContactType.CUSTOMER


def test_R4_conflicting_tags_are_not_defined_with_the_tags_as_reason():
    kind, reason = type_from_tags(["Customer", "Supplier"], TAGS)
    assert kind is ContactType.NOT_DEFINED
    assert "Customer" in reason and "Supplier" in reason and reason.startswith("conflicting")


def test_R4_ignore_is_a_type_staged_and_shown():
    result = stage([org(1, "News Co", ["Newsletter"])], SiteSettings(), TAGS)
    assert result.rows[0]["type"] == "ignore"
    assert result.rows[0]["action"] == "skipped"


def test_R5_restricted_parties_are_never_staged_as_real_names():
    parties = [{"id": 5, "type": "organisation", "name": "Private", "isRestricted": True},
               {"id": 6, "type": "person", "firstName": None, "lastName": "Private",
                "isRestricted": True},
               person(7, "Ann", "Lee", None, organisation={"id": 5, "name": "Private",
                                                           "isRestricted": True})]
    result = stage(parties, SiteSettings(), TAGS)
    assert "Private" not in names(result)
    assert result.skipped["restricted"] == 2
    assert result.skipped["organisation not staged"] == 1


def test_R6_unusable_parties_are_skipped_one_by_one_with_a_reason():
    parties = [{"id": 1, "type": "organisation", "name": None},
               {"id": 2, "type": "robot", "name": "R2"},
               {"type": "organisation", "name": "no id"},
               "garbage",
               {"id": 3, "type": "person", "firstName": "  ", "lastName": None},
               org(4, "Fine Ltd", addresses="not a list", phoneNumbers=[None, 3]),
               org(5, "Also Fine", tags="oops")]
    result = stage(parties, SiteSettings(), TAGS)
    assert names(result) == ["Fine Ltd", "Also Fine"]
    assert result.skipped["no name"] == 2
    assert result.skipped["unknown type 'robot'"] == 1
    assert result.skipped["no id"] == 1
    assert result.skipped["not a party object"] == 1


def test_fixture_page_stages_as_documented(page2_parties):
    result = stage(page2_parties, SiteSettings(), {"customer": ContactType.CUSTOMER,
                                                           "supplier": ContactType.SUPPLIER})
    by_id = {r["party_id"]: r for r in result.rows}
    assert by_id[180000101]["type"] == "customer"
    assert by_id[180000102]["type"] == "customer"  # follows Müller & Söhne
    assert by_id[180000105]["type"] == "supplier"
    assert by_id[180000106]["organisation_name"] == "株式会社さくら精機"
    assert by_id[180000108]["type"] == "not_defined"
    assert by_id[180000108]["reason"].startswith("conflicting tags")
    assert 180000103 not in by_id and 180000104 not in by_id  # R3 default
    assert result.skipped["person without organisation"] == 2
    for row in result.rows:  # the hot path's sparse dicts have the model's shape
        StagedContact.model_validate(row)
