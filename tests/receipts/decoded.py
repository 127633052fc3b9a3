"""A receipt taken apart without verifying it, for tests that look at what it carries."""

from __future__ import annotations

from collections.abc import Iterator

from kiosk.core.credentials.cose import parse_cose_sign1
from kiosk.core.credentials.layers import decode_base45, inflate, loads_strict, unprefix


def claims_of(receipt: str) -> object:
    cose = parse_cose_sign1(inflate(decode_base45(unprefix(receipt, "XKR")), max_bytes=65536), max_depth=16)
    return loads_strict(cose.payload, max_depth=16, step="claims")


def leaves(item: object) -> Iterator[object]:
    """Every scalar in a decoded CBOR structure, map keys included."""
    if isinstance(item, dict):
        for key, value in item.items():
            yield from leaves(key)
            yield from leaves(value)
    elif isinstance(item, list | tuple):
        for value in item:
            yield from leaves(value)
    else:
        yield item
