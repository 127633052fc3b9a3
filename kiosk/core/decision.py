"""What a check decides: one outcome for one benefit, and why, criterion by criterion.

The same `decide()` runs in the backend (online) and on the kiosk (offline from a signed
credential), so the same facts give the same decision wherever it is made.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, timedelta
from typing import Any

from kiosk.core.benefits import Benefit, Criterion
from kiosk.core.catalog import message
from kiosk.core.decision_ids import new_decision_id
from kiosk.core.decision_records import CriterionResult, Decision, Mode, Outcome, Status
from kiosk.core.errors import KioskError
from kiosk.core.policy_dates import local_day
from kiosk.core.rules import RuleError, is_truthy
from kiosk.core.rules.datetimes import DateTime
from kiosk.core.text import Locale


class NotInForce(KioskError):
    """The benefit has no version in force on the decision's day: it is not offered."""

    def __init__(self, benefit_id: str, day: str) -> None:
        super().__init__(
            f"benefit {benefit_id!r} is not in force on {day}",
            message("core.decision.not_in_force"),
        )


# Built in decide() without the dataclass __init__: a frozen dataclass sets each field through
# object.__setattr__, which made building six records a third of a decision. The slot
# descriptors set the same slots; the check below fails at import if a field is added to the
# records (decision_records.py) and not here.
_new = object.__new__
(_set_id, _set_title, _set_status, _set_reason, _set_as_of, _set_source, _set_remedy,
 _set_rule_version) = (getattr(CriterionResult, name).__set__ for name in (
    "id", "title", "status", "reason", "as_of", "source", "remedy", "rule_version"))
(_set_decision_id, _set_benefit, _set_outcome, _set_criteria, _set_policy_version,
 _set_decided_at, _set_valid_until, _set_mode, _set_receipt) = (
    getattr(Decision, name).__set__ for name in (
        "decision_id", "benefit", "outcome", "criteria", "policy_version", "decided_at",
        "valid_until", "mode", "receipt"))
if [f.name for f in fields(CriterionResult)] != [
    "id", "title", "status", "reason", "as_of", "source", "remedy", "rule_version"
] or [f.name for f in fields(Decision)] != [
    "decision_id", "benefit", "outcome", "criteria", "policy_version", "decided_at",
    "valid_until", "mode", "receipt",
]:
    raise ImportError("decision.py: the fast record builders no longer match the fields")


def _criterion_result(
    id: str, title: str, status: Status, reason: str, as_of: str | None, source: str,
    remedy: str | None, rule_version: str,
) -> CriterionResult:
    result = _new(CriterionResult)
    _set_id(result, id)
    _set_title(result, title)
    _set_status(result, status)
    _set_reason(result, reason)
    _set_as_of(result, as_of)
    _set_source(result, source)
    _set_remedy(result, remedy)
    _set_rule_version(result, rule_version)
    return result


def _decision(
    decision_id: str, benefit: str, outcome: Outcome, criteria: tuple[CriterionResult, ...],
    policy_version: str, decided_at: str, valid_until: str, mode: Mode,
) -> Decision:
    decision = _new(Decision)
    _set_decision_id(decision, decision_id)
    _set_benefit(decision, benefit)
    _set_outcome(decision, outcome)
    _set_criteria(decision, criteria)
    _set_policy_version(decision, policy_version)
    _set_decided_at(decision, decided_at)
    _set_valid_until(decision, valid_until)
    _set_mode(decision, mode)
    _set_receipt(decision, None)
    return decision




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


