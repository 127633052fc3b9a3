"""The decision: outcome in words and a shape, then every criterion and what to do about it."""

from __future__ import annotations

from kivy.properties import StringProperty

from kiosk.core.decision import Mode, Outcome
from kiosk.session.flow import SessionView
from kiosk.ui.screens.base import KioskScreen
from kiosk.ui.widgets import Card


class CriterionResultCard(Card):
    status = StringProperty("unknown")
    status_word = StringProperty("")
    title = StringProperty("")
    reason = StringProperty("")
    remedy = StringProperty("")
    meta = StringProperty("")


class ResultScreen(KioskScreen):
    outcome = StringProperty("undetermined")

    def show(self, view: SessionView, locale: str) -> None:
        decision = view.decision
        box = self.ids.criteria
        box.clear_widgets()
        if decision is None:
            return
        app = self.kiosk
        self.outcome = decision.outcome.value
        self.ids.outcome.text = app.tr(f"outcome.{decision.outcome.value}", locale)
        self.ids.outcome_hint.text = app.tr(f"outcome.{decision.outcome.value}.hint", locale)
        self.ids.offline.text = app.tr("result.offline", locale) if decision.mode is Mode.OFFLINE else ""
        self.ids.decision_id.text = app.tr(
            "result.decision_id", locale, id=decision.decision_id, decided=decision.decided_at,
            valid=decision.valid_until,
        )
        review_key = "result.review" if decision.outcome is not Outcome.ELIGIBLE else "result.review_any"
        self.ids.review.text = app.tr(review_key, locale)
        for criterion in decision.criteria:
            meta = app.tr("result.source", locale, source=criterion.source)
            if criterion.as_of:
                meta += " · " + app.tr("result.as_of", locale, date=criterion.as_of)
            box.add_widget(
                CriterionResultCard(
                    status=criterion.status.value,
                    status_word=app.tr(f"status.{criterion.status.value}", locale),
                    title=criterion.title,
                    reason=criterion.reason,
                    remedy=app.tr("result.remedy", locale, remedy=criterion.remedy) if criterion.remedy else "",
                    meta=meta,
                )
            )
