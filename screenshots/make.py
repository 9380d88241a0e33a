"""Write an SVG of each main screen, made from the demo data: `python screenshots/make.py`.

It starts the Capsule stand-in (500 seeded parties), connects the `demo` site on a temporary
database, maps the Customer and Supplier tags, downloads, and drives the TUI headless at
80×24 (the grid also at 120×40), saving one SVG per screen next to this file.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path

from capsule_tui.domain.models import ContactType
from capsule_tui.tui.app import make_app
from capsule_tui.tui.launch import DEMO_NOTE, DEMO_SITE, start_demo

HERE = Path(__file__).resolve().parent
NOW = datetime(2025, 3, 3, 11, 0, tzinfo=UTC)


async def shoot(app, pilot, name: str) -> None:
    await app.workers.wait_for_complete()
    await pilot.pause()
    app.clear_notifications()
    await pilot.pause()
    app.save_screenshot(f"{name}.svg", str(HERE))
    print(f"wrote screenshots/{name}.svg")


async def main() -> int:
    server, core, tmp = start_demo(None, parties=500)
    if core is None:
        return 2
    try:
        core.load_tags(DEMO_SITE)
        core.map_tag(DEMO_SITE, "Customer", ContactType.CUSTOMER)
        core.map_tag(DEMO_SITE, "Supplier", ContactType.SUPPLIER)
        core.map_tag(DEMO_SITE, "Newsletter", ContactType.IGNORE)

        app = make_app(core, clock=lambda: NOW, demo_note=DEMO_NOTE, cursor_blink=False)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("enter")  # open the demo site: no contacts yet → Setup
            await shoot(app, pilot, "site-setup")
            await pilot.press("d")  # download
            await shoot(app, pilot, "site-contacts")
            await pilot.press("question_mark")
            await shoot(app, pilot, "help")
            await pilot.press("escape", "C")
            await shoot(app, pilot, "bulk-save")
            await pilot.press("n", "escape")
            await shoot(app, pilot, "sites")
            await pilot.press("n")
            await shoot(app, pilot, "connect")
            await pilot.press("escape", "c", "down")
            await shoot(app, pilot, "customers")
        app = make_app(core, clock=lambda: NOW, demo_note=DEMO_NOTE, cursor_blink=False,
                       open_site=DEMO_SITE)
        async with app.run_test(size=(120, 40)) as pilot:
            await shoot(app, pilot, "contacts-grid-120x40")
    finally:
        core.close()
        server.stop()
        if tmp is not None:
            tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
