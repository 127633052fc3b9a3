"""The fast base45 encoder receipts are written with gives what the base45 package gives."""

from __future__ import annotations

import base45
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.core.credentials.layers import _DIV_45, _DIV_2025, decode_base45, encode_base45


def test_the_lane_divisions_are_exact_for_every_value() -> None:
    multiplier, shift = _DIV_2025
    assert all((n * multiplier) >> shift == n // 2025 for n in range(65536))
    multiplier, shift = _DIV_45
    assert all((r * multiplier) >> shift == r // 45 for r in range(2025))


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=2048))
def test_encode_matches_the_reference_and_decodes_back(data: bytes) -> None:
    text = encode_base45(data)
    assert text == base45.b45encode(data).decode("ascii")
    assert decode_base45(text) == data


def test_edges() -> None:
    for data in (b"", b"\x00", b"\xff", b"\xff\xff", b"\x00\x00" * 9, b"\xff" * 333, bytes(range(256))):
        assert encode_base45(data) == base45.b45encode(data).decode("ascii")
