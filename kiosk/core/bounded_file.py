"""Reading a file the kiosk is pointed at, never more than a limit.

`Path.read_bytes()` reads whatever is there: `--config /dev/zero` grew to 3 GB in 5 s. Every
file the kiosk opens (config, token, keys, the bundle cache) is read with :func:`read_bounded`,
which stops one byte past the limit and says so.
"""

from __future__ import annotations

from pathlib import Path


class FileTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"is larger than {limit} bytes")
        self.limit = limit


def read_bounded(path: str | Path, limit: int) -> bytes:
    """The file's bytes if there are at most ``limit``; FileTooLarge otherwise (OSError as is)."""
    with open(path, "rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise FileTooLarge(limit)
    return data
