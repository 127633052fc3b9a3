"""The demo's panel of codes to "present": one per outcome, a signed credential decided offline,
an expired credential, a bad code, and (for personal benefits) an ID card on the card reader.

Every code goes through a simulated device on a real pty, so the kiosk reads it exactly as it
would read a real scanner or card reader. Subjects come from the backend's demo population.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from kiosk.adapters.backend_client import BackendRejected, BackendUnavailable
from kiosk.core.benefits import Benefit
from kiosk.core.catalog import message, translate
from kiosk.core.credentials import Presentation
from kiosk.core.credentials.schemes import IDENTIFIER_SCHEME_BY_KIND
from kiosk.core.decision_records import Decision
from kiosk.core.text import Locale, LocalText

OUTCOMES = ("eligible", "not_eligible", "undetermined")
_OUTCOME_WORDS = {
    "eligible": ("符合", "eligible"),
    "not_eligible": ("不符合", "not eligible"),
    "undetermined": ("无法判断", "undetermined"),
}


@dataclass(frozen=True, slots=True)
class DemoCode:
    """`expect` is the outcome or error category the kiosk should show for it."""

    label: LocalText
    present: Callable[[], None]
    expect: str


class NetworkSwitch:
    """Sits between the kiosk and its link to the backend, for demos and screenshots.

    `cut_next()` makes the next check fail as if the cable were out (the kiosk then decides
    offline where it can); `refuse_next()` makes the backend's refusal arrive (429); `hold()`
    keeps checks waiting until `release()`, so the "checking" screen can be seen and cancelled.
    """

    def __init__(self, online: Any) -> None:
        self.online = online
        self._cut = False
        self._refuse = False
        self._gate: asyncio.Event | None = None

    def cut_next(self) -> None:
        self._cut = True

    def refuse_next(self) -> None:
        self._refuse = True

    def hold(self) -> None:
        self._gate = asyncio.Event()

    def release(self) -> None:
        gate, self._gate = self._gate, None
        if gate is not None:
            gate.set()

    async def check(self, benefit_id: str, presentation: Presentation, locale: Locale) -> Decision:
        if self._gate is not None:
            await self._gate.wait()
        if self._cut:
            self._cut = False
            raise BackendUnavailable("demo: network switched off for this check")
        if self._refuse:
            self._refuse = False
            raise BackendRejected(429, {"title": "demo: too many requests"})
        decision: Decision = await self.online.check(benefit_id, presentation, locale)
        return decision


def _label(subject: Any) -> tuple[str, str]:
    zh, _, en = str(subject.label).partition(" / ")
    return zh, en or zh


def demo_codes_for(
    benefit: Benefit,
    subjects: Sequence[Any],
    *,
    scanner: Any,
    card_reader: Any | None,
    issuer: Any | None,
    network: NetworkSwitch | None,
) -> list[DemoCode]:
    codes: list[DemoCode] = []
    identifier = IDENTIFIER_SCHEME_BY_KIND[benefit.kind]
    fitting = [s for s in subjects if s.kind == benefit.kind and s.on_record and benefit.id in s.expected]

    def scan(payload: str) -> Callable[[], None]:
        return lambda: scanner.present(payload.encode("utf-8"))

    for outcome in OUTCOMES:
        subject = next((s for s in fitting if s.scheme == identifier and s.expected[benefit.id] == outcome), None)
        if subject is None:
            continue
        zh, en = _label(subject)
        word_zh, word_en = _OUTCOME_WORDS[outcome]
        if identifier == "ric" and card_reader is not None:
            present = _insert_card(card_reader, subject.value)
            label = _worded("demo.codes.id_card", (zh, word_zh), (en, word_en))
        else:
            present = scan(subject.value)
            label = _worded("demo.codes.licence", (zh, word_zh), (en, word_en))
        codes.append(DemoCode(label, present, outcome))
    token = next((s for s in fitting if s.scheme == "token"), None)
    if token is not None and "token" in benefit.schemes:
        word_zh, word_en = _OUTCOME_WORDS[token.expected[benefit.id]]
        codes.append(DemoCode(_worded("demo.codes.token", ("", word_zh), ("", word_en)),
                              scan(token.value), token.expected[benefit.id]))
    eligible = next((s for s in fitting if s.scheme == identifier and s.expected[benefit.id] == "eligible"), None)
    if issuer is not None and eligible is not None and "credential" in benefit.schemes:
        fresh = issuer.issue(kind=benefit.kind, subject_value=eligible.value, facts=dict(eligible.facts))
        if network is not None:
            def offline(payload: str = fresh) -> None:
                network.cut_next()
                scanner.present(payload.encode("ascii"))

            codes.append(DemoCode(message("demo.codes.offline"),
                                  offline, "offline"))
        old = datetime.now(UTC) - timedelta(days=60)
        expired = issuer.issue(kind=benefit.kind, subject_value=eligible.value, facts=dict(eligible.facts),
                               issued_at=old, valid_for=timedelta(days=30))
        codes.append(DemoCode(message("demo.codes.expired"), scan(expired), "expired"))
    codes.append(DemoCode(message("demo.codes.unreadable"), scan("XK1:THIS-IS-NOT-A-CODE"), "unreadable"))
    return codes


def _insert_card(card_reader: Any, id_number: str) -> Callable[[], None]:
    def insert() -> None:
        from hardware.simulators import SyntheticCard

        card_reader.remove_card()
        card_reader.insert_card(SyntheticCard(name="演示居民", id_number=id_number))

    return insert


def _worded(key: str, zh: tuple[str, str], en: tuple[str, str]) -> LocalText:
    """A catalog label whose name and outcome word differ by language (name, word) each."""
    return LocalText(translate(key, "zh-CN", name=zh[0], word=zh[1]), translate(key, "en", name=en[0], word=en[1]))
