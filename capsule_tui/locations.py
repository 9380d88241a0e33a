"""Where capsule-tui keeps its database, resolved only when asked (never at import time)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

APP_DIR_NAME = "capsule-tui"
DB_FILE_NAME = "capsule-tui.json"
DB_ENV_VAR = "CAPSULE_TUI_DB"


def _home(env: Mapping[str, str]) -> Path:
    home = env.get("HOME")
    return Path(home) if home else Path.home()


def _expand(value: str, env: Mapping[str, str]) -> Path:
    if value == "~" or value.startswith("~/"):
        return _home(env) / value[2:]
    return Path(value).expanduser()


def data_dir(env: Mapping[str, str] | None = None) -> Path:
    """The data folder: `$XDG_DATA_HOME/capsule-tui`, else `~/.local/share/capsule-tui`."""
    env = os.environ if env is None else env
    xdg = env.get("XDG_DATA_HOME", "")
    # The XDG spec says a relative or empty value is to be ignored.
    if xdg and os.path.isabs(xdg):
        return Path(xdg) / APP_DIR_NAME
    return _home(env) / ".local" / "share" / APP_DIR_NAME


def default_db_path(env: Mapping[str, str] | None = None) -> Path:
    """The database file: `$CAPSULE_TUI_DB` if set, else `capsule-tui.json` in `data_dir()`."""
    env = os.environ if env is None else env
    override = env.get(DB_ENV_VAR, "")
    if override:
        return _expand(override, env)
    return data_dir(env) / DB_FILE_NAME


def resolve_db_path(cli_path: str | os.PathLike[str] | None = None,
                    env: Mapping[str, str] | None = None) -> Path:
    """The database file to use: `--db PATH` when given, else `default_db_path()`."""
    env = os.environ if env is None else env
    if cli_path:
        return _expand(os.fspath(cli_path), env)
    return default_db_path(env)
