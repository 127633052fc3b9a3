"""Device authentication: bearer tokens configured on the server, kept only as salted hashes.

Why HMAC-SHA256 and not scrypt: device tokens are random secrets the server generates
(``kiosk-backend device-token`` draws 32 bytes from ``secrets``), not passwords people choose.
A slow KDF exists to make guessing a *low-entropy* secret expensive; guessing 256 random bits is
out of reach at any hash speed. scrypt at a sensible cost (tens of ms and MiB per call) on every
request would cap a worker at a few dozen decisions per second and hand anyone without a token a
cheap way to burn CPU. So each entry is HMAC-SHA256(key=16-byte random salt, msg=token): the
salt keeps equal tokens on two devices from showing, the hash keeps a leaked file from being a
list of working tokens. (The demo token ``demo-token`` is weak on purpose and exists only in
demo mode, where its hash is made at start-up and never written anywhere.)

Lookup is constant-time in the number of devices: a token is ``<token id>.<secret>`` (the id is
16 random hex characters, not secret), the registry is a dict from token id to entry, and a
request costs one dict probe and one HMAC compared with ``hmac.compare_digest`` — also when no
entry has that id (a dummy entry is compared then), so the time does not say whether an id
exists. A token made elsewhere without an id (the demo's ``demo-token``) is indexed by the
first 8 bytes of its SHA-256, one hash either way.

Operator tokens (the fleet view, backend/fleet/) are the same kind of secret in a file of their
own, ``{"operators": [{"operator": "ops-wang", ...}]}`` (``OPERATORS`` below): a device token
never opens the fleet view and an operator token never speaks for a kiosk.

The running service re-reads the file when it changes (`ReloadingRegistry` in
backend/token_sources.py, checked at most once a second), so `kiosk-backend device-token
revoke` takes effect without a restart. PostgreSQL can hold the same entries instead of a file
(backend/pg/tokens.py), for every node at once.

Tokens file (JSON; written atomically, mode 0600)::

    {"devices": [{"device": "kiosk-0042", "token_id": "<16 hex>", "salt": "<32 hex>",
                  "hmac_sha256": "<64 hex>", "issued_at": "2026-12-01T08:00:00Z"}]}
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kiosk.common.bounded_file import FileReadError, read_bounded
from kiosk.common.strict_json import STRICT_JSON
from kiosk.core.catalog import message
from kiosk.core.errors import KioskError

LOG = logging.getLogger("backend.auth")
DEVICE_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
TOKEN_ID_PATTERN = re.compile(r"[0-9a-f]{16}")
SALT_BYTES = 16
RELOAD_CHECK_SECONDS = 1.0
# A bearer value longer than this is refused before hashing: no token we issue comes close.
MAX_TOKEN_CHARS = 512
# ~150 bytes a device: room for tens of thousands of kiosks.
MAX_TOKENS_FILE_BYTES = 4 * 1024 * 1024
_BEARER = "bearer "
# What an HTTP header can carry unchanged; `device-token` issues URL-safe base64.
_TOKEN_PATTERN = re.compile(rf"[\x21-\x7e]{{1,{MAX_TOKEN_CHARS}}}")


@dataclass(frozen=True, slots=True)
class TokensFileShape:
    """Which list a tokens file holds and what each entry's holder is called."""

    list_key: str
    name_key: str


DEVICES = TokensFileShape("devices", "device")
OPERATORS = TokensFileShape("operators", "operator")


class DeviceTokensError(KioskError):
    def __init__(self, origin: str, problem: str) -> None:
        super().__init__(
            f"{origin}: {problem}",
            message("backend.auth.text"),
        )


def token_problem(token: str) -> str | None:
    """None for a token a kiosk can send, else what is wrong with it (never the token)."""
    if _TOKEN_PATTERN.fullmatch(token):
        return None
    return f"a device token must be 1 to {MAX_TOKEN_CHARS} printable ASCII characters without spaces"


def token_digest(token: str, salt: bytes) -> bytes:
    # hmac.digest: the same HMAC in one C call (hmac.new builds a Python object per request).
    return hmac.digest(salt, token.encode("utf-8"), "sha256")


def new_token() -> str:
    """``<token id>.<secret>``: 8 random bytes of id (hex), 32 of secret (base64url)."""
    return f"{secrets.token_hex(8)}.{secrets.token_urlsafe(32)}"


