"""Screenshots with names we choose: Window.screenshot() appends a counter and never overwrites."""

from __future__ import annotations

import os
from pathlib import Path

from kivy.base import EventLoop
from kivy.core.window import Window


def pump(frames: int = 3) -> None:
    """Let Kivy lay out and draw; a screenshot before a frame is drawn comes out stale."""
    for _ in range(frames):
        EventLoop.idle()


def save_screenshot(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    written = Window.screenshot(name=str(path))
    if not written:
        raise RuntimeError("the window did not produce a screenshot")
    os.replace(written, path)
    return path
