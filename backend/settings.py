"""What the service runs with, and the small TOML file that says it outside demo mode.

Config file (``kiosk-backend serve --config PATH``; relative paths are read from the file's
folder)::

    db = "/var/lib/xinyi-backend/subjects.sqlite3"     # required: records, see backend/db.py,
                                                        # or "postgresql://..." (backend/pg/)
    db_read = "postgresql://replica.example/xinyi"      # optional: decisions read a replica
    device_tokens = "/etc/xinyi-backend/devices.json"   # required: see backend/auth.py,
                                                        # or "postgresql://..." for every node
    policy_dir = "/etc/xinyi-backend/policy"           # optional: default the shipped policy
    host = "127.0.0.1"                                  # optional: an IP address or host name
    port = 8080                                         # optional: 0 to 65535
    rate_per_second = 2.0                               # optional: per-device refill rate
    rate_burst = 30                                     # optional: per-device bucket size
    log_requests = true                                 # optional: one line per request
    preload_records = true                              # optional: false for huge tables
                                                        # (SQLite only: PostgreSQL is queried)
    max_connections = 512                               # optional: default from the open-file limit
    header_timeout = 10.0                               # optional: seconds for a request's headers
    body_timeout = 10.0                                 # optional: seconds for a request's body
    keep_alive_timeout = 5.0                            # optional: idle seconds between requests

Every value is checked here, once, for type and range (a number must also be finite: TOML
allows ``nan`` and ``inf``, and ``rate_per_second = nan`` once switched the limiter off).
    authority_key = "/etc/xinyi-backend/authority-private.pem"  # serve: signs policy bundles
    authority_next_key = "authority-next-public.pem"   # optional: announced for key rollover
    issuer_key = "/etc/xinyi-backend/issuer-private.pem"   # mint: signs credentials
    issuer_name = "CN-XINYI"                            # optional: the credentials' issuer
    issuer_trust = ["issuer-public.pem"]                # issuer public keys put into the bundle
    revoked = "revoked.txt"                             # optional: revoked credential ids
    receipt_key = "receipt-private.pem"                 # optional: signs online decision receipts
    receipt_retired_keys = ["receipt-2026-public.pem"]  # optional: earlier receipt keys, still verified
    device_keys = ["kiosk-0042-device-public.pem"]      # optional: kiosks' device keys (offline receipts)

``receipt_key`` is made with ``kiosk-backend keys new --kind receipt``; without it answers
carry ``"receipt": null``. ``device_keys`` is the registry of device public keys (``kiosk keys
new`` writes them, each naming its device); both public halves travel in the bundle's
``receipt_keys``, so any kiosk verifies any receipt offline. To change the receipt key, name
the new one ``receipt_key`` and list the old one's public half in ``receipt_retired_keys``
until the last receipt it signed has passed its valid_until (the benefit's ``valid_hours``):
the bundle keeps publishing it, so a slip printed yesterday still verifies at any counter.

The fleet (heartbeats, ``/v1/fleet``, the dashboard at ``/fleet``, ``/metrics``;
backend/fleet/) is on when ``fleet_db`` is set::

    fleet_db = "/var/lib/xinyi-backend/fleet.sqlite3"  # written by the service (SQLite, WAL),
                                                        # or "postgresql://..." for every node
    operator_tokens = "/etc/xinyi-backend/operators.json"  # who may see the fleet (or a URL)
    heartbeat_late_seconds = 900                        # no heartbeat for this long: late
    heartbeat_silent_seconds = 3600                     # and for this long: silent
    heartbeat_per_hour = 60                             # per device, refilled (flood limit)
    heartbeat_burst = 10                                # per device, at once
    policy_warning_hours = 12                           # warn this long before a bundle expires

Keys are made with ``kiosk-backend keys new`` (backend/keys.py). Outside ``--demo`` nothing
falls back to a DEMO key: a missing ``authority_key`` stops ``serve``, a missing
``issuer_key`` stops ``mint --config``, and a DEMO key named in the config is refused.
"""

from __future__ import annotations

