"""Kivy's process-wide settings, applied before Kivy is first imported.

Kivy reads its environment variables at import time and its Config before the window opens, so
every entry point (the kiosk, the demo, screenshots, tests, benchmarks) calls
`configure_kivy()` first and only then imports kiosk.ui.app.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path


def has_display() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def configure_kivy(
    *,
    size: tuple[int, int] = (800, 480),
    fullscreen: bool = False,
    offscreen: bool | None = None,
    kivy_home: Path | None = None,
    max_fps: int = 60,
    config_file: bool = False,
) -> None:
    """Environment and Config for one process; safe to call more than once before the window.

    `config_file=True` (kiosk run) reads KIVY_HOME/config.ini, which the device image installs
    with the touch-screen input providers; everything else runs on Kivy's defaults and writes
    nothing to disk.
    """
    if "kivy.core.window" in sys.modules:
        return
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    if not config_file:
        os.environ.setdefault("KIVY_NO_CONFIG", "1")
    os.environ.setdefault("KIVY_NO_FILELOG", "1")
    os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")
    os.environ.setdefault("KIVY_WINDOW", "sdl2")
    os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
    if "KIVY_HOME" not in os.environ:
        home = kivy_home or Path(tempfile.mkdtemp(prefix="xinyi-kivy-"))
        os.environ["KIVY_HOME"] = str(home)
    if offscreen is None:
        offscreen = not has_display()
    if offscreen:
        os.environ["SDL_VIDEODRIVER"] = "offscreen"
    from kivy.config import Config

    Config.set("graphics", "width", str(size[0]))
    Config.set("graphics", "height", str(size[1]))
    Config.set("graphics", "fullscreen", "auto" if fullscreen else "0")
    Config.set("graphics", "show_cursor", "0" if fullscreen else "1")
    Config.set("graphics", "resizable", "1")
    Config.set("graphics", "maxfps", str(max_fps))
    Config.set("kivy", "exit_on_escape", "0")
    Config.set("kivy", "pause_on_minimize", "0")
    # No red multitouch dots from right clicks; no inspector or other debug modules.
    Config.set("input", "mouse", "mouse,disable_multitouch")
    for name in list(Config.options("modules")) if Config.has_section("modules") else []:
        Config.remove_option("modules", name)
