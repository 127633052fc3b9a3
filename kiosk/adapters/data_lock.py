"""One writer at a time in the kiosk's data folder: the store and the heartbeat ledger both
read-modify-write files there, and `kiosk sync` or `kiosk heartbeat` may run beside the app."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

LOCK_FILE = ".store.lock"


@contextlib.contextmanager
def data_folder_lock(data_dir: Path) -> Iterator[None]:
    """Hold the folder's advisory lock; a folder where the lock cannot be made (read-only,
    damaged) goes unlocked rather than failing a session."""
    try:
        handle = os.open(data_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        yield
        return
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)
