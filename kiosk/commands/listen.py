"""`kiosk listen`: the field technician's view of what a scanner or card reader sends.

One line per event until Ctrl-C or SIGTERM (exit 0). Payloads and ID numbers are printed only
with --show-payload; otherwise a line says that a read happened and how long it was.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
from typing import Any

from hardware.base import CardEvent, DeviceEvent, ScanEvent, StatusEvent
from hardware.idcard import IdCardReader
from hardware.scan_framing import TERMINATORS
from hardware.scanner import SerialScanner
from kiosk.common.logs import configure_logging
from kiosk.core.catalog import message

_STILL_TRYING = message("commands.listen.still_trying")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "listen",
        help="print what a scanner or ID-card reader reads (field tool)",
        description="Open a scanner or ID-card reader and print one line per event until "
        "interrupted. Follows PATH if it is a symlink and reopens it after an unplug.",
    )
    parser.add_argument("--device", choices=("scanner", "idcard"), required=True)
    parser.add_argument("--port", required=True, metavar="PATH",
                        help="device path, /dev/serial/by-id name, or USB VID:PID")
    parser.add_argument("--baud", type=int, help="scanner: 9600 by default; card reader: "
                        "probes 115200 then 9600 unless given")
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.add_argument("--show-payload", action="store_true",
                        help="also print scanned payloads and ID numbers (personal data!)")
    parser.add_argument("--terminator", choices=tuple(TERMINATORS), default="cr",
                        help="scanner suffix (default cr)")
    parser.add_argument("--idle-gap-ms", type=float, default=None,
                        help="scanner: silence after the terminator that ends a scan (default 30)")
    parser.add_argument("--locale", choices=("zh-CN", "en"), default="en")
    parser.add_argument("--verbose", action="store_true", help="log driver details to stderr")
    parser.set_defaults(run=run)


def describe_payload(payload: bytes) -> tuple[str, str]:
    """(encoding, text) for showing a payload: UTF-8, else GB18030, else hex."""
    for encoding in ("utf-8", "gb18030"):
        try:
            return encoding, payload.decode(encoding)
        except UnicodeDecodeError:
            continue
    return "hex", payload.hex()


def event_record(event: DeviceEvent, *, show_payload: bool, locale: str) -> dict[str, Any]:
    if isinstance(event, ScanEvent):
        record: dict[str, Any] = {"event": "scan", "symbology": event.symbology,
                                  "length": len(event.payload)}
        if event.eci is not None:
            record["eci"] = event.eci
        if show_payload:
            record["payload_encoding"], record["payload"] = describe_payload(event.payload)
        return record
    if isinstance(event, CardEvent):
        record = {"event": "card", "name_masked": event.name_masked}
        if show_payload:
            record["id_number"] = event.id_number
        else:
            record["id_number_length"] = len(event.id_number)
        return record
    record = {"event": "status", "status": event.status.value}
    if event.problem is not None:
        record["problem"] = {
            "kind": type(event.problem).__name__,
            "detail": event.problem.detail,
            "message": event.problem.message(locale),
        }
    return record


def event_line(event: DeviceEvent, *, show_payload: bool, locale: str) -> str:
    if isinstance(event, ScanEvent):
        symbology = event.symbology or "(no AIM id)"
        line = f"scan {symbology} {len(event.payload)} bytes"
        if event.eci is not None:
            line += f" ECI {event.eci}"
        if show_payload:
            encoding, text = describe_payload(event.payload)
            line += f" [{encoding}]: {text!r}"
        return line
    if isinstance(event, CardEvent):
        if show_payload:
            return f"card read: name {event.name_masked}, ID number {event.id_number}"
        return f"card read: name {event.name_masked}, ID number of {len(event.id_number)} characters"
    assert isinstance(event, StatusEvent)
    line = f"status {event.status.value}"
    if event.problem is not None:
        line += f": {event.problem.message(locale)} ({event.problem.detail})"
        if event.status.value in ("no_device", "disconnected"):
            line += f"; {_STILL_TRYING.get(locale)}"
    return line


def _make_device(args: argparse.Namespace) -> SerialScanner | IdCardReader:
    if args.device == "scanner":
        gap = {} if args.idle_gap_ms is None else {"terminator_gap": args.idle_gap_ms / 1000}
        return SerialScanner(args.port, baud=args.baud or 9600, terminator=args.terminator, **gap)
    bauds = (args.baud,) if args.baud else (115200, 9600)
    return IdCardReader(args.port, bauds=bauds)


async def _listen(args: argparse.Namespace) -> int:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    device = _make_device(args)

    async def print_events() -> None:
        async for event in device:
            if args.json:
                record = event_record(event, show_payload=args.show_payload, locale=args.locale)
                line = json.dumps(record, ensure_ascii=False)
            else:
                line = event_line(event, show_payload=args.show_payload, locale=args.locale)
            try:
                print(line, flush=True)
            except BrokenPipeError:  # `kiosk listen | head` closed the pipe: done
                stop.set()
                return

    async with device:
        printer = asyncio.create_task(print_events())
        stopper = asyncio.create_task(stop.wait())
        await asyncio.wait({printer, stopper}, return_when=asyncio.FIRST_COMPLETED)
        printer.cancel()
        stopper.cancel()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.remove_signal_handler(signum)
    return 0


def run(args: argparse.Namespace) -> int:
    configure_logging("kiosk.listen", logging.DEBUG if args.verbose else logging.WARNING)
    try:
        return asyncio.run(_listen(args))
    except KeyboardInterrupt:
        return 0
    finally:
        try:
            sys.stdout.flush()
        except BrokenPipeError:
            # Nobody reads any more; point stdout at /dev/null so exit does not complain.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
