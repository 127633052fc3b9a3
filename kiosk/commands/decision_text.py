"""A decision as plain text for a terminal: outcome first, then every criterion and its remedy."""

from __future__ import annotations

from kiosk.core.benefits import Benefit
from kiosk.core.catalog import message
from kiosk.core.decision_records import Decision, Mode, Outcome, Status
from kiosk.core.text import Locale

_OUTCOME = {
    Outcome.ELIGIBLE: message("commands.decision_text.eligible"),
    Outcome.NOT_ELIGIBLE: message("commands.decision_text.not_eligible"),
    Outcome.UNDETERMINED: message("commands.decision_text.undetermined"),
}
_STATUS = {
    Status.PASSED: message("status.passed"),
    Status.FAILED: message("status.failed"),
    Status.UNKNOWN: message("status.unknown"),
}
_LABELS = {
    "outcome": message("commands.decision_text.outcome"),
    "benefit": message("commands.decision_text.benefit"),
    "remedy": message("commands.decision_text.remedy"),
    "as_of": message("commands.decision_text.as_of"),
    "source": message("commands.decision_text.source"),
    "decision": message("commands.decision_text.decision"),
    "decided": message("commands.decision_text.decided"),
    "valid": message("commands.decision_text.valid"),
    "offline": message("commands.decision_text.offline"),
    "review": message("result.review"),
}


def render_decision(decision: Decision, benefit: Benefit | None, locale: Locale) -> str:
    label = {key: text.get(locale) for key, text in _LABELS.items()}
    lines = [f"{label['outcome']}: {_OUTCOME[decision.outcome].get(locale)}"]
    if benefit is not None:
        lines.append(f"{label['benefit']}: {benefit.title.get(locale)}")
    if decision.mode is Mode.OFFLINE:
        lines.append(label["offline"])
    lines.append("")
    for criterion in decision.criteria:
        lines.append(f"{_STATUS[criterion.status].get(locale)} {criterion.title}")
        lines.append(f"    {criterion.reason}")
        meta = f"{label['source']}: {criterion.source}"
        if criterion.as_of:
            meta += f"; {label['as_of']} {criterion.as_of}"
        lines.append(f"    ({meta})")
        if criterion.remedy:
            lines.append(f"    {label['remedy']}: {criterion.remedy}")
    lines += [
        "",
        f"{label['decision']}: {decision.decision_id}",
        f"{label['decided']}: {decision.decided_at}; {label['valid']}: {decision.valid_until}",
    ]
    if decision.outcome is not Outcome.ELIGIBLE:
        lines.append(label["review"])
    return "\n".join(lines)
