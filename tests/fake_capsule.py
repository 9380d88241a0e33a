"""An in-memory Capsule for core tests: documented-shape answers through httpx.MockTransport."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlparse

import httpx

from capsule_tui.capsule.client import CapsuleClient


class FakeCapsule:
    """Serves `parties` and `tags` like Capsule's API v2, paged, with Link headers."""

    def __init__(self, parties: list[dict], tags: list[dict] | None = None,
                 subdomain: str = "acme", token: str = "good-token", per_page: int = 100):
        self.parties = parties
        self.tags = tags or []
        self.subdomain = subdomain
        self.token = token
        self.requests: list[httpx.Request] = []
        self.fail_from_page: int | None = None

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return httpx.Response(401, json={"error": "invalid_token"})
        path = urlparse(str(request.url)).path
        query = {k: v[0] for k, v in parse_qs(urlparse(str(request.url)).query).items()}
        if path.endswith("/site"):
            return httpx.Response(200, json={"site": {"subdomain": self.subdomain,
                                                      "name": self.subdomain.title(),
                                                      "url": f"https://{self.subdomain}.example"}})
        if path.endswith("/parties/tags"):
            return httpx.Response(200, json={"tags": self.tags})
        if path.endswith("/parties"):
            page, per_page = int(query.get("page", 1)), int(query.get("perPage", 50))
            if self.fail_from_page is not None and page >= self.fail_from_page:
                return httpx.Response(503, json={"message": "down"})
            items = self.parties[(page - 1) * per_page: page * per_page]
            headers = {}
            if page * per_page < len(self.parties):
                headers["Link"] = (f'<https://api.example/api/v2/parties?page={page + 1}'
                                   f'&perPage={per_page}>; rel="next"')
            return httpx.Response(200, headers=headers,
                                  content=json.dumps({"parties": items}).encode())
        return httpx.Response(404, json={"message": "Could not find resource"})

    def client_factory(self, api_url: str, token: str) -> CapsuleClient:
        return CapsuleClient(api_url, token, transport=httpx.MockTransport(self.handler),
                             sleep=lambda s: None, backoff_base=0.0, max_retries=1)
