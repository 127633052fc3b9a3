"""The screen's side of printing: is there a printer, what was asked, what the printer said.

The session's SlipDesk does the printing; this only holds what the .kv files bind to, so a
result arrives on the screen as words the moment the print task ends.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from kivy.event import EventDispatcher
from kivy.properties import BooleanProperty, StringProperty

from kiosk.core.text import Locale
from kiosk.i18n import translate
from kiosk.session.flow_view import SessionView
from kiosk.session.printing import RESULT_KEYS, PrintResult, SlipDesk


class SlipStatus(EventDispatcher):
    available = BooleanProperty(False)
    busy = BooleanProperty(False)
    kind = StringProperty("")  # what was asked for last: "receipt", "ticket" or ""
    key = StringProperty("")  # catalog key of the words for the last result

    def __init__(self, desk: SlipDesk, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.desk = desk
        self.available = desk.available
        desk.subscribe(self._on_result)

    def _on_result(self, result: PrintResult | None) -> None:
        self.busy = result is PrintResult.PRINTING
        self.key = RESULT_KEYS[result] if result is not None else ""
        if result is None:
            self.kind = ""

    def print_receipt(self, view: SessionView, locale: Locale) -> bool:
        decision = view.decision
        if decision is None:
            return False
        title = view.benefit.title.get(locale) if view.benefit is not None else decision.benefit
        return self._ask("receipt", lambda: self.desk.print_receipt(decision, title, locale))

    def print_ticket(self, view: SessionView, locale: Locale) -> bool:
        return self._ask("ticket", lambda: self.desk.print_ticket(view.decision, locale))

    def _ask(self, kind: str, start: Callable[[], asyncio.Task[PrintResult] | None]) -> bool:
        if not self.available or self.busy:
            return False
        before = self.kind
        self.kind = kind
        if start() is None:
            self.kind = before
            return False
        return True

    def words(self, wanted: str, kind: str, key: str, locale: str) -> str:
        """The result in words where it was asked for (kv passes kind and key so it rebinds)."""
        return translate(key, locale) if key and kind == wanted else ""
