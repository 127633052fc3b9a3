"""What to scan or insert, an animation that shows the kiosk is waiting, and the time left."""

from __future__ import annotations

from typing import Any

from kivy.animation import Animation
from kivy.factory import Factory
from kivy.properties import NumericProperty
from kivy.uix.widget import Widget

from kiosk.session.flow_view import SessionView
from kiosk.ui.screens.base import KioskScreen
from kiosk.ui.theme import ANIMATION_STEP_S


class ScanAnimation(Widget):
    """A frame with a sweeping line, like a scanner's light, while a code is awaited."""

    sweep = NumericProperty(0.0)


class PresentScreen(KioskScreen):
    _animation: Animation | None = None

    def show(self, view: SessionView, locale: str) -> None:
        app = self.kiosk
        benefit = view.benefit
        if benefit is None:
            return
        key = "present.how_business" if benefit.kind == "business" else "present.how_person"
        self.ids.how.text = app.tr(key, locale)
        panel = self.ids.demo
        panel.clear_widgets()
        codes = app.codes_for(benefit)
        if codes:
            panel.add_widget(Factory.Heading(text=app.tr("demo.panel", locale)))
        for code in codes:
            panel.add_widget(app.demo_button(code, locale))

    def on_enter(self, *_: Any) -> None:
        sweeper = self.ids.sweeper
        sweeper.sweep = 0.0
        self._animation = Animation(sweep=1.0, duration=1.6, step=ANIMATION_STEP_S) + Animation(
            sweep=0.0, duration=1.6, step=ANIMATION_STEP_S
        )
        self._animation.repeat = True
        self._animation.start(sweeper)

    def on_leave(self, *_: Any) -> None:
        if self._animation is not None:
            self._animation.cancel(self.ids.sweeper)
            self._animation = None
