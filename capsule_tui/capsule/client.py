"""CapsuleClient: a synchronous httpx client for Capsule API v2, with paging, rate limits, retries."""

from __future__ import annotations

import email.utils
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

import httpx
import orjson

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
from capsule_tui.domain.models import DEFAULT_API_URL

HOST_NOT_FOUND = "the host name was not found"
SECURE_FAILED = "the secure (TLS) connection failed"
API_PREFIX = "/api/v2"

# How many 429 answers in a row one request may meet before giving up (each is a full wait).
MAX_RATE_LIMIT_RETRIES = 20
# Pages of wrong-shaped or HTML answers are re-asked this many times before NotCapsuleError:
# a captive portal or a wrong URL will not fix itself, so do not make the operator wait long.
MAX_NOT_CAPSULE_RETRIES = 1
# Waits are cut into chunks of at most this many seconds, so a cancel is seen promptly.
WAIT_CHUNK = 0.25


# --------------------------------------------------------------------------- events


@dataclass(frozen=True)
class PageFetched:
    """A page of parties arrived; parties_so_far counts unique parties yielded so far."""

    page: int
    parties_so_far: int


@dataclass(frozen=True)
class RateLimitWait:
    """The client is about to wait this many seconds for Capsule's rate limit to reset."""

    seconds: float


@dataclass(frozen=True)
class Retrying:
    """A transient fault happened; retry number `attempt` follows after `delay` seconds."""

    attempt: int
    reason: str
    delay: float


CapsuleEvent = PageFetched | RateLimitWait | Retrying
EventCallback = Callable[[CapsuleEvent], object]


class CancelToken(Protocol):
    """What the client needs from a cancel token (threading.Event fits)."""

    def is_set(self) -> bool: ...

    def wait(self, timeout: float | None = None) -> bool: ...


# --------------------------------------------------------------------------- helpers


def normalise_api_url(api_url: str | None) -> str:
    """Return the API root (scheme://host[:port][/prefix]) without a trailing /api/v2 or slash."""
    url = (api_url or "").strip() or DEFAULT_API_URL
    if "://" not in url:
        url = "https://" + url
    url = url.rstrip("/")
    for suffix in (API_PREFIX, "/api"):
        if url.lower().endswith(suffix):
            url = url[: -len(suffix)].rstrip("/")
            break
    return url


def parse_link_header(value: str | None) -> list[tuple[str, dict[str, str]]]:
    """Parse an RFC 5988/8288 Link header into (url, params) pairs; params keys are lower-case.

    Tolerates quoted or bare parameter values, extra spaces, and commas inside quotes.
    """
    links: list[tuple[str, dict[str, str]]] = []
    if not value:
        return links
    i, n = 0, len(value)
    while i < n:
        while i < n and value[i] in " \t,":
            i += 1
        if i >= n:
            break
        if value[i] != "<":
            # Malformed entry: skip to the next comma.
            nxt = value.find(",", i)
            i = n if nxt < 0 else nxt + 1
            continue
        end = value.find(">", i)
        if end < 0:
            break
        url = value[i + 1:end].strip()
        i = end + 1
        params: dict[str, str] = {}
        while True:
            while i < n and value[i] in " \t":
                i += 1
            if i >= n or value[i] != ";":
                break
            i += 1
            while i < n and value[i] in " \t":
                i += 1
            start = i
            while i < n and value[i] not in "=;, \t":
                i += 1
            name = value[start:i].lower()
            while i < n and value[i] in " \t":
                i += 1
            param_value = ""
            if i < n and value[i] == "=":
                i += 1
                while i < n and value[i] in " \t":
                    i += 1
                if i < n and value[i] == '"':
                    i += 1
                    chars = []
                    while i < n and value[i] != '"':
                        if value[i] == "\\" and i + 1 < n:
                            i += 1
                        chars.append(value[i])
                        i += 1
                    i += 1  # closing quote
                    param_value = "".join(chars)
                else:
                    start = i
                    while i < n and value[i] not in ";, \t":
                        i += 1
                    param_value = value[start:i]
            if name and name not in params:
                params[name] = param_value
        # Skip anything left in this entry up to the separating comma.
        while i < n and value[i] != ",":
            i += 1
        links.append((url, params))
    return links


