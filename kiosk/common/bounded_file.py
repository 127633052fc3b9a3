"""Read a file a person points us to, bounded in size and in time (issue #18 item 9).

``path.read_bytes()`` on ``/dev/zero`` grows until memory runs out, and on a FIFO it waits for a
writer forever. Here the file is opened without blocking, must be a regular file, and at most
``limit + 1`` bytes are ever read, so a wrong path costs one system call and one line.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path


class FileReadError(Exception):
    """Why the file was not read, as words that follow its name ("is not a regular file")."""


def read_bounded(path: Path, limit: int) -> bytes:
    try:
        # O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer.
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as error:
        raise FileReadError(f"cannot be read: {error.strerror}") from None
    try:
        with open(descriptor, "rb", closefd=True) as handle:
            info = os.fstat(descriptor)
            if not stat.S_ISREG(info.st_mode):
                raise FileReadError("is not a regular file")
            if info.st_size > limit:
                raise FileReadError(f"is larger than {limit} bytes")
            data = handle.read(limit + 1)
    except OSError as error:
        raise FileReadError(f"cannot be read: {error.strerror}") from None
    if len(data) > limit:  # it grew after fstat, or its size was not known (/proc)
        raise FileReadError(f"is larger than {limit} bytes")
    return data
