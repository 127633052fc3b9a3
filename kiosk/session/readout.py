"""What a person is told about a decision, in the order they need it: screen, speech, ticket.

Pure functions, no Kivy: the result screen, the spoken readout and the call-staff ticket all
say the same summary, reference and times, so they are worded in one place.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from hashlib import sha256
from zoneinfo import ZoneInfo

from kiosk.core.catalog import translate
from kiosk.core.decision_records import CriterionResult, Decision, Outcome, Status
from kiosk.core.text import Locale
from kiosk.session.site import Site

# 32 symbols without 0/O and 1/I, so a reference read aloud or copied by hand is unambiguous.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
_HEX = re.compile(r"[0-9a-fA-F]{10,}")
_BRACKETS = re.compile(r"（[^（）]*）|\([^()]*\)")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_ORDER = {Status.FAILED: 0, Status.UNKNOWN: 1, Status.PASSED: 2}


def short_reference(decision_id: str) -> str:
    """8 symbols in two groups (e.g. "K7QM-2XHD") from the id's first 40 bits.

    Staff find the decision by the hex prefix `reference_prefix()` gives back; an id that is
    not hex (older backends) is hashed instead, which still tells two receipts apart.
    """
    match = _HEX.match(decision_id)
    bits = int(match.group(0)[:10], 16) if match else int(sha256(decision_id.encode()).hexdigest()[:10], 16)
    symbols = "".join(REFERENCE_ALPHABET[(bits >> shift) & 31] for shift in range(35, -1, -5))
    return f"{symbols[:4]}-{symbols[4:]}"


def reference_prefix(reference: str) -> str:
    """The first 10 hex digits of the decision id a reference came from."""
    bits = 0
    for symbol in reference.replace("-", "").upper():
        bits = (bits << 5) | REFERENCE_ALPHABET.index(symbol)
    return f"{bits:010x}"


def local_time(iso: str, zone: ZoneInfo, locale: Locale | str) -> str:
    """2026年12月1日 15:08 / 1 Dec 2026, 15:08 in the kiosk's zone; unparseable text as is."""
    try:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return iso
    if moment.tzinfo is None:
        return iso
    here = moment.astimezone(zone)
    if locale == "en":
        return f"{here.day} {_MONTHS[here.month - 1]} {here.year}, {here:%H:%M}"
    return f"{here.year}年{here.month}月{here.day}日 {here:%H:%M}"


def ordered(criteria: Iterable[CriterionResult]) -> list[CriterionResult]:
    """Failed first, then unknown, then passed; the policy's order within each."""
    return sorted(criteria, key=lambda c: _ORDER.get(c.status, 1))


def first_step(remedy: str) -> str:
    """The first thing to do: a remedy's first clause, without citations in brackets."""
    # Brackets first: a citation like "(…, Order No. 36)" holds a full stop of its own.
    clause = re.split(r"[；;。]|\. ", _BRACKETS.sub("", remedy), maxsplit=1)[0]
    return re.sub(r"\s+([,，])", r"\1", clause).strip().rstrip("，,。.")


def summary(decision: Decision, locale: Locale | str, site: Site) -> str:
    """One sentence: the outcome's reason (which criteria) and the first thing to do."""
    counter = site.counter_name(locale)
    if decision.outcome is Outcome.ELIGIBLE:
        return translate("result.summary.eligible", locale, count=len(decision.criteria), counter=counter)
    wanted = Status.FAILED if decision.outcome is Outcome.NOT_ELIGIBLE else Status.UNKNOWN
    named = [c for c in decision.criteria if c.status is wanted]
    separator = ", " if locale == "en" else "、"
    # Two names at most: the sentence has to fit on the first screen; the cards list them all.
    names = separator.join(c.title for c in named[:2]) or "—"
    if len(named) > 2:
        names += translate("result.summary.more", locale, count=len(named) - 2)
    remedy = next((c.remedy for c in named if c.remedy), None)
    step = first_step(remedy) if remedy else ""
    if not step:
        step = translate("result.step.counter", locale, counter=counter)
    return translate(f"result.summary.{decision.outcome.value}", locale, names=names, step=step)


def spoken(decision: Decision, locale: Locale | str, site: Site, holder: str | None = None) -> str:
    """The readout: summary and first step first, then each criterion, then the reference."""
    parts = [translate(f"outcome.{decision.outcome.value}", locale), summary(decision, locale, site)]
    for criterion in ordered(decision.criteria):
        status = translate(f"status.{criterion.status.value}", locale).lstrip("✓×? ")
        if criterion.status is Status.PASSED:
            # Passed criteria get one short line: the readout must end well before the timeout.
            parts.append(f"{criterion.title}：{status}。" if locale != "en" else f"{criterion.title}: {status}.")
            continue
        parts.append(f"{criterion.title}：{status}。{criterion.reason}" if locale != "en"
                     else f"{criterion.title}: {status}. {criterion.reason}")
        if criterion.remedy:
            parts.append(translate("result.remedy", locale, remedy=criterion.remedy))
    reference = " ".join(short_reference(decision.decision_id).replace("-", ""))
    parts.append(translate("result.reference_spoken", locale, reference=reference))
    if holder:
        parts.insert(1, translate("checking.holder", locale, name=holder))
    return "\n".join(parts)
