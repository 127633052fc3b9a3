"""A decision as plain text for a terminal: outcome first, then every criterion and its remedy."""

from __future__ import annotations

from kiosk.core.benefits import Benefit
from kiosk.core.decision import Decision, Mode, Outcome, Status
from kiosk.core.text import Locale, LocalText

_OUTCOME = {
    Outcome.ELIGIBLE: LocalText("符合条件", "Eligible"),
    Outcome.NOT_ELIGIBLE: LocalText("不符合条件", "Not eligible"),
    Outcome.UNDETERMINED: LocalText("暂时无法判断", "Cannot tell yet"),
}
_STATUS = {
    Status.PASSED: LocalText("[通过]", "[passed]"),
    Status.FAILED: LocalText("[未通过]", "[not passed]"),
    Status.UNKNOWN: LocalText("[未知]", "[unknown]"),
}
_LABELS = {
    "outcome": LocalText("结果", "Outcome"),
    "benefit": LocalText("事项", "Benefit"),
    "remedy": LocalText("可以这样做", "What you can do"),
    "as_of": LocalText("数据截至", "data as of"),
    "source": LocalText("来源", "source"),
    "decision": LocalText("决定编号", "Decision id"),
    "decided": LocalText("核验时间", "Decided at"),
    "valid": LocalText("有效期至", "Valid until"),
    "offline": LocalText(
        "（离线核验，依据出示的信用码签发日的数据）",
        "(decided offline, from the data as of the credential's issue date)",
    ),
    "review": LocalText(
        "对结果有疑问，可到人工窗口申请人工复核。",
        "If you disagree with this result, ask at the staffed counter for a review by a person.",
    ),
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