def _shown(names: tuple[str, ...], facts: Mapping[str, Any]) -> dict[str, Any]:
    """What _fill offers a template, built once for both of a criterion's texts."""
    shown = {}
    for name in names:
        value = facts.get(name)
        shown[name] = "—" if value is None else value
    return shown


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

    The same as judging each criterion with :func:`judge_criterion` and taking
    :func:`outcome_of`, with everything that depends only on the policy (texts in the
    locale, which facts each rule reads) prepared once per benefit and locale.
    """
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    # Law is dated in the policy's time zone: "today" and the versions in force follow it.
    day, decided_at, valid_until = _moments(moment, benefit.valid_hours, benefit.time_zone)
    dates = as_of or {}
    today = day.isoformat()
    # One plain copy serves the rules and every lookup below (offline facts come as a
    # read-only mapping proxy, whose lookups cost twice a dict's).
    known = dict(facts)
    data = {"facts": known, "external": {"today": today}}
    results = []
    failed = unknown = False
    steps = _plan(benefit, locale, day)
    if not steps:
        raise NotInForce(benefit.id, today)
    for step in steps:
        status = PASSED
        for name in step.facts:
            if known.get(name) is None:
                status = UNKNOWN
                break
        else:
            try:
                if not is_truthy(step.evaluate(data)):
                    status = FAILED
            except RuleError:
                # As in judge_criterion: a fact of the wrong shape makes the criterion unknown.
                status = UNKNOWN
        if status is UNKNOWN and step.unknown_result is not None:
            results.append(step.unknown_result)
            unknown = True
            continue
        shown = _shown(step.facts, known) if step.show_value else None
        if status is PASSED:
            reason, remedy, date = step.passed, None, dates.get(step.source_id)
        elif status is FAILED:
            reason, remedy, date = step.failed, step.remedy, dates.get(step.source_id)
            failed = True
        else:
            reason, remedy, date = step.unknown, step.unknown_remedy, None
            unknown = True
        if shown is not None:
            reason = reason.format_map(shown)
            remedy = remedy.format_map(shown) if remedy is not None else None
        if status is FAILED and step.dated_remedy is not None:
            # As in judge_criterion: the dates after which to try again, from this data.
            remedy_on = remedy_dates(step.criterion, data)
            if remedy_on is not None:
                remedy = step.dated_remedy.format_map({**(shown or {}), **remedy_on})
        results.append(_criterion_result(
            step.id, step.title, status, reason, date, step.source, remedy, step.rule_version))
    if failed:
        outcome = Outcome.NOT_ELIGIBLE
    elif unknown or not results:
        outcome = Outcome.UNDETERMINED
    else:
        outcome = Outcome.ELIGIBLE
    return _decision(
        decision_id or new_decision_id(),
        benefit.id,
        outcome,
        tuple(results),
        policy_version,
        decided_at,
        valid_until,
        mode,
    )


PASSED, FAILED, UNKNOWN = Status.PASSED, Status.FAILED, Status.UNKNOWN


@dataclass(frozen=True, slots=True)
class _Step:
    """One criterion with its texts in one locale: policy data only, never an applicant's."""

    id: str
    title: str
    source: str
    source_id: str
    facts: tuple[str, ...]
    evaluate: Callable[[Any], Any]
    show_value: bool
    passed: str
    failed: str
    remedy: str
    unknown: str
    unknown_remedy: str
    # Without shown values an unknown criterion's result is all policy text (as_of is None):
    # built once and shared.
    unknown_result: CriterionResult | None
    rule_version: str
    dated_remedy: str | None
    criterion: Criterion  # for remedy_dates, the one step that reads the data again


_PLANS: dict[tuple[int, str, date], tuple[Benefit, tuple[_Step, ...]]] = {}
_MAX_PLANS = 256  # benefits x locales x days; cleared when full


def _plan(benefit: Benefit, locale: Locale, day: date) -> tuple[_Step, ...]:
    """The criteria in force on ``day``, prepared for ``locale``."""
    key = (id(benefit), locale, day)
    entry = _PLANS.get(key)
    # The entry holds the benefit itself, so its id cannot be reused while it is cached.
    if entry is not None and entry[0] is benefit:
        return entry[1]
    steps = tuple(_step(criterion, locale) for criterion in benefit.criteria_on(day))
    if len(_PLANS) >= _MAX_PLANS:
        _PLANS.clear()
    _PLANS[key] = (benefit, steps)
    return steps


def _step(criterion: Criterion, locale: Locale) -> _Step:
    unknown_result = None
    if not criterion.show_value:
        unknown_result = CriterionResult(
            criterion.id, criterion.title.get(locale), Status.UNKNOWN,
            criterion.unknown.get(locale), None, criterion.source.get(locale),
            criterion.unknown_remedy.get(locale), criterion.rule_version,
        )
    return _Step(
        id=criterion.id,
        title=criterion.title.get(locale),
        source=criterion.source.get(locale),
        source_id=criterion.source_id,
        facts=tuple(criterion.facts),
        evaluate=criterion.compiled.evaluate,
        show_value=criterion.show_value,
        passed=criterion.passed.get(locale),
        failed=criterion.failed.get(locale),
        remedy=criterion.remedy.get(locale),
        unknown=criterion.unknown.get(locale),
        unknown_remedy=criterion.unknown_remedy.get(locale),
        unknown_result=unknown_result,
        rule_version=criterion.rule_version,
        dated_remedy=criterion.dated_remedy.get(locale) if criterion.dated_remedy is not None else None,
        criterion=criterion,
    )


# One tuple, replaced whole: (second, decided_at, {valid hours: valid_until}, {zone: day}).
_last_second: tuple[int, str, dict[int, str], dict[str, date]] = (-1, "", {}, {})


def _moments(moment: datetime, valid_hours: int, time_zone: str) -> tuple[date, str, str]:
    """The policy's day, decided_at and valid_until for a UTC moment; the last second's kept
    (a clock reading, nothing about anyone), since a busy server decides many times a second."""
    global _last_second
    second = int(moment.timestamp())
    last = _last_second
    if last[0] != second:
        last = (second, _iso(moment), {}, {})
        _last_second = last
    until = last[2].get(valid_hours)
    if until is None:
        until = last[2][valid_hours] = _iso(moment + timedelta(hours=valid_hours))
    day = last[3].get(time_zone)
    if day is None:
        day = last[3][time_zone] = local_day(moment, time_zone)
    return day, last[1], until


def _iso(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")
