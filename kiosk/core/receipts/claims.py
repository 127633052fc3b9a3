"""What a receipt says, as CWT claims (RFC 8392), and the strict reader of them.

Standard claims: ``cti`` (7) = the decision id (16 bytes), ``iat`` (6) = decided_at, ``exp``
(4) = valid_until. Everything else is one private claim, ``RECEIPT_CLAIM = -70001`` (next to
the credentials' -70000, so neither reader takes the other's claims), a map with one-letter
keys and small integer codes, since the receipt has to fit a QR code a phone reads::

    {"v": 1,                       # claim version
     "b": "expedited-permit",      # benefit id
     "o": 1,                       # outcome: 1 eligible, 2 not eligible, 3 undetermined
     "c": [["no-serious-dishonesty", 1, 20422], ...],
                                   # criterion id, status (1 passed, 2 failed, 3 unknown),
                                   # the day its data is as of, as days since 1970-01-01
                                   # (3 bytes, not a 10-character date; null when not known)
     "p": "2026.11",               # policy version
     "m": 1,                       # mode: 1 online, 2 offline
     "d": "kiosk-0042",            # the device the decision was made for (online) or on (offline)
     "s": 1,                       # signer: 1 the service's receipt key, 2 the device's key
     "n": h'<16 bytes>',           # the salt
     "h": h'<32 bytes>'}           # SHA-256(salt || subject reference), see binding.py

No name, no identifier, no fact value, no reason text: a counter reads the titles and reasons
from its own policy bundle by criterion id.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from kiosk.core.credentials.cwt import CLAIM_CTI, CLAIM_EXP, CLAIM_IAT, CwtClaims
from kiosk.core.credentials.errors import CredentialError
from kiosk.core.credentials.settings import CredentialLimits
from kiosk.core.decision_records import Mode, Outcome, Status, outcome_of
from kiosk.core.receipts.binding import BINDING_BYTES, SALT_BYTES

RECEIPT_CLAIM = -70001
CLAIM_VERSION = 1
MAX_CRITERIA = 32
DECISION_ID = re.compile(r"[0-9a-f]{32}")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")  # benefit, criterion and device ids
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
MAX_POLICY_VERSION_CHARS = 64

Signer = Literal["backend", "device"]
OUTCOME_CODES: dict[Outcome, int] = {Outcome.ELIGIBLE: 1, Outcome.NOT_ELIGIBLE: 2, Outcome.UNDETERMINED: 3}
STATUS_CODES: dict[Status, int] = {Status.PASSED: 1, Status.FAILED: 2, Status.UNKNOWN: 3}
MODE_CODES: dict[Mode, int] = {Mode.ONLINE: 1, Mode.OFFLINE: 2}
SIGNER_CODES: dict[Signer, int] = {"backend": 1, "device": 2}
_OUTCOMES = {code: value for value, code in OUTCOME_CODES.items()}
_STATUSES = {code: value for value, code in STATUS_CODES.items()}
_MODES = {code: value for value, code in MODE_CODES.items()}
_SIGNERS = {code: value for value, code in SIGNER_CODES.items()}
_KEYS = {"v", "b", "o", "c", "p", "m", "d", "s", "n", "h"}


@dataclass(frozen=True, slots=True)
class ReceiptClaims:
    """A receipt's content, read and checked; nothing in it names or describes the subject."""

    receipt_id: str  # = the decision id
    benefit: str
    outcome: Outcome
    criteria: tuple[tuple[str, Status], ...]
    as_of: tuple[tuple[str, str | None], ...]  # criterion id -> date its data is as of
    policy_version: str
    decided_at: datetime
    valid_until: datetime
    mode: Mode
    device: str
    signer: Signer
    salt: bytes
    binding: bytes


def _code(table: Mapping[int, object], value: object, name: str) -> object:
    if isinstance(value, bool) or not isinstance(value, int) or value not in table:
        raise CredentialError("claims", f"receipt {name} code is not one of {sorted(table)}")
    return table[value]


def _name(value: object, name: str) -> str:
    if not isinstance(value, str) or not _NAME.fullmatch(value):
        raise CredentialError("claims", f"receipt {name} is not an id of 1-64 letters, digits, . _ -")
    return value


_EPOCH_DAY = date(1970, 1, 1).toordinal()
_LAST_DAY = date(9999, 12, 31).toordinal() - _EPOCH_DAY


def day_number(text: str | None) -> int | None:
    """``YYYY-MM-DD`` -> days since 1970-01-01, as a receipt carries an as-of date."""
    if text is None:
        return None
    if not _DAY.fullmatch(text):
        raise ValueError("an as-of date is YYYY-MM-DD")
    return date.fromisoformat(text).toordinal() - _EPOCH_DAY


