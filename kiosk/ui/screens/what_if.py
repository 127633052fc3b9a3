"""Staff what-if: made-up facts as a form, a benefit and a day, the decision per criterion.

The fields come from the benefit's criteria and FACTS.md (kiosk.session.what_if): yes / no /
not known for a boolean, one button per value for a list, a typed date or number otherwise.
No field takes a code or an ID; what staff entered is cleared when they leave the screen.
"""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

from kivy.clock import Clock
from kivy.core.window import Window
from kivy.metrics import dp
from kivy.properties import BooleanProperty, ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button
from kivy.uix.modalview import ModalView
from kivy.uix.stacklayout import StackLayout
from kivy.uix.textinput import TextInput

from kiosk.core.decision_records import Status
from kiosk.core.errors import KioskError
from kiosk.session.flow_view import SessionView
from kiosk.session.readout import ordered
from kiosk.session.what_if import UNKNOWN, FactField, WhatIfAnswer, WhatIfError, parse_on, parse_typed
from kiosk.ui.screens.base import KioskScreen
from kiosk.ui.widgets import KioskButton

HINTS = {"date": "whatif.hint.date", "date_or_none": "whatif.hint.date_or_none", "integer": "whatif.hint.integer"}


class ChoiceButton(Button):
    """One answer of a row; the chosen one is primary. Every fact starts "not known", so a
    fresh form decides "can't tell", never a yes nobody entered."""

    value: Any = None
    chosen = BooleanProperty(False)


class ChoiceRow(StackLayout):
    """A row of answers of which one is chosen."""

    def choose(self, button: ChoiceButton) -> None:
        for child in self.children:
            if isinstance(child, ChoiceButton):
                child.chosen = child is button


class FactInput(TextInput):
    """A date or a whole number. A kiosk has no keyboard: a tap opens a keypad of the keys
    the field can take (Kivy's docked on-screen keyboard covers half of an 800x480 screen and
    does not move a field inside a scroll view above itself); a plugged-in keyboard still types."""

    kind = StringProperty("date")  # date | date_or_none | integer

    def on_focus(self, _field: Any, focused: bool) -> None:
        # Focus comes once per tap (a scroll view re-sends the touch itself to its children).
        if focused and self.get_root_window() is not None:
            FactKeypad(target=self).open(animation=False)


# Longer than any date (10) or number (4 digits) the form takes: a stuck key stops here.
_KEYPAD_MAX_CHARS = 10


class FactKeypad(ModalView):
    """Digits, "-" and (for a date that may be absent) "none", straight into one FactInput."""

    target = ObjectProperty(None)

    def on_dismiss(self) -> None:
        # The next tap on the field focuses it again, and so opens the keypad again.
        if self.target is not None:
            self.target.focus = False

    def press(self, key: str) -> None:
        field = self.target
        if key == "-" and field.kind == "integer":
            return
        text = "" if field.text == "none" else field.text
        field.text = (text + key)[:_KEYPAD_MAX_CHARS]

    def delete(self) -> None:
        self.target.text = "" if self.target.text == "none" else self.target.text[:-1]

    def clear(self) -> None:
        self.target.text = ""

    def none(self) -> None:
        self.target.text = "none"


class FactRow(BoxLayout):
    label = StringProperty("")


