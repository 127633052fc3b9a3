"""The scanner framer as a pure function of (bytes, arrival time)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hardware.scan_framing import OversizedScan, RawScan, RepeatFilter, ScanFramer, split_aim

GAP, IDLE = 0.02, 0.08


def frame_all(chunks: list[tuple[float, bytes]], **options: object) -> list[object]:
    framer = ScanFramer(terminator_gap=GAP, idle_gap=IDLE, **options)  # type: ignore[arg-type]
    out: list[object] = []
    for at, chunk in chunks:
        out += framer.feed(chunk, at)
    out += framer.flush_due(float("inf"))
    return out


def test_payload_with_cr_and_lf_inside_is_one_scan() -> None:
    # The split-in-two bug: CR framing alone would give "]Q1Some line" and " breaks\nin here."
    raw = b"]Q1Some line\r breaks\nin here.\r"
    assert frame_all([(0.0, raw)]) == [RawScan(b"]Q1Some line\r breaks\nin here.")]


def test_silence_after_the_terminator_ends_a_scan_and_a_longer_one_ends_an_unterminated() -> None:
    framer = ScanFramer(terminator_gap=GAP, idle_gap=IDLE)
    assert framer.feed(b"ABC\r", 1.0) == []
    assert framer.deadline() == pytest.approx(1.0 + GAP)
    assert framer.flush_due(1.0 + GAP / 2) == []
    assert framer.flush_due(1.0 + GAP) == [RawScan(b"ABC")]
    assert framer.feed(b"NOSUFFIX", 2.0) == []
    assert framer.flush_due(2.0 + GAP) == []  # no terminator: wait the longer idle gap
    assert framer.flush_due(2.0 + IDLE) == [RawScan(b"NOSUFFIX")]
    assert framer.deadline() is None


@pytest.mark.parametrize(
    ("terminator", "raw", "payload"),
    [
        (b"\r", b"A\r", b"A"),
        (b"\n", b"A\n", b"A"),
        (b"\r\n", b"A\r\n", b"A"),
        (b"\r", b"A\r\r", b"A\r"),
        (b"", b"A\r", b"A\r"),
    ],
)
def test_the_terminator_is_removed_exactly_once(terminator: bytes, raw: bytes, payload: bytes) -> None:
    assert frame_all([(0.0, raw)], terminator=terminator) == [RawScan(payload)]


def test_a_frame_over_the_limit_is_discarded_and_reported_and_the_next_one_is_fine() -> None:
    chunks = [(0.0, b"x" * 60), (0.001, b"y" * 60 + b"\r"), (1.0, b"OK\r")]
    assert frame_all(chunks, max_length=100) == [OversizedScan(121), RawScan(b"OK")]


def test_a_terminator_gap_of_zero_means_terminator_only_framing() -> None:
    framer = ScanFramer(terminator_gap=0, idle_gap=IDLE)
    assert framer.feed(b"AB\r", 0.0) == [RawScan(b"AB")]


def test_close_keeps_a_terminated_frame_and_drops_a_cut_one() -> None:
    framer = ScanFramer(terminator_gap=GAP, idle_gap=IDLE)
    framer.feed(b"DONE\r", 0.0)
    assert framer.close() == [RawScan(b"DONE")]
    framer.feed(b"HALF", 0.0)
    assert framer.close() == []
    assert framer.feed(b"NEXT\r", 0.001) == []
    assert framer.flush_due(1.0) == [RawScan(b"NEXT")]


def test_aim_prefix_is_split_off_and_eci_escapes_are_undone() -> None:
    assert split_aim(b"]Q1hello") == ("]Q1", b"hello", None)
    assert split_aim(b"]C0123") == ("]C0", b"123", None)
    assert split_aim(b"plain") == (None, b"plain", None)
    assert split_aim(b"]Q2\\000026caf\xc3\xa9 a\\\\b") == ("]Q2", "café a\\b".encode(), 26)
    assert split_aim(b"]Q1a\\\\b") == ("]Q1", b"a\\\\b", None)  # Q1: raw bytes, no escaping
    assert split_aim(b"]d4\\000029\xbe\xa9") == ("]d4", "京".encode("gb18030"), 29)


def test_repeat_filter_counts_a_code_held_in_front_of_the_scanner_once() -> None:
    repeats = RepeatFilter(window=1.0)
    assert not repeats.is_repeat("]Q1", b"A", 0.0)
    assert repeats.is_repeat("]Q1", b"A", 0.5)
    assert repeats.is_repeat("]Q1", b"A", 1.4)  # still held: the window slides
    assert not repeats.is_repeat("]Q1", b"B", 1.5)
    assert not repeats.is_repeat("]Q1", b"A", 1.6)
    assert not repeats.is_repeat("]Q1", b"A", 3.0)


payloads = st.one_of(
    st.binary(min_size=1, max_size=300),
    st.text(min_size=1, max_size=100).map(lambda t: t.encode("utf-8")),
    st.text(alphabet="京沪粤信易码\r\n0123456789ABC", min_size=1, max_size=60).map(lambda t: t.encode("gb18030")),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(payloads, min_size=1, max_size=5), st.data())
def test_any_split_of_the_byte_stream_gives_the_same_scans(scans: list[bytes], data: st.DataObject) -> None:
    chunks: list[tuple[float, bytes]] = []
    now = 0.0
    for payload in scans:
        raw = b"]Q1" + payload + b"\r"
        cuts = sorted(data.draw(st.sets(st.integers(1, len(raw) - 1), max_size=8)))
        pieces = [raw[a:b] for a, b in zip([0, *cuts], [*cuts, len(raw)], strict=True)]
        for piece in pieces:
            chunks.append((now, piece))
            now += data.draw(st.floats(0, GAP * 0.9))  # inside one scan: never a full gap
        now += IDLE + 0.01  # between scans: the scanner is quiet
    framed = frame_all(chunks)
    assert framed == [RawScan(b"]Q1" + p) for p in scans]
    assert [split_aim(f.data)[1] for f in framed if isinstance(f, RawScan)] == scans


@pytest.mark.parametrize("configured", [b"\r", b"\n", b"\r\n"])
@pytest.mark.parametrize("sent", [b"\r", b"\n", b"\r\n"])
@pytest.mark.parametrize("cut", [1, 3, 10, 21, 22])
def test_any_line_end_the_scanner_sends_ends_the_scan_whatever_is_configured(
    configured: bytes, sent: bytes, cut: int
) -> None:
    """Issue #18 item 13, as a class: CR, LF or CR LF, in any two writes 30 ms apart."""
    raw = b"]Q191110000600037341L" + sent
    frames = frame_all([(0.0, raw[:cut]), (0.03, raw[cut:])], terminator=configured)
    assert frames == [RawScan(b"]Q191110000600037341L")]


def test_a_lone_line_end_after_a_finished_scan_is_no_scan() -> None:
    framer = ScanFramer(terminator=b"\r", terminator_gap=GAP, idle_gap=IDLE, is_complete=lambda _: True)
    assert framer.feed(b"]Q1CODE\r", 0.0) == [RawScan(b"]Q1CODE")]
    assert framer.feed(b"\n", 0.03) + framer.flush_due(1.0) == []
