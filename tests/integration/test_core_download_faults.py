"""Downloads against the stand-in over loopback: faults never touch the staged contacts."""

from __future__ import annotations

import threading

import pytest

from capsule_tui.capsule.client import CapsuleClient
from capsule_tui.capsule.errors import CapsuleError, DownloadCancelled
from capsule_tui.capsule.sandbox.faults import Fault
from capsule_tui.capsule.sandbox.server import SandboxServer
from capsule_tui.core.core import Core


@pytest.fixture
def sandbox():
    with SandboxServer(parties=400, seed=2, token="tok", subdomain="demo") as server:
        yield server


@pytest.fixture
def core(tmp_path, sandbox):
    def factory(url, token):
        return CapsuleClient(url, token, backoff_base=0.01, backoff_cap=0.05, max_retries=2)
    core = Core.open(tmp_path / "db.json", client_factory=factory)
    core.connect_site("demo", "tok", sandbox.url)
    core.load_tags("demo")
    core.map_tag("demo", "Customer", "customer")
    core.update_settings("demo", ignore_without_organisation=False)
    core.download("demo")
    yield core
    core.close()


def snapshot(core):
    return [dict(r) for r in core.rows("demo")], len(core.records("customer"))


@pytest.mark.parametrize("kind", ["drop", "truncate", "500", "notjson"])
def test_a_failed_download_leaves_the_staged_contacts_as_they_were(core, sandbox, kind):
    core.map_tag("demo", "Supplier", "supplier")  # would change types if it got through
    before = snapshot(core)
    sandbox.faults.add(Fault(kind, path="/api/v2/parties", page=3, times=None))
    with pytest.raises(CapsuleError):
        core.download("demo")
    assert snapshot(core) == before
    assert core.store.get("sites", "demo")["last_download_at"] is not None


def test_a_transient_fault_is_retried_and_the_download_completes(core, sandbox):
    sandbox.faults.add(Fault("drop", path="/api/v2/parties", page=2, times=1))
    sandbox.faults.add(Fault("503", path="/api/v2/parties", page=3, times=1))
    events = []
    summary = core.download("demo", progress=events.append)
    assert summary.fetched == 400
    assert any(e.phase == "retrying" for e in events)


def test_a_rate_limit_waits_says_how_long_and_completes(core, sandbox):
    sandbox.faults.add(Fault("429", path="/api/v2/parties", page=2, times=1, reset_in=1))
    events = []
    summary = core.download("demo", progress=events.append)
    assert summary.fetched == 400
    waits = [e for e in events if e.phase == "waiting"]
    assert waits and 0 < waits[0].wait_seconds <= 3 and "rate limit" in waits[0].message


def test_cancel_leaves_the_staged_contacts_as_they_were(core, sandbox):
    before = snapshot(core)
    cancel = threading.Event()
    sandbox.faults.add(Fault("delay", path="/api/v2/parties", page=2, times=1, seconds=5))
    threading.Timer(0.3, cancel.set).start()
    with pytest.raises(DownloadCancelled):
        core.download("demo", cancel=cancel)
    assert snapshot(core) == before


def test_markup_looking_names_are_saved_as_typed(core):
    names = {r["name"] for r in core.rows("demo")}
    assert "[red]Acme[/red] Ltd" in names
    made = {c["Name"] for c in core.records("customer")} | {r["name"] for r in core.rows("demo")}
    assert any("[" in n and "]" in n for n in made)
