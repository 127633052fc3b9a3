"""Files that are replaced whole: a crash or power cut leaves the old file or the new one.

The store's second room (kiosk/store.py keeps the rules of what may be stored; this keeps the
bytes safe). Write: temp file in the same folder, fsync, os.replace, fsync the folder (so the
rename survives a power cut on an SD card). Temp files a crash left behind are removed on open.
TinyDB's own JSONStorage rewrites in place and was seen corrupting 9 of 36 files under kill -9
(research KIVY.md §5).
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any

from tinydb.storages import Storage

from kiosk.common.bounded_file import FileReadError, read_bounded

# state.json with 400 days of counters stays under 2 MB; more is not a file this kiosk wrote.
MAX_STORE_FILE_BYTES = 16 * 1024 * 1024


def write_atomic(path: Path, data: bytes) -> None:
    import tempfile  # here: a kiosk check that reads its store writes nothing, and needs none

    folder = path.parent
    handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(handle, "wb") as temp:
            temp.write(data)
            temp.flush()
            os.fsync(temp.fileno())
        os.replace(temp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        raise
    directory = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def remove_stale_temps(folder: Path, pattern: str) -> None:
    with contextlib.suppress(OSError):
        for stale in folder.glob(pattern):
            with contextlib.suppress(OSError):
                stale.unlink()


class AtomicJSONStorage(Storage):
    """TinyDB storage on :func:`write_atomic`; ``read`` raises on anything but a JSON object."""

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = Path(path)
        remove_stale_temps(self.path.parent, f".{self.path.name}.*.tmp")

    def read(self) -> dict[str, dict[str, Any]] | None:
        try:
            os.lstat(self.path)  # missing is "empty"; any other OSError is the store's to handle
        except FileNotFoundError:
            return None
        try:
            raw = read_bounded(self.path, MAX_STORE_FILE_BYTES)
        except FileReadError as error:  # too large, not a regular file, unreadable: set aside
            raise ValueError(f"store file {error}") from None
        if not raw:
            return None
        document = json.loads(raw.decode("utf-8"))
        if not isinstance(document, dict):
            raise ValueError("store file is not a JSON object")
        return document

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        write_atomic(self.path, json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode())
