"""Dates the kiosk works out itself: the day a person turns 18, from the resident ID number.

When a resident ID is presented the birth date is in the number (digits 7-14), so the kiosk
fills the age criterion's dated remedy ("you turn 18 on ...") in memory from the card in front
of it; the birth date is never sent to the backend, never kept, and gone with the session.
"""

from __future__ import annotations

from dataclasses import replace

from kiosk.core.benefits import Benefit, Criterion
from kiosk.core.credentials import ric
from kiosk.core.credentials.model import Presentation, Scheme
from kiosk.core.decision import remedy_dates
from kiosk.core.decision_records import Decision, Status
from kiosk.core.text import Locale

BIRTH_DATE_FACT = "date_of_birth"


def with_birth_dates(
    decision: Decision, benefit: Benefit, presentation: Presentation, locale: Locale
) -> Decision:
    """The decision with the remedies that depend on the birth date alone dated from the ID."""
    subject = presentation.subject
    if subject.scheme is not Scheme.RIC:
        return decision
    born = ric.birth_date(subject.value)
    if born is None:
        return decision
    data = {"facts": {BIRTH_DATE_FACT: born.isoformat()}, "external": {}}
    changed = False
    results = []
    for result in decision.criteria:
        criterion = _deciding(benefit, result.id, result.rule_version)
        if (
            result.status is Status.FAILED
            and criterion is not None
            and criterion.dated_remedy is not None
            and criterion.date_facts == (BIRTH_DATE_FACT,)
        ):
            dates = remedy_dates(criterion, data)
            if dates is not None:
                result = replace(result, remedy=criterion.dated_remedy.get(locale).format_map(dates))
                changed = True
        results.append(result)
    return replace(decision, criteria=tuple(results)) if changed else decision


def _deciding(benefit: Benefit, criterion_id: str, rule_version: str) -> Criterion | None:
    return next((c for c in benefit.versions_of(criterion_id) if c.rule_version == rule_version), None)
