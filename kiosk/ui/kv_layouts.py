"""The .kv layouts: the shared ones, loaded once per process, each screen's own when it is first
built, the pop-ups' when the first opens, and the root widget the screens are placed in.

Apart from the App because loading happens once per process, not once per App (loading a .kv
twice would apply its rules twice), and a screen that shows another screen's widgets
(kiosk.ui.screens.what_if) loads that screen's layout itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.lang import Builder
from kivy.uix.floatlayout import FloatLayout

from kiosk.ui.fonts import register_default_font
from kiosk.ui.screens import KV_DIR

UI_DIR = KV_DIR.parent
_kv_loaded = False
_loaded_once: set[Path] = set()


def load_kv() -> None:
    """Load the shared layouts once per process (loading a .kv twice would apply its rules
    twice); each screen's own .kv is loaded by :func:`load_screen_kv` when it is first built."""
    global _kv_loaded
    if _kv_loaded:
        return
    register_default_font()
    Builder.load_file(str(UI_DIR / "widgets.kv"))
    Builder.load_string(_ROOT_KV)
    _kv_loaded = True


def load_screen_kv(name: str) -> None:
    """The layout of one screen (``<name>.kv``), once: parsing all of them at start was a
    quarter of the kiosk's start-up beyond a bare Kivy app's, for screens not yet shown."""
    _load_once(KV_DIR / f"{name}.kv")


def load_modals_kv() -> None:
    """The pop-ups' layouts (help ticket, print notice, time warning), once, before the first
    opens: none is in the idle screen's first frame, and parsing them there cost ~5 ms."""
    _load_once(UI_DIR / "modals.kv")


def _load_once(path: Path) -> None:
    load_kv()
    if path not in _loaded_once:
        if path.exists():
            Builder.load_file(str(path))
        _loaded_once.add(path)


_ROOT_KV = """
<KioskRoot>:
    ScreenManager:
        id: screens
"""


class KioskRoot(FloatLayout):
    def on_touch_down(self, touch: Any) -> bool:
        App.get_running_app().any_touch()
        return bool(super().on_touch_down(touch))
