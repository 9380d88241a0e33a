"""Tests for where the database file lives."""

from __future__ import annotations

from pathlib import Path

from capsule_tui.locations import default_db_path, resolve_db_path


def test_env_override_wins() -> None:
    env = {"CAPSULE_TUI_DB": "/tmp/x/db.json", "XDG_DATA_HOME": "/xdg", "HOME": "/home/u"}
    assert default_db_path(env) == Path("/tmp/x/db.json")


def test_env_override_expands_home() -> None:
    env = {"CAPSULE_TUI_DB": "~/db.json", "HOME": "/home/u"}
    assert default_db_path(env) == Path("/home/u/db.json")


def test_xdg_data_home() -> None:
    env = {"XDG_DATA_HOME": "/xdg", "HOME": "/home/u"}
    assert default_db_path(env) == Path("/xdg/capsule-tui/capsule-tui.json")


def test_home_fallback_and_relative_xdg_ignored() -> None:
    expected = Path("/home/u/.local/share/capsule-tui/capsule-tui.json")
    assert default_db_path({"HOME": "/home/u"}) == expected
    assert default_db_path({"HOME": "/home/u", "XDG_DATA_HOME": "rel"}) == expected
    assert default_db_path({"HOME": "/home/u", "CAPSULE_TUI_DB": ""}) == expected


def test_resolved_when_called_not_at_import(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.delenv("CAPSULE_TUI_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_db_path() == tmp_path / "capsule-tui" / "capsule-tui.json"
    monkeypatch.setenv("CAPSULE_TUI_DB", str(tmp_path / "other.json"))
    assert default_db_path() == tmp_path / "other.json"


def test_cli_path_overrides_everything() -> None:
    env = {"CAPSULE_TUI_DB": "/env.json", "HOME": "/home/u"}
    assert resolve_db_path("~/cli.json", env) == Path("/home/u/cli.json")
    assert resolve_db_path(None, env) == Path("/env.json")