def token_id_of(token: str) -> str:
    """The id a presented token is looked up by (see the module docstring)."""
    if len(token) > 17 and token[16] == "." and TOKEN_ID_PATTERN.fullmatch(token[:16]):
        return token[:16]
    return hashlib.sha256(token.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class DeviceCredential:
    device: str
    salt: bytes = field(repr=False)
    digest: bytes = field(repr=False)
    token_id: str = ""
    issued_at: str | None = None

    @classmethod
    def from_token(cls, device: str, token: str, issued_at: str | None = None) -> DeviceCredential:
        salt = secrets.token_bytes(SALT_BYTES)
        return cls(device, salt, token_digest(token, salt), token_id_of(token), issued_at)

    def to_json(self, shape: TokensFileShape = DEVICES) -> dict[str, str]:
        document = {
            shape.name_key: self.device, "token_id": self.token_id, "salt": self.salt.hex(),
            "hmac_sha256": self.digest.hex(),
        }
        if self.issued_at is not None:
            document["issued_at"] = self.issued_at
        return document


_DUMMY = DeviceCredential("-", b"\0" * SALT_BYTES, b"\0" * 32, "0" * 16)


class DeviceRegistry:
    """Answers "which device holds this bearer token?" without saying how close a guess was."""

    def __init__(self, credentials: Iterable[DeviceCredential]) -> None:
        self._credentials = tuple(credentials)
        devices = [c.device for c in self._credentials]
        if len(set(devices)) != len(devices):
            raise ValueError("a device id appears twice in the device tokens")
        self._by_id = {c.token_id: c for c in self._credentials}
        if len(self._by_id) != len(self._credentials):
            raise ValueError("a token id appears twice in the device tokens")

    @property
    def devices(self) -> tuple[str, ...]:
        return tuple(c.device for c in self._credentials)

    def holds(self, name: str, token_id: str) -> bool:
        """Whether ``name`` still holds the token ``token_id`` (a revoked or replaced one: no)."""
        credential = self._by_id.get(token_id)
        return credential is not None and credential.device == name

    def token_id_for(self, authorization: str | None) -> str | None:
        """The id of the token an accepted header carries (for a session bound to it)."""
        if self.device_for(authorization) is None:
            return None
        return token_id_of(authorization[len(_BEARER) :].strip()) if authorization else None

    def device_for(self, authorization: str | None) -> str | None:
        """The device id for an ``Authorization: Bearer ...`` header value, else None."""
        if authorization is None or len(authorization) > MAX_TOKEN_CHARS + len(_BEARER):
            return None
        if authorization[: len(_BEARER)].lower() != _BEARER:
            return None
        presented = authorization[len(_BEARER) :].strip()
        if not presented:
            return None
        credential = self._by_id.get(token_id_of(presented))
        candidate = credential or _DUMMY
        matched = hmac.compare_digest(token_digest(presented, candidate.salt), candidate.digest)
        return credential.device if matched and credential is not None else None


def read_tokens_file(path: Path, shape: TokensFileShape = DEVICES) -> list[DeviceCredential]:
    origin = str(path)
    try:
        document: Any = STRICT_JSON.decode(read_bounded(path, MAX_TOKENS_FILE_BYTES).decode("utf-8"))
    except FileReadError as error:
        raise DeviceTokensError(origin, str(error)) from None
    except (UnicodeDecodeError, ValueError, RecursionError):
        # ValueError also covers integers past Python's 4300-digit limit.
        raise DeviceTokensError(origin, "is not valid UTF-8 JSON with each key once") from None
    key = shape.list_key
    if not isinstance(document, dict) or set(document) != {key}:
        raise DeviceTokensError(origin, f'must be an object with exactly one key, "{key}"')
    entries = document[key]
    if not isinstance(entries, list):
        raise DeviceTokensError(origin, f'"{key}" must be a list')
    credentials = [credential_from_json(entry, origin, index, shape) for index, entry in enumerate(entries)]
    if len({c.device for c in credentials}) != len(credentials):
        raise DeviceTokensError(origin, f"a {shape.name_key} id appears twice")
    if len({c.token_id for c in credentials}) != len(credentials):
        raise DeviceTokensError(origin, "a token id appears twice")
    return credentials


def credential_from_json(entry: object, origin: str, index: int, shape: TokensFileShape = DEVICES) -> DeviceCredential:
    """One entry of a tokens list, checked; DeviceTokensError naming it otherwise."""
    where = f"{shape.list_key}[{index}]"
    keys = {shape.name_key, *_ENTRY_KEYS}
    if not isinstance(entry, dict) or not keys <= set(entry) <= keys | {"issued_at"}:
        raise DeviceTokensError(
            origin, f"{where} must have exactly {shape.name_key}, token_id, salt, hmac_sha256 (and issued_at)"
        )
    device, salt, digest = entry[shape.name_key], entry["salt"], entry["hmac_sha256"]
    token_id, issued_at = entry["token_id"], entry.get("issued_at")
    if not isinstance(token_id, str) or not TOKEN_ID_PATTERN.fullmatch(token_id):
        raise DeviceTokensError(origin, f"{where}.token_id must be 16 lower-case hex characters")
    if issued_at is not None and (not isinstance(issued_at, str) or len(issued_at) > 40):
        raise DeviceTokensError(origin, f"{where}.issued_at must be a timestamp")
    if not isinstance(device, str) or not DEVICE_ID_PATTERN.fullmatch(device):
        raise DeviceTokensError(origin, f"{where}.{shape.name_key} must match {DEVICE_ID_PATTERN.pattern}")
    try:
        salt_bytes = bytes.fromhex(salt) if isinstance(salt, str) else b""
        digest_bytes = bytes.fromhex(digest) if isinstance(digest, str) else b""
    except ValueError:
        raise DeviceTokensError(origin, f"{where}: salt and hmac_sha256 must be hex") from None
    if len(salt_bytes) < SALT_BYTES or len(digest_bytes) != hashlib.sha256().digest_size:
        raise DeviceTokensError(
            origin, f"{where}: salt must be >= {SALT_BYTES} bytes and hmac_sha256 32 bytes"
        )
    return DeviceCredential(device, salt_bytes, digest_bytes, token_id, issued_at)


_ENTRY_KEYS = {"token_id", "salt", "hmac_sha256"}


def now_stamp() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def write_tokens_file(
    path: Path, credentials: Iterable[DeviceCredential], shape: TokensFileShape = DEVICES
) -> None:
    """Replace the file atomically (a running service never reads half of it), mode 0600."""
    document = {shape.list_key: [c.to_json(shape) for c in credentials]}
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(json.dumps(document, indent=2) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        temporary.replace(path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
