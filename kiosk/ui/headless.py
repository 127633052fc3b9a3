"""Run a job against the app on the (offscreen) window: the demo walk-through and screenshots.

Kept here so the command modules never import Kivy themselves.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from kiosk.ui.app import KioskApp
from kiosk.ui.driver import ScreenDriver

T = TypeVar("T")


async def run_on_window(app: KioskApp, job: Callable[[ScreenDriver], Awaitable[T]]) -> T:
    from kivy.core.window import Window

    root = app.build()
    Window.add_widget(root)
    try:
        return await job(ScreenDriver(app))
    finally:
        app.detach()
        Window.remove_widget(root)
