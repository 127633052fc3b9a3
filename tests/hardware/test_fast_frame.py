"""Scans our schemes end at their terminator; other payloads keep the CR/LF-safe gap."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from hardware.scan_framing import RawScan, ScanFramer
from kiosk.core.credentials.shape import complete_line_test

COMPLETE = complete_line_test("XK1")


def test_our_codes_end_at_the_terminator_without_waiting() -> None:
    for code in (b"91110000600037341L", b"]Q1XKT:Zm9vYmFyYmF6", b"XK1:6BFOXN*TS0BI$ZD8UHYTR"):
        framer = ScanFramer(terminator=b"\r", terminator_gap=0.03, is_complete=COMPLETE)
        assert framer.feed(code + b"\r", now=10.0) == [RawScan(code)]


def test_other_payloads_still_wait_so_an_inner_cr_does_not_split_them() -> None:
    framer = ScanFramer(terminator=b"\r", terminator_gap=0.03, is_complete=COMPLETE)
    assert framer.feed(b"first line\r", now=10.0) == []
    assert framer.feed(b"second line\r", now=10.001) == []
    assert framer.flush_due(10.05) == [RawScan(b"first line\rsecond line")]


def test_a_code_that_only_starts_like_ours_is_not_cut_short() -> None:
    framer = ScanFramer(terminator=b"\r", terminator_gap=0.03, is_complete=COMPLETE)
    assert framer.feed(b"XKT:abc\r", now=1.0) == []  # too short to be a token
    assert framer.flush_due(1.05) == [RawScan(b"XKT:abc")]


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=64))
def test_the_shape_test_never_raises(line: bytes) -> None:
    assert COMPLETE(line) in (True, False)
