"""run_tui and run_demo: open the database, build the app, run it, and say plainly what failed."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import TextIO

from ..core.core import Core
from ..core.errors import describe

DEMO_SITE = "demo"
DEMO_TOKEN = "demo-token"
DEMO_NOTE = "demo: local stand-in"
EXIT_OK, EXIT_OPEN_FAILED = 0, 2


def _say(error: BaseException, stream: TextIO | None = None) -> None:
    """An error as plain sentences on stderr: what happened, then what to do."""
    title, hint = describe(error)
    print(title, file=stream or sys.stderr)
    if hint:
        print(hint, file=stream or sys.stderr)


def open_core(db_path: Path) -> Core | None:
    try:
        return Core.open(Path(db_path))
    except Exception as exc:  # DatabaseLockedError, DamagedDatabaseError, OSError …
        _say(exc)
        return None


def run_tui(db_path: Path) -> int:
    """Open the TUI on the operator's database. Returns the process exit code."""
    from .app import make_app

    core = open_core(db_path)
    if core is None:
        return EXIT_OPEN_FAILED
    try:
        make_app(core).run()
    finally:
        core.close()
    return EXIT_OK


def start_demo(db_path: Path | None, parties: int = 500, seed: int = 1):
    """Start the stand-in, open the database and connect the demo site.

    Returns (server, core, temporary directory or None), or (None, None, None) when the
    database could not be opened (the reason is already on stderr).
    """
    from urllib.parse import urlsplit

    from ..capsule.sandbox import SandboxServer

    tmp = None
    if db_path is None:
        tmp = tempfile.TemporaryDirectory(prefix="capsule-tui-demo-")
        db_path = Path(tmp.name) / "demo.json"
    core = open_core(db_path)
    if core is None:
        if tmp is not None:
            tmp.cleanup()
        return None, None, None
    server = None
    try:
        known = {s.name: s for s in core.list_sites()}
        port = 0
        if DEMO_SITE in known:  # a reused demo database: try the stand-in's previous port
            port = urlsplit(known[DEMO_SITE].api_url).port or 0
        try:
            server = SandboxServer(parties=parties, seed=seed, token=DEMO_TOKEN,
                                   subdomain=DEMO_SITE, port=port).start()
        except OSError:
            server = SandboxServer(parties=parties, seed=seed, token=DEMO_TOKEN,
                                   subdomain=DEMO_SITE).start()
        if DEMO_SITE in known and known[DEMO_SITE].api_url != server.url:
            # The old port is taken: connect again (Customers and Suppliers are kept).
            core.disconnect_site(DEMO_SITE)
            del known[DEMO_SITE]
        if DEMO_SITE not in known:
            core.connect_site(DEMO_SITE, DEMO_TOKEN, server.url)
    except BaseException:
        core.close()
        if server is not None:
            server.stop()
        if tmp is not None:
            tmp.cleanup()
        raise
    return server, core, tmp


def run_demo(db_path: Path | None = None, parties: int = 500) -> int:
    """Run the TUI against the in-process Capsule stand-in, on a fresh or given database."""
    from .app import make_app

    try:
        server, core, tmp = start_demo(db_path, parties)
    except Exception as exc:
        _say(exc)
        return EXIT_OPEN_FAILED
    if core is None:
        return EXIT_OPEN_FAILED
    try:
        make_app(core, demo_note=DEMO_NOTE, open_site=DEMO_SITE).run()
    finally:
        core.close()
        server.stop()
        if tmp is not None:
            tmp.cleanup()
    return EXIT_OK
