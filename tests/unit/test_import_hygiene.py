"""The layers below the TUI never import Textual (DESIGN §1)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "capsule_tui"
LAYERS = ("core", "domain", "capsule", "store")


@pytest.mark.parametrize("layer", LAYERS)
def test_layer_source_never_imports_textual(layer):
    for path in (PACKAGE / layer).rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
                if node.level and (node.module or "").startswith("tui"):
                    names.append("textual")
            assert not any(n.split(".")[0] == "textual" for n in names), f"{path} imports {names}"
            assert not any(n.startswith("capsule_tui.tui") for n in names), f"{path} imports the TUI"


def test_importing_the_core_and_the_cli_loads_no_textual():
    code = ("import sys, capsule_tui.cli, capsule_tui.core.core, capsule_tui.capsule.sandbox; "
            "print('textual' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
