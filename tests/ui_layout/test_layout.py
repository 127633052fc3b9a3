"""Every screen x {800x480, 480x800, 1920x1080, 1080x1920} x {zh-CN, en} x {standard, large}.

Each size renders in its own process (an offscreen GL window renders cleanly only at the size
it was made with), through `kiosk screenshots --check`, which puts every rendered screen
through kiosk.ui.layout_check: clipped or overflowing labels, words broken mid-word, targets
under 60x60 dp in the large view, a result whose first screen lacks the outcome and summary.

Kept out of tests/ui on purpose: each size blocks for a minute or more, and inside tests/ui that
froze the shared window's event loop between two UI tests (the next one then tapped a PIN pad
laid out for a stale frame).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.commands.screenshots import SIZES

pytestmark = [pytest.mark.ui]


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_every_screen_fits_at_every_size(size: tuple[int, int], tmp_path: Path) -> None:
    width, height = size
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIVY_HOME")}
    done = subprocess.run(
        [sys.executable, "-m", "kiosk.cli", "screenshots", "--check", "--size", f"{width}x{height}",
         "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=240, env=env, check=False,
    )
    lines = done.stdout.splitlines()
    problems = [line for line in lines if line.startswith("layout: ")]
    assert f"{width}x{height}: done" in done.stdout, done.stdout[-2000:] + done.stderr[-2000:]
    assert len(list(tmp_path.glob("*.png"))) >= 50
    assert not problems, "\n".join(problems[:40])