import ipaddress
import math
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from backend.auth import DeviceCredential, read_tokens_file
from kiosk.common.bounded_file import FileReadError, read_bounded
from kiosk.common.policy_folder import DEFAULT_POLICY_DIR
from kiosk.core.catalog import message
from kiosk.core.errors import KioskError

MAX_BODY_BYTES = 16 * 1024
MAX_CONFIG_BYTES = 64 * 1024
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080
DEFAULT_ISSUER_NAME = "CN-XINYI"
_HOST_NAME = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*\.?")


class BackendConfigError(KioskError):
    def __init__(self, origin: str, key: str, problem: str) -> None:
        super().__init__(
            f"{origin}: {key}: {problem}",
            message("backend.settings.text"),
        )


@dataclass(frozen=True, slots=True)
class ConnectionLimits:
    """What one HTTP connection may cost before and while the app sees it (backend/http_guard.py)."""

    max_head_bytes: int = 16 * 1024  # request line and headers together
    max_headers: int = 64
    # Any request's body, read or thrown away after an early answer; POST /v1/eligibility
    # itself reads at most Settings.max_body_bytes.
    max_body_bytes: int = 1024 * 1024
    header_timeout: float = 10.0  # from the accept, or the end of the previous answer
    body_timeout: float = 10.0
    keep_alive_timeout: float = 5.0
    max_connections: int | None = None  # None: as many as the open-file limit allows


POSTGRES_PREFIXES = ("postgresql://", "postgres://")


def is_postgres_url(value: str) -> bool:
    return value.startswith(POSTGRES_PREFIXES)


@dataclass(frozen=True, slots=True)
class FleetSettings:
    """Heartbeats and the operator view (backend/fleet/): a SQLite file (``db``) or a PostgreSQL
    URL (``db_url``); off while neither is set."""

    db: Path | None = None
    db_url: str | None = None
    late_seconds: float = 900.0
    silent_seconds: float = 3600.0
    per_hour: float = 60.0
    burst: int = 10
    policy_warning_hours: float = 12.0


@dataclass(frozen=True, slots=True)
class Settings:
    # The records: a SQLite file (db_path), or a PostgreSQL URL (db_url) with an optional
    # read replica (db_read_url). Exactly one of db_path and db_url is set.
    db_path: Path | None
    devices: tuple[DeviceCredential, ...]
    db_url: str | None = None
    db_read_url: str | None = None
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
    # The file `devices` came from: re-read while serving, so a revoked token stops at once;
    # or the PostgreSQL database that holds them (backend/pg/tokens.py), read the same way.
    device_tokens: Path | None = None
    device_tokens_url: str | None = None
    authority_key: Path | None = None
    authority_next_key: Path | None = None
    issuer_key: Path | None = None
    issuer_name: str = DEFAULT_ISSUER_NAME
    issuer_trust: tuple[Path, ...] = ()
    revoked: Path | None = None
    receipt_key: Path | None = None
    receipt_retired_keys: tuple[Path, ...] = ()
    device_keys: tuple[Path, ...] = ()
    # Only `serve --demo` (and tests) set this: the DEMO keys are published, so anything else
    # that names one is a mistake.
    allow_demo_keys: bool = False
    origin: str = "(settings)"  # the config file, for messages naming a setting
    limits: ConnectionLimits = field(default_factory=ConnectionLimits)
    fleet: FleetSettings = field(default_factory=FleetSettings)
    # The file operator tokens come from (re-read while serving), or the PostgreSQL database
    # that holds them, or, for the demo and tests, the credentials themselves.
    operator_tokens: Path | None = None
    operator_tokens_url: str | None = None
    operators: tuple[DeviceCredential, ...] = ()

    def required(self, name: str) -> Path:
        """A path setting that this command needs, or BackendConfigError naming it."""
        value = getattr(self, name)
        if value is None:
            raise BackendConfigError(self.origin, name, "is required for this command (outside --demo)")
        return Path(value)


