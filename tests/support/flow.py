"""Real parts for flow tests: the shipped catalog, real credential reading, decide() as checker.

The checker below is not a mock of the core: it runs the same decide() the backend runs, over
facts kept here by subject, so flow tests exercise the real decision and explanation code.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.serialization import load_pem_private_key

from kiosk.common.policy_folder import load_catalog
from kiosk.core.benefits import Catalog
from kiosk.core.credentials import CredentialSettings, Presentation, TrustStore, read_presentation
from kiosk.core.credentials.issue import issue_credential
from kiosk.core.decision import decide
from kiosk.core.decision_records import Decision, Mode
from kiosk.core.errors import KioskError
from kiosk.core.text import Locale, LocalText

KEYS = Path(__file__).resolve().parents[2] / "demo" / "keys"
ELIGIBLE_USCC = "91350100M000100Y43"
PERSON_RIC = "110101199001011237"

FACTS_ELIGIBLE: dict[str, Any] = {
    "serious_dishonesty_listed": False,
    "abnormal_operations_listed": False,
    "last_penalty_date": "2019-03-01",
    "tax_credit_grade": "A",
    "credit_commitment_on_file": True,
}
FACTS_NOT_ELIGIBLE = {**FACTS_ELIGIBLE, "abnormal_operations_listed": True, "tax_credit_grade": "D"}
FACTS_UNDETERMINED = {**FACTS_ELIGIBLE, "tax_credit_grade": None}


@cache
def catalog() -> Catalog:
    return load_catalog()


def issuer_key() -> Any:
    return load_pem_private_key((KEYS / "issuer-ed25519-DEMO-private.pem").read_bytes(), None)


@cache
def settings() -> CredentialSettings:
    trust = TrustStore.from_files([KEYS / "issuer-ed25519-DEMO-public.pem"])
    return CredentialSettings(trust=trust)


def mint(
    facts: Mapping[str, Any], *, subject: str = ELIGIBLE_USCC, valid_for: timedelta = timedelta(days=30),
    issued_at: datetime | None = None,
) -> str:
    return issue_credential(
        issuer="demo-issuer", kind="business", subject_value=subject, facts=facts,
        signing_key=issuer_key(), valid_for=valid_for, issued_at=issued_at,
    )


def reader(raw: bytes | str) -> Presentation:
    return read_presentation(raw, settings(), now=datetime.now(UTC))


class BackendDown(KioskError):
    def __init__(self) -> None:
        super().__init__("backend down (test)", LocalText("暂时连不上核验服务。", "The service cannot be reached."))


class FactsChecker:
    """decide() over facts held per subject; a credential's own facts decide offline."""

    def __init__(self, facts_by_subject: Mapping[str, Mapping[str, Any]], *, delay: float = 0.0) -> None:
        self.facts_by_subject = dict(facts_by_subject)
        self.delay = delay
        self.fail_with: BaseException | None = None
        self.calls: list[tuple[str, str, Locale]] = []

    async def check(self, benefit_id: str, presentation: Presentation, locale: Locale) -> Decision:
        self.calls.append((benefit_id, presentation.scheme.value, locale))
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.fail_with is not None:
            raise self.fail_with
        benefit = catalog().get(benefit_id)
        assert benefit is not None
        if presentation.facts is not None:
            return decide(benefit, presentation.facts, policy_version="test", locale=locale, mode=Mode.OFFLINE)
        facts = self.facts_by_subject.get(presentation.subject.value, {})
        return decide(benefit, facts, policy_version="test", locale=locale, as_of={"credit-china": "2026-11-01"})
