"""The demo credential issuer: loads the DEMO signing keys from demo/keys/.

These keys are public (see demo/keys/README.md). A real issuing authority signs with its
own keys, somewhere else; the kiosk only ever holds public keys.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal

from cryptography.hazmat.primitives import serialization

from kiosk.core.credentials import TrustStore, key_id_of_public_key
from kiosk.core.credentials.issue import SigningKey, algorithm_for, issue_credential
from kiosk.core.credentials.model import JSON, SubjectKind
from kiosk.core.credentials.settings import DEFAULT_PREFIX

Algorithm = Literal["EdDSA", "ES256"]
ALGORITHMS: tuple[Algorithm, ...] = ("EdDSA", "ES256")
DEMO_KEYS_DIR = Path(__file__).resolve().parent / "keys"
DEMO_ISSUER_NAME = "CN-XINYI-DEMO"
_KEY_FILES: dict[Algorithm, str] = {"EdDSA": "issuer-ed25519", "ES256": "issuer-p256"}


class DemoKeyMissing(RuntimeError):
    """The demo key files are not where the repository keeps them."""


@dataclass(frozen=True)
class DemoIssuer:
    name: str
    alg: Algorithm
    kid: bytes
    signing_key: SigningKey = field(repr=False)
    public_key_path: Path

    def issue(
        self,
        *,
        kind: SubjectKind,
        subject_value: str,
        facts: dict[str, JSON],
        valid_for: timedelta = timedelta(days=30),
        issued_at: datetime | None = None,
        prefix: str = DEFAULT_PREFIX,
    ) -> str:
        return issue_credential(
            issuer=self.name,
            kind=kind,
            subject_value=subject_value,
            facts=facts,
            signing_key=self.signing_key,
            kid=self.kid,
            valid_for=valid_for,
            issued_at=issued_at,
            prefix=prefix,
        )


def load_demo_issuer(alg: Algorithm = "EdDSA", keys_dir: Path = DEMO_KEYS_DIR) -> DemoIssuer:
    private_path = keys_dir / f"{_KEY_FILES[alg]}-DEMO-private.pem"
    public_path = keys_dir / f"{_KEY_FILES[alg]}-DEMO-public.pem"
    try:
        key = serialization.load_pem_private_key(private_path.read_bytes(), password=None)
    except FileNotFoundError:
        raise DemoKeyMissing(f"demo issuer key not found: {private_path}") from None
    if not isinstance(key, SigningKey):
        raise DemoKeyMissing(f"{private_path.name} is not an Ed25519 or P-256 key")
    algorithm_for(key)  # refuses a P-384 or other curve
    return DemoIssuer(DEMO_ISSUER_NAME, alg, key_id_of_public_key(key.public_key()), key, public_path)


def demo_trust_store(keys_dir: Path = DEMO_KEYS_DIR) -> TrustStore:
    """Both demo issuer public keys, as a kiosk configured for the demo trusts them."""
    return TrustStore.from_files(keys_dir / f"{stem}-DEMO-public.pem" for stem in _KEY_FILES.values())


def demo_backend_keys(keys_dir: Path = DEMO_KEYS_DIR) -> dict[str, object]:
    """Settings fields (backend.settings.Settings) naming the DEMO keys, for `serve --demo` and
    tests: the product never falls back to these; a demo passes them explicitly."""
    return {
        "authority_key": keys_dir / "authority-ed25519-DEMO-private.pem",
        "issuer_key": keys_dir / "issuer-ed25519-DEMO-private.pem",
        "issuer_trust": tuple(keys_dir / f"{stem}-DEMO-public.pem" for stem in _KEY_FILES.values()),
        "issuer_name": DEMO_ISSUER_NAME,
        "receipt_key": keys_dir / "receipt-ed25519-DEMO-private.pem",
        "device_keys": (keys_dir / "device-ed25519-DEMO-public.pem",),
        "allow_demo_keys": True,
    }
