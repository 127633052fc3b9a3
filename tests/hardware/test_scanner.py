"""The scanner driver through real pseudo-terminals and the real pyserial open path."""

from __future__ import annotations

import asyncio
import os
import random
from pathlib import Path

from hardware.base import DeviceStatus, ScanEvent, StatusEvent
from hardware.errors import ScanTooLong
from hardware.scanner import SerialScanner
from hardware.simulators import SimulatedScanner
from tests.support.hardware import FAST_SCANNER, next_of, status_of

PAUSE = 0.15  # quiet time after each simulated scan: longer than FAST_SCANNER's idle gap


def scanner(port: str, **overrides: object) -> SerialScanner:
    return SerialScanner(port, **{**FAST_SCANNER, **overrides})  # type: ignore[arg-type]


async def test_a_scan_arrives_with_its_symbology_and_exact_bytes() -> None:
    with SimulatedScanner() as sim:
        async with scanner(sim.port_path) as device:
            events = aiter(device)
            await status_of(events, DeviceStatus.READY)
            assert device.status is DeviceStatus.READY
            sim.present(b"HELLO-123", pause_after=PAUSE)
            event = await next_of(events, ScanEvent)
            assert (event.payload, event.symbology, event.eci) == (b"HELLO-123", "]Q1", None)


async def test_gb18030_utf8_binary_and_embedded_line_ends_pass_through_unchanged() -> None:
    payloads = [
        "京A·12345 信易+".encode("gb18030"),
        "京A·12345 信易+".encode(),
        bytes(range(256)),  # every byte value, CR and LF included
        b"line one\r\nline two\rline three\n",
    ]
    with SimulatedScanner() as sim:
        async with scanner(sim.port_path) as device:
            events = aiter(device)
            await status_of(events, DeviceStatus.READY)
            for payload in payloads:
                sim.present(payload, pause_after=PAUSE)
                assert (await next_of(events, ScanEvent)).payload == payload


async def test_a_scan_split_into_random_chunks_on_the_pty_is_still_one_scan() -> None:
    rng = random.Random(4)
    payload = "]Q1 信易 ".encode("gb18030") + bytes(rng.randrange(256) for _ in range(500))
    with SimulatedScanner() as sim:
        async with scanner(sim.port_path) as device:
            events = aiter(device)
            await status_of(events, DeviceStatus.READY)
            sim.present(payload, chunk_size=7, gap=0.002, pause_after=PAUSE)
            sim.present(b"second", pause_after=PAUSE)
            assert (await next_of(events, ScanEvent)).payload == payload
            assert (await next_of(events, ScanEvent)).payload == b"second"


async def test_garbage_without_terminator_is_one_frame_and_the_next_scan_is_clean() -> None:
    with SimulatedScanner() as sim:
        async with scanner(sim.port_path) as device:
            events = aiter(device)
            await status_of(events, DeviceStatus.READY)
            sim.send(b"\x00\xff\x1b[2J noise", pause_after=PAUSE)
            noise = await next_of(events, ScanEvent)
            assert (noise.symbology, noise.payload) == (None, b"\x00\xff\x1b[2J noise")
            sim.present(b"REAL", pause_after=PAUSE)
            assert (await next_of(events, ScanEvent)).payload == b"REAL"


async def test_an_oversized_scan_is_dropped_with_a_status_and_reading_goes_on() -> None:
    with SimulatedScanner() as sim:
        async with scanner(sim.port_path, max_length=64) as device:
            events = aiter(device)
            await status_of(events, DeviceStatus.READY)
            sim.present(b"Z" * 200, chunk_size=50, pause_after=PAUSE)
            status = await next_of(events, StatusEvent)
            assert status.status is DeviceStatus.READY
            assert isinstance(status.problem, ScanTooLong)
            assert "ZZZ" not in status.problem.detail
            sim.present(b"small", pause_after=PAUSE)
            assert (await next_of(events, ScanEvent)).payload == b"small"


async def test_the_same_code_read_twice_quickly_counts_once() -> None:
    with SimulatedScanner() as sim:
        async with scanner(sim.port_path, repeat_window=5.0) as device:
            events = aiter(device)
            await status_of(events, DeviceStatus.READY)
            sim.present(b"SAME", pause_after=PAUSE)
            sim.present(b"SAME", pause_after=PAUSE)
            sim.present(b"OTHER", pause_after=PAUSE)
            assert (await next_of(events, ScanEvent)).payload == b"SAME"
            assert (await next_of(events, ScanEvent)).payload == b"OTHER"


