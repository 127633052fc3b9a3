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
}


def load_settings(path: Path) -> Settings:
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
    if not db_path.is_file():
        raise BackendConfigError(origin, "db", "names no existing file")
    return Settings(
        db_path=db_path,
        devices=tuple(read_tokens_file(resolve(document["device_tokens"]))),
        policy_dir=resolve(document["policy_dir"]) if "policy_dir" in document else DEFAULT_POLICY_DIR,
        host=document.get("host", DEFAULT_HOST),
        port=port,
        rate_per_second=rate,
        rate_burst=burst,
        log_requests=document.get("log_requests", True),
        preload_records=document.get("preload_records", True),
    )
