"""What the .kv files ask the App for: the reading column's width and padding, and texts out of
the session view (kv calls them as ``app.<method>``; KioskApp takes them in as a mixin).

Apart from the App because none of them drives anything: they are answers computed from their
arguments and the current language, the same on every screen.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kivy.metrics import dp, sp

from kiosk.core.text import LocalText
from kiosk.i18n import translate
from kiosk.session.flow_view import FlowState, SessionView
from kiosk.ui import theme


class KvHelpers:
    """The .kv files' helpers on KioskApp, which mixes them in."""

    locale: str  # KioskApp's language (a Kivy StringProperty there)

    # -- layout the .kv files ask for --------------------------------------------------------
    def column_width(self, font_scale: float) -> float:
        """A reading column of about 38 CJK characters (or ~75 Latin): lines stay short."""
        return float(sp(theme.BODY_SP) * font_scale * theme.MAX_LINE_CHARS)

    def columns(self, width: float, font_scale: float) -> int:
        """Two reading columns where two whole ones fit side by side (1920x1080 in the
        standard view), else one: a wide screen shows more at once, lines stay short."""
        needed = 2 * self.column_width(font_scale) + theme.COLUMN_GAP_DP * dp(1) + 2 * dp(16)
        return 2 if width >= needed else 1

    def column_gap(self) -> float:
        return float(dp(theme.COLUMN_GAP_DP))

    def side_padding(self, width: float, font_scale: float, columns: int = 1) -> float:
        """Horizontal padding that centres the reading column(s) on a wide screen."""
        used = columns * self.column_width(font_scale) + (columns - 1) * self.column_gap()
        return max(dp(16), (width - used) / 2)

    def portrait(self, size: Sequence[float]) -> bool:
        return size[1] > size[0]

    # -- helpers the .kv files call --------------------------------------------------------
    def tr(self, key: str, locale: str | None = None, **params: Any) -> str:
        return translate(key, locale or self.locale, **params)

    def text_of(self, text: LocalText | None) -> str:
        return text.get(self.locale) if text is not None else ""

    # kv cannot bind through a plain dataclass (app.view.benefit.title); these take the view
    # as an argument, so each expression rebinds when the view is replaced.
    def benefit_text(self, view: SessionView, field: str, locale: str) -> str:
        benefit = view.benefit
        return getattr(benefit, field).get(locale) if benefit is not None else ""

    def seconds_of(self, view: SessionView) -> int:
        return int(view.seconds_left or 0)

    def holder_text(self, view: SessionView, locale: str) -> str:
        name = view.holder_name_masked
        return self.tr("checking.holder", locale, name=name) if name else ""

    def card_text(self, view: SessionView, locale: str) -> str:
        """Only a card read carries a holder name: then remind the person to take the card."""
        return self.tr("card.take", locale) if view.holder_name_masked else ""

    def wiped_text(self, view: SessionView, locale: str) -> str:
        return self.tr("idle.wiped", locale) if view.last_end else ""

    def countdown_text(self, view: SessionView, locale: str) -> str:
        if view.seconds_left is None or view.state is FlowState.CHECKING:
            return ""
        return self.tr("bar.seconds", locale, seconds=int(view.seconds_left))