@dataclass(frozen=True, slots=True)
class _Number:
    kind: type[int] | type[float]
    low: float
    high: float

    def problem(self, value: object) -> str | None:
        """None when `value` is acceptable, else what is wrong with it."""
        wanted = "a whole number" if self.kind is int else "a number"
        if isinstance(value, bool) or not isinstance(value, int | float) or (
            self.kind is int and not isinstance(value, int)
        ):
            return f"must be {wanted}"
        if not math.isfinite(value) or not self.low <= value <= self.high:
            return f"must be {wanted} from {_shown(self.low)} to {_shown(self.high)}"
        return None


def _shown(bound: float) -> str:
    return str(int(bound)) if bound == int(bound) else str(bound)


# One table for every number a person can set, in the config file or on the command line.
NUMBERS: dict[str, _Number] = {
    "port": _Number(int, 0, 65535),
    "rate_per_second": _Number(float, 0.001, 10_000),
    "rate_burst": _Number(int, 1, 1_000_000),
    "max_connections": _Number(int, 1, 65_536),
    "header_timeout": _Number(float, 0.1, 300),
    "body_timeout": _Number(float, 0.1, 300),
    "keep_alive_timeout": _Number(float, 0.1, 300),
    "heartbeat_late_seconds": _Number(float, 1, 7 * 86400),
    "heartbeat_silent_seconds": _Number(float, 1, 30 * 86400),
    "heartbeat_per_hour": _Number(float, 0.01, 36_000),
    "heartbeat_burst": _Number(int, 1, 1000),
    "policy_warning_hours": _Number(float, 0, 24 * 30),
}
_FILE_OR_URL = ("fleet_db", "device_tokens", "operator_tokens")
_PATHS = ("authority_key", "authority_next_key", "issuer_key", "revoked", "receipt_key", "fleet_db", "operator_tokens")
_TEXTS = ("db", "db_read", "device_tokens", "policy_dir", "host", "issuer_name", *_PATHS)
_LISTS = ("issuer_trust", "device_keys", "receipt_retired_keys")
_SWITCHES = ("log_requests", "preload_records")
_KEYS = (*_TEXTS, *_LISTS, *NUMBERS, *_SWITCHES)
_LIMIT_KEYS = ("max_connections", "header_timeout", "body_timeout", "keep_alive_timeout")
_FLEET_KEYS = {
    "heartbeat_late_seconds": "late_seconds", "heartbeat_silent_seconds": "silent_seconds",
    "heartbeat_per_hour": "per_hour", "heartbeat_burst": "burst", "policy_warning_hours": "policy_warning_hours",
}


def host_problem(host: str) -> str | None:
    """None for an IP address or a host name, else what is wrong (a broken IPv6 literal...)."""
    if ":" in host or host.replace(".", "").isdigit():
        try:
            ipaddress.ip_address(host)
        except ValueError:
            return "is not a valid IP address"
        return None
    if len(host) > 253 or not _HOST_NAME.fullmatch(host):
        return "must be an IP address or a host name"
    return None


