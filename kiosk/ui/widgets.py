"""Building blocks every screen uses: text that wraps, large buttons, drawn status icons."""

from __future__ import annotations

from typing import Any, ClassVar

from kivy.graphics import Color, Ellipse, Line
from kivy.properties import BooleanProperty, ListProperty, NumericProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button
from kivy.uix.label import Label
from kivy.uix.modalview import ModalView
from kivy.uix.widget import Widget

from kiosk.ui import theme
from kiosk.ui.cjk_lines import wrap


class Body(Label):
    """Wrapping text whose height follows its content, broken the way CJK text is set.

    Kivy breaks only at spaces and cuts anything longer at whatever character fits, so it
    would start a line with "，" or split "100". Body breaks the lines itself (kiosk.ui.cjk_lines)
    and hands Kivy text that already fits; `text` stays the sentence as written.
    """

    def texture_update(self, *largs: Any) -> None:
        width = self.text_size[0] if self.text_size else None
        if self.text and width and width > 0 and not self.markup:
            core = self._label
            core.text = wrap(self.text, width - self.padding[0] - self.padding[2], core.get_extents)
        super().texture_update(*largs)


class Heading(Body):
    pass


class KioskButton(Button):
    """A large button whose colour follows its role (primary, secondary, danger), pressed or not."""

    role = StringProperty("primary")
    shown = BooleanProperty(True)


class Card(BoxLayout):
    pass


class TopBar(BoxLayout):
    pass


class ActionRow(BoxLayout):
    pass


class TappableCard(ButtonBehavior, Card):
    pass


class SpeakerButton(Button):
    """Reads the screen aloud; a drawn loudspeaker (a square while speaking: touch to stop).

    A shape, not a word, so it needs no reading and fits the top bar in every view and size.
    """

    speaking = BooleanProperty(False)
    shown = BooleanProperty(True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.bind(pos=self._draw, size=self._draw, speaking=self._draw, shown=self._draw)
        self._draw()

    def _draw(self, *_: Any) -> None:
        self.canvas.after.clear()
        side = min(self.width, self.height) * 0.56
        if side <= 0 or not self.shown:
            return
        x0, y0 = self.center_x - side / 2, self.center_y - side / 2
        width = max(1.5, side / 14)
        with self.canvas.after:
            Color(*theme.ON_DARK)
            if self.speaking:
                Line(rectangle=(x0 + side * 0.2, y0 + side * 0.2, side * 0.6, side * 0.6), width=width)
                return
            # Box and cone of the loudspeaker, then two sound waves to its right.
            Line(points=[x0, y0 + side * 0.35, x0 + side * 0.2, y0 + side * 0.35, x0 + side * 0.45, y0 + side * 0.1,
                         x0 + side * 0.45, y0 + side * 0.9, x0 + side * 0.2, y0 + side * 0.65, x0, y0 + side * 0.65],
                 width=width, close=True, joint="round")
            cx, cy = x0 + side * 0.45, y0 + side * 0.5
            for radius in (side * 0.28, side * 0.48):
                Line(circle=(cx, cy, radius, 50, 130), width=width, cap="round")


class HelpTicket(ModalView):
    """What "call staff" shows: where to go and the reference staff look the case up by."""

    reference = StringProperty("")


class PrintNotice(ModalView):
    """What the printer said about the slip, in words, until the person closes it."""


class Progress(Widget):
    """A progress bar drawn in theme colours: Kivy's stock bar is 2.2:1 on the background."""

    value = NumericProperty(0.0)
    max = NumericProperty(100.0)


class TimeWarning(ModalView):
    """Shown while the last seconds run out; one large button gives the full time again."""


class StatusIcon(Widget):
    """A shape, not a colour alone: tick (passed), cross (failed), question mark (unknown).

    `kind` takes a criterion status (passed/failed/unknown) or an outcome
    (eligible/not_eligible/undetermined); `error` draws an exclamation mark.
    """

    kind = StringProperty("unknown")
    tint = ListProperty([1, 1, 1, 1])

    _SHAPES: ClassVar[dict[str, str]] = {
        "passed": "tick", "eligible": "tick",
        "failed": "cross", "not_eligible": "cross",
        "unknown": "question", "undetermined": "question",
        "error": "bang",
    }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.bind(kind=self._draw, pos=self._draw, size=self._draw, tint=self._draw)
        self._draw()

    @property
    def shape(self) -> str:
        return self._SHAPES.get(self.kind, "question")

    def _draw(self, *_: Any) -> None:
        self.canvas.clear()
        side = min(self.width, self.height)
        if side <= 0:
            return
        x0 = self.center_x - side / 2
        y0 = self.center_y - side / 2
        width = max(1.5, side / 10)
        fill = theme.STATUS_COLOURS.get(self.kind) or theme.OUTCOME_COLOURS.get(self.kind) or theme.ERROR

        def at(fx: float, fy: float) -> list[float]:
            return [x0 + fx * side, y0 + fy * side]

        with self.canvas:
            Color(*self.tint)
            Ellipse(pos=(x0, y0), size=(side, side))
            Color(*fill)
            Ellipse(pos=(x0 + width / 2, y0 + width / 2), size=(side - width, side - width))
            Color(1, 1, 1, 1)
            shape = self.shape
            if shape == "tick":
                Line(points=at(0.27, 0.52) + at(0.43, 0.34) + at(0.74, 0.68), width=width, cap="round", joint="round")
            elif shape == "cross":
                Line(points=at(0.31, 0.31) + at(0.69, 0.69), width=width, cap="round")
                Line(points=at(0.31, 0.69) + at(0.69, 0.31), width=width, cap="round")
            elif shape == "bang":
                Line(points=at(0.5, 0.76) + at(0.5, 0.42), width=width, cap="round")
                Ellipse(pos=(x0 + 0.5 * side - width, y0 + 0.24 * side - width), size=(2 * width, 2 * width))
            else:
                Line(
                    bezier=at(0.36, 0.62) + at(0.38, 0.82) + at(0.66, 0.82) + at(0.64, 0.62) + at(0.62, 0.50)
                    + at(0.50, 0.50) + at(0.50, 0.40),
                    width=width, cap="round",
                )
                Ellipse(pos=(x0 + 0.5 * side - width, y0 + 0.24 * side - width), size=(2 * width, 2 * width))
