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

Matching is constant-time in which entry matched: every entry is compared with
``hmac.compare_digest`` and the loop never stops early. Cost: ~1 µs per configured device per
request; fine for a provincial fleet of a few hundred kiosks per backend.

Tokens file (JSON)::

    {"devices": [{"device": "kiosk-0042", "salt": "<32 hex>", "hmac_sha256": "<64 hex>"}]}
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiosk.common.bounded_file import FileReadError, read_bounded
from kiosk.core.catalog import message
from kiosk.core.errors import KioskError

DEVICE_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
SALT_BYTES = 16
# A bearer value longer than this is refused before hashing: no token we issue comes close.
MAX_TOKEN_CHARS = 512
# ~150 bytes a device: room for tens of thousands of kiosks.
MAX_TOKENS_FILE_BYTES = 4 * 1024 * 1024
_BEARER = "bearer "
# What an HTTP header can carry unchanged; `device-token` issues URL-safe base64.
_TOKEN_PATTERN = re.compile(rf"[\x21-\x7e]{{1,{MAX_TOKEN_CHARS}}}")


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


@dataclass(frozen=True, slots=True)
class DeviceCredential:
    device: str
    salt: bytes = field(repr=False)
    digest: bytes = field(repr=False)

    @classmethod
    def from_token(cls, device: str, token: str) -> DeviceCredential:
        salt = secrets.token_bytes(SALT_BYTES)
        return cls(device, salt, token_digest(token, salt))

    def to_json(self) -> dict[str, str]:
        return {"device": self.device, "salt": self.salt.hex(), "hmac_sha256": self.digest.hex()}


class DeviceRegistry:
    """Answers "which device holds this bearer token?" without saying how close a guess was."""

    def __init__(self, credentials: Iterable[DeviceCredential]) -> None:
        self._credentials = tuple(credentials)
        devices = [c.device for c in self._credentials]
        if len(set(devices)) != len(devices):
            raise ValueError("a device id appears twice in the device tokens")

    @property
    def devices(self) -> tuple[str, ...]:
        return tuple(c.device for c in self._credentials)

    def device_for(self, authorization: str | None) -> str | None:
        """The device id for an ``Authorization: Bearer ...`` header value, else None."""
        if authorization is None or len(authorization) > MAX_TOKEN_CHARS + len(_BEARER):
            return None
        if authorization[: len(_BEARER)].lower() != _BEARER:
            return None
        presented = authorization[len(_BEARER) :].strip()
        if not presented:
            return None
        found: str | None = None
        for credential in self._credentials:
            if hmac.compare_digest(token_digest(presented, credential.salt), credential.digest):
                found = credential.device
        return found


def read_tokens_file(path: Path) -> list[DeviceCredential]:
    origin = str(path)
    try:
        document: Any = json.loads(
            read_bounded(path, MAX_TOKENS_FILE_BYTES).decode("utf-8"), object_pairs_hook=_unique_keys
        )
    except FileReadError as error:
        raise DeviceTokensError(origin, str(error)) from None
    except (UnicodeDecodeError, ValueError, RecursionError):
        # ValueError also covers integers past Python's 4300-digit limit.
        raise DeviceTokensError(origin, "is not valid UTF-8 JSON with each key once") from None
    if not isinstance(document, dict) or set(document) != {"devices"}:
        raise DeviceTokensError(origin, 'must be an object with exactly one key, "devices"')
    entries = document["devices"]
    if not isinstance(entries, list):
        raise DeviceTokensError(origin, '"devices" must be a list')
    credentials = [_credential(entry, origin, index) for index, entry in enumerate(entries)]
    if len({c.device for c in credentials}) != len(credentials):
        raise DeviceTokensError(origin, "a device id appears twice")
    return credentials


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # A key given twice would silently mean its last value: which device did the author mean?
    document = dict(pairs)
    if len(document) != len(pairs):
        raise ValueError("a key appears twice")
    return document


def _credential(entry: object, origin: str, index: int) -> DeviceCredential:
    where = f"devices[{index}]"
    if not isinstance(entry, dict) or set(entry) != {"device", "salt", "hmac_sha256"}:
        raise DeviceTokensError(origin, f"{where} must have exactly device, salt, hmac_sha256")
    device, salt, digest = entry["device"], entry["salt"], entry["hmac_sha256"]
    if not isinstance(device, str) or not DEVICE_ID_PATTERN.fullmatch(device):
        raise DeviceTokensError(origin, f"{where}.device must match {DEVICE_ID_PATTERN.pattern}")
    try:
        salt_bytes = bytes.fromhex(salt) if isinstance(salt, str) else b""
        digest_bytes = bytes.fromhex(digest) if isinstance(digest, str) else b""
    except ValueError:
        raise DeviceTokensError(origin, f"{where}: salt and hmac_sha256 must be hex") from None
    if len(salt_bytes) < SALT_BYTES or len(digest_bytes) != hashlib.sha256().digest_size:
        raise DeviceTokensError(
            origin, f"{where}: salt must be >= {SALT_BYTES} bytes and hmac_sha256 32 bytes"
        )
    return DeviceCredential(device, salt_bytes, digest_bytes)


def write_tokens_file(path: Path, credentials: Iterable[DeviceCredential]) -> None:
    document = {"devices": [c.to_json() for c in credentials]}
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    temporary.chmod(0o600)
    temporary.replace(path)