def load_settings(path: Path, *, serving: bool = True) -> Settings:
    """The config file's settings. With `serving` the database must exist and the device
    tokens are read now; the operator commands (records, mint, device-token) pass False."""
    origin = str(path)
    try:
        text = read_bounded(path, MAX_CONFIG_BYTES).decode("utf-8")
        document: dict[str, Any] = tomllib.loads(text)
    except FileReadError as error:
        raise BackendConfigError(origin, "(file)", str(error)) from None
    except UnicodeDecodeError:
        raise BackendConfigError(origin, "(file)", "is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as error:
        raise BackendConfigError(origin, "(file)", f"is not valid TOML: {error}") from None
    except RecursionError:
        raise BackendConfigError(origin, "(file)", "nests arrays or tables too deeply") from None
    for key, value in document.items():
        if key not in _KEYS:
            raise BackendConfigError(origin, key, f"is not a setting; known: {', '.join(_KEYS)}")
        if key in NUMBERS:
            problem = NUMBERS[key].problem(value)
        elif key in _SWITCHES:
            problem = None if isinstance(value, bool) else "must be true or false"
        elif key in _LISTS:
            ok = isinstance(value, list) and all(isinstance(item, str) and item for item in value)
            problem = None if ok else "must be a list of file paths"
        else:
            problem = None if isinstance(value, str) and value else "must be a non-empty string"
        if problem is not None:
            raise BackendConfigError(origin, key, problem)
    for key in ("db", "device_tokens"):
        if key not in document:
            raise BackendConfigError(origin, key, "is required")
    host = document.get("host", DEFAULT_HOST)
    if (problem := host_problem(host)) is not None:
        raise BackendConfigError(origin, "host", problem)
    base = path.parent

    def resolve(value: str) -> Path:
        candidate = Path(value)
        return candidate if candidate.is_absolute() else base / candidate

    db_url = db_read_url = None
    db_path: Path | None = None
    if is_postgres_url(document["db"]):
        db_url = _postgres_url(origin, "db", document["db"])
    else:
        db_path = resolve(document["db"])
        if serving and not db_path.is_file():
            raise BackendConfigError(origin, "db", "names no existing file")
    if "db_read" in document:
        if db_url is None:
            raise BackendConfigError(origin, "db_read", "needs db to be a PostgreSQL URL too")
        db_read_url = _postgres_url(origin, "db_read", document["db_read"])
    trust = document.get("issuer_trust", [])
    issuer_name = document.get("issuer_name", DEFAULT_ISSUER_NAME)
    if not 1 <= len(issuer_name) <= 64 or not issuer_name.isprintable():
        raise BackendConfigError(origin, "issuer_name", "must be 1 to 64 printable characters")
    # These name a file, or a PostgreSQL URL where every node must see the same thing.
    urls = {
        key: _postgres_url(origin, key, document[key])
        for key in _FILE_OR_URL
        if key in document and is_postgres_url(document[key])
    }
    paths: dict[str, Any] = {key: resolve(document[key]) for key in _PATHS if key in document and key not in urls}
    tokens_path = None if "device_tokens" in urls else resolve(document["device_tokens"])
    limits = replace(ConnectionLimits(), **{k: document[k] for k in _LIMIT_KEYS if k in document})
    fleet = replace(FleetSettings(db=paths.pop("fleet_db", None), db_url=urls.get("fleet_db")),
                    **{field_name: document[key] for key, field_name in _FLEET_KEYS.items() if key in document})
    if fleet.silent_seconds <= fleet.late_seconds:
        raise BackendConfigError(origin, "heartbeat_silent_seconds", "must be more than heartbeat_late_seconds")
    return Settings(
        db_path=db_path,
        db_url=db_url,
        db_read_url=db_read_url,
        devices=tuple(read_tokens_file(tokens_path)) if serving and tokens_path is not None else (),
        device_tokens=tokens_path,
        device_tokens_url=urls.get("device_tokens"),
        operator_tokens_url=urls.get("operator_tokens"),
        policy_dir=resolve(document["policy_dir"]) if "policy_dir" in document else DEFAULT_POLICY_DIR,
        host=host,
        port=document.get("port", DEFAULT_PORT),
        rate_per_second=float(document.get("rate_per_second", 2.0)),
        rate_burst=document.get("rate_burst", 30),
        log_requests=document.get("log_requests", True),
        preload_records=document.get("preload_records", True),
        issuer_name=issuer_name,
        issuer_trust=tuple(resolve(item) for item in trust),
        device_keys=tuple(resolve(item) for item in document.get("device_keys", [])),
        receipt_retired_keys=tuple(resolve(item) for item in document.get("receipt_retired_keys", [])),
        origin=origin,
        **paths,
        limits=limits,
        fleet=fleet,
    )


def _postgres_url(origin: str, key: str, value: str) -> str:
    """`value` if libpq can parse it; the problem never repeats the URL (it may hold a password)."""
    from psycopg.conninfo import conninfo_to_dict  # only a PostgreSQL site pays for the import

    try:
        conninfo_to_dict(value)
    except Exception as error:  # psycopg.ProgrammingError, from libpq's parser
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        shown = _without_url(reason, value)
        raise BackendConfigError(origin, key, f"is not a PostgreSQL URL libpq accepts ({shown})") from None
    return value


def _without_url(reason: str, url: str) -> str:
    return reason.replace(url, "(the URL)")
