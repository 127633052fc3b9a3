"""One decision's receipt with everything that does not change between answers encoded once.

The service keeps answers (backend/decision_bodies.py) and re-dates them for every request;
each still needs its own receipt (its decision id, times, device, salt, binding and signature).
Building the claims map and four CBOR documents per answer cost as much as the signature, so
the fixed parts are encoded here once and each answer concatenates its own fields around them.
The bytes are exactly those of ``cbor2.dumps(claims_map(...))`` and of
credentials.issue.sign_cose (tests/receipts/test_template.py holds them to it), so the reader
cannot tell a templated receipt from any other.
"""

from __future__ import annotations

from datetime import datetime

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from kiosk.core.credentials.cose import HEADER_ALG, HEADER_KID, TAG_SIGN1
from kiosk.core.credentials.cwt import CLAIM_CTI, CLAIM_EXP, CLAIM_IAT
from kiosk.core.credentials.issue import SigningKey, algorithm_for, wrap
from kiosk.core.credentials.settings import RECEIPT_PREFIX
from kiosk.core.credentials.trust import key_id_of_public_key
from kiosk.core.decision_records import Decision, Mode
from kiosk.core.receipts.binding import SALT_BYTES, binding, new_salt
from kiosk.core.receipts.claims import (
    CLAIM_VERSION,
    DECISION_ID,
    MODE_CODES,
    OUTCOME_CODES,
    RECEIPT_CLAIM,
    SIGNER_CODES,
    STATUS_CODES,
    Signer,
    day_number,
)

# Which mode each signer may sign: the service answers online, a device decides offline.
SIGNER_MODES: dict[Signer, Mode] = {"backend": Mode.ONLINE, "device": Mode.OFFLINE}
_ECDSA_SHA256 = ec.ECDSA(hashes.SHA256())
_dumps = cbor2.dumps


def epoch(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("receipt times must carry a zone")
    return int(moment.timestamp())


class ReceiptTemplate:
    """Receipts of one decision by one signing key; :meth:`render` makes each one."""

    __slots__ = ("_claims_head", "_claims_tail", "_cose_head", "_key", "_sig_head")

    def __init__(self, decision: Decision, *, signing_key: SigningKey, signer: Signer, kid: bytes | None = None):
        if SIGNER_MODES[signer] is not decision.mode:
            raise ValueError(f"a {signer} key signs {SIGNER_MODES[signer].value} decisions only")
        criteria = [[r.id, STATUS_CODES[r.status], day_number(r.as_of)] for r in decision.criteria]
        # The private claim's map, in claims_map's order: v b o c p m | d | s | n h.
        fixed = (
            _dumps("v")
            + _dumps(CLAIM_VERSION)
            + _dumps("b")
            + _dumps(decision.benefit)
            + _dumps("o")
            + _dumps(OUTCOME_CODES[decision.outcome])
            + _dumps("c")
            + _dumps(criteria)
            + _dumps("p")
            + _dumps(decision.policy_version)
            + _dumps("m")
            + _dumps(MODE_CODES[decision.mode])
        )
        self._claims_head = _dumps(RECEIPT_CLAIM) + b"\xaa" + fixed + _dumps("d")
        self._claims_tail = _dumps("s") + _dumps(SIGNER_CODES[signer]) + _dumps("n")
        alg = algorithm_for(signing_key)
        kid = kid if kid is not None else key_id_of_public_key(signing_key.public_key())
        protected = _dumps({HEADER_ALG: alg, HEADER_KID: kid})
        # Sig_structure ["Signature1", protected, external_aad = b"", payload] and the tagged
        # COSE_Sign1 [protected, {}, payload, signature], up to the payload.
        self._sig_head = b"\x84" + _dumps("Signature1") + _dumps(protected) + b"\x40"
        self._cose_head = _dumps(cbor2.CBORTag(TAG_SIGN1, [protected, {}, b"", b""]))[:-2]
        self._key = signing_key

    def claims(
        self, receipt_id: str, decided_at: int, valid_until: int, device: str, salt: bytes, bound: bytes
    ) -> bytes:
        """The CWT claims bytes of one receipt (times as Unix seconds)."""
        if not DECISION_ID.fullmatch(receipt_id):
            raise ValueError("a receipt id is a decision id: 32 lower-case hex characters")
        return b"".join(
            (
                b"\xa4",
                _dumps(CLAIM_CTI),
                _dumps(bytes.fromhex(receipt_id)),
                _dumps(CLAIM_IAT),
                _dumps(decided_at),
                _dumps(CLAIM_EXP),
                _dumps(valid_until),
                self._claims_head,
                _dumps(device),
                self._claims_tail,
                _dumps(salt),
                _dumps("h"),
                _dumps(bound),
            )
        )

    def render(
        self,
        *,
        receipt_id: str,
        decided_at: datetime,
        valid_until: datetime,
        device: str,
        reference: bytes,
        salt: bytes | None = None,
    ) -> str:
        """``XKR:`` + base45(zlib(COSE_Sign1(CWT))) for one answer about `reference`."""
        salt = salt if salt is not None else new_salt()
        if len(salt) != SALT_BYTES:
            raise ValueError(f"a receipt salt is {SALT_BYTES} bytes")
        payload = _dumps(
            self.claims(receipt_id, epoch(decided_at), epoch(valid_until), device, salt, binding(salt, reference))
        )
        message = self._sig_head + payload
        key = self._key
        if isinstance(key, ed25519.Ed25519PrivateKey):
            signature = key.sign(message)
        else:
            r, s = decode_dss_signature(key.sign(message, _ECDSA_SHA256))
            signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
        return wrap(self._cose_head + payload + _dumps(signature), RECEIPT_PREFIX)
