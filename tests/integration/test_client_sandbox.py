"""CapsuleClient against the stand-in over real loopback HTTP: pagination, rate limits, faults."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from capsule_tui.capsule.client import PageFetched, RateLimitWait, Retrying
from capsule_tui.capsule.errors import (
    AuthError,
    DownloadCancelled,
    NetworkError,
    NotCapsuleError,
    RateLimitedError,
)
from capsule_tui.capsule.sandbox import Fault, SandboxServer


def download(client, **kwargs):
    events: list = []
    parties = [p for page in client.iter_party_pages(on_event=events.append, **kwargs)
               for p in page]
    return parties, events


def party_requests(server):
    return [r for r in server.requests if r["path"] == "/api/v2/parties"]


def test_full_download_matches_the_server(sandbox, make_client):
    client = make_client(sandbox.url)
    parties, events = download(client)
    ids = [p["id"] for p in parties]
    assert len(ids) == sandbox.party_count() == 1050
    assert len(set(ids)) == len(ids)
    pages = [e for e in events if isinstance(e, PageFetched)]
    assert [e.page for e in pages] == list(range(1, 12))
    assert pages[-1].parties_so_far == 1050
    # Every request carried our embed and perPage, and every page has tags embedded.
    requests = party_requests(sandbox)
    assert len(requests) == 11
    for r in requests:
        assert r["query"]["embed"] == "tags,organisation"
        assert r["query"]["perPage"] == "100"
    listed = [p for p in parties if not p.get("isRestricted") and p["type"] != "robot"]
    assert all("tags" in p for p in listed)
    expanded = [p for p in parties if p["type"] == "person"
                and isinstance(p.get("organisation"), dict)
                and not p["organisation"].get("isRestricted")]
    assert expanded and all("addresses" in p["organisation"] for p in expanded)


def test_api_url_with_api_v2_and_slash(sandbox, make_client):
    client = make_client(sandbox.url + "/api/v2/")
    assert client.get_site()["subdomain"] == "demo"
    assert client.get_current_user()["username"] == "jordan.example"
    assert [t["name"] for t in client.list_tags()][:2] == ["Customer", "Partner"]


def test_since_filters_and_is_sent_on_every_page(sandbox, make_client):
    client = make_client(sandbox.url, per_page=50)
    parties, _ = download(client, since="2024-01-01T00:00:00Z")
    assert 0 < len(parties) < 1050
    assert all(p["updatedAt"] > "2024-01-01T00:00:00Z" for p in parties if "updatedAt" in p)
    assert all(r["query"].get("since") == "2024-01-01T00:00:00Z"
               for r in party_requests(sandbox))


def test_429_waits_for_reset_and_completes(sandbox, make_client):
    sandbox.faults.add(Fault("429", page=2, reset_in=1))
    client = make_client(sandbox.url)
    started = time.monotonic()
    parties, events = download(client)
    elapsed = time.monotonic() - started
    assert len(parties) == 1050
    waits = [e for e in events if isinstance(e, RateLimitWait)]
    assert len(waits) == 1 and 0.5 <= waits[0].seconds <= 2.1
    assert 0.5 <= elapsed < 6


@pytest.mark.parametrize("kind", ["500", "503", "drop", "truncate", "notjson"])
def test_transient_faults_are_retried(sandbox, make_client, kind):
    sandbox.faults.add(Fault(kind, page=3, times=2))
    client = make_client(sandbox.url)
    parties, events = download(client)
    assert len({p["id"] for p in parties}) == 1050
    retries = [e for e in events if isinstance(e, Retrying)]
    assert [e.attempt for e in retries] == [1, 2]
    page3 = [r for r in party_requests(sandbox) if r["query"].get("page") == "3"]
    assert [r["fault"] for r in page3] == [kind, kind, None]


def test_wrong_token_is_auth_error(sandbox, make_client):
    client = make_client(sandbox.url, token="wrong-token")
    with pytest.raises(AuthError):
        client.get_site()
    assert len(sandbox.requests) == 1


def test_unreachable_port_is_network_error(make_client):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = make_client(f"http://127.0.0.1:{port}", max_retries=2)
    with pytest.raises(NetworkError) as info:
        client.get_site()
    assert "127.0.0.1" in info.value.title


def test_html_is_not_capsule(sandbox, make_client):
    sandbox.faults.add(Fault("html", path="/api/v2/site", times=None))
    client = make_client(sandbox.url)
    with pytest.raises(NotCapsuleError):
        client.get_site()


def test_cancel_during_a_slow_answer_is_prompt(sandbox, make_client):
    sandbox.faults.add(Fault("delay", page=2, seconds=10))
    client = make_client(sandbox.url)
    cancel = threading.Event()
    pages = []
    started = None
    with pytest.raises(DownloadCancelled):
        for page in client.iter_party_pages(cancel=cancel):
            pages.append(page)
            threading.Timer(0.2, cancel.set).start()
            started = time.monotonic()
    assert len(pages) == 1
    assert time.monotonic() - started < 1.5


def test_remaining_zero_makes_the_client_wait(make_client):
    with SandboxServer(parties=250, rate_limit=2) as server:
        client = make_client(server.url, max_rate_limit_wait=0.5)
        # The second answer says 0 remaining; the next request would need an hour's wait.
        with pytest.raises(RateLimitedError):
            download(client)
        assert len(party_requests(server)) == 2
