"""Drive the kiosk screen like a person would: real touches through hit-testing, then read it.

Used by the UI tests, the demo's scripted walk-through, `kiosk screenshots` and the benchmarks.
Touches go in through Kivy's input path at a widget's window position, so a button covered by
another widget, or off screen, is not pressed: exactly what a finger would get.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from kivy.base import EventLoop
from kivy.core.window import Window
from kivy.tests.common import UnitTestTouch
from kivy.uix.label import Label
from kivy.uix.scrollview import ScrollView
from kivy.uix.widget import Widget

from kiosk.session.flow_view import FlowState
from kiosk.ui.app import KioskApp
from kiosk.ui.shots import pump, save_screenshot


class ScreenDriver:
    def __init__(self, app: KioskApp) -> None:
        self.app = app

    # -- looking -------------------------------------------------------------------------
    @property
    def screen(self) -> Any:
        return self.app.screens.current_screen

    def widgets(self) -> Iterator[Widget]:
        """The top bar and the current screen, depth first."""
        yield from self.screen.walk(restrict=True)

    def texts(self) -> list[str]:
        return [w.text for w in self.widgets() if isinstance(w, Label) and w.text and w.opacity > 0]

    def shows(self, text: str) -> bool:
        return any(text in shown for shown in self.texts())

    def find(self, text: str) -> Widget:
        """The innermost visible widget whose own text is exactly `text`."""
        for widget in self.widgets():
            if isinstance(widget, Label) and widget.text == text and widget.opacity > 0:
                return widget
        raise LookupError(f"no widget shows {text!r} on {self.screen.name}: {self.texts()[:12]}")

    def by_id(self, name: str) -> Widget:
        widget = self.screen.ids.get(name)
        if widget is None:
            raise LookupError(f"{self.screen.name} has no widget with id {name!r}")
        return widget

    # -- touching ------------------------------------------------------------------------
    def tap(self, widget: Widget, frames: int = 2) -> None:
        self._scroll_into_view(widget)
        x, y = widget.to_window(*widget.center)
        if not (0 <= x < Window.width and 0 <= y < Window.height):
            raise LookupError(f"{widget!r} is off screen at {(x, y)}")
        touch = UnitTestTouch(x, y)
        touch.touch_down()
        pump(1)
        touch.touch_up()
        pump(frames)

    def tap_text(self, text: str) -> None:
        self.tap(self.find(text))

    def tap_key(self, key: str, **params: Any) -> None:
        """Tap the widget showing the catalog text for `key` in the current language."""
        self.tap_text(self.app.tr(key, **params))

    def _scroll_into_view(self, widget: Widget) -> None:
        parent = widget.parent
        # The window is its own parent: stop there.
        while parent is not None and parent is not Window and not isinstance(parent, ScrollView):
            parent = parent.parent
        if isinstance(parent, ScrollView):
            pump(1)  # the screen may have just been switched: let it lay out first
            parent.scroll_to(widget, padding=10, animate=False)
            pump(2)

    # -- waiting -------------------------------------------------------------------------
    async def settle(self, frames: int = 3) -> None:
        for _ in range(frames):
            await asyncio.sleep(0)
            EventLoop.idle()

    async def wait_for(self, done: Callable[[], bool], timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while not done():
            if time.monotonic() > deadline:
                raise TimeoutError(f"still on {self.screen.name} ({self.app.flow.view.state})")
            await asyncio.sleep(0.01)
            EventLoop.idle()
        await self.settle()

    async def wait_state(self, *states: FlowState, timeout: float = 10.0) -> None:
        await self.wait_for(lambda: self.app.flow.view.state in states, timeout)

    def screenshot(self, path: Path) -> Path:
        pump(2)
        return save_screenshot(path)
