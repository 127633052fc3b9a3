"""The kiosk's config file (TOML), read strictly: a wrong key names itself and stops start-up.

Precedence for every setting: command-line option > environment variable > config file >
default. Secrets (the device token) live in a separate file the config points at, so the
config can be shown to support staff.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kiosk.common.bounded_file import FileReadError, read_bounded
from kiosk.core.catalog import message
from kiosk.core.credentials.settings import RECEIPT_PREFIX
from kiosk.core.errors import KioskError
from kiosk.core.text import DEFAULT_LOCALE, Locale, LocalText, parse_locale
from kiosk.session.flow import Timeouts
from kiosk.session.site import DEFAULT_TIME_ZONE
from kiosk.station import paths

_MAX_CONFIG_BYTES = 64 * 1024
_MAX_TOKEN_BYTES = 4096
_SITE_ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")


class ConfigError(KioskError):
    def __init__(self, origin: str, key: str, problem: str) -> None:
        super().__init__(
            f"{origin}: {key}: {problem}",
            message("station.config.text"),
        )
        self.origin = origin
        self.key = key


@dataclass(frozen=True, slots=True)
class DeviceConfig:
    """Where one device is attached: serial port and speed, each None when the config leaves it out."""

    port: str | None = None
    baud: int | None = None


@dataclass(frozen=True, slots=True)
class KioskConfig:
    """Every setting of one kiosk, after command line, environment, config file and defaults."""

    backend_url: str = "http://127.0.0.1:8080"
    device_id: str = "kiosk-demo"
    token: str | None = None
    token_file: Path | None = None
    data_dir: Path = Path("/var/lib/xinyi-kiosk")
    locale: Locale = DEFAULT_LOCALE
    offline_only: bool = False
    credential_prefix: str = "XK1"
    trust_files: tuple[Path, ...] = ()
    authority_keys: tuple[Path, ...] = ()
    max_bundle_age_hours: int = 48
    staff_pin_hash: str | None = None
    scanner: DeviceConfig = field(default_factory=DeviceConfig)
    idcard: DeviceConfig = field(default_factory=DeviceConfig)
    printer: DeviceConfig = field(default_factory=DeviceConfig)
    timeouts: Timeouts = field(default_factory=Timeouts)
    speech: bool = False
    speak_results: bool = False
    elder_view: bool = False
    time_zone: str = DEFAULT_TIME_ZONE
    counter_name: LocalText | None = None
    # The policy's site preset to follow (kiosk/station/site.py); the settings above are the
    # fallback for whatever the preset leaves out, or for every setting without one.
    site: str | None = None
    # Signs the receipts of offline decisions (`kiosk keys new`); none: offline answers carry none.
    device_key: Path | None = None
    # Only the demo sets this (never the config file): the DEMO device key is published.
    allow_demo_keys: bool = False
    # Minutes between heartbeats (kiosk/adapters/heartbeat_sender.py); 0: none are sent.
    heartbeat_minutes: int = 5
    origin: str = "(defaults)"

    def device_token(self) -> str | None:
        """The token itself, read from the token file when the config names one."""
        if self.token:
            return self.token
        if self.token_file is None:
            return None
        try:
            raw = read_bounded(self.token_file, _MAX_TOKEN_BYTES)
        except FileReadError as error:
            raise ConfigError(self.origin, "token_file", str(error)) from None
        try:
            value = raw.decode("utf-8").strip()
        except UnicodeDecodeError:
            raise ConfigError(self.origin, "token_file", "is not UTF-8 text") from None
        if not value:
            raise ConfigError(self.origin, "token_file", "is empty")
        return check_token(value, self.origin, "token_file")


_TOP_KEYS: dict[str, type | tuple[type, ...]] = {
    "backend_url": str,
    "device_id": str,
    "token_file": str,
    "data_dir": str,
    "locale": str,
    "offline_only": bool,
    "credential_prefix": str,
    "trust_files": list,
    "authority_keys": list,
    "max_bundle_age_hours": int,
    "staff_pin_hash": str,
    "scanner": dict,
    "idcard": dict,
    "printer": dict,
    "timeouts": dict,
    "speech": bool,
    "speak_results": bool,
    "elder_view": bool,
    "time_zone": str,
    "counter_name": (str, dict),
    "site": str,
    "device_key": str,
    "heartbeat_minutes": int,
}
_TIMEOUT_KEYS = ("choose_benefit", "criteria", "present", "checking", "result", "error")
_DEVICE_KEYS: dict[str, type] = {"port": str, "baud": int}


def load_config(path: Path | None) -> KioskConfig:
    """Read a config file; None means defaults only. Relative paths resolve next to the file."""
    if path is None:
        return KioskConfig()
    origin = str(path)
    try:
        raw = read_bounded(path, _MAX_CONFIG_BYTES)
    except FileReadError as error:
        raise ConfigError(origin, "(file)", str(error)) from None
    try:
        document = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(origin, "(file)", f"is not valid UTF-8 TOML: {error}") from None
    except RecursionError:
        raise ConfigError(origin, "(file)", "nests arrays or tables too deeply") from None
    return _parse(document, origin, path.resolve().parent)


def _parse(document: dict[str, Any], origin: str, base: Path) -> KioskConfig:
    for key, value in document.items():
        expected = _TOP_KEYS.get(key)
        if expected is None:
            raise ConfigError(origin, key, f"is not a setting; known: {', '.join(sorted(_TOP_KEYS))}")
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise ConfigError(origin, key, f"must be a {_type_name(expected)}")
    config = KioskConfig(origin=origin)
    changes: dict[str, Any] = {}
    for key in ("backend_url", "device_id", "credential_prefix", "staff_pin_hash"):
        if key in document:
            changes[key] = _non_empty(document[key], origin, key)
    if changes.get("credential_prefix") == RECEIPT_PREFIX:
        raise ConfigError(origin, "credential_prefix", f"{RECEIPT_PREFIX} is the decision receipts' prefix")
    if "backend_url" in changes:
        changes["backend_url"] = check_backend_url(changes["backend_url"], origin, "backend_url")
    if "token_file" in document:
        changes["token_file"] = base / _non_empty(document["token_file"], origin, "token_file")
    if "data_dir" in document:
        changes["data_dir"] = base / _non_empty(document["data_dir"], origin, "data_dir")
    if "device_key" in document:
        changes["device_key"] = base / _non_empty(document["device_key"], origin, "device_key")
    if "locale" in document:
        try:
            changes["locale"] = parse_locale(document["locale"])
        except ValueError as error:
            raise ConfigError(origin, "locale", str(error)) from None
    if "offline_only" in document:
        changes["offline_only"] = document["offline_only"]
    for key in ("trust_files", "authority_keys"):
        if key in document:
            items = document[key]
            if not all(isinstance(item, str) and item and "\x00" not in item for item in items):
                raise ConfigError(origin, key, "must be a list of file paths")
            changes[key] = tuple(base / item for item in items)
    if "max_bundle_age_hours" in document:
        hours = document["max_bundle_age_hours"]
        if not 1 <= hours <= 24 * 30:
            raise ConfigError(origin, "max_bundle_age_hours", "must be between 1 and 720")
        changes["max_bundle_age_hours"] = hours
    for key in ("scanner", "idcard", "printer"):
        if key in document:
            changes[key] = _device(document[key], origin, key)
    if "timeouts" in document:
        changes["timeouts"] = _timeouts(document["timeouts"], origin)
    for key in ("speech", "speak_results", "elder_view"):
        if key in document:
            changes[key] = document[key]
    if "time_zone" in document:
        changes["time_zone"] = _time_zone(document["time_zone"], origin)
    if "counter_name" in document:
        changes["counter_name"] = _counter_name(document["counter_name"], origin)
    if "site" in document:
        changes["site"] = _site_id(document["site"], origin)
    if "heartbeat_minutes" in document:
        if not 0 <= document["heartbeat_minutes"] <= 24 * 60:
            raise ConfigError(origin, "heartbeat_minutes", "must be between 0 (none) and 1440")
        changes["heartbeat_minutes"] = document["heartbeat_minutes"]
    if "staff_pin_hash" in changes:
        from kiosk.session.staff_pin import PinHashError, validate_pin_hash

        try:
            validate_pin_hash(changes["staff_pin_hash"])
        except PinHashError as error:
            raise ConfigError(origin, "staff_pin_hash", error.detail) from None
    return replace(config, **changes)


def _time_zone(name: str, origin: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(origin, "time_zone", f"{name!r} is not a time zone name, e.g. Asia/Shanghai") from None
    return name


def _site_id(value: str, origin: str) -> str:
    site = _non_empty(value, origin, "site")
    if len(site) > 64 or not all(ch in _SITE_ID_CHARS for ch in site):
        raise ConfigError(origin, "site", "must be a site id from the policy: lower-case letters, digits and '-'")
    return site


def _counter_name(value: str | dict[str, Any], origin: str) -> LocalText:
    """One name for both languages ("3号窗口"), or a table with zh-CN and en."""
    if isinstance(value, str):
        name = _non_empty(value, origin, "counter_name")[:40]
        return LocalText(name, name)
    if set(value) != {"zh-CN", "en"} or not all(isinstance(v, str) and v.strip() for v in value.values()):
        raise ConfigError(origin, "counter_name", 'must be a name or a table with "zh-CN" and "en" names')
    return LocalText(value["zh-CN"].strip()[:40], value["en"].strip()[:40])


def _timeouts(table: dict[str, Any], origin: str) -> Timeouts:
    """Seconds per step; 5 s to 10 min, so a typo cannot make the kiosk hang or rush people."""
    values: dict[str, float] = {}
    for key, value in table.items():
        if key not in _TIMEOUT_KEYS:
            raise ConfigError(origin, f"timeouts.{key}", f"is not a step; known: {', '.join(_TIMEOUT_KEYS)}")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(origin, f"timeouts.{key}", "must be a number of seconds")
        if not 5 <= value <= 600:
            raise ConfigError(origin, f"timeouts.{key}", "must be between 5 and 600 seconds")
        values[key] = float(value)
    return Timeouts(**values)


def _device(table: dict[str, Any], origin: str, name: str) -> DeviceConfig:
    for key, value in table.items():
        expected = _DEVICE_KEYS.get(key)
        if expected is None:
            raise ConfigError(origin, f"{name}.{key}", "is not a device setting; known: baud, port")
        if not isinstance(value, expected) or isinstance(value, bool):
            raise ConfigError(origin, f"{name}.{key}", f"must be a {_type_name(expected)}")
    baud = table.get("baud")
    if baud is not None and baud not in (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200):
        raise ConfigError(origin, f"{name}.baud", "must be a standard serial speed, e.g. 9600 or 115200")
    port = table.get("port")
    return DeviceConfig(port=_non_empty(port, origin, f"{name}.port") if port is not None else None, baud=baud)


def _non_empty(value: str, origin: str, key: str) -> str:
    if not value.strip():
        raise ConfigError(origin, key, "must not be empty")
    if "\x00" in value:
        raise ConfigError(origin, key, "must not hold a NUL character")
    return value.strip()


def check_backend_url(value: str, origin: str, key: str) -> str:
    """An http(s) URL with a host and, if any, a port 1-65535 and a well-formed IP literal."""
    url = value.strip()
    if not url.startswith(("http://", "https://")):
        raise ConfigError(origin, key, "must start with http:// or https://")
    if any(ch.isspace() or ord(ch) < 0x20 or ch == "\x7f" for ch in url) or not url.isascii():
        raise ConfigError(origin, key, "must be an ASCII URL without spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:  # a port out of range or not a number, a broken [IPv6]
        raise ConfigError(origin, key, f"is not a valid URL: {error}") from None
    if not parts.hostname:
        raise ConfigError(origin, key, "names no host")
    if port == 0:
        raise ConfigError(origin, key, "port must be between 1 and 65535")
    if "[" in parts.netloc:
        try:
            ipaddress.IPv6Address(parts.hostname.split("%")[0])
        except ValueError:
            raise ConfigError(origin, key, "holds a malformed IPv6 address") from None
    if parts.username is not None or parts.query or parts.fragment:
        raise ConfigError(origin, key, "must not hold a user name, a query or a fragment")
    return url


def check_token(value: str, origin: str, key: str) -> str:
    """A device token goes into an HTTP header: visible ASCII only."""
    if not value.isascii() or not value.isprintable() or " " in value:
        raise ConfigError(origin, key, "must be visible ASCII characters (no spaces)")
    if len(value) > 1024:
        raise ConfigError(origin, key, "is longer than 1024 characters")
    return value


def _type_name(expected: type | tuple[type, ...]) -> str:
    names = {str: "string", bool: "true/false", int: "whole number", list: "list", dict: "table"}
    return names.get(expected, str(expected)) if isinstance(expected, type) else "value"


def resolve_config(
    path: Path | None = None,
    *,
    backend_url: str | None = None,
    token: str | None = None,
    data_dir: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> KioskConfig:
    """Config file (explicit, $XINYI_CONFIG, or the system path if it exists) + env + options."""
    env = os.environ if environ is None else environ
    config_file: Path | None = paths.config_path(path, env)
    if path is None and config_file == paths.DEFAULT_CONFIG_PATH and not config_file.exists():
        config_file = None  # no file at all: the built-in defaults and the environment
    config = load_config(config_file)
    changes: dict[str, Any] = {}
    if backend_url:
        changes["backend_url"] = check_backend_url(backend_url, "--backend", "URL")
    elif env.get(paths.BACKEND_URL_ENV):
        changes["backend_url"] = check_backend_url(env[paths.BACKEND_URL_ENV], "environment", paths.BACKEND_URL_ENV)
    if token:
        changes["token"] = check_token(token, "--token", "token")
    elif env.get(paths.DEVICE_TOKEN_ENV):
        changes["token"] = check_token(env[paths.DEVICE_TOKEN_ENV], "environment", paths.DEVICE_TOKEN_ENV)
    if data_dir is not None or env.get(paths.DATA_DIR_ENV, "").strip():
        changes["data_dir"] = paths.data_dir(data_dir, env)
    return replace(config, **changes)
