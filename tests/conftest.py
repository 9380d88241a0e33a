"""Shared test helpers: fixture payloads and small party builders."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures" / "capsule"


def load_fixture(name: str):
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@pytest.fixture
def page2_parties() -> list[dict]:
    return load_fixture("list-parties-page2.json")["parties"]


def org(pid: int, name: str, tags=(), **extra) -> dict:
    return {"id": pid, "type": "organisation", "name": name,
            "tags": [{"id": 9000 + i, "name": t, "dataTag": False} for i, t in enumerate(tags)],
            **extra}


def person(pid: int, first: str | None, last: str | None, org_id: int | None = None,
           tags=(), **extra) -> dict:
    return {"id": pid, "type": "person", "firstName": first, "lastName": last,
            "organisation": None if org_id is None else {"id": org_id, "type": "organisation",
                                                         "name": f"org {org_id}"},
            "tags": [{"id": 9100 + i, "name": t, "dataTag": False} for i, t in enumerate(tags)],
            **extra}


@pytest.fixture(autouse=True)
def _no_user_database(tmp_path_factory, monkeypatch):
    """No test ever touches the real user's database."""
    monkeypatch.setenv("CAPSULE_TUI_DB", str(tmp_path_factory.mktemp("userdb") / "db.json"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("xdg")))
    os.environ.pop("CAPSULE_TOKEN", None)