def _day(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _LAST_DAY:
        raise CredentialError("claims", "receipt as-of day is not a day number from 1970 to 9999")
    return date.fromordinal(value + _EPOCH_DAY).isoformat()


def _bytes(value: object, length: int, name: str) -> bytes:
    if not isinstance(value, bytes) or len(value) != length:
        raise CredentialError("claims", f"receipt {name} must be {length} bytes")
    return value


def read_receipt_claims(claims: CwtClaims, limits: CredentialLimits) -> ReceiptClaims:
    """The claims reader for receipts (plugs into credentials.signed.decode_signed)."""
    if claims.cti is None or len(claims.cti) != 16:
        raise CredentialError("claims", "cti (the decision id) must be 16 bytes")
    if claims.issued_at is None or claims.expires is None:
        raise CredentialError("claims", "iat (decided at) and exp (valid until) are required")
    if claims.expires < claims.issued_at:
        raise CredentialError("claims", "exp (valid until) is before iat (decided at)")
    extra = set(claims.raw) - {CLAIM_CTI, CLAIM_IAT, CLAIM_EXP, RECEIPT_CLAIM}
    if extra:
        raise CredentialError("claims", "a receipt carries no claims besides cti, iat, exp and its own")
    body = claims.raw.get(RECEIPT_CLAIM)
    if not isinstance(body, Mapping):
        raise CredentialError("claims", f"receipt claim {RECEIPT_CLAIM} missing or not a map")
    if set(body) != _KEYS:
        raise CredentialError("claims", f"receipt claim must hold exactly {', '.join(sorted(_KEYS))}")
    version = body["v"]
    if isinstance(version, bool) or version != CLAIM_VERSION:
        raise CredentialError("claims", f"unsupported receipt claim version (expected {CLAIM_VERSION})")
    raw_criteria = body["c"]
    if not isinstance(raw_criteria, list | tuple) or not 1 <= len(raw_criteria) <= MAX_CRITERIA:
        raise CredentialError("claims", f"receipt must list 1-{MAX_CRITERIA} criteria")
    criteria: list[tuple[str, Status]] = []
    as_of: list[tuple[str, str | None]] = []
    for entry in raw_criteria:
        if not isinstance(entry, list | tuple) or len(entry) != 3:
            raise CredentialError("claims", "each receipt criterion is [id, status, as-of day]")
        criterion = _name(entry[0], "criterion id")
        status = _code(_STATUSES, entry[1], "criterion status")
        assert isinstance(status, Status)
        criteria.append((criterion, status))
        as_of.append((criterion, _day(entry[2])))
    if len({c for c, _ in criteria}) != len(criteria):
        raise CredentialError("claims", "a criterion appears twice in the receipt")
    outcome = _code(_OUTCOMES, body["o"], "outcome")
    if outcome is not outcome_of(status for _, status in criteria):
        raise CredentialError("claims", "receipt outcome does not follow from its criteria")
    policy_version = body["p"]
    if (
        not isinstance(policy_version, str)
        or not 1 <= len(policy_version) <= MAX_POLICY_VERSION_CHARS
        or not policy_version.isprintable()
    ):
        raise CredentialError("claims", "receipt policy version is not 1-64 printable characters")
    mode = _code(_MODES, body["m"], "mode")
    signer = _code(_SIGNERS, body["s"], "signer")
    assert isinstance(outcome, Outcome) and isinstance(mode, Mode)
    return ReceiptClaims(
        receipt_id=claims.cti.hex(),
        benefit=_name(body["b"], "benefit id"),
        outcome=outcome,
        criteria=tuple(criteria),
        as_of=tuple(as_of),
        policy_version=policy_version,
        decided_at=claims.issued_at,
        valid_until=claims.expires,
        mode=mode,
        device=_name(body["d"], "device id"),
        signer="backend" if signer == "backend" else "device",
        salt=_bytes(body["n"], SALT_BYTES, "salt"),
        binding=_bytes(body["h"], BINDING_BYTES, "binding"),
    )


def epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def claims_map(
    *,
    receipt_id: str,
    benefit: str,
    outcome: Outcome,
    criteria: list[list[object]],
    policy_version: str,
    decided_at: datetime,
    valid_until: datetime,
    mode: Mode,
    device: str,
    signer: Signer,
    salt: bytes,
    binding: bytes,
) -> dict[int, object]:
    """The receipt's CWT claims as a map (criteria already as [id, status code, as-of day]):
    the reference spelling of what template.py encodes piece by piece."""
    if not DECISION_ID.fullmatch(receipt_id):
        raise ValueError("a receipt id is a decision id: 32 lower-case hex characters")
    return {
        CLAIM_CTI: bytes.fromhex(receipt_id),
        CLAIM_IAT: epoch(decided_at),
        CLAIM_EXP: epoch(valid_until),
        RECEIPT_CLAIM: {
            "v": CLAIM_VERSION,
            "b": benefit,
            "o": OUTCOME_CODES[outcome],
            "c": criteria,
            "p": policy_version,
            "m": MODE_CODES[mode],
            "d": device,
            "s": SIGNER_CODES[signer],
            "n": salt,
            "h": binding,
        },
    }
