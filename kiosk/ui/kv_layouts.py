"""The .kv layouts: the shared ones, loaded once per process, each screen's own when it is first
built, and the root widget the screens are placed in.

Apart from the App because loading happens once per process, not once per App (loading a .kv
twice would apply its rules twice), and a screen that shows another screen's widgets
(kiosk.ui.screens.what_if) loads that screen's layout itself.
"""

from __future__ import annotations

from typing import Any

from kivy.app import App
from kivy.lang import Builder
from kivy.uix.floatlayout import FloatLayout

from kiosk.ui.fonts import register_default_font
from kiosk.ui.screens import KV_DIR

_kv_loaded = False
_screen_kv_loaded: set[str] = set()


def load_kv() -> None:
    """Load the shared layouts once per process (loading a .kv twice would apply its rules
    twice); each screen's own .kv is loaded by :func:`load_screen_kv` when it is first built."""
    global _kv_loaded
    if _kv_loaded:
        return
    register_default_font()
    Builder.load_file(str(KV_DIR.parent / "widgets.kv"))
    Builder.load_string(_ROOT_KV)
    _kv_loaded = True


def load_screen_kv(name: str) -> None:
    """The layout of one screen (``<name>.kv``), once: parsing all of them at start was a
    quarter of the kiosk's start-up beyond a bare Kivy app's, for screens not yet shown."""
    load_kv()
    if name not in _screen_kv_loaded:
        path = KV_DIR / f"{name}.kv"
        if path.exists():
            Builder.load_file(str(path))
        _screen_kv_loaded.add(name)


_ROOT_KV = """
<KioskRoot>:
    ScreenManager:
        id: screens
"""


class KioskRoot(FloatLayout):
    def on_touch_down(self, touch: Any) -> bool:
        App.get_running_app().any_touch()
        return bool(super().on_touch_down(touch))
