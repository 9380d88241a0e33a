"""CapsuleClient against the documented-shape fixtures, through httpx.MockTransport (no network)."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from capsule_tui.capsule.client import (
    CapsuleClient,
    PageFetched,
    RateLimitWait,
    Retrying,
    next_page_number,
    normalise_api_url,
    parse_link_header,
)
from capsule_tui.capsule.errors import (
    AuthError,
    BadResponseError,
    CapsuleError,
    DownloadCancelled,
    NetworkError,
    NotCapsuleError,
    PaginationError,
    RateLimitedError,
    ServerError,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "capsule"
TOKEN = "s3cr3t-T0KEN-value-0123456789"
RESET = 1716296400  # X-RateLimit-Reset in the fixtures


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def fixture_headers(name: str) -> tuple[int, dict[str, str]]:
    lines = (FIXTURES / name).read_text(encoding="utf-8").splitlines()
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            key, value = line.split(":", 1)
            headers[key.strip()] = value.strip()
    return status, headers


def page_body(ids, **extra) -> bytes:
    parties = [{"id": i, "type": "organisation", "name": f"Org {i}"} for i in ids]
    return json.dumps({"parties": parties, **extra}).encode()


def link(*entries: tuple[int, str]) -> str:
    return ", ".join(
        f'<https://api.capsulecrm.com/api/v2/parties?page={p}&perPage=100>; rel="{rel}"'
        for p, rel in entries)


class Recorder:
    """A MockTransport handler answering from a list of canned responses, logging requests."""

    def __init__(self, *responses):
        self.responses = list(responses)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        item = self.responses.pop(0) if len(self.responses) > 1 else self.responses[0]
        if callable(item):
            return item(request)
        if isinstance(item, Exception):
            raise item
        return item

    def params(self, n: int) -> dict[str, list[str]]:
        return parse_qs(urlsplit(str(self.requests[n].url)).query)


class FakeTime:
    """An injected clock and sleep: sleeping moves the clock on."""

    def __init__(self, now: float = RESET - 42):
        self.now = now
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    @property
    def total(self) -> float:
        return sum(self.slept)


def make_client(handler, fake: FakeTime | None = None, **kwargs) -> CapsuleClient:
    fake = fake or FakeTime()
    kwargs.setdefault("backoff_base", 0.01)
    return CapsuleClient("https://api.capsulecrm.com", TOKEN,
                         transport=httpx.MockTransport(handler), sleep=fake.sleep,
                         clock=fake.clock, **kwargs)


def collect(client: CapsuleClient, **kwargs):
    events = []
    pages = list(client.iter_party_pages(on_event=events.append, **kwargs))
    return pages, events


# --------------------------------------------------------------------------- headers, URL


def test_requests_carry_bearer_accept_and_user_agent():
    rec = Recorder(httpx.Response(200, content=fixture_bytes("site.json")))
    with make_client(rec) as client:
        site = client.get_site()
    assert site == {"url": "https://examplecorp-demo.capsulecrm.com",
                    "subdomain": "examplecorp-demo", "name": "Example Corp (Demo)"}
    req = rec.requests[0]
    assert req.headers["authorization"] == f"Bearer {TOKEN}"
    assert req.headers["accept"] == "application/json"
    assert req.headers["user-agent"].startswith("capsule-tui/")
    assert str(req.url) == "https://api.capsulecrm.com/api/v2/site"


@pytest.mark.parametrize("given", [
    "https://api.capsulecrm.com", "https://api.capsulecrm.com/",
    "https://api.capsulecrm.com/api/v2", "https://api.capsulecrm.com/api/v2/",
    "  https://api.capsulecrm.com/api/v2/  ", "api.capsulecrm.com",
])
def test_api_url_is_normalised(given):
    assert normalise_api_url(given) == "https://api.capsulecrm.com"


def test_timeout_is_explicit_and_tls_verified():
    client = CapsuleClient("https://api.capsulecrm.com", TOKEN, timeout=12.0)
    try:
        assert client._http.timeout.read == 12.0
        assert client._http.timeout.connect == 10.0
    finally:
        client.close()


def test_current_user_fixture():
    rec = Recorder(httpx.Response(200, content=fixture_bytes("users-current.json")))
    with make_client(rec) as client:
        assert client.get_current_user()["username"] == "jordan.example"
    assert rec.requests[0].url.path == "/api/v2/users/current"


def test_list_tags_single_page_fixture():
    rec = Recorder(httpx.Response(200, content=fixture_bytes("party-tags.json")))
    with make_client(rec) as client:
        tags = client.list_tags()
    assert [t["name"] for t in tags][:2] == ["Customer", "Partner"]
    assert len(tags) == 7
    assert rec.params(0) == {"page": ["1"], "perPage": ["100"]}


def test_list_tags_follows_pages():
    rec = Recorder(
        httpx.Response(200, json={"tags": [{"id": 1, "name": "A"}]}, headers={
            "Link": '<https://api.capsulecrm.com/api/v2/parties/tags?page=2>; rel="next"'}),
        httpx.Response(200, json={"tags": [{"id": 2, "name": "B"}, {"id": 1, "name": "A"}]}),
    )
    with make_client(rec) as client:
        assert [t["id"] for t in client.list_tags()] == [1, 2]
    assert rec.params(1)["page"] == ["2"]


# --------------------------------------------------------------------------- pagination


def test_page2_fixture_link_gives_next_page_and_request_is_rebuilt():
    _, headers = fixture_headers("list-parties-page2.headers.txt")
    rec = Recorder(
        httpx.Response(200, content=fixture_bytes("list-parties-page2.json"), headers=headers),
        httpx.Response(200, content=page_body([1, 2])),
    )
    with make_client(rec) as client:
        pages, events = collect(client, since="2024-05-01T00:00:00Z")
    assert [len(p) for p in pages] == [8, 2]
    assert pages[0][0]["name"] == "Müller & Söhne Logistik GmbH"
    # The next request took page=3 from the Link header, but kept our own perPage, embed, since.
    assert rec.params(1) == {"page": ["3"], "perPage": ["100"], "embed": ["tags,organisation"],
                             "since": ["2024-05-01T00:00:00Z"]}
    assert rec.params(0)["page"] == ["1"]
    assert all(r.url.host == "api.capsulecrm.com" for r in rec.requests)
    assert [e for e in events if isinstance(e, PageFetched)] == [
        PageFetched(page=1, parties_so_far=8), PageFetched(page=3, parties_so_far=10)]


def test_next_link_to_another_host_is_not_followed():
    rec = Recorder(
        httpx.Response(200, content=page_body([1]), headers={
            "Link": '<https://evil.example.com/steal?page=2&perPage=1>; rel="next"'}),
        httpx.Response(200, content=page_body([2])),
    )
    with make_client(rec) as client:
        pages, _ = collect(client, embed=("tags",))
    assert [p[0]["id"] for p in pages] == [1, 2]
    assert [r.url.host for r in rec.requests] == ["api.capsulecrm.com"] * 2
    assert rec.params(1) == {"page": ["2"], "perPage": ["100"], "embed": ["tags"]}


def test_last_page_without_link_ends_even_if_has_more_says_true():
    rec = Recorder(httpx.Response(200, content=page_body([5, 6]),
                                  headers={"X-Pagination-Has-More": "true"}))
    with make_client(rec) as client:
        pages, _ = collect(client)
    assert len(rec.requests) == 1
    assert [[p["id"] for p in page] for page in pages] == [[5, 6]]


def test_loop_detected_when_next_points_to_seen_page():
    rec = Recorder(
        httpx.Response(200, content=page_body([1]), headers={"Link": link((2, "next"))}),
        httpx.Response(200, content=page_body([2]),
                       headers={"Link": link((1, "next"), (1, "prev"))}),
    )
    with make_client(rec) as client, pytest.raises(PaginationError) as info:
        collect(client)
    assert len(rec.requests) == 2
    assert "page 1" in info.value.title


def test_page_cap_raises():
    def endless(request):
        page = int(request.url.params["page"])
        return httpx.Response(200, content=page_body([page]),
                              headers={"Link": link((page + 1, "next"))})

    rec = Recorder(endless)
    with make_client(rec, max_pages=3) as client, pytest.raises(PaginationError):
        collect(client)
    assert len(rec.requests) == 3


def test_parties_deduplicated_by_id_across_pages_and_idless_items_kept():
    rec = Recorder(
        httpx.Response(200, content=page_body([1, 2, 3]), headers={"Link": link((2, "next"))}),
        httpx.Response(200, json={"parties": [{"id": 3, "name": "again"}, {"id": 4},
                                              {"type": "organisation", "name": "no id"},
                                              {"id": "7", "name": "string id"}]}),
    )
    with make_client(rec) as client:
        pages, events = collect(client)
    assert [p.get("id") for p in pages[0]] == [1, 2, 3]
    assert [p.get("id") for p in pages[1]] == [4, None, "7"]
    assert events[-1] == PageFetched(page=2, parties_so_far=6)


def test_unknown_keys_and_missing_optional_keys_tolerated():
    body = {"parties": [{"id": 9, "type": "person", "enrichment": None, "brandNew": {"x": 1}}],
            "meta": {"totalCount": 1}, "somethingElse": [1, 2]}
    rec = Recorder(httpx.Response(200, json=body))
    with make_client(rec) as client:
        pages, _ = collect(client)
    assert pages == [[body["parties"][0]]]


@pytest.mark.parametrize("header, expected", [
    ('<https://a/api/v2/parties?page=4>; rel="next"', 4),
    ("<https://a/api/v2/parties?page=4&perPage=8>; rel=next", 4),
    ('<https://a/x?page=1&perPage=8>; rel="prev", <https://a/x?perPage=8&page=3>; rel="next"', 3),
    ('  <https://a/x?page=3>  ;   rel = "next"  ,<https://a/x?page=1>;rel="prev"', 3),
    ('<https://a/x?page=5>; title="a, b; c"; rel="next"', 5),
    ('<https://a/x?page=6>; rel="last next"', 6),
    ('<https://a/x?page=7>; REL="Next"', 7),
    ('<https://a/x?page=1>; rel="prev"', None),
    ("", None),
    (None, None),
])
def test_link_header_variants(header, expected):
    assert next_page_number(header) == expected


def test_link_header_without_page_number_is_a_pagination_error():
    with pytest.raises(PaginationError):
        next_page_number('<https://a/x?cursor=abc>; rel="next"')


def test_parse_link_header_keeps_all_entries():
    links = parse_link_header((FIXTURES / "list-parties-page2.link.txt").read_text())
    assert [params["rel"] for _, params in links] == ["next", "prev"]


def test_link_variants_drive_a_download():
    rec = Recorder(
        httpx.Response(200, content=page_body([1]), headers={
            "Link": "<https://api.capsulecrm.com/api/v2/parties?page=1>; rel=prev , "
                    "<https://api.capsulecrm.com/api/v2/parties?page=2>;rel=next"}),
        httpx.Response(200, content=page_body([2])),
    )
    with make_client(rec) as client:
        pages, _ = collect(client)
    assert len(pages) == 2


# --------------------------------------------------------------------------- auth


@pytest.mark.parametrize("status", [401, 403])
def test_auth_error_is_not_retried(status):
    _, headers = fixture_headers("error-401.headers.txt")
    rec = Recorder(httpx.Response(status, content=fixture_bytes("error-401.json"),
                                  headers=headers))
    with make_client(rec) as client, pytest.raises(AuthError) as info:
        client.get_site()
    assert len(rec.requests) == 1
    assert info.value.title == "Capsule refused the access token."
    assert "API Authentication Tokens" in info.value.hint
    if status == 403:
        assert "read scope" in info.value.hint


# --------------------------------------------------------------------------- rate limits


def rate_limited() -> httpx.Response:
    _, headers = fixture_headers("error-429.headers.txt")
    return httpx.Response(429, content=fixture_bytes("error-429.json"), headers=headers)


def test_429_waits_until_reset_then_retries():
    fake = FakeTime(now=RESET - 42)
    rec = Recorder(rate_limited(), httpx.Response(200, content=page_body([1])))
    with make_client(rec, fake) as client:
        pages, events = collect(client)
    assert pages == [[{"id": 1, "type": "organisation", "name": "Org 1"}]]
    assert fake.total == pytest.approx(42)
    assert max(fake.slept) <= 0.25  # waited in chunks, so a cancel is seen promptly
    assert events[0] == RateLimitWait(seconds=42)
    assert rec.requests[0].url == rec.requests[1].url


def test_429_with_reset_in_past_waits_at_least_one_second():
    fake = FakeTime(now=RESET + 100)
    rec = Recorder(rate_limited(), httpx.Response(200, content=page_body([1])))
    with make_client(rec, fake) as client:
        _, events = collect(client)
    assert events[0] == RateLimitWait(seconds=1.0)


def test_retry_after_is_honoured():
    fake = FakeTime(now=RESET - 42)
    rec = Recorder(httpx.Response(429, json={"error": "rate limit reached"},
                                  headers={"Retry-After": "7", "X-RateLimit-Reset": str(RESET)}),
                   httpx.Response(200, content=page_body([1])))
    with make_client(rec, fake) as client:
        _, events = collect(client)
    assert events[0] == RateLimitWait(seconds=7)
    assert fake.total == pytest.approx(7)


def test_429_without_headers_backs_off():
    fake = FakeTime()
    rec = Recorder(httpx.Response(429, json={"error": "rate limit reached"}),
                   httpx.Response(200, content=page_body([1])))
    with make_client(rec, fake) as client:
        _, events = collect(client)
    assert isinstance(events[0], RateLimitWait) and events[0].seconds >= 1


def test_429_does_not_use_up_max_retries():
    fake = FakeTime(now=RESET - 5)
    rec = Recorder(rate_limited(), rate_limited(), rate_limited(),
                   httpx.Response(200, content=page_body([1])))
    with make_client(rec, fake, max_retries=1) as client:
        pages, _ = collect(client)
    assert len(pages) == 1 and len(rec.requests) == 4


def test_429_longer_than_allowed_wait_raises():
    fake = FakeTime(now=RESET - 5000)
    rec = Recorder(rate_limited())
    with make_client(rec, fake, max_rate_limit_wait=60) as client, \
            pytest.raises(RateLimitedError):
        collect(client)
    assert fake.total == 0


def test_remaining_zero_waits_before_next_request():
    fake = FakeTime(now=RESET - 30)
    rec = Recorder(
        httpx.Response(200, content=page_body([1]), headers={
            "Link": link((2, "next")), "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": str(RESET)}),
        httpx.Response(200, content=page_body([2]),
                       headers={"X-RateLimit-Remaining": "3999"}),
    )
    with make_client(rec, fake) as client:
        pages, events = collect(client)
    assert len(pages) == 2
    assert RateLimitWait(seconds=30) in events
    assert fake.total == pytest.approx(30)


# --------------------------------------------------------------------------- retries


def test_5xx_retried_then_success():
    fake = FakeTime()
    rec = Recorder(httpx.Response(503, text="unavailable"), httpx.Response(500, json={}),
                   httpx.Response(200, content=page_body([1])))
    with make_client(rec, fake, backoff_base=0.5) as client:
        pages, events = collect(client)
    assert len(pages) == 1
    retries = [e for e in events if isinstance(e, Retrying)]
    assert retries == [Retrying(attempt=1, reason="Capsule answered HTTP 503", delay=0.5),
                       Retrying(attempt=2, reason="Capsule answered HTTP 500", delay=1.0)]
    assert fake.total == pytest.approx(1.5)


def test_backoff_is_capped():
    fake = FakeTime()
    rec = Recorder(httpx.Response(502))
    with make_client(rec, fake, max_retries=6, backoff_base=1, backoff_cap=4) as client, \
            pytest.raises(ServerError):
        client.get_site()
    delays = [1, 2, 4, 4, 4, 4]
    assert fake.total == pytest.approx(sum(delays))


def test_5xx_forever_raises_server_error_after_max_retries():
    rec = Recorder(httpx.Response(500, json={"message": "boom"}))
    with make_client(rec, max_retries=3) as client, pytest.raises(ServerError) as info:
        collect(client)
    assert len(rec.requests) == 4
    assert "HTTP 500" in info.value.title


@pytest.mark.parametrize("exc, error", [
    (httpx.ConnectError("[Errno 111] Connection refused"), NetworkError),
    (httpx.ConnectTimeout("timed out"), NetworkError),
    (httpx.ReadTimeout("timed out"), NetworkError),
    (httpx.RemoteProtocolError("Server disconnected without sending a response."), NetworkError),
    (httpx.ReadError("connection reset"), NetworkError),
])
def test_transport_faults_retried_then_network_error(exc, error):
    rec = Recorder(exc)
    with make_client(rec, max_retries=2) as client, pytest.raises(error) as info:
        client.get_site()
    assert len(rec.requests) == 3
    assert "api.capsulecrm.com" in info.value.title


def test_transport_fault_then_success():
    rec = Recorder(httpx.ConnectError("refused"), httpx.ReadTimeout("slow"),
                   httpx.Response(200, content=fixture_bytes("site.json")))
    with make_client(rec) as client:
        assert client.get_site()["subdomain"] == "examplecorp-demo"


def test_non_json_200_retried_then_bad_response():
    rec = Recorder(httpx.Response(200, content=b'{"parties": [{"id": 1,',
                                  headers={"Content-Type": "application/json"}))
    with make_client(rec, max_retries=2) as client, pytest.raises(BadResponseError):
        collect(client)
    assert len(rec.requests) == 3


def test_non_json_200_then_good_answer():
    rec = Recorder(httpx.Response(200, content=b"oops"),
                   httpx.Response(200, content=page_body([1])))
    with make_client(rec) as client:
        pages, events = collect(client)
    assert len(pages) == 1
    assert isinstance(events[0], Retrying) and "JSON" in events[0].reason


def test_html_site_is_not_capsule():
    rec = Recorder(httpx.Response(200, text="<!DOCTYPE html><html><body>Log in</body></html>",
                                  headers={"Content-Type": "text/html; charset=utf-8"}))
    with make_client(rec) as client, pytest.raises(NotCapsuleError) as info:
        client.get_site()
    assert len(rec.requests) <= 2  # asked again at most once: a web page will not fix itself
    assert "https://api.capsulecrm.com" in info.value.hint


def test_wrong_json_shape_is_not_capsule():
    rec = Recorder(httpx.Response(200, json={"status": "ok"}))
    with make_client(rec) as client, pytest.raises(NotCapsuleError):
        client.get_site()


def test_404_on_site_is_not_capsule():
    rec = Recorder(httpx.Response(404, json={"message": "Could not find resource"}))
    with make_client(rec) as client, pytest.raises(NotCapsuleError):
        client.get_site()
    assert len(rec.requests) == 1


def test_other_4xx_is_a_capsule_error_without_retry():
    rec = Recorder(httpx.Response(422, json={"message": "Validation Failed", "errors": []}))
    with make_client(rec) as client, pytest.raises(CapsuleError) as info:
        client.get_site()
    assert "422" in info.value.title and len(rec.requests) == 1


# --------------------------------------------------------------------------- cancel


def test_cancel_before_start():
    cancel = threading.Event()
    cancel.set()
    rec = Recorder(httpx.Response(200, content=page_body([1])))
    with make_client(rec) as client, pytest.raises(DownloadCancelled):
        collect(client, cancel=cancel)
    assert rec.requests == []


def test_cancel_during_rate_limit_wait_is_prompt():
    cancel = threading.Event()
    fake = FakeTime(now=RESET - 600)

    def sleep(seconds):
        fake.sleep(seconds)
        if fake.total >= 2:
            cancel.set()

    rec = Recorder(rate_limited(), httpx.Response(200, content=page_body([1])))
    client = CapsuleClient("https://api.capsulecrm.com", TOKEN,
                           transport=httpx.MockTransport(rec), sleep=sleep, clock=fake.clock)
    with client, pytest.raises(DownloadCancelled):
        collect(client, cancel=cancel)
    assert fake.total < 3
    assert len(rec.requests) == 1


def test_cancel_between_pages():
    cancel = threading.Event()
    rec = Recorder(
        httpx.Response(200, content=page_body([1]), headers={"Link": link((2, "next"))}),
        httpx.Response(200, content=page_body([2])),
    )
    with make_client(rec) as client:
        it = client.iter_party_pages(cancel=cancel)
        assert next(it)[0]["id"] == 1
        cancel.set()
        with pytest.raises(DownloadCancelled):
            next(it)
    assert len(rec.requests) <= 2  # read-ahead may already have fetched the next page


# --------------------------------------------------------------------------- the token


def all_error_texts():
    """Provoke every error the client raises and return their texts."""
    cases = [
        Recorder(httpx.Response(401, content=fixture_bytes("error-401.json"))),
        Recorder(httpx.Response(403, json={"message": f"token {TOKEN} lacks scope"})),
        Recorder(httpx.Response(404, json={"message": "Could not find resource"})),
        Recorder(httpx.Response(500, text=f"trace: Bearer {TOKEN}")),
        Recorder(httpx.ConnectError(f"refused {TOKEN}")),
        Recorder(httpx.Response(200, text=f"<html>{TOKEN}</html>")),
        Recorder(httpx.Response(200, text=f"not json {TOKEN}")),
        Recorder(httpx.Response(400, json={"message": f"bad {TOKEN}"})),
        Recorder(httpx.Response(429, headers={"X-RateLimit-Reset": str(RESET + 99999)})),
        Recorder(httpx.Response(200, content=page_body([1]), headers={"Link": link((1, "next"))})),
    ]
    texts = []
    for rec in cases:
        with make_client(rec, max_retries=1, max_rate_limit_wait=10) as client:
            with pytest.raises(CapsuleError) as info:
                collect(client)
        err = info.value
        texts.append((type(err).__name__, str(err), repr(err), err.title, err.hint,
                       repr(err.args)))
    return texts


def test_token_never_appears_in_error_text():
    texts = all_error_texts()
    names = {t[0] for t in texts}
    assert {"AuthError", "NotCapsuleError", "ServerError", "NetworkError", "BadResponseError",
            "CapsuleError", "RateLimitedError", "PaginationError"} <= names
    for parts in texts:
        for text in parts:
            assert TOKEN not in text


def test_error_str_is_title_then_hint():
    err = NetworkError()
    assert str(err) == f"{err.title} {err.hint}"
    assert err.title.endswith(".") and err.hint.endswith(".")


def test_client_repr_hides_token():
    with make_client(Recorder(httpx.Response(200))) as client:
        assert TOKEN not in repr(client)


@pytest.mark.parametrize("text, reason", [
    ("[Errno -2] Name or service not known", "host name was not found"),
    ("[SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1006)", r"secure \(TLS\)"),
])
def test_a_wrong_host_or_tls_failure_is_not_retried(text, reason):
    calls = []

    def handler(request):
        calls.append(request)
        raise httpx.ConnectError(text, request=request)

    client = CapsuleClient("https://nowhere.example", TOKEN, transport=httpx.MockTransport(handler),
                           sleep=lambda s: None)
    with client, pytest.raises(NetworkError, match=reason):
        client.get_site()
    assert len(calls) == 1
