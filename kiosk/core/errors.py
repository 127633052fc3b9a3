"""The root of every error the domain core raises.

Each error carries the words a person sees (in both languages) next to the technical
message for staff and logs. Neither may contain an identifier, a name or a payload.
"""

from __future__ import annotations

from kiosk.core.text import Locale, LocalText


class KioskError(Exception):
    """Base of all expected failures; anything else reaching the top is a bug."""

    def __init__(self, detail: str, text: LocalText) -> None:
        super().__init__(detail)
        self.detail = detail
        self.text = text

    def message(self, locale: Locale | str) -> str:
        return self.text.get(locale)
