"""The decision, summary first: outcome word and shape, one sentence saying why and what to do
first, then what failed or is unknown in full, what passed in one line each, the reference."""

from __future__ import annotations

from collections.abc import Sequence

from kivy.clock import Clock
from kivy.core.window import Window
from kivy.metrics import dp
from kivy.properties import NumericProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout

from kiosk.core.decision_records import Mode, Outcome, Status
from kiosk.session.flow_view import SessionView
from kiosk.session.printing import receipt_of
from kiosk.session.readout import local_time, ordered, short_reference, summary
from kiosk.ui.qr_texture import qr_texture, whole_module_side
from kiosk.ui.screens.base import KioskScreen
from kiosk.ui.widgets import Card


class StatusLine(BoxLayout):
    """Icon and one line: a passed criterion, or the headline of a card."""

    status = StringProperty("unknown")
    text = StringProperty("")


class CriterionResultCard(Card):
    status = StringProperty("unknown")
    headline = StringProperty("")
    reason = StringProperty("")
    remedy = StringProperty("")
    meta = StringProperty("")


# On-screen QR: at least 3 px a module for a ~600-character receipt on the 7" screen (a phone
# reads ~0.5 mm modules from a hand's length), larger where the screen has room.
QR_MIN_DP, QR_MAX_DP = 240, 360


def qr_target(width: float) -> float:
    return float(max(dp(QR_MIN_DP), min(dp(QR_MAX_DP), width * 0.3)))


class ResultScreen(KioskScreen):
    outcome = StringProperty("undetermined")
    qr_side = NumericProperty(0)  # 0: no receipt to show
    columns = NumericProperty(1)
    _built_for: tuple[object, ...] | None = None
    _pending_qr: str | None = None

    def on_kv_post(self, *_: object) -> None:
        self.on_columns()

    def on_columns(self, *_: object) -> None:
        """The reference card goes under the summary when there are two columns (the side
        with room to spare), and last in one column."""
        if "reference_card" not in self.ids:
            return
        card = self.ids.reference_card
        target = self.ids.summary_column if self.columns == 2 else self.ids.details_column
        if card.parent is not target:
            card.parent.remove_widget(card)
            target.add_widget(card)

    def spoken_text(self, view: SessionView, locale: str) -> str:
        # Summary and remedy first, every criterion, the reference last (kiosk.session.readout).
        return str(self.kiosk.spoken_result())

    def forget(self) -> None:
        self._built_for = None
        self.forget_qr()

    def stack_receipt(self, size: Sequence[float], font_scale: float) -> bool:
        """QR above the reference where the text beside it would be too narrow to read."""
        return bool(size[0] < qr_target(size[0]) + self.kiosk.column_width(font_scale) * 0.6)

    def _show_receipt(self, receipt: str | None, locale: str) -> None:
        self.ids.qr_caption.text = self.kiosk.tr("result.qr_caption", locale) if receipt else ""
        self.forget_qr()
        if receipt is None:
            return
        # The outcome is drawn first and the QR in the frame after: segno tries all eight
        # masks for the most readable symbol, ~18 ms for a 560-character receipt on the x86
        # development machine (more on a Pi), which the person would otherwise wait for
        # before seeing 符合 / 不符合.
        self._pending_qr = receipt
        Window.bind(on_flip=self._after_outcome_drawn)

    def _after_outcome_drawn(self, *_: object) -> None:
        # Bound handlers run before the window's own flip: the QR waits for the next frame's
        # clock tick, so this frame reaches the screen first.
        Window.unbind(on_flip=self._after_outcome_drawn)
        Clock.schedule_once(self._draw_pending_qr, 0)

    def _draw_pending_qr(self, *_: object) -> None:
        receipt, self._pending_qr = self._pending_qr, None
        if receipt is None:
            return
        texture = qr_texture(receipt)
        self.ids.qr.texture = texture
        self.qr_side = whole_module_side(texture.width, qr_target(self.kiosk.window_size[0]))

    def forget_qr(self) -> None:
        # A QR still waiting for its frame belongs to the decision being replaced or forgotten.
        self._pending_qr = None
        Window.unbind(on_flip=self._after_outcome_drawn)
        self.qr_side = 0
        self.ids.qr.texture = None

    def show(self, view: SessionView, locale: str) -> None:
        decision = view.decision
        app = self.kiosk
        # The view changes every second (countdown); rebuild only for a new decision or look.
        key = (id(decision), locale, app.font_scale)
        if key == self._built_for:
            return
        self._built_for = key
        box, passed = self.ids.criteria, self.ids.passed
        box.clear_widgets()
        passed.clear_widgets()
        if decision is None:
            return
        site = app.site
        self.outcome = decision.outcome.value
        self.ids.outcome.text = app.tr(f"outcome.{decision.outcome.value}", locale)
        self.ids.summary.text = summary(decision, locale, site)
        benefit = view.benefit.title.get(locale) if view.benefit else decision.benefit
        holder = view.holder_name_masked
        self.ids.holder.text = benefit + (" · " + app.tr("result.holder", locale, name=holder) if holder else "")
        self.ids.offline.text = app.tr("result.offline", locale) if decision.mode is Mode.OFFLINE else ""
        self.ids.reference.text = app.tr("result.reference", locale, reference=short_reference(decision.decision_id))
        self._show_receipt(receipt_of(decision), locale)
        zone = site.zone()
        self.ids.times.text = app.tr(
            "result.times", locale, decided=local_time(decision.decided_at, zone, locale),
            valid=local_time(decision.valid_until, zone, locale),
        )
        review_key = "result.review" if decision.outcome is not Outcome.ELIGIBLE else "result.review_any"
        self.ids.review.text = app.tr(review_key, locale)
        colon = ": " if locale == "en" else "："
        for criterion in ordered(decision.criteria):
            headline = app.tr(f"status.{criterion.status.value}", locale) + colon + criterion.title
            if criterion.status is Status.PASSED:
                passed.add_widget(StatusLine(status=criterion.status.value, text=headline))
                continue
            meta = app.tr("result.source", locale, source=criterion.source)
            if criterion.as_of:
                meta += " · " + app.tr("result.as_of", locale, date=criterion.as_of)
            box.add_widget(
                CriterionResultCard(
                    status=criterion.status.value,
                    headline=headline,
                    reason=criterion.reason,
                    remedy=app.tr("result.remedy", locale, remedy=criterion.remedy) if criterion.remedy else "",
                    meta=meta,
                )
            )
