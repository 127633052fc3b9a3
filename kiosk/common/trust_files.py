"""Issuer trust files (PEM or DER keys and certificates) from a config, each read bounded."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from kiosk.common.bounded_file import FileReadError, read_bounded
from kiosk.core.credentials import TrustKeyError, TrustStore


def read_trust_files(paths: Iterable[Path], limit: int) -> TrustStore:
    store = TrustStore()
    for path in paths:
        try:
            store = store.merged(TrustStore.from_bytes(read_bounded(Path(path), limit)))
        except FileReadError as error:
            raise TrustKeyError(f"trust file {Path(path).name} {error}") from None
    return store
