"""What the kiosk's two store files may hold: a validator for each file, for each device state
key and for a counter's key (benefit x outcome x day).

Apart from :class:`kiosk.adapters.store.Store`, which reads and writes the files, so the whole
answer to "what can be on disk" is in one place: the store opens a file only if it passes these
checks, and refuses to write what does not.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

from kiosk.core.bundle import REASONS, BundleError
from kiosk.core.bundle_signing import authority_public_key_from_text
from kiosk.core.decision_records import Outcome
from kiosk.core.text import LOCALES

_BENEFIT_ID = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
_DIGIT_RUN = re.compile(r"[0-9]{5}")
_DEVICE_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
ETAG = re.compile(r'(?:W/)?"[\x21\x23-\x7e]{1,128}"')
_HEX64 = re.compile(r"[0-9a-f]{64}")
_SIDECAR = re.compile(r"bundle-[0-9a-f]{64}\.signed")


def _is_timestamp(value: object) -> bool:
    if not isinstance(value, str) or len(value) > 40:
        return False
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return False
    return moment.tzinfo is not None


def _authority_key_or_none(value: object) -> bool:
    """A bundle authority's Ed25519 public key as a bundle writes it (key rollover), or None."""
    if value is None:
        return True
    if not isinstance(value, str) or len(value) > 128:
        return False
    try:
        authority_public_key_from_text(value)
    except BundleError:
        return False
    return True


def _one_of(*choices: object) -> Callable[[object], bool]:
    return lambda value: value in choices


# The device state the kiosk may keep: key -> validator. Adding a key is a reviewed change here.
DEVICE_KEYS: Mapping[str, Callable[[object], bool]] = {
    "device_id": lambda v: isinstance(v, str) and bool(_DEVICE_ID.fullmatch(v)),
    "default_locale": _one_of(*LOCALES),
    "last_sync_attempt_at": _is_timestamp,
    "last_sync_success_at": _is_timestamp,
    "last_sync_outcome": _one_of("updated", "unchanged", "refused", "unreachable", "rejected", "not_saved"),
    "last_refusal_reason": _one_of(None, *REASONS),
    "health": _one_of("online", "degraded", "offline"),
    # Seconds the kiosk's clock was ahead of the server's (negative: behind) at the last sync
    # that could tell (bundle_sync.py), for staff and the heartbeat; None: never measured.
    "clock_skew_seconds": lambda v: v is None or (
        isinstance(v, int) and not isinstance(v, bool) and abs(v) <= 100 * 366 * 86400
    ),
    "clock_checked_at": _is_timestamp,
    # Key rollover (kiosk/adapters/authority_trust.py): public keys, never anything personal.
    "authority_current_key": _authority_key_or_none,
    "authority_next_key": _authority_key_or_none,
}


def _tables_ok(document: Mapping[str, Any], names: set[str]) -> bool:
    # TinyDB's layout: {table: {"<int doc id>": {...}}}.
    return set(document) <= names | {"_default"} and all(
        isinstance(t, dict) and all(k.isdigit() for k in t) for t in document.values()
    )


def valid_bundle_file(document: Mapping[str, Any]) -> bool:
    if not _tables_ok(document, {"bundle"}):
        return False
    docs = list(document.get("bundle", {}).values())
    if len(docs) > 1:
        return False
    return all(
        isinstance(d, dict)
        and set(d) == {"file", "size", "etag", "version", "digest", "saved_at"}
        and isinstance(d["file"], str)
        and bool(_SIDECAR.fullmatch(d["file"]))
        and isinstance(d["size"], int)
        and (d["etag"] is None or (isinstance(d["etag"], str) and bool(ETAG.fullmatch(d["etag"]))))
        and isinstance(d["version"], int)
        and isinstance(d["digest"], str)
        and bool(_HEX64.fullmatch(d["digest"]))
        and _is_timestamp(d["saved_at"])
        for d in docs
    )


def valid_state_file(document: Mapping[str, Any]) -> bool:
    if not _tables_ok(document, {"device", "counters"}):
        return False
    devices = document.get("device", {}).values()
    counters = document.get("counters", {}).values()
    return all(
        isinstance(d, dict) and set(d) == {"key", "value"} and d["key"] in DEVICE_KEYS
        and DEVICE_KEYS[d["key"]](d["value"])
        for d in devices
    ) and all(
        isinstance(c, dict) and set(c) == {"day", "benefit", "outcome", "count"}
        and counter_key_ok(c["benefit"], c["outcome"], c["day"])
        and isinstance(c["count"], int) and c["count"] >= 0
        for c in counters
    )


def counter_key_ok(benefit: object, outcome: object, day: object) -> bool:
    return (
        isinstance(benefit, str)
        and len(benefit) <= 64
        and bool(_BENEFIT_ID.fullmatch(benefit))
        and not _DIGIT_RUN.search(benefit)
        and outcome in {o.value for o in Outcome}
        and isinstance(day, str)
        and _is_date(day)
    )


def _is_date(value: str) -> bool:
    try:
        return date.fromisoformat(value).isoformat() == value
    except ValueError:
        return False
