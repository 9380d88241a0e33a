"""SandboxServer: a Capsule-compatible HTTP server on loopback serving seeded data, with faults."""

from __future__ import annotations

import collections
import math
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import orjson

from capsule_tui.capsule.sandbox.data import SandboxData, parse_iso
from capsule_tui.capsule.sandbox.faults import Fault, FaultPlan

API = "/api/v2"
WWW_AUTHENTICATE = ('Bearer error="invalid_token", error_description="The access token '
                    'provided is invalid or has expired"')
BODY_401 = orjson.dumps({"error": "invalid_token", "error_description":
                         "The access token provided is invalid or has expired"})
HTML_PAGE = (b"<!DOCTYPE html><html><head><title>Sign in</title></head><body>"
             b"<h1>Please sign in</h1><p>This is a web page, not the API.</p></body></html>")


@dataclass
class _Reply:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"


def _json(status: int, data: object, headers: dict[str, str] | None = None) -> _Reply:
    return _Reply(status, orjson.dumps(data), headers or {})


def _message(status: int, text: str) -> _Reply:
    return _json(status, {"message": text})


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, address, handler, owner: "SandboxServer") -> None:
        self.owner = owner
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, handler)

    def process_request(self, request, client_address):
        with self.connections_lock:
            self.connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request):
        with self.connections_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError, OSError)):
            return  # a client went away; nothing to report
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "CapsuleStandIn/1.0"
    sys_version = ""
    timeout = 60  # idle keep-alive connections are closed after this

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        self.server.owner._handle(self)

    def _not_allowed(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.server.owner._handle(self)

    do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _not_allowed

    def do_HEAD(self) -> None:
        self.server.owner._handle(self)


class SandboxServer:
    """The local Capsule stand-in. `start()` serves from a background thread on `url`."""

    def __init__(self, *, parties: int = 500, seed: int = 1, token: str = "demo-token",
                 subdomain: str = "demo", host: str = "127.0.0.1", port: int = 0,
                 rate_limit: int = 4000, clock: Callable[[], float] = time.time,
                 site_name: str | None = None) -> None:
        self.data = SandboxData(count=parties, seed=seed)
        self.token = token
        self.subdomain = subdomain
        self.site_name = site_name or f"{subdomain.replace('-', ' ').title()} Trading Co."
        self.host = host
        self.port = port
        self.rate_limit = rate_limit
        self.clock = clock
        self.faults = FaultPlan()
        # One entry per request: {"method", "path", "query", "status", "fault"}.
        self.requests: collections.deque[dict] = collections.deque(maxlen=100_000)
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._window = -1
        self._used = 0
        self._cache: collections.OrderedDict[tuple, tuple[bytes, bool, int]] = \
            collections.OrderedDict()
        self.url = ""

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> "SandboxServer":
        if self._httpd is not None:
            return self
        self._stopping.clear()
        self._httpd = _HTTPServer((self.host, self.port), _Handler, self)
        self.port = self._httpd.server_address[1]
        self.url = f"http://{self.host}:{self.port}"
        self._thread = threading.Thread(target=self._httpd.serve_forever,
                                        kwargs={"poll_interval": 0.05},
                                        name="capsule-sandbox", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        self._stopping.set()
        httpd.shutdown()
        with httpd.connections_lock:
            open_connections = list(httpd.connections)
        for conn in open_connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> "SandboxServer":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def api_url(self) -> str:
        return self.url + API

    def party_count(self) -> int:
        return self.data.count

    # ------------------------------------------------------------------ one request

    def _handle(self, h: _Handler) -> None:
        split = urlsplit(h.path)
        path = split.path.rstrip("/") or "/"
        query = {k: v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        try:
            page = int(query.get("page", "1"))
        except ValueError:
            page = 1
        entry = {"method": h.command, "path": path, "query": query, "status": None,
                 "fault": None}
        self.requests.append(entry)

        fault = self.faults.take(path, page)
        if fault is not None:
            entry["fault"] = fault.kind
            if fault.kind == "drop":
                entry["status"] = 0
                h.close_connection = True
                return
            if fault.kind == "delay":
                if self._stopping.wait(fault.seconds):
                    h.close_connection = True
                    return
            else:
                reply = self._fault_reply(fault)
                if reply is not None:
                    entry["status"] = reply.status
                    self._write(h, reply, truncate=False)
                    return

        reply = self._route(h, path, query)
        entry["status"] = reply.status
        truncate = fault is not None and fault.kind == "truncate"
        self._write(h, reply, truncate=truncate)

    def _fault_reply(self, fault: Fault) -> _Reply | None:
        if fault.kind == "429":
            reset = math.ceil(self.clock() + fault.reset_in)
            return _json(429, {"error": "rate limit reached"}, {
                "X-RateLimit-Limit": str(self.rate_limit), "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": str(reset)})
        if fault.kind == "500":
            return _message(500, "Internal Server Error")
        if fault.kind == "503":
            return _message(503, "Service Unavailable")
        if fault.kind == "html":
            return _Reply(200, HTML_PAGE, {}, "text/html; charset=utf-8")
        if fault.kind == "notjson":
            return _Reply(200, b"upstream said: OK", {}, "application/json")
        return None  # truncate: answer normally, cut short when writing

    def _write(self, h: _Handler, reply: _Reply, *, truncate: bool) -> None:
        body = reply.body if h.command != "HEAD" else b""
        h.send_response(reply.status)
        h.send_header("Content-Type", reply.content_type)
        h.send_header("Content-Length", str(len(reply.body)))
        for name, value in reply.headers.items():
            h.send_header(name, value)
        if truncate:
            h.send_header("Connection", "close")
        h.end_headers()
        if truncate:
            h.wfile.write(body[: len(body) // 2])
            h.wfile.flush()
            h.close_connection = True
            return
        h.wfile.write(body)

    def _rate_headers(self) -> tuple[dict[str, str], bool]:
        """Count this request in the hourly window; (headers, over the limit?)."""
        now = self.clock()
        window = int(now // 3600)
        with self._lock:
            if window != self._window:
                self._window, self._used = window, 0
            self._used += 1
            used = self._used
        remaining = max(0, self.rate_limit - used)
        headers = {"X-RateLimit-Limit": str(self.rate_limit),
                   "X-RateLimit-Remaining": str(remaining),
                   "X-RateLimit-Reset": str((window + 1) * 3600)}
        return headers, used > self.rate_limit

    def _route(self, h: _Handler, path: str, query: dict[str, str]) -> _Reply:
        if h.command not in ("GET", "HEAD"):
            return _message(405, "Method not allowed")
        auth = h.headers.get("Authorization", "")
        scheme, _, given = auth.partition(" ")
        if scheme.lower() != "bearer" or given.strip() != self.token:
            return _Reply(401, BODY_401, {"WWW-Authenticate": WWW_AUTHENTICATE})
        rate, over = self._rate_headers()
        if over:
            return _json(429, {"error": "rate limit reached"}, rate)
        reply = self._endpoint(h, path, query)
        reply.headers.update(rate)
        return reply

    def _endpoint(self, h: _Handler, path: str, query: dict[str, str]) -> _Reply:
        if path == API + "/site":
            return _json(200, {"site": {"url": f"https://{self.subdomain}.capsulecrm.com",
                                        "subdomain": self.subdomain, "name": self.site_name}})
        if path == API + "/users/current":
            return _json(200, {"user": self.data.user()})
        if path == API + "/parties":
            return self._parties(h, query)
        if path == API + "/parties/tags":
            return self._tags(h, query)
        if path == API + "/parties/deleted":
            since = query.get("since")
            if not since:
                return _json(422, {"message": "Validation Failed", "errors": [
                    {"message": "since is required", "resource": "party", "field": "since"}]})
            try:
                since_epoch = parse_iso(since)
            except ValueError:
                return _json(422, {"message": "Validation Failed", "errors": [
                    {"message": "since is invalid", "resource": "party", "field": "since"}]})
            return _json(200, self.data.deleted(since_epoch))
        return _message(404, "Could not find resource")

    # ------------------------------------------------------------------ lists

    @staticmethod
    def _paging(query: dict[str, str]) -> tuple[int, int] | _Reply:
        try:
            page = int(query.get("page", "1"))
            per_page = int(query.get("perPage", "50"))
        except ValueError:
            return _message(400, "page and perPage must be whole numbers")
        if not 1 <= per_page <= 100:
            return _message(400, "perPage must be between 1 and 100")
        if page < 1:
            return _message(400, "page must be 1 or more")
        return page, per_page

    def _links(self, h: _Handler, path: str, page: int, per_page: int,
               has_more: bool) -> dict[str, str]:
        host = h.headers.get("Host") or f"{self.host}:{self.port}"
        links = []
        if has_more:
            links.append(f'<http://{host}{path}?page={page + 1}&perPage={per_page}>; rel="next"')
        if page > 1:
            links.append(f'<http://{host}{path}?page={page - 1}&perPage={per_page}>; rel="prev"')
        headers = {"X-Pagination-Has-More": "true" if has_more else "false"}
        if links:
            headers["Link"] = ", ".join(links)
        return headers

    def _parties(self, h: _Handler, query: dict[str, str]) -> _Reply:
        paging = self._paging(query)
        if isinstance(paging, _Reply):
            return paging
        page, per_page = paging
        embed = tuple(sorted({e.strip().lower() for e in query.get("embed", "").split(",")
                              if e.strip()}))
        since = query.get("since")
        since_epoch = None
        if since:
            try:
                since_epoch = parse_iso(since)
            except ValueError:
                return _message(400, "since must be an ISO 8601 date-time")
        key = ("parties", page, per_page, embed, since_epoch)
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
        if cached is None:
            cached = self._build_parties_page(page, per_page, embed, since_epoch)
            with self._lock:
                self._cache[key] = cached
                while len(self._cache) > 64:
                    self._cache.popitem(last=False)
        body, has_more, _n = cached
        return _Reply(200, body, self._links(h, API + "/parties", page, per_page, has_more))

    def _build_parties_page(self, page: int, per_page: int, embed: tuple[str, ...],
                            since_epoch: float | None) -> tuple[bytes, bool, int]:
        data = self.data
        indexes = range(data.count) if since_epoch is None else data.indexes_since(since_epoch)
        start = (page - 1) * per_page
        chunk = indexes[start:start + per_page]
        with_tags = "tags" in embed
        with_org = "organisation" in embed
        items = []
        for i in chunk:
            party = data.party(i)
            if (not with_tags and "tags" in party) or (with_org and party.get("organisation")):
                party = dict(party)
                if not with_tags:
                    party.pop("tags", None)
                if with_org and party.get("organisation"):
                    party["organisation"] = data.organisation_of(party, expanded=True)
            items.append(party)
        has_more = start + per_page < len(indexes)
        return orjson.dumps({"parties": items}), has_more, len(items)

    def _tags(self, h: _Handler, query: dict[str, str]) -> _Reply:
        paging = self._paging(query)
        if isinstance(paging, _Reply):
            return paging
        page, per_page = paging
        tags = self.data.tags()
        start = (page - 1) * per_page
        has_more = start + per_page < len(tags)
        return _Reply(200, orjson.dumps({"tags": tags[start:start + per_page]}),
                      self._links(h, API + "/parties/tags", page, per_page, has_more))


def serve_forever(*, port: int, parties: int, seed: int, token: str) -> None:
    """Run the stand-in in the foreground until Ctrl-C (used by `capsule-tui sandbox`)."""
    server = SandboxServer(parties=parties, seed=seed, token=token, port=port)
    try:
        server.start()
    except OSError as exc:
        raise SystemExit(f"The Capsule stand-in could not listen on 127.0.0.1:{port} "
                         f"({exc.strerror or exc}). Choose another port with --port.") from None
    print(f"Capsule stand-in serving {parties:,} parties (seed {seed}) at {server.url}",
          flush=True)
    print(f"Connect with API URL {server.url}, site '{server.subdomain}', token '{token}'.",
          flush=True)
    print("Press Ctrl-C to stop.", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        print("\nStopping the Capsule stand-in.", flush=True)
    finally:
        server.stop()
