"""Receipts for tests: a real decision from the shipped policy, signed by fresh keys, and the
tools to take one apart and put a changed one back together."""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import base45
import cbor2
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from demo.records import demo_subjects
from kiosk.common.policy_folder import load_catalog
from kiosk.core.credentials.issue import SigningKey, sign_cose, wrap
from kiosk.core.credentials.layers import decode_base45, inflate, unprefix
from kiosk.core.decision import decide
from kiosk.core.decision_records import Decision, Mode
from kiosk.core.receipts import ReceiptTrust, issue_receipt, signer_for

CATALOG = load_catalog()
BENEFIT = CATALOG.get("expedited-permit")
OTHER = "uscc:91110000600037341L"
DEVICE = "kiosk-0042"
NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


# A demo business that is eligible: its facts and as-of dates, never its code in a receipt.
ELIGIBLE = next(
    s for s in demo_subjects(CATALOG) if s.scheme == "uscc" and s.expected.get("expedited-permit") == "eligible"
)
SUBJECT = f"uscc:{ELIGIBLE.value}"


def decision(mode: Mode = Mode.ONLINE) -> Decision:
    assert BENEFIT is not None
    return decide(
        BENEFIT,
        ELIGIBLE.facts,
        policy_version=CATALOG.version,
        locale="en",
        now=NOW,
        mode=mode,
        as_of=ELIGIBLE.as_of,
    )


@dataclass
class Keys:
    backend: SigningKey = field(default_factory=ed25519.Ed25519PrivateKey.generate)
    device: SigningKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    stranger: SigningKey = field(default_factory=ed25519.Ed25519PrivateKey.generate)

    def trust(self) -> ReceiptTrust:
        return ReceiptTrust(
            [
                signer_for(self.backend.public_key(), "backend"),
                signer_for(self.device.public_key(), "device", DEVICE),
            ]
        )

    def online(self, subject: str = SUBJECT) -> str:
        return issue_receipt(decision(), subject=subject, device=DEVICE, signing_key=self.backend, signer="backend")

    def offline(self, subject: str = SUBJECT) -> str:
        return issue_receipt(
            decision(Mode.OFFLINE), subject=subject, device=DEVICE, signing_key=self.device, signer="device"
        )


def cose_of(receipt: str, prefix: str = "XKR") -> bytes:
    return inflate(decode_base45(unprefix(receipt, prefix)), max_bytes=1 << 20)


def rewrap(cose: bytes, prefix: str = "XKR") -> str:
    return wrap(cose, prefix)


def sign_claims(claims: object, key: SigningKey, kid: bytes | None = None) -> str:
    return wrap(sign_cose(cbor2.dumps(claims), key, kid), "XKR")


def claims_of_cose(cose: bytes) -> dict[object, object]:
    item = cbor2.loads(cose)
    payload = (item.value if isinstance(item, cbor2.CBORTag) else item)[2]
    claims: dict[object, object] = cbor2.loads(payload)
    return claims


def text_of_compressed(compressed: bytes) -> str:
    encoded: bytes = base45.b45encode(compressed)
    return "XKR:" + encoded.decode("ascii")


def zlib_of(receipt: str) -> bytes:
    return decode_base45(unprefix(receipt, "XKR"))


def bomb() -> str:
    """Small enough to pass the size check, inflating far past the limit."""
    return text_of_compressed(zlib.compress(b"\0" * 1_000_000, 9))


LATER = NOW + timedelta(hours=1)