def next_page_number(link_header: str | None) -> int | None:
    """The `page` number of the rel="next" link, or None when there is no next link.

    Raises PaginationError when a next link exists but carries no usable page number.
    """
    for url, params in parse_link_header(link_header):
        rels = params.get("rel", "").lower().split()
        if "next" not in rels:
            continue
        values = parse_qs(urlsplit(url).query).get("page")
        try:
            page = int(values[0]) if values else 0
        except ValueError:
            page = 0
        if page < 1:
            raise PaginationError(
                "Capsule's next-page link carried no page number.",
                "The download was stopped; try again later, and report it if it happens again.")
        return page
    return None


def _header_number(headers: httpx.Headers, name: str) -> float | None:
    raw = headers.get(name)
    if raw is None:
        return None
    try:
        return float(raw.strip())
    except ValueError:
        return None


def _retry_after_seconds(headers: httpx.Headers, now: float) -> float | None:
    raw = headers.get("retry-after")
    if raw is None:
        return None
    raw = raw.strip()
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - now)


def _looks_like_html(response: httpx.Response, body: bytes) -> bool:
    ctype = response.headers.get("content-type", "").lower()
    if "html" in ctype:
        return True
    head = body[:200].lstrip().lower()
    return head.startswith(b"<!doctype html") or head.startswith(b"<html") or head.startswith(b"<")


def _user_agent() -> str:
    try:
        from importlib.metadata import version
        ver = version("capsule-tui")
    except Exception:  # pragma: no cover - not installed
        ver = "0"
    return f"capsule-tui/{ver} python-httpx/{httpx.__version__}"


class _Transient(Exception):
    """A retryable failure inside one request; `kind` picks the final error class."""

    def __init__(self, kind: str, reason: str, status: int | None = None) -> None:
        super().__init__(reason)
        self.kind = kind  # "server" | "network" | "bad" | "notcapsule"
        self.reason = reason
        self.status = status


class _RateLimited(Exception):
    def __init__(self, seconds: float | None) -> None:
        super().__init__(seconds)
        self.seconds = seconds


# --------------------------------------------------------------------------- the client


_DONE = object()


def read_ahead(source: Iterator[Any], cancel: CancelToken | None = None,
               depth: int = 2) -> Iterator[Any]:
    """Iterate `source` in a helper thread, up to `depth` items ahead of the consumer.

    The next page downloads while the caller works on this one, so the caller's work hides
    behind the network wait. Errors are raised in the consumer; closing the consumer (or
    setting `cancel`) stops the helper at its next step.
    """
    box: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                box.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in source:
                if not put((True, item)):
                    return
            put((True, _DONE))
        except BaseException as exc:  # handed over to the consumer
            put((False, exc))
        finally:
            if stop.is_set():
                close = getattr(source, "close", None)
                if close is not None:
                    close()

    worker = threading.Thread(target=produce, name="capsule-read-ahead", daemon=True)
    worker.start()
    try:
        while True:
            try:
                ok, item = box.get(timeout=0.1)
            except queue.Empty:
                if cancel is not None and cancel.is_set():
                    raise DownloadCancelled() from None
                continue
            if not ok:
                raise item
            if item is _DONE:
                return
            if cancel is not None and cancel.is_set():
                raise DownloadCancelled()
            yield item
    finally:
        stop.set()


