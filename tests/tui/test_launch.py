"""run_tui and run_demo: store errors at start are plain sentences on stderr with exit code 2."""

from __future__ import annotations

from pathlib import Path

from capsule_tui.core.core import Core
from capsule_tui.tui.launch import DEMO_SITE, run_demo, run_tui, start_demo


def test_a_locked_database_is_explained_and_exits_2(tmp_path: Path, capsys) -> None:
    path = tmp_path / "db.json"
    holder = Core.open(path)
    try:
        assert run_tui(path) == 2
        assert run_demo(path, parties=10) == 2
    finally:
        holder.close()
    err = capsys.readouterr().err
    assert "in use by another capsule-tui" in err and "Traceback" not in err


def test_a_damaged_database_is_explained_and_exits_2(tmp_path: Path, capsys) -> None:
    path = tmp_path / "db.json"
    path.write_text("{ not json", encoding="utf-8")
    assert run_tui(path) == 2
    err = capsys.readouterr().err
    assert err.strip() and "Traceback" not in err
    assert path.read_text(encoding="utf-8") == "{ not json"  # never silently replaced


def test_demo_connects_its_site_and_reuses_a_given_database(tmp_path: Path) -> None:
    path = tmp_path / "demo.json"
    for _ in range(2):  # the second start finds the site already connected
        server, core, tmp = start_demo(path, parties=10)
        try:
            assert tmp is None
            assert [s.name for s in core.list_sites()] == [DEMO_SITE]
            assert core.site(DEMO_SITE).api_url == server.url
        finally:
            core.close()
            server.stop()
    server, core, tmp = start_demo(None, parties=10)
    try:
        assert tmp is not None and Path(tmp.name).exists()
    finally:
        core.close()
        server.stop()
        tmp.cleanup()
