"""Where the bytes of GET /v1/bundle come from: the signed policy bundle (kiosk/core/bundle.py).

Built from the policy folder, the trust keys (issuer public keys) and the revocation list, and
signed with the bundle authority's Ed25519 key. In demo mode those are the DEMO keys in
demo/keys/ and no revocations. The signed bytes are cached and re-signed once half their
validity has passed, so a long-running backend never serves an expired bundle. The ETag is
the quoted SHA-256 of the signed payload (strong: same ETag, same bytes).

`build_signed_bundle` is shared with `kiosk-backend bundle sign`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from backend.settings import Settings
from demo.issuer import DEMO_KEYS_DIR, demo_trust_store
from kiosk.common.bounded_file import FileReadError, read_bounded
from kiosk.common.policy_folder import read_policy_document
from kiosk.core.bundle import (
    authority_key_id,
    build_payload,
    sign_bundle,
    trust_keys_from_store,
    verify_bundle,
)
from kiosk.core.credentials import TrustKeyError, TrustStore, revocation_hash
from kiosk.core.credentials.trust import IssuerKey

DEMO_AUTHORITY_PRIVATE_KEY = DEMO_KEYS_DIR / "authority-ed25519-DEMO-private.pem"
DEFAULT_VALIDITY = timedelta(days=2)
_HASH_PREFIX = "sha256:"
MAX_KEY_FILE_BYTES = 16 * 1024
# Room for a bundle's most trust keys (MAX_TRUST_KEYS) as PEM certificates of ~2 KiB each.
MAX_TRUST_FILE_BYTES = 4 * 1024 * 1024
# A line per revocation, ~72 bytes each for the most a bundle may carry (MAX_REVOKED).
MAX_REVOCATIONS_FILE_BYTES = 32 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class SignedBundle:
    body: bytes
    etag: str
    issued_at: datetime
    valid_for: timedelta


def load_authority_private_key(path: Path) -> ed25519.Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(read_bounded(path, MAX_KEY_FILE_BYTES), password=None)
    except FileReadError as error:
        raise TrustKeyError(f"authority key {path.name} {error}") from None
    except (ValueError, TypeError) as error:
        raise TrustKeyError(f"authority key {path.name} is not a readable PEM key: {error}") from None
    if not isinstance(key, ed25519.Ed25519PrivateKey):
        raise TrustKeyError(f"authority key {path.name} is not an Ed25519 private key")
    return key


def read_trust_files(paths: Iterable[Path]) -> TrustStore:
    """Issuer keys and certificates (PEM or DER), each file read bounded."""
    store = TrustStore()
    for path in paths:
        try:
            store = store.merged(TrustStore.from_bytes(read_bounded(Path(path), MAX_TRUST_FILE_BYTES)))
        except FileReadError as error:
            raise TrustKeyError(f"trust file {Path(path).name} {error}") from None
    return store


def read_revocations(path: Path) -> list[str]:
    """One entry a line: a credential id (hashed here) or ``sha256:<64 hex>``; # comments."""
    try:
        text = read_bounded(path, MAX_REVOCATIONS_FILE_BYTES).decode("utf-8")
    except (FileReadError, UnicodeDecodeError) as error:
        raise ValueError(f"cannot read revocation file {path.name}: {error}") from None
    hashes = []
    for number, line in enumerate(text.splitlines(), start=1):
        entry = line.split("#", 1)[0].strip()
        if not entry:
            continue
        if entry.startswith(_HASH_PREFIX):
            digest = entry[len(_HASH_PREFIX):].lower()
            if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
                raise ValueError(f"{path.name} line {number}: sha256: needs 64 hex characters")
            hashes.append(digest)
        else:
            hashes.append(revocation_hash(entry.lower()))
    return hashes


def build_signed_bundle(
    policy_dir: Path,
    authority: ed25519.Ed25519PrivateKey,
    *,
    trust: Mapping[bytes, IssuerKey],
    revoked: Iterable[str] = (),
    version: int | None = None,
    issued_at: datetime | None = None,
    valid_for: timedelta = DEFAULT_VALIDITY,
) -> SignedBundle:
    """Sign the policy folder's catalog. ``version`` defaults to the Unix time of issue, so a
    bundle signed later always has a higher version than one signed earlier."""
    moment = (issued_at or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    document, _origins = read_policy_document(policy_dir)
    payload = build_payload(
        document,
        version=version if version is not None else int(moment.timestamp()),
        issued_at=moment,
        valid_for=valid_for,
        trust_keys=trust_keys_from_store(trust),
        revoked=revoked,
    )
    body = sign_bundle(payload, authority)
    # Verifying our own output costs little and makes the ETag the digest kiosks compute.
    public = authority.public_key()
    digest = verify_bundle(body, {authority_key_id(public): public}).digest
    return SignedBundle(body, f'"{digest}"', moment, valid_for)


_cache: dict[Path, SignedBundle] = {}
_cache_lock = threading.Lock()


def load_bundle(settings: Settings) -> tuple[bytes, str]:
    """The signed bundle's bytes and its strong ETag (quoted, as the header carries it)."""
    now = datetime.now(UTC)
    with _cache_lock:
        cached = _cache.get(settings.policy_dir)
        if cached is None or now >= cached.issued_at + cached.valid_for / 2:
            cached = build_signed_bundle(
                settings.policy_dir,
                load_authority_private_key(
                    _setting_path(settings, "authority_key", DEMO_AUTHORITY_PRIVATE_KEY)
                ),
                trust=_trust(settings),
                revoked=_revoked(settings),
            )
            _cache[settings.policy_dir] = cached
        return cached.body, cached.etag


def _setting_path(settings: Settings, name: str, default: Path) -> Path:
    # Settings may grow these fields (authority_key, trust_files, revoked_file); until then the
    # backend runs with the DEMO authority and issuer keys.
    value = getattr(settings, name, None)
    return Path(value) if value else default


def _trust(settings: Settings) -> TrustStore:
    files = getattr(settings, "trust_files", None)
    return read_trust_files(files) if files else demo_trust_store()


def _revoked(settings: Settings) -> list[str]:
    path = getattr(settings, "revoked_file", None)
    return read_revocations(Path(path)) if path else []
