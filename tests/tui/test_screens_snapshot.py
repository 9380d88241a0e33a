"""Snapshots of every screen at 80×24 and of the contacts grid at 120×40, from seeded data."""

from __future__ import annotations

import pytest

from capsule_tui.capsule.sandbox import SandboxServer
from capsule_tui.domain.models import ContactType

from .conftest import SITE, TOKEN, app_for, connect, staged

SIZE = (80, 24)


@pytest.fixture(autouse=True)
def colours(monkeypatch: pytest.MonkeyPatch) -> None:
    """Snapshots are taken in colour whatever the caller's NO_COLOR says."""
    monkeypatch.delenv("NO_COLOR", raising=False)


async def quiet(pilot) -> None:
    """Let workers finish and drop the toasts, so the picture is the screen alone."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    pilot.app.clear_notifications()
    await pilot.pause()


def test_sites_empty(snap_compare, core) -> None:
    assert snap_compare(app_for(core), terminal_size=SIZE, run_before=quiet)


def test_sites_with_a_site(snap_compare, core, sandbox) -> None:
    staged(core, sandbox)
    assert snap_compare(app_for(core), terminal_size=SIZE, run_before=quiet)


def test_connect_modal(snap_compare, core) -> None:
    async def run_before(pilot) -> None:
        await pilot.press("n", *"acme")
        await quiet(pilot)

    assert snap_compare(app_for(core), terminal_size=SIZE, run_before=run_before)


def test_connect_modal_wrong_token(snap_compare, core, sandbox) -> None:
    async def run_before(pilot) -> None:
        await pilot.press("n", *SITE, "tab", *"wrong", "tab")
        pilot.app.screen.query_one("#api-url").value = "http://127.0.0.1:1"
        await pilot.press("shift+tab", *"-token")  # wrong-token, so Capsule refuses it
        pilot.app.screen.query_one("#api-url").value = sandbox.url
        await pilot.press("enter")
        await quiet(pilot)
        # The URL carries a random port: show the default URL in the picture.
        pilot.app.screen.query_one("#api-url").value = "http://127.0.0.1"
        await pilot.pause()

    assert snap_compare(app_for(core), terminal_size=SIZE, run_before=run_before)


def test_site_setup(snap_compare, core, sandbox) -> None:
    connect(core, sandbox)
    core.load_tags(SITE)
    core.map_tag(SITE, "Customer", ContactType.CUSTOMER)
    core.map_tag(SITE, "Supplier", ContactType.SUPPLIER)
    core.map_tag(SITE, "Newsletter", ContactType.IGNORE)

    async def run_before(pilot) -> None:
        await quiet(pilot)
        await pilot.press("tab", "tab", "tab", "tab", "tab", "tab", "tab", "tab", "tab", "tab")
        await quiet(pilot)

    assert snap_compare(app_for(core, open_site=SITE), terminal_size=SIZE,
                        run_before=run_before)


def test_site_contacts(snap_compare, core, sandbox) -> None:
    staged(core, sandbox)
    assert snap_compare(app_for(core, open_site=SITE), terminal_size=SIZE, run_before=quiet)


def test_site_contacts_filtered(snap_compare, core, sandbox) -> None:
    staged(core, sandbox)

    async def run_before(pilot) -> None:
        await pilot.press("f", "slash", *"harbour")
        await quiet(pilot)

    assert snap_compare(app_for(core, open_site=SITE), terminal_size=SIZE,
                        run_before=run_before)


def test_bulk_save_question(snap_compare, core, sandbox) -> None:
    staged(core, sandbox)

    async def run_before(pilot) -> None:
        await pilot.press("C")
        await quiet(pilot)

    assert snap_compare(app_for(core, open_site=SITE), terminal_size=SIZE,
                        run_before=run_before)


def test_disconnect_question(snap_compare, core, sandbox) -> None:
    staged(core, sandbox)

    async def run_before(pilot) -> None:
        await pilot.press("x")
        await quiet(pilot)

    assert snap_compare(app_for(core), terminal_size=SIZE, run_before=run_before)


def test_help(snap_compare, core, sandbox) -> None:
    staged(core, sandbox)

    async def run_before(pilot) -> None:
        await pilot.press("question_mark")
        await quiet(pilot)

    assert snap_compare(app_for(core, open_site=SITE), terminal_size=SIZE,
                        run_before=run_before)


@pytest.mark.parametrize("kind", ["customer", "supplier"])
def test_records(snap_compare, core, sandbox, kind: str) -> None:
    staged(core, sandbox)

    async def run_before(pilot) -> None:
        await pilot.press("c" if kind == "customer" else "s", "down")
        await quiet(pilot)

    assert snap_compare(app_for(core), terminal_size=SIZE, run_before=run_before)


def test_contacts_grid_120x40(snap_compare, core) -> None:
    """A bigger demo (names with markup, emoji, CJK and right-to-left text) at 120×40."""
    with SandboxServer(parties=120, seed=1, token=TOKEN, subdomain=SITE) as server:
        staged(core, server)

    async def run_before(pilot) -> None:
        await quiet(pilot)
        await pilot.press("pagedown", "pagedown")
        await quiet(pilot)

    assert snap_compare(app_for(core, open_site=SITE), terminal_size=(120, 40),
                        run_before=run_before)
