"""The stand-in's seeded data (determinism, variety, quirks) and its HTTP answers and error bodies."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import httpx
import orjson
import pytest

from capsule_tui.capsule.sandbox import SandboxData, SandboxServer
from capsule_tui.capsule.sandbox.faults import Fault, FaultPlan

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "capsule"
AUTH = {"Authorization": "Bearer demo-token"}


@pytest.fixture(scope="module")
def first500() -> list[dict]:
    return SandboxData(count=500, seed=1).parties()


@pytest.fixture(scope="module")
def server():
    with SandboxServer(parties=120, seed=1) as s:
        yield s


def names(p: dict) -> str:
    if p.get("type") == "person":
        return f"{p.get('firstName') or ''} {p.get('lastName') or ''}".strip()
    return p.get("name") or ""


def tag_names(p: dict) -> set[str]:
    return {t["name"] for t in p.get("tags", [])}


# --------------------------------------------------------------------------- determinism


def test_same_seed_same_data_and_other_seed_differs():
    a = orjson.dumps(SandboxData(500, seed=1).parties())
    assert a == orjson.dumps(SandboxData(500, seed=1).parties())
    assert a != orjson.dumps(SandboxData(500, seed=2).parties())


def test_a_party_does_not_depend_on_the_count():
    assert SandboxData(500, 1).party(123) == SandboxData(100_000, 1).party(123)


def test_lazy_party_is_cheap_far_into_a_large_set():
    data = SandboxData(100_000, seed=1)
    p = data.party(99_999)
    assert p["id"] == data.party_id(99_999)


# --------------------------------------------------------------------------- variety


def test_ids_unique_and_mix_of_types(first500):
    ids = [p["id"] for p in first500]
    assert len(set(ids)) == 500
    orgs = sum(p["type"] == "organisation" for p in first500)
    assert 0.3 <= orgs / 500 <= 0.45


def test_first_rows_look_like_a_real_crm(first500):
    for p in first500[:40]:
        assert p["type"] in ("organisation", "person")
        assert not p.get("isRestricted")
        assert names(p) and "[" not in names(p)
        assert all(ord(ch) < 0x250 for ch in names(p))


def test_people_mostly_belong_to_an_organisation(first500):
    people = [p for p in first500 if p["type"] == "person"]
    with_org = [p for p in people if p.get("organisation")]
    assert len(with_org) / len(people) > 0.75
    assert len(with_org) < len(people)  # and some are independent


def test_tags_one_none_several_and_conflicts(first500):
    counts = [len(p.get("tags", [])) for p in first500 if not p.get("isRestricted")]
    assert 0 in counts and 1 in counts and max(counts) >= 3
    assert any({"Customer", "Supplier"} <= tag_names(p) for p in first500)
    vocab = {t["name"]: t["id"] for t in SandboxData.tags()}
    for p in first500:
        for t in p.get("tags", []):
            assert vocab[t["name"]] == t["id"]  # account-wide ids
    assert "Événements 2024" in vocab and any(t.get("description") for t in SandboxData.tags())


def test_addresses_phones_emails_websites(first500):
    addresses = [a for p in first500 for a in p.get("addresses", [])]
    assert {a["type"] for a in addresses} >= {"Office", "Postal", "Home", "Billing",
                                              "Shipping", None}
    assert any(a["street"] and "\n" in a["street"] for a in addresses)
    assert any(a["street"] is None for a in addresses)
    assert any(a["country"] is None for a in addresses)
    phones = {ph["type"] for p in first500 for ph in p.get("phoneNumbers", [])}
    assert phones >= {"Work", "Mobile", "Fax", "Direct", None}
    assert all("@example.com" in e["address"].lower()
               for p in first500 for e in p.get("emailAddresses", []))
    services = {w["service"] for p in first500 for w in p.get("websites", [])}
    assert {"URL", "LINKED_IN"} <= services


def test_awkward_names(first500):
    all_names = [names(p) for p in first500]
    assert any("ü" in n for n in all_names)
    assert any("Ż" in n or "ż" in n or "Ł" in n for n in all_names)
    assert any(any(unicodedata.east_asian_width(ch) == "W" and ord(ch) < 0x1F000 for ch in n)
               for n in all_names)  # CJK
    assert any(any(ord(ch) >= 0x1F300 for ch in n) for n in all_names)  # emoji
    assert any(any(unicodedata.bidirectional(ch) in ("R", "AL") for ch in n)
               for n in all_names)  # right-to-left
    for markup in ("Smith [bold]", "[/y]", "[red]Acme[/red] Ltd"):
        assert any(markup in n for n in all_names)
    acme = {p["name"] for p in first500 if p["type"] == "organisation" and p.get("name")
            and " ".join(p["name"].split()).casefold() == "acme widgets ltd"}
    assert {"Acme Widgets Ltd", "ACME WIDGETS LTD  ", "acme  widgets ltd"} <= acme
    people = [p for p in first500 if p["type"] == "person" and not p.get("isRestricted")]
    assert any(p["firstName"] is None and p["lastName"] for p in people)
    assert any(p["lastName"] is None and p["firstName"] for p in people)


def test_quirks_at_their_showcase_indexes(first500):
    by_id = {p["id"]: i for i, p in enumerate(first500)}
    # restricted organisation and person
    assert first500[120] == {**first500[120], "type": "organisation", "name": "Private",
                             "isRestricted": True}
    assert first500[123]["lastName"] == "Private" and first500[123]["isRestricted"] is True
    # a person whose organisation is restricted
    assert first500[121]["organisation"]["isRestricted"] is True
    # a person whose organisation is not in the list
    assert first500[124]["organisation"]["id"] not in by_id
    # a person listed before its organisation
    assert by_id[first500[150]["organisation"]["id"]] == 151
    # no name at all; an unknown type
    assert first500[153]["name"] is None
    assert first500[154]["firstName"] is None and first500[154]["lastName"] is None
    assert first500[155]["type"] == "robot"
    # Customer + Supplier conflict
    assert {"Customer", "Supplier"} <= tag_names(first500[66])


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_quirk_in_first_500_for_several_seeds(seed):
    parties = SandboxData(500, seed).parties()
    ids = {p["id"] for p in parties}
    position = {p["id"]: i for i, p in enumerate(parties)}
    assert any(p.get("isRestricted") for p in parties)
    assert any(p["type"] == "robot" for p in parties)
    assert any(p["type"] == "organisation" and p.get("name") is None for p in parties)
    persons = [p for p in parties if p["type"] == "person" and p.get("organisation")]
    assert any(p["organisation"]["id"] not in ids for p in persons)
    assert any(p["organisation"].get("isRestricted") for p in persons)
    assert any(position.get(p["organisation"]["id"], -1) > position[p["id"]] for p in persons)


# --------------------------------------------------------------------------- HTTP answers


def get(server, path, headers=AUTH, method="GET"):
    return httpx.request(method, server.url + path, headers=headers)


def test_site_and_user(server):
    r = get(server, "/api/v2/site")
    assert r.status_code == 200
    assert r.json() == {"site": {"url": "https://demo.capsulecrm.com", "subdomain": "demo",
                                 "name": "Demo Trading Co."}}
    assert b"\n" not in r.content and b": " not in r.content  # minified
    assert r.headers["X-RateLimit-Limit"] == "4000"
    assert int(r.headers["X-RateLimit-Reset"]) % 3600 == 0
    assert get(server, "/api/v2/users/current").json()["user"]["id"] == 74001


def test_parties_link_headers_like_the_fixture(server):
    r = get(server, "/api/v2/parties?page=2&perPage=50&embed=tags")
    host = server.url.removeprefix("http://")
    assert r.headers["Link"] == (
        f'<http://{host}/api/v2/parties?page=3&perPage=50>; rel="next", '
        f'<http://{host}/api/v2/parties?page=1&perPage=50>; rel="prev"')
    assert r.headers["X-Pagination-Has-More"] == "true"
    last = get(server, "/api/v2/parties?page=3&perPage=50")
    assert 'rel="next"' not in last.headers["Link"]
    assert last.headers["X-Pagination-Has-More"] == "false"
    assert len(last.json()["parties"]) == 20


def test_embed_controls_tags_and_organisation(server):
    plain = get(server, "/api/v2/parties?perPage=100").json()["parties"]
    assert all("tags" not in p for p in plain)
    assert len(plain) == 100
    full = get(server, "/api/v2/parties?perPage=100&embed=tags,organisation").json()["parties"]
    person = next(p for p in full if p["type"] == "person" and p.get("organisation")
                  and not p["organisation"].get("isRestricted"))
    assert "addresses" in person["organisation"] and "tags" not in person["organisation"]
    short = next(p for p in plain if p["id"] == person["id"])["organisation"]
    assert set(short) == {"id", "type", "name", "pictureURL"}


def test_default_per_page_is_50(server):
    assert len(get(server, "/api/v2/parties").json()["parties"]) == 50


def test_tags_endpoint(server):
    tags = get(server, "/api/v2/parties/tags?perPage=100").json()["tags"]
    assert tags[0] == {"id": 3001, "name": "Customer",
                       "description": "Organisations and people with an active contract",
                       "dataTag": True}


def test_404_405_401_422_400(server):
    r = get(server, "/api/v2/users/me")
    assert (r.status_code, r.json()) == (404, {"message": "Could not find resource"})
    r = get(server, "/api/v2/parties", method="POST")
    assert (r.status_code, r.json()) == (405, {"message": "Method not allowed"})
    r = get(server, "/api/v2/site", headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401
    assert r.json() == orjson.loads((FIXTURES / "error-401.json").read_bytes())
    fixture_header = next(line.split(":", 1)[1].strip() for line in
                          (FIXTURES / "error-401.headers.txt").read_text().splitlines()
                          if line.startswith("WWW-Authenticate"))
    assert r.headers["WWW-Authenticate"] == fixture_header
    assert get(server, "/api/v2/site", headers={}).status_code == 401
    r = get(server, "/api/v2/parties/deleted")
    assert r.status_code == 422
    assert r.json()["message"] == "Validation Failed"
    assert r.json()["errors"][0]["field"] == "since"
    for bad in ("0", "101", "x"):
        r = get(server, f"/api/v2/parties?perPage={bad}")
        assert r.status_code == 400 and "message" in r.json()


def test_deleted_parties(server):
    body = get(server, "/api/v2/parties/deleted?since=2019-01-01T00:00:00Z").json()
    assert body["parties"] and all({"id", "deletedAt"} <= set(p) for p in body["parties"])
    assert all(p["isRestricted"] for p in body["restrictedParties"])


def test_rate_limit_window_and_429():
    now = [1_716_294_000.0]
    with SandboxServer(parties=10, rate_limit=3, clock=lambda: now[0]) as s:
        remaining = [get(s, "/api/v2/site").headers["X-RateLimit-Remaining"] for _ in range(3)]
        assert remaining == ["2", "1", "0"]
        r = get(s, "/api/v2/site")
        assert r.status_code == 429 and r.json() == {"error": "rate limit reached"}
        assert r.headers["X-RateLimit-Remaining"] == "0" and "Retry-After" not in r.headers
        assert r.headers["X-RateLimit-Reset"] == "1716296400"
        now[0] = 1_716_296_400.0  # the next hour
        assert get(s, "/api/v2/site").status_code == 200


def test_fault_429_reset_in_and_plan_counts_down():
    now = [1_000_000.0]
    with SandboxServer(parties=10, clock=lambda: now[0]) as s:
        s.faults.add(Fault("429", path="/api/v2/site", reset_in=30, times=2))
        r = get(s, "/api/v2/site")
        assert r.status_code == 429 and r.headers["X-RateLimit-Reset"] == "1000030"
        assert get(s, "/api/v2/site").status_code == 429
        assert get(s, "/api/v2/site").status_code == 200
        assert s.faults.pending() == []


def test_fault_plan_matching():
    plan = FaultPlan()
    plan.add(Fault("500", page=2, times=None))
    assert plan.take("/api/v2/parties", 1) is None
    assert plan.take("/api/v2/site", 2) is None
    assert plan.take("/api/v2/parties", 2).kind == "500"
    assert plan.take("/api/v2/parties", 2).hits == 2
    with pytest.raises(ValueError):
        Fault("teapot")


def test_fault_html_and_truncate(server):
    server.faults.add(Fault("html", path="/api/v2/site"))
    r = get(server, "/api/v2/site")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/html")
    server.faults.add(Fault("truncate", path="/api/v2/site"))
    with pytest.raises(httpx.RemoteProtocolError):
        get(server, "/api/v2/site")
    server.faults.add(Fault("drop", path="/api/v2/site"))
    with pytest.raises(httpx.RemoteProtocolError):
        get(server, "/api/v2/site")
    assert get(server, "/api/v2/site").status_code == 200
