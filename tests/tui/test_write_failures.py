"""A failed write to disk is shown to the operator and nothing is lost."""

from __future__ import annotations

import errno
import os

import pytest

from capsule_tui.core.core import Core

from .conftest import SITE, app_for, staged

pytestmark = pytest.mark.anyio


async def test_a_failed_write_is_shown_and_the_change_kept(core, sandbox, monkeypatch, tmp_path):
    staged(core, sandbox)
    app = app_for(core, open_site=SITE)
    real_write = os.write
    failing = {"on": False}

    def write(fd, data):
        if failing["on"]:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", write)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.press("2")
        await pilot.pause()
        org = next(r for r in core.rows(SITE) if r["kind"] == "organisation"
                   and r["type"] == "not_defined")
        failing["on"] = True
        core.set_type(SITE, org["party_id"], "customer")
        with pytest.raises(Exception):
            core.store.flush()
        await pilot.pause(0.3)
        messages = " ".join(f"{n.title} {n.message}" for n in app._notifications)
        assert "space" in messages.lower() and "kept in memory" in messages
        failing["on"] = False
        core.store.flush()
        await pilot.pause(0.1)
    core.close()
    again = Core.open(core.store.path)
    assert again.row(SITE, org["party_id"])["type"] == "customer"
    again.close()
