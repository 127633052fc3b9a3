"""The records a check produces, a decision and its criterion results, and their JSON.

Apart from the engine that builds them (kiosk.core.decision): the kiosk, the receipts and the
heartbeat read and check these records without loading the rules or the benefit catalog.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from kiosk.core.catalog import message
from kiosk.core.credentials.settings import RECEIPT_PREFIX
from kiosk.core.errors import KioskError


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
            message("core.decision.text"),
        )


# decide() builds both records without their __init__ (kiosk.core.decision's fast builders),
# which check these fields at import: a field added here must be added there too.
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
    # The signed receipt the applicant takes away (kiosk.core.receipts): "XKR:...", or None
    # when nobody could sign one (no receipt key configured, or an answer from an older backend).
    receipt: str | None = None

    def to_json(self, *, with_mode: bool = False) -> dict[str, Any]:
        body: dict[str, Any] = {
            "decision_id": self.decision_id,
            "benefit": self.benefit,
            "outcome": self.outcome.value,
            "criteria": [c.to_json() for c in self.criteria],
            "policy_version": self.policy_version,
            "decided_at": self.decided_at,
            "valid_until": self.valid_until,
            "receipt": self.receipt,
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


# What a receipt may be as the API carries it; kiosk.core.receipts reads it with its own limits.
MAX_RECEIPT_CHARS = 4096
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
    # "receipt" is optional: a backend without a receipt key (or from before receipts) leaves
    # it out or sends null, and the decision stands without one.
    if not _DECISION_FIELDS <= set(body) <= _DECISION_FIELDS | {"receipt"}:
        raise DecisionFormatError(
            f"decision fields differ: missing {sorted(_DECISION_FIELDS - set(body))}, "
            f"unexpected {sorted(set(body) - _DECISION_FIELDS - {'receipt'})}"
        )
    receipt = body.get("receipt")
    if receipt is not None and (
        not isinstance(receipt, str) or not receipt.startswith(RECEIPT_PREFIX + ":")
        or len(receipt) > MAX_RECEIPT_CHARS
    ):
        raise DecisionFormatError("decision receipt is not an XKR: text of sane length")
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
        receipt=receipt,
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