class WhatIfScreen(KioskScreen):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._benefit_id = ""
        self._choices: dict[str, Any] = {}
        self._inputs: dict[str, FactInput] = {}
        self._fields: list[FactField] = []
        self._answer: WhatIfAnswer | None = None
        self._problem: KioskError | None = None
        self._built_for: tuple[object, ...] | None = None
        self.running: asyncio.Future[None] | None = None

    @property
    def what_if(self) -> Any:
        return self.kiosk.runtime.what_if

    # -- the form ----------------------------------------------------------------------
    def on_pre_enter(self, *_: Any) -> None:
        self.clear()

    def on_leave(self, *_: Any) -> None:
        # Nothing of a simulation outlives the screen, an open keypad included.
        for keypad in [w for w in Window.children if isinstance(w, FactKeypad)]:
            keypad.dismiss(animation=False)
        self.clear()

    def forget(self) -> None:
        self.clear()

    def clear(self) -> None:
        self._benefit_id = ""
        self._choices = {}
        self._inputs = {}
        self._answer = None
        self._problem = None
        self._built_for = None
        if "on" in self.ids:
            self.ids.on.text = ""
            self.show(self.kiosk.view, self.kiosk.locale)

    def choose_benefit(self, benefit_id: str) -> None:
        self._benefit_id = benefit_id
        self._choices = {}
        self._answer = None
        self._problem = None
        self._built_for = None
        self.show(self.kiosk.view, self.kiosk.locale)

    def answer(self, row: ChoiceRow, button: ChoiceButton, name: str) -> None:
        row.choose(button)
        self._choices[name] = button.value

    def show(self, view: SessionView, locale: str) -> None:
        what_if = self.what_if
        if what_if is None:
            return
        app = self.kiosk
        if not self.ids.on.text:
            self.ids.on.text = what_if.today().isoformat()
        day = self._day_or_today()
        offered = list(what_if.offered(day))
        if self._benefit_id not in {b.id for b in offered}:
            self._benefit_id = offered[0].id if offered else ""
        key = (self._benefit_id, locale, app.font_scale, day)
        if key != self._built_for:
            self._built_for = key
            self._build_benefits(offered, locale)
            self._build_fields(day, locale)
        self._show_answer(locale)

    def _day_or_today(self) -> date:
        try:
            return parse_on(self.ids.on.text)
        except WhatIfError:
            return self.what_if.today()

    def _build_benefits(self, offered: list[Any], locale: str) -> None:
        row = self.ids.benefits
        row.clear_widgets()
        for benefit in offered:
            # Whole-width buttons: a benefit's title wraps, an answer's single word does not.
            button = KioskButton(text=benefit.title.get(locale))
            button.role = "primary" if benefit.id == self._benefit_id else "secondary"
            button.benefit_id = benefit.id
            button.bind(on_release=lambda b: self.choose_benefit(b.benefit_id))
            row.add_widget(button)

    def _build_fields(self, day: date, locale: str) -> None:
        app = self.kiosk
        box = self.ids.facts
        box.clear_widgets()
        kept = {name: field.text for name, field in self._inputs.items()}
        self._inputs = {}
        self._fields = self.what_if.fields(self._benefit_id, day) if self._benefit_id else []
        separator = ", " if locale == "en" else "、"
        for field in self._fields:
            titles = separator.join(t.get(locale) for t in field.read_by)
            row = FactRow(label=app.tr("whatif.read_by", locale, fact=field.name, criteria=titles))
            if field.typed:
                entry = FactInput(
                    hint_text=app.tr(HINTS[field.kind], locale), text=kept.get(field.name, ""), kind=field.kind
                )
                if field.kind == "integer":
                    entry.input_filter = "int"
                self._inputs[field.name] = entry
                row.add_widget(entry)
            else:
                row.add_widget(self._choice_row(field, locale))
            box.add_widget(row)

    def _choice_row(self, field: FactField, locale: str) -> ChoiceRow:
        app = self.kiosk
        if field.kind == "boolean":
            answers: list[tuple[str, Any]] = [
                (app.tr("whatif.yes", locale), True),
                (app.tr("whatif.no", locale), False),
            ]
        else:
            answers = [(app.tr("whatif.none", locale) if c == "none" else c, c) for c in field.choices]
        answers.append((app.tr("whatif.unknown", locale), UNKNOWN))
        current = self._choices.get(field.name, UNKNOWN)
        row = ChoiceRow()
        for text, value in answers:
            button = ChoiceButton(text=text, chosen=value == current and type(value) is type(current))
            button.value = value
            button.bind(on_release=lambda b, name=field.name, row=row: self.answer(row, b, name))
            row.add_widget(button)
        return row

    # -- running -----------------------------------------------------------------------
    def facts(self) -> dict[str, Any]:
        """The form as facts; WhatIfError names the first field that cannot be read."""
        facts: dict[str, Any] = {}
        for field in self._fields:
            if field.typed:
                facts[field.name] = parse_typed(field, self._inputs[field.name].text)
            else:
                facts[field.name] = self._choices.get(field.name, UNKNOWN)
        return facts

    def start(self) -> asyncio.Future[None]:
        """The "work it out" button: one simulation on the loop (kept to be awaited)."""
        self.running = asyncio.ensure_future(self.run())
        return self.running

    async def run(self) -> None:
        app = self.kiosk
        app.any_touch()
        self._answer = None
        self._problem = None
        locale = app.locale
        self._show_answer(locale)  # the last answer goes at once: it was for other facts
        try:
            on = parse_on(self.ids.on.text)
            if on != self._built_for_day():
                self.show(app.view, locale)  # the criteria in force that day ask other facts
            self._answer = await self.what_if.run(self._benefit_id, self.facts(), on, locale)
        except KioskError as error:
            self._problem = error
        if app.screens.current == self.name:
            self._show_answer(locale)
            # The answer is below the form: bring its first line into view once laid out.
            if self.ids.answer.children:
                # After the new cards are laid out (a few layout passes), not in the same frame.
                Clock.schedule_once(lambda _dt: self.scroll_to_answer(), 0.15)

    def scroll_to_answer(self) -> None:
        """The answer's first line at the top of the view (scroll_to would stop at its foot)."""
        scroll, answer = self.ids.scroll, self.ids.answer
        content = scroll.children[0] if scroll.children else None
        if content is None or content.height <= scroll.height or not answer.children:
            return
        top = answer.children[-1].top - content.y + dp(10)
        scroll.scroll_y = min(1.0, max(0.0, (top - scroll.height) / (content.height - scroll.height)))

    def _built_for_day(self) -> date | None:
        return self._built_for[3] if self._built_for else None  # type: ignore[return-value]

    def _show_answer(self, locale: str) -> None:
        app = self.kiosk
        self.ids.problem.text = self._problem.message(locale) if self._problem else ""
        box = self.ids.answer
        box.clear_widgets()
        answer = self._answer
        if answer is None:
            return
        # The result screen's status lines and cards, so a what-if reads like a real answer.
        from kiosk.ui.kv_layouts import load_screen_kv
        from kiosk.ui.screens.result import CriterionResultCard, StatusLine

        load_screen_kv("result")
        decision = answer.decision
        colon = ": " if locale == "en" else "："
        box.add_widget(
            StatusLine(status=decision.outcome.value, text=app.tr(f"outcome.{decision.outcome.value}", locale))
        )
        box.add_widget(_body(app.tr("whatif.mode.online" if answer.online else "whatif.mode.offline", locale)))
        for criterion in ordered(decision.criteria):
            headline = app.tr(f"status.{criterion.status.value}", locale) + colon + criterion.title
            remedy = criterion.remedy if criterion.status is not Status.PASSED else ""
            box.add_widget(
                CriterionResultCard(
                    status=criterion.status.value,
                    headline=headline,
                    reason=criterion.reason,
                    remedy=app.tr("result.remedy", locale, remedy=remedy) if remedy else "",
                    meta=app.tr("result.source", locale, source=criterion.source),
                )
            )


def _body(text: str) -> Any:
    from kivy.factory import Factory

    return Factory.Body(text=text)