class CapsuleClient:
    """Reads a Capsule account through API v2 (read-only).

    One client talks to one account (the token decides which). It is meant to be used from
    one thread at a time; a cancel token may be set from any thread.
    """

    def __init__(self, api_url: str, token: str, *, transport: httpx.BaseTransport | None = None,
                 timeout: float = 30.0, sleep: Callable[[float], object] = time.sleep,
                 clock: Callable[[], float] = time.time, max_retries: int = 5,
                 backoff_base: float = 0.5, backoff_cap: float = 30.0, max_pages: int = 100_000,
                 per_page: int = 100, max_rate_limit_wait: float = 3900.0) -> None:
        self.api_root = normalise_api_url(api_url)
        self.base_url = self.api_root + API_PREFIX
        self._token = (token or "").strip()
        self._sleep = sleep
        self._clock = clock
        self.max_retries = max(0, int(max_retries))
        self.backoff_base = max(0.0, float(backoff_base))
        self.backoff_cap = max(0.0, float(backoff_cap))
        self.max_pages = max(1, int(max_pages))
        self.per_page = min(100, max(1, int(per_page)))
        self.max_rate_limit_wait = float(max_rate_limit_wait)
        self.requests_sent = 0
        # Absolute epoch second until which Capsule said no requests are left.
        self._quota_reset_at: float | None = None
        try:
            self._host = urlsplit(self.api_root).hostname or self.api_root
        except ValueError:
            self._host = self.api_root
        self._http = httpx.Client(
            headers={
                "Authorization": f"Bearer {self._token}",
                "Accept": "application/json",
                "User-Agent": _user_agent(),
            },
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            verify=True,
            follow_redirects=True,
            transport=transport,
        )

    # ------------------------------------------------------------------ lifecycle

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "CapsuleClient":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:  # never show the token
        return f"CapsuleClient({self.api_root!r})"

    # ------------------------------------------------------------------ public calls

    def get_site(self, *, cancel: CancelToken | None = None,
                 on_event: EventCallback | None = None) -> dict:
        """GET /api/v2/site → {"url", "subdomain", "name"} of the token's account."""
        data = self._get_json("/site", {}, "site", dict, cancel=cancel, on_event=on_event)
        return data["site"]

    def get_current_user(self, *, cancel: CancelToken | None = None,
                         on_event: EventCallback | None = None) -> dict:
        """GET /api/v2/users/current → the token's user."""
        data = self._get_json("/users/current", {}, "user", dict, cancel=cancel,
                              on_event=on_event)
        return data["user"]

    def list_tags(self, *, cancel: CancelToken | None = None,
                  on_event: EventCallback | None = None) -> list[dict]:
        """Every party tag definition (all pages of /api/v2/parties/tags), de-duplicated by id."""
        tags: list[dict] = []
        seen: set[int] = set()
        for _page, items in self._pages("/parties/tags", {}, "tags", cancel=cancel,
                                        on_event=on_event):
            for item in items:
                tag_id = item.get("id") if isinstance(item, dict) else None
                if isinstance(tag_id, int) and not isinstance(tag_id, bool):
                    if tag_id in seen:
                        continue
                    seen.add(tag_id)
                tags.append(item)
        return tags

    def iter_party_pages(self, *, embed: Iterable[str] = ("tags", "organisation"),
                         since: str | None = None, on_event: EventCallback | None = None,
                         cancel: CancelToken | None = None) -> Iterator[list[dict]]:
        """Yield each page of parties (raw JSON dicts), de-duplicated by id across pages.

        Items without an integer id are yielded as they are (downstream skips them with a
        reason). Sends PageFetched after each page; raises a CapsuleError subclass on failure.
        """
        extra: dict[str, str] = {}
        embed_list = [e for e in embed if e] if embed else []
        if embed_list:
            extra["embed"] = ",".join(embed_list)
        if since:
            extra["since"] = since
        seen_ids: set[int] = set()
        total = 0
        pages = self._pages("/parties", extra, "parties", cancel=cancel, on_event=on_event)
        for page, items in read_ahead(pages, cancel):
            fresh: list[dict] = []
            for item in items:
                pid = item.get("id") if isinstance(item, dict) else None
                if isinstance(pid, int) and not isinstance(pid, bool):
                    if pid in seen_ids:
                        continue
                    seen_ids.add(pid)
                fresh.append(item)
            total += len(fresh)
            if on_event is not None:
                on_event(PageFetched(page=page, parties_so_far=total))
            yield fresh

    # ------------------------------------------------------------------ pagination

    def _pages(self, path: str, extra: dict[str, str], key: str, *,
               cancel: CancelToken | None, on_event: EventCallback | None,
               ) -> Iterator[tuple[int, list]]:
        """Walk a paged list: page numbers come from rel="next", requests are rebuilt here."""
        seen_pages: set[int] = set()
        page = 1
        while True:
            self._check_cancel(cancel)
            if len(seen_pages) >= self.max_pages:
                raise PaginationError(
                    f"Capsule had more than {self.max_pages:,} pages to send.",
                    "The download was stopped at the page cap; try again later, and report it "
                    "if it happens again.")
            params = {"page": str(page), "perPage": str(self.per_page), **extra}
            response, data = self._request(path, params, key, list, cancel=cancel,
                                           on_event=on_event)
            seen_pages.add(page)
            yield page, data[key]
            nxt = next_page_number(response.headers.get("link"))
            if nxt is None:
                return
            if nxt in seen_pages:
                raise PaginationError(
                    f"Capsule's next-page link pointed back to page {nxt}, already read.",
                    "The download was stopped to avoid looping; try again later, and report it "
                    "if it happens again.")
            page = nxt

    # ------------------------------------------------------------------ one request

    def _get_json(self, path: str, params: dict[str, str], key: str, shape: type, *,
                  cancel: CancelToken | None, on_event: EventCallback | None) -> dict:
        return self._request(path, params, key, shape, cancel=cancel, on_event=on_event)[1]

    def _request(self, path: str, params: dict[str, str], key: str, shape: type, *,
                 cancel: CancelToken | None, on_event: EventCallback | None,
                 ) -> tuple[httpx.Response, dict]:
        """GET base_url+path with retries; returns the response and its JSON object.

        The body must be a JSON object whose `key` holds a value of type `shape`.
        """
        url = self.base_url + path
        failures = 0
        not_capsule_failures = 0
        rate_limited = 0
        while True:
            self._check_cancel(cancel)
            self._wait_for_quota(cancel, on_event)
            try:
                response, data = self._attempt(url, params, key, shape, cancel)
            except _RateLimited as exc:
                rate_limited += 1
                if rate_limited > MAX_RATE_LIMIT_RETRIES:
                    raise RateLimitedError(
                        f"Capsule kept answering 'rate limit reached' ({rate_limited} times).",
                        "Something else may be using this token's hourly quota; wait an hour "
                        "and try again.", status=429) from None
                seconds = exc.seconds
                if seconds is None or rate_limited > 1:
                    fallback = self._backoff(rate_limited)
                    seconds = fallback if seconds is None else max(seconds, fallback)
                self._rate_limit_wait(max(1.0, seconds), cancel, on_event)
                continue
            except _Transient as exc:
                if exc.kind == "notcapsule":
                    not_capsule_failures += 1
                    exhausted = not_capsule_failures > min(self.max_retries,
                                                           MAX_NOT_CAPSULE_RETRIES)
                else:
                    failures += 1
                    exhausted = failures > self.max_retries
                if exhausted:
                    raise self._final_error(exc) from None
                attempt = failures + not_capsule_failures
                delay = self._backoff(attempt)
                if on_event is not None:
                    on_event(Retrying(attempt=attempt, reason=exc.reason, delay=delay))
                self._wait(delay, cancel)
                continue
            return response, data

    def _attempt(self, url: str, params: dict[str, str], key: str, shape: type,
                 cancel: CancelToken | None) -> tuple[httpx.Response, dict]:
        """One HTTP exchange; raises _Transient / _RateLimited / CapsuleError."""
        if cancel is None:
            response, body = self._fetch(url, params)
        else:
            response, body = self._fetch_cancellable(url, params, cancel)
        status = response.status_code
        self._note_quota(response)
        if status in (401, 403):
            raise AuthError.for_status(status)
        if status == 429:
            now = self._clock()
            seconds = _retry_after_seconds(response.headers, now)
            if seconds is None:
                reset = _header_number(response.headers, "x-ratelimit-reset")
                if reset is not None:
                    seconds = reset - now
            raise _RateLimited(seconds)
        if status >= 500:
            raise _Transient("server", f"Capsule answered HTTP {status}", status)
        if status == 404:
            raise NotCapsuleError(
                f"{self._host} answered 'not found' for {urlsplit(url).path}.",
                "Check the API URL; the default is https://api.capsulecrm.com.", status=404)
        if not 200 <= status < 300:
            raise CapsuleError(
                f"Capsule rejected the request with HTTP {status}.",
                "Check the API URL; if it is right, report this with the time it happened.",
                status=status)
        if _looks_like_html(response, body):
            raise _Transient("notcapsule", "the answer was a web page, not API data", status)
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise _Transient("bad", "the answer was not valid JSON", status) from None
        if not isinstance(data, dict) or not isinstance(data.get(key), shape):
            raise _Transient("notcapsule", f"the answer had no '{key}' in it", status)
        return response, data

    def _fetch(self, url: str, params: dict[str, str]) -> tuple[httpx.Response, bytes]:
        """Send the GET and read the whole body; transport faults become _Transient."""
        self.requests_sent += 1
        try:
            with self._http.stream("GET", url, params=params) as response:
                try:
                    body = response.read()
                except (httpx.TimeoutException, httpx.NetworkError,
                        httpx.RemoteProtocolError) as exc:
                    raise _Transient("bad", "the answer was cut short "
                                     f"({self._describe(exc)})") from None
        except _Transient:
            raise
        except httpx.TimeoutException as exc:
            raise _Transient("network", self._describe(exc)) from None
        except (httpx.NetworkError, httpx.RemoteProtocolError) as exc:
            reason = self._describe(exc)
            if reason in (HOST_NOT_FOUND, SECURE_FAILED):  # asking again will not help
                raise NetworkError(f"Could not reach {self._host}: {reason}.",
                                   "Check the API URL (its spelling, and http or https), "
                                   "then try again.") from None
            raise _Transient("network", reason) from None
        except httpx.TooManyRedirects:
            raise NotCapsuleError(
                f"{self._host} kept redirecting the request.",
                "Check the API URL; the default is https://api.capsulecrm.com.") from None
        except (httpx.UnsupportedProtocol, httpx.InvalidURL, httpx.LocalProtocolError):
            raise NotCapsuleError(
                "The API URL is not a valid web address.",
                "Check the API URL; the default is https://api.capsulecrm.com.") from None
        except httpx.TransportError as exc:
            raise _Transient("network", self._describe(exc)) from None
        return response, body

    def _fetch_cancellable(self, url: str, params: dict[str, str], cancel: CancelToken,
                           ) -> tuple[httpx.Response, bytes]:
        """Run _fetch in a helper thread so a cancel ends the wait for a slow answer at once.

        The abandoned request finishes (or times out) on its own; its result is dropped.
        """
        done = threading.Event()
        box: dict[str, Any] = {}

        def run() -> None:
            try:
                box["result"] = self._fetch(url, params)
            except BaseException as exc:  # handed over to the caller's thread
                box["error"] = exc
            finally:
                done.set()

        threading.Thread(target=run, name="capsule-request", daemon=True).start()
        while not done.wait(0.05):
            if cancel.is_set():
                raise DownloadCancelled()
        if "error" in box:
            raise box["error"]
        return box["result"]

    # ------------------------------------------------------------------ errors

    def _describe(self, exc: Exception) -> str:
        if isinstance(exc, httpx.ConnectTimeout):
            return "the connection timed out"
        if isinstance(exc, httpx.TimeoutException):
            return "Capsule took too long to answer"
        if isinstance(exc, httpx.ConnectError):
            text = str(exc).lower()
            if "refused" in text:
                return "the connection was refused"
            if any(s in text for s in ("name or service", "nodename", "getaddrinfo",
                                       "name resolution", "no address")):
                return HOST_NOT_FOUND
            if "certificate" in text or "ssl" in text or "tls" in text:
                return SECURE_FAILED
            return "the connection failed"
        return "the connection was dropped"

    def _final_error(self, exc: _Transient) -> CapsuleError:
        tries = self.max_retries + 1
        after = f" after {tries} tries" if tries > 1 else ""
        if exc.kind == "server":
            return ServerError(
                f"Capsule answered with a server error (HTTP {exc.status}){after}.",
                "Capsule may be having trouble; wait a few minutes and try again.",
                status=exc.status)
        if exc.kind == "network":
            return NetworkError(
                f"Could not reach {self._host}{after}: {exc.reason}.",
                "Check the URL and the network, then try again.")
        if exc.kind == "notcapsule":
            return NotCapsuleError(
                f"{self._host} does not answer like Capsule's API: {exc.reason}.",
                "Check the API URL; the default is https://api.capsulecrm.com.",
                status=exc.status)
        return BadResponseError(
            f"Capsule's answer could not be read{after}: {exc.reason}.",
            "This is usually a passing network fault; try again in a few minutes.",
            status=exc.status)

    # ------------------------------------------------------------------ waiting

    def _backoff(self, attempt: int) -> float:
        return min(self.backoff_cap, self.backoff_base * (2 ** max(0, attempt - 1)))

    def _note_quota(self, response: httpx.Response) -> None:
        if response.status_code == 429 or not 200 <= response.status_code < 300:
            return
        remaining = _header_number(response.headers, "x-ratelimit-remaining")
        reset = _header_number(response.headers, "x-ratelimit-reset")
        if remaining is not None and remaining <= 0 and reset is not None:
            self._quota_reset_at = reset
        else:
            self._quota_reset_at = None

    def _wait_for_quota(self, cancel: CancelToken | None, on_event: EventCallback | None) -> None:
        """Before a request: if the last answer said no requests are left, wait for the reset."""
        if self._quota_reset_at is None:
            return
        seconds = self._quota_reset_at - self._clock()
        self._quota_reset_at = None
        if seconds > 0:
            self._rate_limit_wait(max(1.0, seconds), cancel, on_event)

    def _rate_limit_wait(self, seconds: float, cancel: CancelToken | None,
                         on_event: EventCallback | None) -> None:
        if seconds > self.max_rate_limit_wait:
            minutes = max(1, round(seconds / 60))
            raise RateLimitedError(
                f"Capsule's hourly request limit is used up for about {minutes} minutes.",
                "Wait until the limit resets, then try again.", status=429)
        if on_event is not None:
            on_event(RateLimitWait(seconds=seconds))
        self._wait(seconds, cancel)

    def _wait(self, seconds: float, cancel: CancelToken | None) -> None:
        """Wait in short chunks through the injected sleep, checking the cancel token."""
        remaining = seconds
        while remaining > 0:
            self._check_cancel(cancel)
            chunk = min(WAIT_CHUNK, remaining)
            self._sleep(chunk)
            remaining -= chunk
        self._check_cancel(cancel)

    @staticmethod
    def _check_cancel(cancel: CancelToken | None) -> None:
        if cancel is not None and cancel.is_set():
            raise DownloadCancelled()
