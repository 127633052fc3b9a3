"""Checking: progress while the decision is on its way, and a way to stop."""

from __future__ import annotations

from typing import Any

from kivy.animation import Animation

from kiosk.ui.screens.base import KioskScreen
from kiosk.ui.theme import ANIMATION_STEP_S


class CheckingScreen(KioskScreen):
    _animation: Animation | None = None

    def on_enter(self, *_: Any) -> None:
        bar = self.ids.progress
        bar.value = 0
        self._animation = Animation(value=100, duration=1.2, step=ANIMATION_STEP_S) + Animation(value=0, duration=0)
        self._animation.repeat = True
        self._animation.start(bar)

    def on_leave(self, *_: Any) -> None:
        if self._animation is not None:
            self._animation.cancel(self.ids.progress)
            self._animation = None
