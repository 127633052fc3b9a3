"""Decision ids: what ``uuid.uuid4().hex`` gives, from a pool of OS random bits.

Apart from the engine: decide(), the offline kiosk and the backend's decision bodies all take
their ids here, and the pool with its fork hook is one thing to reason about on its own.
"""

from __future__ import annotations

import os

# Random bits for decision ids, read from the OS 64 ids at a time: one urandom call per
# decision was a tenth of decide(). Only random numbers are pooled, nothing about anyone; a
# forked process (a second server worker) starts with an empty pool, so no two share an id.
_ID_BATCH = 64
_id_pool: list[int] = []
os.register_at_fork(after_in_child=_id_pool.clear)
_ID_VERSION_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_ID_VERSION_SET = (0x4000 << 64) | (0x8000 << 48)


def new_decision_id() -> str:
    """What ``uuid.uuid4().hex`` gives (random, version 4, RFC 4122 variant), without
    building a UUID object."""
    try:
        value = _id_pool.pop()  # atomic: threads never get the same one
    except IndexError:
        block = os.urandom(16 * _ID_BATCH)
        _id_pool.extend(int.from_bytes(block[i : i + 16], "big") for i in range(16, len(block), 16))
        value = int.from_bytes(block[:16], "big")
    return f"{value & _ID_VERSION_CLEAR | _ID_VERSION_SET:032x}"
