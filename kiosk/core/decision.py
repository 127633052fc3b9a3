"""What a check decides: one outcome for one benefit, and why, criterion by criterion.

The same `decide()` runs in the backend (online) and on the kiosk (offline from a signed
credential), so the same facts give the same decision wherever it is made.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from kiosk.core.benefits import Benefit, Criterion
from kiosk.core.catalog import message
from kiosk.core.errors import KioskError
from kiosk.core.policy_dates import local_day
from kiosk.core.rules import RuleError
from kiosk.core.rules.datetimes import DateTime
from kiosk.core.text import Locale, LocalText


class Outcome(StrEnum):
    ELIGIBLE = "eligible"
    NOT_ELIGIBLE = "not_eligible"
    UNDETERMINED = "undetermined"


class Status(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    UNKNOWN = "unknown"


class Mode(StrEnum):
    ONLINE = "online"
    OFFLINE = "offline"


class DecisionFormatError(KioskError):
    """A decision document (from the backend, usually) is not what the API promises."""

    def __init__(self, detail: str) -> None:
        super().__init__(
            detail,
            LocalText(
                "核验服务返回的结果无法读取，请稍后再试或联系工作人员。",
                "The eligibility service sent an answer we cannot read. Please try again later "
                "or ask a member of staff.",
            ),
        )


class NotInForce(KioskError):
    """The benefit has no version in force on the decision's day: it is not offered."""

    def __init__(self, benefit_id: str, day: str) -> None:
        super().__init__(
            f"benefit {benefit_id!r} is not in force on {day}",
            message("core.decision.not_in_force"),
        )


@dataclass(frozen=True, slots=True)
class CriterionResult:
    id: str
    title: str
    status: Status
    reason: str
    as_of: str | None
    source: str
    remedy: str | None
    rule_version: str = "-"  # the deciding version's valid_from ("-": undated)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "status": self.status.value,
            "reason": self.reason,
            "as_of": self.as_of,
            "source": self.source,
            "remedy": self.remedy,
            "rule_version": self.rule_version,
        }


@dataclass(frozen=True, slots=True)
class Decision:
    decision_id: str
    benefit: str
    outcome: Outcome
    criteria: tuple[CriterionResult, ...]
    policy_version: str
    decided_at: str
    valid_until: str
    mode: Mode = Mode.ONLINE

    def to_json(self, *, with_mode: bool = False) -> dict[str, Any]:
        body: dict[str, Any] = {
            "decision_id": self.decision_id,
            "benefit": self.benefit,
            "outcome": self.outcome.value,
            "criteria": [c.to_json() for c in self.criteria],
            "policy_version": self.policy_version,
            "decided_at": self.decided_at,
            "valid_until": self.valid_until,
        }
        if with_mode:
            body["mode"] = self.mode.value
        return body


def outcome_of(statuses: Iterable[Status]) -> Outcome:
    """All passed -> eligible; any failed -> not eligible; otherwise undetermined."""
    seen = list(statuses)
    if Status.FAILED in seen:
        return Outcome.NOT_ELIGIBLE
    if seen and all(s is Status.PASSED for s in seen):
        return Outcome.ELIGIBLE
    return Outcome.UNDETERMINED


def judge_criterion(
    criterion: Criterion,
    facts: Mapping[str, Any],
    *,
    data: Mapping[str, Any],
    as_of: str | None,
    locale: Locale,
) -> CriterionResult:
    """Evaluate one criterion over `data` ({"facts", "external"}, built once per decision).

    A fact the criterion reads that is absent or null makes it unknown.
    """
    status = Status.UNKNOWN
    if all(facts.get(name) is not None for name in criterion.facts):
        try:
            status = Status.PASSED if criterion.passes(data) else Status.FAILED
        except RuleError:
            # A fact of the wrong shape (a date that is not a date) is data we cannot read:
            # the criterion is not known, which is what the person is told, never a guess.
            status = Status.UNKNOWN
    shown = {name: facts.get(name) for name in criterion.facts} if criterion.show_value else None
    if status is Status.PASSED:
        reason, remedy = criterion.passed, None
    elif status is Status.FAILED:
        reason, remedy = criterion.failed, criterion.remedy
    else:
        reason, remedy = criterion.unknown, criterion.unknown_remedy
    remedy_text = _fill(remedy.get(locale), shown) if remedy is not None else None
    if status is Status.FAILED and criterion.dated_remedy is not None:
        dates = remedy_dates(criterion, data)
        if dates is not None:
            remedy_text = criterion.dated_remedy.get(locale).format_map({**(shown or {}), **dates})
    return CriterionResult(
        id=criterion.id,
        title=criterion.title.get(locale),
        status=status,
        reason=_fill(reason.get(locale), shown),
        as_of=as_of if status is not Status.UNKNOWN else None,
        source=criterion.source.get(locale),
        remedy=remedy_text,
        rule_version=criterion.rule_version,
    )


