"""The layers of README "How it fits together", checked by import-linter (contracts in pyproject.toml)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.support.paths import REPO


def test_import_contracts_hold() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint), "--no-cache"], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout


# Spelled in pieces so this file does not name the folder it looks for.
OUTSIDE = "../" + "shared"
QUOTED = '"' + "shared" + '"'


def test_no_code_reads_outside_the_clone() -> None:
    # The conformance data used to be read from a sibling folder a clone does not have.
    for folder in ("kiosk", "backend", "hardware", "demo", "tests", "benchmarks"):
        for path in (REPO / folder).rglob("*.py"):
            if path.name == "test_layers.py":
                continue
            text = path.read_text(encoding="utf-8")
            assert OUTSIDE not in text and QUOTED not in text, path