async def test_unplug_mid_frame_drops_the_half_scan_and_replug_resumes() -> None:
    with SimulatedScanner() as sim:
        # A long idle gap: the half frame could only end by the unplug, never by silence.
        async with scanner(sim.port_path, idle_gap=5.0) as device:
            events = aiter(device)
            await status_of(events, DeviceStatus.READY)
            sim.send(b"]Q1HALF-OF-A-")
            assert await asyncio.to_thread(sim.wait_drained)  # the driver read the half frame
            sim.unplug()
            lost = await status_of(events, DeviceStatus.DISCONNECTED)
            assert lost.problem is not None
            assert not Path(sim.port_path).exists()
            await asyncio.sleep(0.1)  # a few reopen attempts against a missing path
            assert device.status is DeviceStatus.DISCONNECTED
            sim.replug()
            await status_of(events, DeviceStatus.READY)
            sim.present(b"WHOLE", pause_after=PAUSE)
            event = await next_of(events, ScanEvent, skip_status=False)
            assert event.payload == b"WHOLE"


async def test_unplug_between_frames_keeps_earlier_scans_and_follows_the_new_link() -> None:
    with SimulatedScanner() as sim:
        async with scanner(sim.port_path) as device:
            events = aiter(device)
            await status_of(events, DeviceStatus.READY)
            sim.present(b"BEFORE", pause_after=PAUSE)
            assert (await next_of(events, ScanEvent)).payload == b"BEFORE"
            for round_ in range(3):
                sim.unplug()
                await status_of(events, DeviceStatus.DISCONNECTED)
                sim.replug()
                await status_of(events, DeviceStatus.READY)
                sim.present(f"AFTER-{round_}".encode(), pause_after=PAUSE)
                assert (await next_of(events, ScanEvent)).payload == f"AFTER-{round_}".encode()
            assert os.path.realpath(sim.port_path) == sim.tty_name  # the link was re-pointed


async def test_a_port_that_does_not_exist_yet_is_no_device_until_it_appears(tmp_path: Path) -> None:
    link = tmp_path / "xinyi-scanner"
    async with scanner(str(link)) as device:
        events = aiter(device)
        missing = await status_of(events, DeviceStatus.NO_DEVICE)
        assert missing.problem is not None
        assert str(link) in missing.problem.detail
        with SimulatedScanner(link) as sim:
            await status_of(events, DeviceStatus.READY)
            sim.present(b"LATE", pause_after=PAUSE)
            assert (await next_of(events, ScanEvent)).payload == b"LATE"


async def test_a_usb_id_that_is_not_plugged_in_reports_no_device() -> None:
    async with scanner("ffff:fffe") as device:
        missing = await status_of(aiter(device), DeviceStatus.NO_DEVICE)
        assert missing.problem is not None
        assert "ffff:fffe" in missing.problem.detail
        assert missing.problem.message("zh-CN")


async def test_scan_event_repr_shows_only_the_length() -> None:
    event = ScanEvent(b"SECRET-PAYLOAD", "]Q1")
    assert "SECRET" not in repr(event) and "SECRET" not in str(event)
    assert "14" in repr(event)


async def test_closing_the_driver_ends_iteration() -> None:
    with SimulatedScanner() as sim:
        device = scanner(sim.port_path)
        events = aiter(device)
        await status_of(events, DeviceStatus.READY)
        await device.aclose()
        assert [event async for event in events] == []


async def test_a_path_that_is_not_a_serial_port_is_an_error_with_advice(tmp_path: Path) -> None:
    not_a_tty = tmp_path / "notes.txt"
    not_a_tty.write_text("not a serial port")
    async with scanner(str(not_a_tty)) as device:
        failed = await status_of(aiter(device), DeviceStatus.ERROR)
        assert failed.problem is not None
        assert "dialout" in failed.problem.message("en")


async def test_a_crlf_after_an_aim_prefix_in_two_writes_is_not_kept_in_the_payload() -> None:
    """Issue #18 item 13: a scanner set for CR that sends CR LF, its scan in two writes 30 ms
    apart. Neither the CR LF nor a lone LF arriving after the CR may reach the payload."""
    code = b"91110000600037341L"
    with SimulatedScanner() as sim:
        async with scanner(sim.port_path, terminator="cr") as device:
            events = aiter(device)
            await status_of(events, DeviceStatus.READY)
            sim.present(code, terminator=b"\r\n", chunk_size=12, gap=0.03, pause_after=PAUSE)
            sim.send(b"]Q1SECOND-CODE\r", pause_after=0.03)  # ...and its LF in a write of its own
            sim.send(b"\n", pause_after=PAUSE)
            sim.present(b"text that ends in LF\n", terminator=b"\r\n", chunk_size=9, gap=0.03, pause_after=PAUSE)
            first = await next_of(events, ScanEvent)
            assert (first.payload, first.symbology) == (code, "]Q1")
            assert (await next_of(events, ScanEvent)).payload == b"SECOND-CODE"  # and no scan of "\n"
            assert (await next_of(events, ScanEvent)).payload == b"text that ends in LF\n"
