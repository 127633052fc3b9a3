"""What a credential reader is configured with: our prefix, trust keys, revocations, limits."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import timedelta

from kiosk.core.credentials import token
from kiosk.core.credentials.trust import TrustStore

DEFAULT_PREFIX = "XK1"
# Decision receipts (kiosk.core.receipts) use the same container under their own prefix; no
# credential may take it, so a receipt is never read as a credential.
RECEIPT_PREFIX = "XKR"
_PREFIX_SHAPE = re.compile(r"[A-Z0-9]{2,8}")


def revocation_hash(credential_id: str) -> str:
    """Hex SHA-256 of the credential id's UTF-8 bytes: what the policy bundle lists as revoked.

    The credential id is ``Presentation.credential_id``: the lower-case hex of the CWT ``cti``
    claim. Hashing keeps the bundle from being a list of who holds which credential.

    >>> revocation_hash("00112233445566778899aabbccddeeff")[:16]
    '5947d7c33d783f94'
    """
    return hashlib.sha256(credential_id.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class CredentialLimits:
    """Bounds on untrusted input; the defaults are those of issue #3."""

    max_payload_bytes: int = 4096
    max_inflated_bytes: int = 65536
    max_cbor_depth: int = 16
    max_facts: int = 64
    max_fact_name_chars: int = 64
    max_fact_text_chars: int = 512
    max_fact_list_items: int = 64
    # Issued-at may be a little ahead of a kiosk's clock; nbf and exp are honoured exactly.
    clock_skew: timedelta = timedelta(minutes=5)
    # RFC 9052 wants alg protected, and it always must be; our issuer protects kid too. The EU
    # DCC lets kid travel unprotected (several member states do), so its reader turns this off.
    protected_kid: bool = True


@dataclass(frozen=True, slots=True)
class CredentialSettings:
    """``revoked`` holds :func:`revocation_hash` values (lower-case hex)."""

    prefix: str = DEFAULT_PREFIX
    trust: TrustStore = field(default_factory=TrustStore)
    revoked: frozenset[str] = frozenset()
    limits: CredentialLimits = CredentialLimits()

    def __post_init__(self) -> None:
        if not _PREFIX_SHAPE.fullmatch(self.prefix) or self.prefix + ":" == token.PREFIX:
            raise ValueError("credential prefix must be 2-8 of A-Z0-9 and not the token prefix")
        object.__setattr__(self, "revoked", frozenset(h.lower() for h in self.revoked))