def remedy_dates(criterion: Criterion, data: Mapping[str, Any]) -> dict[str, str] | None:
    """The dates a dated remedy names (YYYY-MM-DD), or None when any cannot be computed."""
    dates: dict[str, str] = {}
    for name, expression in criterion.compiled_dates.items():
        try:
            value = expression.evaluate(data)
        except RuleError:
            return None
        if not isinstance(value, DateTime):
            return None
        dates[name] = value.isoformat()[:10]
    return dates


def _fill(template: str, shown: Mapping[str, Any] | None) -> str:
    # Only facts the catalog marks as showable are offered to the template; the loader
    # already refused templates that name anything else (so None means no placeholders).
    if shown is None:
        return template
    return template.format_map({k: ("—" if v is None else v) for k, v in shown.items()})


def decide(
    benefit: Benefit,
    facts: Mapping[str, Any],
    *,
    policy_version: str,
    locale: Locale,
    as_of: Mapping[str, str] | None = None,
    now: datetime | None = None,
    mode: Mode = Mode.ONLINE,
    decision_id: str | None = None,
) -> Decision:
    """Decide one benefit for one subject's facts.

    `as_of` maps a source authority id to the date its data is as of (online: from the
    record; offline: the credential's issue date for every source).
    """
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    dates = as_of or {}
    # Law is dated in the policy's time zone: "today" and the versions in force follow it.
    day = local_day(moment, benefit.time_zone)
    in_force = benefit.criteria_on(day)
    if not in_force:
        raise NotInForce(benefit.id, day.isoformat())
    data = {"facts": dict(facts), "external": {"today": day.isoformat()}}
    results = tuple(
        judge_criterion(criterion, facts, data=data, as_of=dates.get(criterion.source_id), locale=locale)
        for criterion in in_force
    )
    return Decision(
        decision_id=decision_id or uuid.uuid4().hex,
        benefit=benefit.id,
        outcome=outcome_of(r.status for r in results),
        criteria=results,
        policy_version=policy_version,
        decided_at=_iso(moment),
        valid_until=_iso(moment + timedelta(hours=benefit.valid_hours)),
        mode=mode,
    )


def _iso(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")


_CRITERION_FIELDS = {"id", "title", "status", "reason", "as_of", "source", "remedy", "rule_version"}
_DECISION_FIELDS = {
    "decision_id",
    "benefit",
    "outcome",
    "criteria",
    "policy_version",
    "decided_at",
    "valid_until",
}


def decision_from_json(body: object, *, mode: Mode = Mode.ONLINE) -> Decision:
    """Validate a decision document before anything uses it; refuse anything unexpected."""
    if not isinstance(body, dict):
        raise DecisionFormatError("decision is not a JSON object")
    if set(body) != _DECISION_FIELDS:
        raise DecisionFormatError(
            f"decision fields differ: missing {sorted(_DECISION_FIELDS - set(body))}, "
            f"unexpected {sorted(set(body) - _DECISION_FIELDS)}"
        )
    for key in ("decision_id", "benefit", "policy_version", "decided_at", "valid_until"):
        _require_str(body[key], key)
    try:
        outcome = Outcome(body["outcome"])
    except ValueError:
        raise DecisionFormatError("decision outcome is not one of the three") from None
    raw_criteria = body["criteria"]
    if not isinstance(raw_criteria, list) or not raw_criteria:
        raise DecisionFormatError("decision has no criteria; a decision must explain itself")
    criteria = tuple(_criterion_from_json(item) for item in raw_criteria)
    if outcome_of(c.status for c in criteria) is not outcome:
        raise DecisionFormatError("decision outcome does not follow from its criteria")
    return Decision(
        decision_id=body["decision_id"],
        benefit=body["benefit"],
        outcome=outcome,
        criteria=criteria,
        policy_version=body["policy_version"],
        decided_at=body["decided_at"],
        valid_until=body["valid_until"],
        mode=mode,
    )


def _criterion_from_json(item: object) -> CriterionResult:
    if not isinstance(item, dict) or set(item) != _CRITERION_FIELDS:
        raise DecisionFormatError("a criterion is not an object with exactly the API's fields")
    try:
        status = Status(item["status"])
    except ValueError:
        raise DecisionFormatError("a criterion status is not passed/failed/unknown") from None
    for key in ("id", "title", "reason", "source", "rule_version"):
        _require_str(item[key], f"criterion {key}")
    for key in ("as_of", "remedy"):
        if item[key] is not None:
            _require_str(item[key], f"criterion {key}")
    if status is not Status.PASSED and not item["remedy"]:
        raise DecisionFormatError("a criterion that did not pass has no remedy")
    return CriterionResult(
        id=item["id"],
        title=item["title"],
        status=status,
        reason=item["reason"],
        as_of=item["as_of"],
        source=item["source"],
        remedy=item["remedy"],
        rule_version=item["rule_version"],
    )


def _require_str(value: object, name: str) -> None:
    if not isinstance(value, str) or not value or len(value) > 2000:
        raise DecisionFormatError(f"{name} is not a non-empty string of sane length")
