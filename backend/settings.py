"""What the service runs with, and the small TOML file that says it outside demo mode.

Config file (``kiosk-backend serve --config PATH``; relative paths are read from the file's
folder)::

    db = "/var/lib/xinyi-backend/subjects.sqlite3"     # required: records, see backend/db.py
    device_tokens = "/etc/xinyi-backend/devices.json"   # required: see backend/auth.py
    policy_dir = "/etc/xinyi-backend/policy"           # optional: default the shipped policy
    host = "127.0.0.1"                                  # optional
    port = 8080                                         # optional
    rate_per_second = 2.0                               # optional: per-device refill rate
    rate_burst = 30                                     # optional: per-device bucket size
    log_requests = true                                 # optional: one line per request
    preload_records = true                              # optional: false for huge tables
    authority_key = "/etc/xinyi-backend/authority-private.pem"  # serve: signs policy bundles
    authority_next_key = "authority-next-public.pem"   # optional: announced for key rollover
    issuer_key = "/etc/xinyi-backend/issuer-private.pem"   # mint: signs credentials
    issuer_name = "CN-XINYI"                            # optional: the credentials' issuer
    issuer_trust = ["issuer-public.pem"]                # issuer public keys put into the bundle
    revoked = "revoked.txt"                             # optional: revoked credential ids

Keys are made with ``kiosk-backend keys new`` (backend/keys.py). Outside ``--demo`` nothing
falls back to a DEMO key: a missing ``authority_key`` stops ``serve``, a missing
``issuer_key`` stops ``mint --config``, and a DEMO key named in the config is refused.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backend.auth import DeviceCredential, read_tokens_file
from kiosk.common.policy_folder import DEFAULT_POLICY_DIR
from kiosk.core.errors import KioskError
from kiosk.core.text import LocalText

MAX_BODY_BYTES = 16 * 1024
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080
DEFAULT_ISSUER_NAME = "CN-XINYI"


class BackendConfigError(KioskError):
    def __init__(self, origin: str, key: str, problem: str) -> None:
        super().__init__(
            f"{origin}: {key}: {problem}",
            LocalText(
                "核验服务配置有误，无法启动。",
                "The eligibility service's configuration is faulty, so it cannot start.",
            ),
        )


@dataclass(frozen=True, slots=True)
class Settings:
    db_path: Path
    devices: tuple[DeviceCredential, ...]
    policy_dir: Path = DEFAULT_POLICY_DIR
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    # None switches the limiter off (benchmarks); a kiosk checks a few people a minute.
    rate_per_second: float | None = 2.0
    rate_burst: int = 30
    max_body_bytes: int = MAX_BODY_BYTES
    log_requests: bool = True
    # Read every record into memory at start (fast; see backend/db.py) or query per request.
    preload_records: bool = True
    # The file `devices` came from: re-read while serving, so a revoked token stops at once.
    device_tokens: Path | None = None
    authority_key: Path | None = None
    authority_next_key: Path | None = None
    issuer_key: Path | None = None
    issuer_name: str = DEFAULT_ISSUER_NAME
    issuer_trust: tuple[Path, ...] = ()
    revoked: Path | None = None
    # Only `serve --demo` (and tests) set this: the DEMO keys are published, so anything else
    # that names one is a mistake.
    allow_demo_keys: bool = False
    origin: str = "(settings)"  # the config file, for messages naming a setting

    def required(self, name: str) -> Path:
        """A path setting that this command needs, or BackendConfigError naming it."""
        value = getattr(self, name)
        if value is None:
            raise BackendConfigError(self.origin, name, "is required for this command (outside --demo)")
        return Path(value)


_KEYS: dict[str, type | tuple[type, ...]] = {
    "db": str,
    "device_tokens": str,
    "policy_dir": str,
    "host": str,
    "port": int,
    "rate_per_second": (int, float),
    "rate_burst": int,
    "log_requests": bool,
    "preload_records": bool,
    "authority_key": str,
    "authority_next_key": str,
    "issuer_key": str,
    "issuer_name": str,
    "issuer_trust": list,
    "revoked": str,
}
_PATHS = ("authority_key", "authority_next_key", "issuer_key", "revoked")


def load_settings(path: Path, *, serving: bool = True) -> Settings:
    """The config file's settings. With `serving` the database must exist and the device
    tokens are read now; the operator commands (records, mint, device-token) pass False."""
    origin = str(path)
    try:
        document: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise BackendConfigError(origin, "(file)", f"cannot be read: {error.strerror}") from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise BackendConfigError(origin, "(file)", f"is not valid TOML: {error}") from None
    for key, value in document.items():
        expected = _KEYS.get(key)
        if expected is None:
            raise BackendConfigError(origin, key, f"is not a setting; known: {', '.join(_KEYS)}")
        if isinstance(value, bool) and expected is not bool:
            raise BackendConfigError(origin, key, "has the wrong type")
        if not isinstance(value, expected):
            raise BackendConfigError(origin, key, "has the wrong type")
    for key in ("db", "device_tokens"):
        if key not in document:
            raise BackendConfigError(origin, key, "is required")
    base = path.parent

    def resolve(value: str) -> Path:
        candidate = Path(value)
        return candidate if candidate.is_absolute() else base / candidate

    port = document.get("port", DEFAULT_PORT)
    if not 0 <= port <= 65535:
        raise BackendConfigError(origin, "port", "must be 0 to 65535")
    rate = float(document.get("rate_per_second", 2.0))
    burst = document.get("rate_burst", 30)
    if rate <= 0 or burst < 1:
        raise BackendConfigError(origin, "rate_per_second", "rate must be > 0 and burst >= 1")
    db_path = resolve(document["db"])
    if serving and not db_path.is_file():
        raise BackendConfigError(origin, "db", "names no existing file")
    trust = document.get("issuer_trust", [])
    if not all(isinstance(item, str) and item for item in trust):
        raise BackendConfigError(origin, "issuer_trust", "must be a list of key file paths")
    issuer_name = document.get("issuer_name", DEFAULT_ISSUER_NAME)
    if not 1 <= len(issuer_name) <= 64 or not issuer_name.isprintable():
        raise BackendConfigError(origin, "issuer_name", "must be 1 to 64 printable characters")
    paths: dict[str, Any] = {key: resolve(document[key]) for key in _PATHS if key in document}
    tokens_path = resolve(document["device_tokens"])
    return Settings(
        db_path=db_path,
        devices=tuple(read_tokens_file(tokens_path)) if serving else (),
        device_tokens=tokens_path,
        policy_dir=resolve(document["policy_dir"]) if "policy_dir" in document else DEFAULT_POLICY_DIR,
        host=document.get("host", DEFAULT_HOST),
        port=port,
        rate_per_second=rate,
        rate_burst=burst,
        log_requests=document.get("log_requests", True),
        preload_records=document.get("preload_records", True),
        issuer_name=issuer_name,
        issuer_trust=tuple(resolve(item) for item in trust),
        origin=origin,
        **paths,
    )
