"""Shared fixtures for integration tests: a running Capsule stand-in and a fast-retrying client."""

from __future__ import annotations

import pytest

from capsule_tui.capsule.client import CapsuleClient
from capsule_tui.capsule.sandbox import SandboxServer

SANDBOX_TOKEN = "demo-token"


@pytest.fixture
def sandbox():
    """A stand-in with 1,050 parties on a free loopback port, stopped after the test."""
    with SandboxServer(parties=1050, seed=1, token=SANDBOX_TOKEN) as server:
        yield server


@pytest.fixture
def make_client():
    """Build CapsuleClients with small backoff; all are closed after the test."""
    clients = []

    def make(url: str, token: str = SANDBOX_TOKEN, **kwargs) -> CapsuleClient:
        kwargs.setdefault("backoff_base", 0.01)
        kwargs.setdefault("backoff_cap", 0.05)
        kwargs.setdefault("timeout", 5.0)
        client = CapsuleClient(url, token, **kwargs)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
