"""Fixtures for the TUI tests: a real Core on a temporary database and a real Capsule stand-in."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from capsule_tui.capsule.sandbox import SandboxServer
from capsule_tui.core.core import Core
from capsule_tui.domain.models import ContactType
from capsule_tui.tui.app import CapsuleApp, make_app

DOWNLOAD_AT = datetime(2025, 3, 3, 9, 30, tzinfo=UTC)
NOW = datetime(2025, 3, 3, 11, 0, tzinfo=UTC)
SITE = "demo"
TOKEN = "demo-token"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    server = SandboxServer(parties=60, seed=1, token=TOKEN, subdomain=SITE).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def core(tmp_path: Path) -> Iterator[Core]:
    core = Core.open(tmp_path / "db.json", clock=lambda: DOWNLOAD_AT)
    try:
        yield core
    finally:
        core.close()


def app_for(core: Core, **kwargs) -> CapsuleApp:
    """The app as tests build it: fixed clock, no cursor blink."""
    return make_app(core, clock=lambda: NOW, cursor_blink=False, **kwargs)


def connect(core: Core, sandbox: SandboxServer) -> None:
    core.connect_site(SITE, TOKEN, sandbox.url)


def staged(core: Core, sandbox: SandboxServer) -> None:
    """A connected site with tags mapped (Customer → Customer, Supplier → Supplier), downloaded."""
    connect(core, sandbox)
    core.load_tags(SITE)
    core.map_tag(SITE, "Customer", ContactType.CUSTOMER)
    core.map_tag(SITE, "Supplier", ContactType.SUPPLIER)
    core.download(SITE)
