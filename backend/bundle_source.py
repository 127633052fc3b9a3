"""Where the bytes of GET /v1/bundle come from: the signed policy bundle (kiosk/core/bundle.py).

Built from the policy folder, the trust keys (issuer public keys, ``issuer_trust``), the
revocation list (``revoked``), the receipt signers (``receipt_key``'s public half and the
device registry ``device_keys``, see backend/receipts.py), and signed with the bundle authority's Ed25519 key
(``authority_key``). Nothing falls back to a DEMO key: `serve --demo` names the DEMO keys in its
settings explicitly; without an ``authority_key`` the service does not start. The signed
bytes are cached and re-signed once half their validity has passed, so a long-running
backend never serves an expired bundle. The ETag is the quoted SHA-256 of the signed payload
(strong: same ETag, same bytes).

`build_signed_bundle` is shared with `kiosk-backend bundle sign`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ed25519

from backend.keys import KINDS, KeyFileError, load_private_key, load_public_key
from backend.receipts import receipt_signers
from backend.settings import BackendConfigError, Settings
from kiosk.common import trust_files
from kiosk.common.bounded_file import FileReadError, read_bounded
from kiosk.common.policy_folder import read_policy_document
from kiosk.core.bundle import (
    authority_key_id,
    trust_keys_from_store,
)
from kiosk.core.bundle_signing import (
    build_payload,
    sign_bundle,
    verify_bundle,
)
from kiosk.core.credentials import TrustKeyError, TrustStore, revocation_hash
from kiosk.core.credentials.trust import IssuerKey
from kiosk.core.receipts import ReceiptTrust

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


def load_authority_private_key(path: Path, *, allow_demo: bool = False) -> ed25519.Ed25519PrivateKey:
    try:
        key = load_private_key(path, KINDS["authority"], allow_demo=allow_demo)
    except KeyFileError as error:
        raise TrustKeyError(str(error)) from None
    assert isinstance(key, ed25519.Ed25519PrivateKey)  # the authority kind allows only Ed25519
    return key


def signing_inputs(settings: Settings) -> tuple[
    ed25519.Ed25519PrivateKey, ed25519.Ed25519PublicKey | None, TrustStore, list[str]
]:
    """The authority key, its announced next key, the issuer trust and the revocations the
    settings name; BackendConfigError naming the setting when one cannot be used."""
    allow = settings.allow_demo_keys

    def problem(name: str, error: Exception) -> BackendConfigError:
        return BackendConfigError(settings.origin, name, str(error))

    try:
        authority = load_authority_private_key(settings.required("authority_key"), allow_demo=allow)
    except TrustKeyError as error:
        raise problem("authority_key", error) from None
    next_key: ed25519.Ed25519PublicKey | None = None
    if settings.authority_next_key is not None:
        try:
            loaded = load_public_key(settings.authority_next_key, KINDS["authority"], allow_demo=allow)
        except KeyFileError as error:
            raise problem("authority_next_key", error) from None
        assert isinstance(loaded, ed25519.Ed25519PublicKey)
        if authority_key_id(loaded) == authority_key_id(authority.public_key()):
            raise problem("authority_next_key", ValueError("is the current authority key itself"))
        next_key = loaded
    try:
        trust = TrustStore.from_public_keys(
            load_public_key(path, KINDS["issuer"], allow_demo=allow) for path in settings.issuer_trust
        )
    except (KeyFileError, TrustKeyError) as error:
        raise problem("issuer_trust", error) from None
    try:
        revoked = read_revocations(settings.revoked) if settings.revoked is not None else []
    except ValueError as error:
        raise problem("revoked", error) from None
    return authority, next_key, trust, revoked


def read_trust_files(paths: Iterable[Path]) -> TrustStore:
    """Issuer keys and certificates (PEM or DER), each file read bounded."""
    return trust_files.read_trust_files(paths, MAX_TRUST_FILE_BYTES)


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
    next_authority: ed25519.Ed25519PublicKey | None = None,
    receipt_keys: ReceiptTrust | None = None,
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
        next_authority=next_authority,
        receipt_keys=receipt_keys,
    )
    body = sign_bundle(payload, authority)
    # Verifying our own output costs little and makes the ETag the digest kiosks compute.
    public = authority.public_key()
    digest = verify_bundle(body, {authority_key_id(public): public}).digest
    return SignedBundle(body, f'"{digest}"', moment, valid_for)


_cache: dict[tuple[object, ...], SignedBundle] = {}
_cache_lock = threading.Lock()


def load_bundle(settings: Settings) -> tuple[bytes, str]:
    """The signed bundle's bytes and its strong ETag (quoted, as the header carries it)."""
    bundle = signed_bundle(settings)
    return bundle.body, bundle.etag


def signed_bundle(settings: Settings) -> SignedBundle:
    """The bundle being served, signed again once half its validity has passed."""
    now = datetime.now(UTC)
    key = cache_key(settings)
    with _cache_lock:
        cached = _cache.get(key)
        if cached is None or now >= cached.issued_at + cached.valid_for / 2:
            authority, next_key, trust, revoked = signing_inputs(settings)
            cached = build_signed_bundle(
                settings.policy_dir, authority, trust=trust, revoked=revoked, next_authority=next_key,
                receipt_keys=receipt_signers(settings),
            )
            _cache[key] = cached
        return cached


def cache_key(settings: Settings) -> tuple[object, ...]:
    """Everything a signed bundle is made from: two services in one process never share one."""
    return (
        settings.policy_dir, settings.authority_key, settings.authority_next_key,
        settings.issuer_trust, settings.revoked, settings.receipt_key, settings.device_keys,
    )
